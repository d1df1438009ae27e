"""``vanishing.gradcheck``: check a function's claimed derivatives (NumPy/autograd, PyTorch, JAX) against finite
differences with an error estimate behind every verdict (docs/GRADCHECK.md).

``vanishing.gradcheck(f, *inputs)`` and ``from vanishing.gradcheck import gradcheck`` are the same function: the
module is callable, so the name works whichever was imported first.
"""

import sys
import types

from vanishing.gradcheck.core import AUTO_FULL_MAX, PROBES, gradcheck
from vanishing.gradcheck.frameworks import GradcheckError
from vanishing.gradcheck.report import Entry, GradcheckResult, miss_probability

__all__ = ["gradcheck", "GradcheckError", "GradcheckResult", "Entry", "miss_probability", "AUTO_FULL_MAX", "PROBES"]


class _CallableModule(types.ModuleType):
    """``import vanishing.gradcheck`` binds the module to the name ``vanishing.gradcheck``: calling it calls gradcheck."""

    def __call__(self, f, *inputs, **kw):
        return gradcheck(f, *inputs, **kw)


sys.modules[__name__].__class__ = _CallableModule
