"""vanishing: property-based verification of the mathematics of gradient flow.

Subpackages: ``vanishing.models`` (reference NumPy models with hand-derived
derivatives), ``vanishing.checks`` (oracles, tolerances, strategies, claim
checks, conformance), ``vanishing.spec`` (the claim catalogue).
"""

__version__ = "0.1.0"
__all__ = ["__version__", "documentation", "install_hint", "gradcheck", "testing"]


def __getattr__(name):
    """``vanishing.gradcheck`` and ``vanishing.testing`` load on first use: ``import vanishing`` stays light."""
    if name in ("gradcheck", "testing"):
        import importlib
        return importlib.import_module(f"vanishing.{name}")
    raise AttributeError(f"module 'vanishing' has no attribute {name!r}")


def documentation(page, module=None):
    """Where a message sends the user to read ``page`` of the documentation (e.g. ``"VALIDATE.md"``).

    What the user has, in this order: the checkout's ``docs/PAGE`` (running from a clone); the
    Documentation address declared in the package metadata (``[project.urls]``) joined with
    PAGE; else the installed file of ``module`` (whose docstring documents it), or
    ``vanishing --help``. Never a path that does not exist on the user's machine.
    """
    import os
    from pathlib import Path
    here = Path(__file__).resolve().parent
    local = here.parent / "docs" / page
    if local.is_file() and (here.parent / "pyproject.toml").is_file():
        rel = os.path.relpath(local)
        return str(local) if rel.startswith(os.pardir) else rel
    try:
        from importlib import metadata
        for entry in metadata.metadata("vanishing").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if label.strip().lower() in ("documentation", "docs") and url.strip():
                return f"{url.strip().rstrip('/')}/{page}"
    except Exception:   # no metadata (not installed): fall through
        pass
    if module:
        import importlib.util
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin:
            return f"the docstring of {spec.origin} (python -m pydoc {module})"
    return "vanishing --help"


#: PyTorch's CPU-only wheels: the plain pin from the public index pulls the CUDA build (several GB) on Linux.
TORCH_INSTALL = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"


def install_hint(extra):
    """The one command that installs the optional extra ``extra``, as README.md gives it.

    torch: the pinned CPU build from PyTorch's index. Another extra: ``pip install ".[EXTRA]"`` from
    the checkout (running from a clone: its path); installed from a wheel, the extra's own requirements.
    """
    if extra == "torch":
        return TORCH_INSTALL
    import os
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file():
        rel = os.path.relpath(root)
        return f'pip install "{root if rel.startswith(os.pardir) else rel}[{extra}]"'
    try:
        from importlib import metadata
        reqs = [r.partition(";")[0].strip() for r in metadata.requires("vanishing") or []
                if f'extra == "{extra}"' in r.replace("'", '"')]
    except Exception:   # no metadata (not installed)
        reqs = []
    return "pip install " + " ".join(f"'{r}'" for r in reqs) if reqs else f"pip install 'vanishing[{extra}]'"
