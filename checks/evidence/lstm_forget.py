"""Evidence for the lstm_forget topic kept here from the old flow.py: forget bias 1 (an interval enclosure)."""

import mpmath
import numpy as np
from mpmath import iv
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _iv as V
from vanishing.checks.evidence import _sym as S


def _iv_sig(x):
    return 1 / (1 + iv.exp(-x))


# ---------------------------------------------------------------- forget bias 1
@evidence("LSTM-FORGET-BIAS-ONE", "interval", statement={"sigma1": ("0.7310585", "0.7310586")},
          wrong={"σ(1) ∈ [0.70, 0.71]": {"sigma1": ("0.70", "0.71")}}, unaffected={
    "init's forget_bias stored in the i block": "the certificate bounds σ(b_f) for given b_f; it never draws parameters with init_params"})
def lstm_forget_bias_one_interval(s, ctx):
    old = iv.prec
    iv.prec = V.IV_PREC
    try:
        s1 = _iv_sig(iv.mpf(1))
        lo, hi = (mpmath.mpf(v) for v in ctx.st.sigma1)
        ensure(s1.a > lo and s1.b < hi, f"σ(1) enclosure {s1} is not inside the stated [{lo}, {hi}]")
        half = iv.log(2) / -iv.log(s1)                              # σ(1)^T = 1/2 at T = ln 2/(−ln σ(1))
        ensure(half.a > mpmath.mpf("2.2") and half.b < mpmath.mpf("2.22"), f"half-life enclosure {half}")
    finally:
        iv.prec = old
    H, D = 2, 1
    for bf, T in ((1.0, 3), (1.0, 20), (2.0, 5)):
        b = np.zeros(4 * H)
        b[H:2 * H] = bf                                              # W = 0, x = 0, b_g = 0 ⇒ g = 0 and c_t = σ(b_f) c_(t−1)
        P = {"W_x": np.zeros((4 * H, D)), "W_h": np.zeros((4 * H, H)), "b": b}
        c0 = np.array([1.0, -0.5])
        _, cs = s.forward(P, np.zeros(H), c0, np.zeros((T, D)))
        with mpmath.workdps(S.MP_DPS):
            sb = 1 / (1 + mpmath.exp(-mpmath.mpf(bf)))
            want = np.array([float(sb ** T * mpmath.mpf(v)) for v in c0])
        S.agree(f"forward c_T (b_f = {bf}, T = {T})", np.asarray(cs, float)[-1], want)
    return ("Forget bias 1 with W = 0: ∂c_T/∂c_0 = σ(1)^T with σ(1) ∈ [0.7310585, 0.7310586] < 1: geometric decay, half-life ∈ [2.2, 2.22] steps",
            (f"Interval enclosures ({V.version()}) of σ(1) = 1/(1 + e^(−1)) and of ln 2/(−ln σ(1)). With W = 0, x = 0, b_g = 0 the "
            "candidate is 0 and c_t = σ(b_f)c_(t−1) exactly, so c_T = σ(b_f)^T c_0 and ∂c_T/∂c_0 = σ(b_f)^T I. Tie: subject forward's "
            f"c_T at (b_f, T) ∈ {{(1, 3), (1, 20), (2, 5)}} equals σ(b_f)^T c_0 (mpmath) {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("W = 0, x = 0, b_g = 0, forget bias b_f = 1",),
                  steps=(f"interval ({V.version()}): σ(1) = 1/(1 + e^(−1)) enclosed", "interval: ln 2/(−ln σ(1)) enclosed in [2.2, 2.22]"),
                  tied=("forward's c_T at H = 2 for (b_f, T) = (1, 3), (1, 20), (2, 5)",)))
