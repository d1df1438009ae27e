"""Loading adapters from a spec: a built-in target (:data:`BUILTIN_TARGETS`: ``torch``, ``keras``, ``flax``,
``equinox``, ``haiku``) or ``package.module:factory``.

A built-in target whose framework is not installed raises AdapterError in one line naming the
optional extra to install (:func:`vanishing.install_hint`: ``pip install ".[keras]"`` from a checkout).

The factory is called with no arguments and returns one adapter or a list of them.
Like ``python -m``, the current directory is put on ``sys.path`` first, so
``vanishing validate examples.numpy_lstm:make`` works from a checkout. A path to a
file also works, ``path/to/file.py:factory``; like ``python path/to/file.py``, the
file's folder then goes on ``sys.path`` so it can import its sibling modules.
"""

import importlib
import importlib.util
import os
import sys
from pathlib import Path

from vanishing.checks.conformance.protocol import AdapterError, AdapterInfo

__all__ = ["BUILTIN_TARGETS", "load", "load_objects"]

#: Built-in targets: name → the module (in vanishing.checks.conformance) whose ``builtins()`` gives the adapters.
BUILTIN_TARGETS = {"torch": "torch_adapters", "keras": "keras_adapters", "flax": "flax_adapters",
                   "equinox": "equinox_adapters", "haiku": "haiku_adapters", "mlx": "mlx_adapters", "onnx": "onnx_adapters",
                   # the modern families' third-party packages (module:factory in checks/conformance)
                   "mingru": "modern_adapters:builtins_mingru", "lru": "modern_adapters:builtins_lru",
                   "mambapy": "modern_adapters:builtins_mambapy"}
_EXPECTED = f"a built-in target ({', '.join(BUILTIN_TARGETS)}) or 'package.module:factory'"


def _import(module):
    if module.endswith(".py") or os.sep in module or "/" in module:
        path = Path(module)
        if not path.is_file():
            raise AdapterError(f"cannot import {module!r}: no such file")
        name = "_vanishing_adapter_" + path.stem
        folder = str(path.resolve().parent)
        if folder not in sys.path:   # like `python file.py`: the file's folder is importable (its sibling modules)
            sys.path.insert(0, folder)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except Exception as e:
            sys.modules.pop(name, None)
            raise AdapterError(f"cannot import {module!r}: {type(e).__name__}: {' '.join(str(e).split())}") from None
        return mod
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module)
    except Exception as e:   # ImportError, SyntaxError, or whatever the module raises at import
        raise AdapterError(f"cannot import module {module!r}: {type(e).__name__}: {' '.join(str(e).split())}") from None


def load_objects(spec):
    """The raw adapter objects named by ``spec`` (a list)."""
    if not isinstance(spec, str) or not spec.strip():
        raise AdapterError(f"adapter spec: expected {_EXPECTED}, got {spec!r}")
    spec = spec.strip()
    if spec in BUILTIN_TARGETS:
        module, _, factory = BUILTIN_TARGETS[spec].partition(":")
        return getattr(importlib.import_module(f"vanishing.checks.conformance.{module}"), factory or "builtins")()
    module, sep, factory = spec.rpartition(":")
    if not sep or not module or not factory or not factory.isidentifier():
        raise AdapterError(f"adapter spec {spec!r}: expected {_EXPECTED} (a module, a colon, a function name)")
    mod = _import(module)
    fn = getattr(mod, factory, None)
    if fn is None:
        raise AdapterError(f"module {module!r} has no attribute {factory!r}")
    if not callable(fn):
        raise AdapterError(f"{spec}: {factory!r} is not callable (the factory must be a function returning adapters)")
    try:
        made = fn()
    except AdapterError:
        raise
    except Exception as e:
        raise AdapterError(f"factory {spec} raised {type(e).__name__}: {' '.join(str(e).split())[:300]}") from None
    if made is None:
        raise AdapterError(f"factory {spec} returned None; it must return an adapter or a list of adapters")
    return list(made) if isinstance(made, (list, tuple)) else [made]


def load(spec):
    """Validated adapters (:class:`AdapterInfo`) named by ``spec``; raises AdapterError in one line."""
    objs = load_objects(spec)
    if not objs:
        raise AdapterError(f"factory {spec} returned no adapters")
    infos = [AdapterInfo(o, origin=spec, index=i) for i, o in enumerate(objs)]
    seen = {}
    for info in infos:   # names identify adapters in --only and in reproduce commands
        if info.name in seen:
            seen[info.name] += 1
            info.name = f"{info.name}#{seen[info.name]}"
        else:
            seen[info.name] = 0
    return infos
