"""``vanishing gradcheck module:function --shapes 3x4,4``: the gradient check from the shell.

A subcommand module of ``vanishing/cli.py`` (``add_arguments``, ``main``). The inputs are drawn from a
standard normal with ``--seed``. Exit status as ``vanishing validate``: 0 every entry passes, 1 an entry
fails (or, without ``--allow-inconclusive``, is inconclusive), 2 a usage error or bad input (one line on
stderr); Ctrl-C goes up to ``vanishing.cli.main``: "interrupted", 130.
"""

import importlib
import sys

__all__ = ["add_arguments", "main"]


def add_arguments(p):
    """The arguments of ``vanishing gradcheck`` on the argparse parser ``p``."""
    p.description = ("Check the claimed derivatives of a NumPy/autograd, PyTorch or JAX function against finite differences "
                     "with an error estimate per entry, at inputs drawn from a standard normal. Exit 0: every entry passes; "
                     "1: an entry fails, or is inconclusive (not smooth there, or finite differences cannot decide); "
                     "2: a usage error or bad input.")
    p.add_argument("target", metavar="MODULE:FUNCTION", help="the function to check, e.g. mypkg.layers:attention")
    p.add_argument("--shapes", required=True, metavar="SHAPES",
                   help="the inputs' shapes, comma-separated, dimensions joined by x: 3x4,4 (two inputs); 1 or '' a scalar")
    p.add_argument("--framework", choices=("auto", "numpy", "torch", "jax"), default="auto",
                   help="the inputs' framework (default: torch or jax if MODULE imports it, else numpy)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64", help="the inputs' dtype (default float64)")
    p.add_argument("--mode", choices=("auto", "full", "directional"), default="auto", help="full Jacobian, random "
                   "projections, or auto (full up to 100 input entries)")
    p.add_argument("--probes", type=int, default=None, help="projections of the directional mode (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the inputs and of the directions (default 0)")
    p.add_argument("--allow-inconclusive", action="store_true", help="exit 0 when no entry fails, even if some are inconclusive")


def _shapes(text):
    from vanishing.cli import UsageError
    shapes = []
    for part in text.split(","):
        part = part.strip()
        try:
            dims = () if part in ("", "1", "()") else tuple(int(d) for d in part.split("x"))
        except ValueError:
            raise UsageError(f"--shapes: {part!r} is not a shape like 3x4 (integers joined by x)") from None
        if any(d < 1 for d in dims):
            raise UsageError(f"--shapes: {part!r} has a dimension < 1")
        shapes.append(dims)
    return shapes


def _function(target):
    from vanishing.cli import UsageError
    module, _, name = target.rpartition(":")
    if not module or not name:
        raise UsageError(f"{target!r}: expected MODULE:FUNCTION, e.g. mypkg.layers:attention")
    sys.path.insert(0, "")                      # a module in the working directory, as `python -m` finds it
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise UsageError(f"cannot import {module!r}: {e}") from None
    obj = mod
    for part in name.split("."):                # MyFunction.apply
        if not hasattr(obj, part):
            raise UsageError(f"module {module!r} has no attribute {name!r}")
        obj = getattr(obj, part)
    return mod, obj


def main(args):
    import numpy as np

    from vanishing.gradcheck import GradcheckError, gradcheck
    mod, f = _function(args.target)
    shapes = _shapes(args.shapes)
    fw = args.framework
    if fw == "auto":
        names = {getattr(v, "__name__", "").split(".")[0] for v in vars(mod).values()}
        fw = "torch" if "torch" in names else "jax" if "jax" in names else "numpy"
    rng = np.random.default_rng(args.seed)
    arrays = [rng.standard_normal(s).astype(args.dtype) for s in shapes]
    build = (f"rng = np.random.default_rng({args.seed}); inputs = [rng.standard_normal(s).astype('{args.dtype}') "
             f"for s in {shapes!r}]")
    kw = {"probes": args.probes} if args.probes else {}
    try:
        if fw == "torch":
            from vanishing.gradcheck.frameworks import _require
            torch = _require("torch")
            inputs = [torch.from_numpy(a) for a in arrays]
            build += "; inputs = [torch.from_numpy(a) for a in inputs]"
        elif fw == "jax":
            inputs = arrays
        else:
            inputs = arrays
        r = gradcheck(f, *inputs, mode=args.mode, seed=args.seed, framework=fw, reproduce=build, **kw)
    except GradcheckError as e:
        print(f"vanishing gradcheck: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    print(r.report())
    if r.failures:
        return 1
    return 1 if r.inconclusive and not args.allow_inconclusive else 0
