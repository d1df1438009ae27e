"""Proofs about the GRU cell, both reset conventions (topic gru): the direct path, the step Jacobian, reset before/after, the gate.

Every size: entry i of the cell for a symbolic H = n (_gated.GRU; reset before the matmul reads r_k inside Σ_k W_hn[i,k] r_k h_k),
differentiated by SymPy with respect to h[j]. The ties evaluate the derived entries at H = 1..8 against models/gru.py.
"""

import sympy as sp
from vanishing.checks.evidence import _gated as G
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence

RESETS = ("after", "before")
HYP = ("H, D ≥ 1 symbolic (n, m)", "0 ≤ i, j ≤ H − 1", "weights, biases, state and input real")


def _tie(s, keys=("r", "z", "n", "h", "a_n"), extra=None):
    """Tie subject gates (where it has them) and step, and ``extra`` {subject name: {reset: expr}}, over the sweep."""
    count = 0
    for reset in RESETS:
        e = G.gru().entry(reset)

        def tie(H, D, scale, P, hv, xv, env, reset=reset, e=e):
            if hasattr(s, "gates"):
                got = s.gates(P, hv, xv, reset)
                for key in keys:
                    ensure(key in got, f"subject gates returns no {key!r}")
                    G.agree(f"gates[{key!r}] ({reset})", got[key], e[key], env, H, D)
            G.agree(f"step ({reset})", s.step(P, hv, xv, reset), e["h"], env, H, D)
            for name, exprs in (extra or {}).items():
                G.agree(f"{name} ({reset})", getattr(s, name)(P, hv, xv, reset), exprs[reset], env, H, D)
        count += G.sweep(lambda H, D, seed, scale: G.gru_point(H, D, seed, scale), tie)
    return count


@evidence("GRU-DIRECT-PATH", "proof", statement={"gate": "z"}, wrong={"diag(1 − z) (Chung et al.'s convention)": {"gate": "1 − z"}})
def gru_direct_path_proof(s, ctx):
    Z, N = sp.IndexedBase("Z"), sp.IndexedBase("N")                  # the gates held fixed: free entries
    hn = (1 - Z[G.i]) * N[G.i] + Z[G.i] * G.h[G.i]
    claimed = Z[G.i] if ctx.st.gate == "z" else 1 - Z[G.i]
    G.zero(sp.diff(hn, G.h[G.j]) - G.delta() * claimed, f"∂h_t/∂h_(t−1) at fixed z, n ≠ diag({ctx.st.gate})")
    z = {r: G.delta() * G.gru().entry(r)["z"] for r in RESETS}
    n = _tie(s, extra={"direct": z})
    return ("With z and n held fixed, ∂h_t/∂h_(t−1) = diag(z_t) for every H, under both reset conventions (SymPy)",
            (f"Entry i of h_t = (1−z)⊙n + z⊙h_(t−1) with z, n free entries, symbolic H. Tie: subject gates, step and direct "
             f"(after, before) at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP + ("z, n held fixed",),
                  (f"SymPy: d/dh[j] of (1 − Z_i)N_i + Z_i h_i minus δ_ij·({ctx.st.gate}) expands to 0",),
                  (f"models.gru gates, step, direct_path_jacobian (after, before): {G.TIED}",)))


def _closed(reset, e, act_n):
    """models/gru.py::step_jacobian's docstring at entry (i, j), for symbolic H; ``act_n`` is what a statement says tanh' is."""
    a_r, a_z = (G.gru().pre(g, G.i) for g in "rz")
    dr = lambda row, col: S.dsig(G.gru().pre("r", row, d=G.l)) * G.W("r")[row, col]
    dz = S.dsig(a_z) * G.W("z")[G.i, G.j]
    if reset == "after":
        da_n = e["r"] * G.W("n")[G.i, G.j] + e["hn"] * S.dsig(a_r) * G.W("r")[G.i, G.j]
    else:
        da_n = G.W("n")[G.i, G.j] * S.sig(G.gru().pre("r", G.j, d=G.l)) + sp.Sum(G.W("n")[G.i, G.k] * G.h[G.k] * dr(G.k, G.j), (G.k, 0, G.n - 1))
    return G.delta() * e["z"] + (G.h[G.i] - e["n"]) * dz + (1 - e["z"]) * act_n(e["a_n"]) * da_n


@evidence("GRU-STEP-JACOBIAN", "proof", statement={"act_n": "tanh'", "before_form": "before"},
          wrong={"tanh'(a_n) dropped": {"act_n": "1"}, "reset-after formula used for reset-before": {"before_form": "after"}})
def gru_step_jacobian_proof(s, ctx):
    act = {"tanh'": S.dtanh, "1": lambda u: sp.S.One}[ctx.st.act_n]
    J = {}
    for reset in RESETS:
        e = G.gru().entry(reset)
        J[reset] = G.collapse(sp.diff(e["h"], G.h[G.j]))
        form = reset if reset == "after" else ctx.st.before_form
        G.zero(J[reset] - _closed(form, G.gru().entry(form), act).xreplace({}), f"GRU step Jacobian ({reset}) ≠ the closed form")
    n = _tie(s, extra={"step_jacobian": J})
    return ("∂h_t/∂h_(t−1) = diag(z) + diag(h−n)∂z/∂h + diag(1−z)∂n/∂h for every H, reset after and before: SymPy's Jacobian equals the closed form",
            ("SymPy, symbolic H: d/dh[j] of entry i of h_t, Kronecker sums collapsed (reset before keeps Σ_k W_hn[i,k] h_k ∂r_k/∂h_j), "
             "equals models/gru.py::step_jacobian's docstring (∂a_n/∂h = diag(r)W_hn + diag(W_hn h + b_hn)∂r/∂h after, "
             f"W_hn(diag(r) + diag(h)∂r/∂h) before). Tie: subject step_jacobian and step at {n} points ({G.TIED}) "
             f"{S.within()}. {S.versions()}."),
            G.every(HYP,
                  ("SymPy: d/dh[j] of entry i of h_t (after, before), Kronecker sums collapsed",
                         "SymPy: minus the closed form of the matching convention expands to 0"),
                  (f"models.gru step_jacobian, step (after, before): {G.TIED}",)))


@evidence("GRU-RESET-BEFORE-AFTER", "proof", statement={"differ": True}, wrong={"the two conventions are the same GRU": {"differ": False}})
def gru_reset_before_after_proof(s, ctx):
    ea, eb = G.gru().entry("after"), G.gru().entry("before")
    r = lambda row: S.sig(G.gru().pre("r", row, d=G.l))
    # ([diag(r), W_hn] h)_i = r_i Σ_k W_hn[i,k] h_k − Σ_k W_hn[i,k] r_k h_k
    comm = r(G.i) * G.hsum(G.W("n"), G.i, lambda d: G.h[d]) - G.hsum(G.W("n"), G.i, lambda d: r(d) * G.h[d])
    diff = (ea["a_n"] - eb["a_n"]).xreplace({S.sig(G.gru().pre("r", G.i)): r(G.i)})
    G.zero(diff - comm - (r(G.i) - 1) * G.b("hn")[G.i], "a_n(after) − a_n(before) ≠ [diag(r), W_hn]h + (r − 1)b_hn")
    (G.nonzero if ctx.st.differ else G.zero)(diff, "a_n(after) − a_n(before) is not as stated")
    n = _tie(s)
    return ("a_n(after) − a_n(before) = [diag(r), W_hn] h + (r − 1)⊙b_hn for every H: the two conventions are different GRUs (SymPy)",
            ("SymPy, symbolic H: entry i of the difference is Σ_k (r_i − r_k) W_hn[i,k] h_k + (r_i − 1) b_hn[i], not identically "
             f"0 (it is for diagonal W_hn or constant r). Tie: subject gates (a_n, r, z, n, h) and step under both conventions at "
             f"{n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP,
                  ("SymPy: entry i of a_n(after) − a_n(before) − (r_i − 1)b_hn[i] − (r_i Σ_k W_hn[i,k]h_k − Σ_k W_hn[i,k]r_k h_k) expands to 0",
                         "SymPy: a_n(after) − a_n(before) does not expand to 0"),
                  (f"models.gru gates, step (after, before): {G.TIED}",)))


@evidence("GRU-SINGLE-GATE-INTERPOLATION", "proof", statement={"keep": "z"}, wrong={"a separate keep gate r": {"keep": "r"}})
def gru_single_gate_interpolation_proof(s, ctx):
    for reset in RESETS:
        e = G.gru().entry(reset)
        keep = e[ctx.st.keep]
        G.zero(e["h"] - (keep * G.h[G.i] + (1 - e["z"]) * e["n"]), f"h ≠ {ctx.st.keep}⊙h + (1−z)⊙n ({reset})")
        G.zero(keep + (1 - e["z"]) - 1, "keep + write ≠ 1")
    n = _tie(s)
    return ("h_t = z⊙h_(t−1) + (1−z)⊙n, every H: one gate z sets both the kept share z and the written share 1 − z (they sum to 1; SymPy)",
            (f"SymPy, symbolic H, both conventions. Tie: subject gates and step at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP,
                  ("SymPy: entry i of h_t − (z_i h_i + (1 − z_i) n_i) expands to 0 (after, before)",
                         "SymPy: z_i + (1 − z_i) − 1 expands to 0"),
                  (f"models.gru gates, step (after, before): {G.TIED}",)))
