"""Assertions for a user's test suite: ``assert_gradients(f, *inputs)`` raises with the gradient check's report."""

__all__ = ["assert_gradients"]


def assert_gradients(f, *inputs, allow_inconclusive=False, **kw):
    """Assert that f's claimed derivatives at ``inputs`` agree with finite differences (``vanishing.gradcheck``).

    Raises AssertionError with the full report on a failing entry, and on an inconclusive one unless
    ``allow_inconclusive`` (then the entries that could be decided must pass). ``kw`` go to gradcheck.
    Returns the :class:`~vanishing.gradcheck.GradcheckResult`.
    """
    from vanishing.gradcheck import gradcheck
    r = gradcheck(f, *inputs, **kw)
    if r.failures or (r.inconclusive and not allow_inconclusive):
        raise AssertionError(r.report())
    if not r.passed:   # every entry inconclusive: nothing was decided, so nothing passed
        raise AssertionError("no entry could be decided (every one inconclusive):\n" + r.report())
    return r
