"""The result of a gradient check: entries with their verdicts, the worst one, and the report a person reads."""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Entry", "GradcheckResult", "miss_probability"]


@lru_cache(maxsize=None)
def _p_small_product(s):
    """P(|g·h| < s) for independent standard normals g, h: E_g[erf(s / (|g|·√2))]."""
    from scipy import integrate, special
    val, _ = integrate.quad(lambda g: 2.0 * np.exp(-g * g / 2.0) / np.sqrt(2.0 * np.pi) * special.erf(s / (g * np.sqrt(2.0))),
                            0.0, np.inf, limit=200)
    return float(val)


def miss_probability(ratio, probes):
    """The chance that ``probes`` Gaussian projections uᵀEv all stay within tol of 0 when ‖E‖₂ = ratio·tol.

    uᵀEv = σ₁·g·h + (independent rest), g, h standard normal; g·h is symmetric and unimodal (density K₀(|z|)/π),
    so by Anderson's inequality the rest only lowers P(|uᵀEv| < tol) ≤ P(|g·h| < 1/ratio), per probe, independently.
    """
    return _p_small_product(1.0 / float(ratio)) ** int(probes)


@dataclass
class Entry:
    """One compared derivative: a Jacobian entry (full) or one projection uᵀJv (directional)."""

    mode: str               # "reverse", "forward", "directional reverse", "directional forward"
    input: tuple | None     # (input number, index in it), None for a projection
    output: tuple | None    # (output number, index in it)
    flat: tuple             # (row, column) of the flat Jacobian, or ("probe", p)
    claimed: float
    fd: float
    fd_err: float
    tol: float
    tol_reason: str
    verdict: str
    why: str
    ratio: float            # |claimed − fd| / tol

    def where(self):
        if self.input is None:
            return f"projection uᵀJv number {self.flat[1]} ({self.mode.split()[1]} mode)"
        (ko, io), (ki, ii) = self.output, self.input
        return f"d output[{ko}]{list(io)} / d input[{ki}]{list(ii)} ({self.mode} mode)"


class GradcheckResult:
    """``ok``: every entry passed. ``worst``: the entry furthest outside (or nearest to) its tolerance.
    ``failures``, ``inconclusive``: the entries with those verdicts. ``report()``: the text for a person."""

    def __init__(self, entries, mode, requested, framework, precision, dtype, nfev, seconds, forward_note, miss, probes,
                 seed, adapter, reproduce):
        self.entries, self.mode, self.requested, self.framework = entries, mode, requested, framework
        self.precision, self.dtype, self.nfev, self.seconds = precision, dtype, nfev, seconds
        self.forward_note, self.miss, self.probes, self.seed = forward_note, miss, probes, seed
        self._ad, self._reproduce = adapter, reproduce
        self.failures = [e for e in entries if e.verdict == "fail"]
        self.inconclusive = [e for e in entries if e.verdict == "inconclusive"]
        self.passed = [e for e in entries if e.verdict == "pass"]
        pool = self.failures or [e for e in entries if e.verdict == "pass"] or entries
        self.worst = max(pool, key=lambda e: e.ratio) if pool else None
        self.ok = not self.failures and not self.inconclusive
        self.verdict = "fail" if self.failures else "inconclusive" if self.inconclusive else "pass"

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"<GradcheckResult {self.verdict}: {len(self.passed)} pass, {len(self.failures)} fail, " \
               f"{len(self.inconclusive)} inconclusive of {len(self.entries)}>"

    def summary(self):
        """One line: the verdict and the counts."""
        what = "Jacobian entries" if self.mode == "full" else "projections"
        return (f"{self.verdict.upper()}: {len(self.passed)} of {len(self.entries)} {what} pass, {len(self.failures)} fail, "
                f"{len(self.inconclusive)} inconclusive ({self.framework}, mode={self.mode}, {self.nfev} evaluations, "
                f"{self.seconds:.2f}s)")

    def _entry_lines(self, e, head):
        rel = abs(e.claimed - e.fd) / max(abs(e.fd), np.finfo(float).tiny)
        lines = [f"{head}: {e.where()}: {e.verdict}" + (f" ({e.why})" if e.why else ""),
                 f"  claimed   {e.claimed!r}",
                 f"  FD        {e.fd!r} ± {e.fd_err:.3e} (error estimate of the stencil, rounding included)",
                 f"  |diff|    {abs(e.claimed - e.fd):.3e} ({rel:.2e} relative) against tolerance {e.tol:.3e}: {e.tol_reason}"]
        return lines

    def reproduce(self):
        """Python lines that rebuild this check (the inputs printed in full when small)."""
        ad = self._ad
        owner = getattr(ad.f, "__self__", None)              # MyFunction.apply: import the class
        src = owner if isinstance(owner, type) else ad.f
        name = getattr(src, "__name__", "f")
        mod = getattr(src, "__module__", None)
        fn = f"{name}.{ad.f.__name__}" if src is owner else name
        head = [f"from {mod} import {name}"] if mod and mod != "__main__" and name.isidentifier() else [f"# {fn}: your function"]
        if self._reproduce:
            build = [self._reproduce]
        elif ad.z0.size <= 200:
            lib = {"torch": "torch.tensor({v}, dtype=torch.{d})", "jax": "jnp.asarray(np.array({v}, dtype=np.{d}))",
                   "numpy": "np.array({v}, dtype=np.{d})"}[ad.name]
            build = ["inputs = [" + ", ".join(lib.format(v=repr(p.tolist()), d=d) for p, d in zip(ad.split(ad.z0), ad.dtypes)) + "]"]
        else:
            build = [f"inputs = [...]  # your {len(ad.shapes)} input(s) of shapes {ad.shapes} ({ad.z0.size} entries: too many to print)"]
        imp = {"torch": "import torch", "jax": "import jax.numpy as jnp", "numpy": ""}[ad.name]
        call = f"r = vanishing.gradcheck({fn}, *inputs, mode={self.mode!r}" + (f", probes={self.probes}, seed={self.seed}"
                                                                               if self.probes else "") + ")"
        return "\n".join([ln for ln in ["import numpy as np", imp, "import vanishing", *head, *build, call, "print(r.report())"] if ln])

    def report(self, limit=5):
        """The report: summary, the worst entry (claimed, FD ± estimate, tolerance and why), the others, the mode's guarantee."""
        out = [f"vanishing.gradcheck: {self.summary()}",
               f"finite differences in {self.precision}; claimed derivatives in {self.dtype}"]
        if self.forward_note:
            out.append(f"forward mode not checked: {self.forward_note}")
        if self.worst is not None:
            out += self._entry_lines(self.worst, "worst entry")
        for e in [e for e in self.failures if e is not self.worst][:limit - 1]:
            out += self._entry_lines(e, "also failing")
        if len(self.failures) > limit:
            out.append(f"... and {len(self.failures) - limit} more failing entries")
        if self.inconclusive:
            out.append(f"inconclusive ({len(self.inconclusive)}; never counted as pass or fail):")
            out += [f"  {e.where()}: {e.why}; claimed {e.claimed:.6g}, FD {e.fd:.6g} ± {e.fd_err:.2e}"
                    for e in self.inconclusive[:limit]]
            if len(self.inconclusive) > limit:
                out.append(f"  ... and {len(self.inconclusive) - limit} more")
        if self.mode == "directional":
            out.append(f"directional guarantee: {self.probes} Gaussian projections (seed {self.seed}) miss an error E in the "
                       f"Jacobian with ‖E‖₂ = 10 x tolerance with probability <= {self.miss[10.0]:.1e}, = 100 x tolerance "
                       f"<= {self.miss[100.0]:.1e}; mode='full' checks every entry")
        if not self.ok:
            out += ["reproduce:"] + ["  " + ln for ln in self.reproduce().splitlines()]
        return "\n".join(out)
