"""What the framework adapters share, in one neutral module: optional imports, installed versions, gate blocks.

No framework's adapter module imports another's: the torch, keras, flax, equinox and haiku adapters take these
helpers from here (jax_adapters.py keeps only what the JAX cells share: ``JaxCell``).
"""

import importlib

import numpy as np

from vanishing import install_hint
from vanishing.checks.conformance.protocol import AdapterError

__all__ = ["blocks", "optional", "unblocks", "versions"]


def optional(module, dist, extra, needs_jax=False):
    """The module ``module`` (e.g. "equinox", "flax.nnx"), or AdapterError naming the optional extra to install.

    ``needs_jax``: jax is imported first, so that a missing jax is named as such (it is the extra's dependency)."""
    if needs_jax:
        optional("jax", "jax", extra)
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise AdapterError(f"{dist} is not installed ({e}); install the optional extra: {install_hint(extra)}") from None


def versions(*names):
    """{distribution: version} of the installed packages among ``names``."""
    from importlib.metadata import PackageNotFoundError, version
    out = {}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            pass
    return out


def blocks(M, H, order, src):
    """The H-row blocks of M (stacked in ``src`` order) restacked in ``order`` (letters of ``src``)."""
    return np.concatenate([M[src.index(g) * H:(src.index(g) + 1) * H] for g in order], axis=0)


def unblocks(M, H, order, src):
    """Inverse of :func:`blocks`: M stacked in ``order`` → stacked in ``src``."""
    return np.concatenate([M[order.index(g) * H:(order.index(g) + 1) * H] for g in src], axis=0)
