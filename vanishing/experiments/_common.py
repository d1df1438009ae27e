"""What the experiments share: the optional imports, a figure style, progress lines, and the training steps."""

import sys
import textwrap
import time

import numpy as onp
from autograd.misc import flatten
from autograd.tracer import getval

from vanishing import install_hint
from vanishing.models import clipping

__all__ = ["EXTRA_HINT", "Missing", "Progress", "adam", "caption_below", "finite", "flat_norm", "overflowed", "pyplot", "require", "save"]

EXTRA_HINT = install_hint("experiments")


class Missing(RuntimeError):
    """An optional package the experiments need is not installed (the message names the extra)."""


def require(module, dist):
    """Import ``module`` or raise Missing naming the distribution and the extra that installs it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise Missing(f"{dist} is not installed; the experiments need the 'experiments' extra: {EXTRA_HINT}") from None


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no display), with a readable default style."""
    mpl = require("matplotlib", "matplotlib")
    mpl.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 10, "axes.titlesize": 10,
                         "axes.labelsize": 10, "legend.fontsize": 8, "axes.grid": True, "grid.alpha": 0.3})
    return plt


def caption_below(fig, text, width=150):
    """Print the caption under the axes, wrapped, so the PNG explains itself when seen alone."""
    fig.text(0.01, 0.005, textwrap.fill(text, width), fontsize=8, va="bottom", ha="left", wrap=True)


def save(fig, out, name):
    """Save ``fig`` as ``out/name``, a 256-colour PNG (a third of the size, same look), close it; returns the file name."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image  # a dependency of matplotlib
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    buf.seek(0)
    with Image.open(buf) as im:
        im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out / name, format="PNG", optimize=True)
    return name


class Progress:
    """One line per stage on stderr: ``[experiments] name: message (elapsed)``."""

    def __init__(self, name, quiet=False, stream=None):
        self.name, self.quiet, self.t0 = name, quiet, time.perf_counter()
        self.stream = stream or sys.stderr

    def __call__(self, message):
        if not self.quiet:
            print(f"[experiments] {self.name}: {message} ({time.perf_counter() - self.t0:.1f} s)", file=self.stream, flush=True)


def overflowed(call, *args):
    """``call(*args)``, or None when a reference model rejected an input because it overflowed to inf/NaN
    (the models raise ValueError "expected finite values"; a training run calls that divergence)."""
    try:
        return call(*args)
    except ValueError as e:
        if "finite" not in str(e):
            raise
        return None


def finite(tree):
    """True when every array in a (nested) dict/list of arrays is finite."""
    if isinstance(tree, dict):
        return all(finite(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return all(finite(v) for v in tree)
    return bool(onp.all(onp.isfinite(getval(tree))))


def _leaves(tree):
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [x for v in tree for x in _leaves(v)]
    return [onp.asarray(tree)]


def flat_norm(tree):
    """The global 2-norm of every entry of a (nested) gradient, by clipping.global_norm (no overflow in Σg²)."""
    return float(clipping.global_norm(_leaves(tree)))


def _rebuild(tree, it):
    if isinstance(tree, dict):
        return {k: _rebuild(tree[k], it) for k in sorted(tree)}
    if isinstance(tree, (list, tuple)):
        return [_rebuild(v, it) for v in tree]
    return next(it)


def clip_tree(tree, how, threshold):
    """Clip a (nested) gradient with the reference rules: ``how`` in {None, "norm", "value"}."""
    if how is None:
        return tree
    leaves = _leaves(tree)
    out = clipping.clip_by_global_norm(leaves, threshold)[0] if how == "norm" else clipping.clip_by_value(leaves, threshold)
    return _rebuild(tree, iter(out))


def adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma & Ba 2015) on a (nested) dict of arrays: returns update(params, grads) -> new params."""
    state = {"t": 0, "m": None, "v": None}

    def update(params, grads):
        # elementwise, so one flat vector (autograd's flatten) gives the same numbers as array by array
        theta, unflatten = flatten(params)
        g = flatten(grads)[0]
        if state["m"] is None:
            state["m"], state["v"] = onp.zeros_like(theta), onp.zeros_like(theta)
        state["t"] += 1
        t = state["t"]
        state["m"] = b1 * state["m"] + (1 - b1) * g
        state["v"] = b2 * state["v"] + (1 - b2) * g ** 2
        mh, vh = state["m"] / (1 - b1 ** t), state["v"] / (1 - b2 ** t)
        return unflatten(theta - lr * mh / (onp.sqrt(vh) + eps))

    return update
