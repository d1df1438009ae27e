"""The modern families' entries of the validator's per-family tables: minGRU, minLSTM, LRU and Mamba's S6.

Each family gets, next to the others' (docs/DESIGN.md, "Adding a cell kind"):

* ``SURGERY``: the cell's equations with bug switches (``surgery._CELLS``: the mutants' and the gradient scale's
  reference); with no switch on it equals ``vanishing.models`` (tests/conformance/test_modern.py);
* ``MAGNITUDES``: the running forward-error magnitudes M of the cell (``bounds._CELLS``; the rules of bounds.py's
  docstring: a sum's M is the sum of its terms' magnitudes plus their propagated M, σ rounds absolutely, a product's
  M is |u|M(v) + |v|M(u) + |uv|);
* ``CATALOGUES``: the family's known bugs (``mutants.CATALOGUES``);
* ``PREACTIVATIONS``: the gate pre-activations, for the overflow hint of a crash (``diagnosis._PREACTIVATIONS``).

Every cell is the diagonal linear recurrence h_t = a_t ⊙ h_{t−1} + b_t with a_t, b_t read off x_t only, so one
helper (:func:`_recur`) carries every family's state and its error magnitude. Vectors are 1-D (models' conventions).
"""

import autograd.numpy as np
from scipy.special import expit
from vanishing.models.activations import get_activation

__all__ = ["CATALOGUES", "FAMILIES", "MAGNITUDES", "PREACTIVATIONS", "SURGERY"]

_sigma = get_activation("sigmoid", kernels=True).f


def _S():
    """surgery.py (imported when called: surgery imports this module for its table)."""
    from vanishing.checks.conformance import surgery
    return surgery


def _softplus(a, deriv=None):
    """softplus(a) = log(1 + e^a), stable; ``deriv="one"`` replaces its derivative σ(a) by 1 (value unchanged)."""
    y = np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))
    if deriv is None:
        return y
    S = _S()
    return S.sg(y) + (a - S.sg(a))


def _g(a):
    """g(a) = a + ½ for a ≥ 0, σ(a) for a < 0 (Feng et al. 2024, Appendix B: the log-space variant's candidate)."""
    return np.where(a >= 0, np.maximum(a, 0.0) + 0.5, _sigma(np.minimum(a, 0.0)))


def _shifted(first, hs, o):
    """``scan_shift``: the parallel scan off by one step, h_t reported at t + 1 (h_0 first, h_T lost)."""
    return np.concatenate([first[None], hs[:-1]], axis=0) if o.get("scan_shift") else hs


# ---------------------------------------------------------------- minGRU, minLSTM
def _min_coefficients(P, x, o, lstm):
    """(a_t, b_t) of h_t = a_t h_{t−1} + b_t, with the switches; a computed as σ(−k), never 1 − σ(k)."""
    S, der = _S(), o.get("deriv", {})
    bias = (lambda k: 0.0) if o.get("drop_bias") else (lambda k: P[k])
    ht = np.dot(P["W_h"], x) + bias("b_h")
    if o.get("candidate_g"):
        ht = _g(ht)
    if not lstm:
        k = np.dot(P["W_z"], x) + bias("b_z")
        a, z = S._act("sigmoid", -k, der.get("z")), S._act("sigmoid", k, der.get("z"))
        return (z, a * ht) if o.get("z_flip") else (a, z * ht)        # h = (1 − z)h + z h̃; flipped: z h + (1 − z) h̃
    kf, ki = np.dot(P["W_f"], x) + bias("b_f"), np.dot(P["W_i"], x) + bias("b_i")
    if o.get("unnormalised"):                                         # f, i used as they are: f′ = f, i′ = i
        f, i = S._act("sigmoid", kf, der.get("f")), S._act("sigmoid", ki, der.get("i"))
        return f, i * ht
    d = _softplus(-kf, der.get("f")) - _softplus(-ki, der.get("i"))   # d = log i − log f
    fp, ip = S._act("sigmoid", -d, der.get("f")), S._act("sigmoid", d, der.get("i"))   # f′ = σ(−d), i′ = σ(d)
    return (ip, fp * ht) if o.get("f_i_swapped") else (fp, ip * ht)


def _min_cell(lstm):
    def cell(row, P, s, xs, o, reset):
        S = _S()
        h, hs, T = (_g(s[0]) if o.get("g_h0") else s[0]), [], xs.shape[0]
        for t in range(T):
            Q = S._param_surgery(P, o, t, T)
            a, b = _min_coefficients(Q, xs[t], o, lstm)
            hr = S.sg(h) if o.get("cut_h") else h
            h = a * hr + b
            hs.append(h)
        return (_shifted(s[0], np.stack(hs), o),)
    return cell


# ---------------------------------------------------------------- LRU
def _lru_lambda(P, o):
    nu = P["nu_log"] if o.get("modulus_exp_once") else np.exp(np.minimum(P["nu_log"], 700.0))
    r = np.exp(-nu)                                                  # |λ| = exp(−exp(ν_log))
    theta = np.exp(np.minimum(P["theta_log"], 700.0))
    sign = -1.0 if o.get("conjugate_lambda") else 1.0
    return r * np.cos(theta), sign * r * np.sin(theta)


def _lru(row, P, s, xs, o, reset):
    S = _S()
    hr, hi = s
    T = xs.shape[0]
    ys, rs, js = [], [], []
    for t in range(T):
        Q = S._param_surgery(P, o, t, T)
        lr, li = _lru_lambda(Q, o)
        gamma = 1.0 if o.get("no_gamma") else np.exp(Q["gamma_log"])
        br, bi = gamma * np.dot(Q["B_re"], xs[t]), gamma * np.dot(Q["B_im"], xs[t])
        pr, pi = (S.sg(hr), S.sg(hi)) if o.get("cut_h") else (hr, hi)
        hr, hi = lr * pr - li * pi + br, lr * pi + li * pr + bi         # λ x + γ B u, the complex product
        im_sign = 1.0 if o.get("readout_plus_im") else -1.0            # Re(C x) = C_re h_re − C_im h_im
        y = np.dot(Q["C_re"], hr) + im_sign * np.dot(Q["C_im"], hi) + (0.0 if o.get("drop_D") else Q["D"] * xs[t])
        ys.append(y)
        rs.append(hr)
        js.append(hi)
    return _shifted(np.zeros_like(ys[0]), np.stack(ys), o), rs[-1], js[-1]


# ---------------------------------------------------------------- Mamba S6
def _phi1(z):
    small = np.abs(z) < 1e-5
    zs, zb = np.where(small, z, 0.0), np.where(small, 1.0, z)
    return np.where(small, 1.0 + zs / 2.0 + zs * zs / 6.0, np.expm1(zb) / zb)


def _mamba(row, P, s, xs, o, reset):
    S, der = _S(), o.get("deriv", {})
    h, T = s[0], xs.shape[0]
    ys, hs = [], []
    for t in range(T):
        Q, x = S._param_surgery(P, o, t, T), xs[t]
        A = -np.exp(np.minimum(Q["A_log"], 300.0))
        pre = np.dot(Q["W_delta"], x) + (0.0 if o.get("drop_b_delta") else Q["b_delta"])
        delta = _softplus(pre, der.get("delta"))                       # Δ = softplus(W_Δ x + b_Δ)
        dA = delta[:, None] * A
        Abar = np.exp(dA)
        B = np.dot(Q["W_B"], x)
        C = np.dot(Q["W_B"] if o.get("C_from_B") else Q["W_C"], x)
        dB = delta[:, None] * B[None, :]
        Bbar = _phi1(dA) * dB if o.get("bbar_zoh") else dB              # the paper's ZOH B̄ against B̄ = ΔB
        hp = S.sg(h) if o.get("cut_h") else h
        h = Abar * hp + Bbar * x[:, None]
        hs.append(h)
        ys.append(np.dot(h, C) + (0.0 if o.get("drop_D") else Q["D"] * x))
    return _shifted(np.zeros_like(ys[0]), np.stack(ys), o), hs[-1]


SURGERY = {"mingru": _min_cell(False), "minlstm": _min_cell(True), "lru": _lru, "mamba": _mamba}
FAMILIES = tuple(SURGERY)


# ---------------------------------------------------------------- forward-error magnitudes (bounds.py's rules)
def _dsig(a):
    e = np.exp(-np.abs(a))
    return e / (1.0 + e) ** 2


def _recur(h, Mh, a, Ma, b, Mb):
    """The next state of h = a⊙h + b and its M: |a|M(h) + |h|M(a) + |a h| + M(b) + |h′| (one product, one sum)."""
    hn = a * h + b
    return hn, np.abs(a) * Mh + np.abs(h) * Ma + np.abs(a * h) + Mb + np.abs(hn)


def _lin(W, x, b=None):
    """(W x + b, M(W x + b)) for exact inputs: Σ|W_j||x_j| + |b|."""
    v = W @ x + (0.0 if b is None else b)
    return v, np.abs(W) @ np.abs(x) + (0.0 if b is None else np.abs(b))


def _min_magnitudes(lstm):
    def mags(row, P, s, xs, reset):
        h, Mh, out = s[0], np.zeros_like(s[0]), []
        for x in xs:
            ht, Mht = _lin(P["W_h"], x, P["b_h"])
            if lstm:
                kf, Mkf = _lin(P["W_f"], x, P["b_f"])
                ki, Mki = _lin(P["W_i"], x, P["b_i"])
                spf, spi = np.logaddexp(0.0, -kf), np.logaddexp(0.0, -ki)
                d = spf - spi
                Md = expit(-kf) * Mkf + spf + expit(-ki) * Mki + spi + np.abs(d)   # softplus' = σ ≤ 1
                a, g = expit(-d), expit(d)
                Ma = Mg = _dsig(d) * Md + 1.0                                        # σ: absolute rounding
            else:
                k, Mk = _lin(P["W_z"], x, P["b_z"])
                a, g = expit(-k), expit(k)
                Ma = Mg = _dsig(k) * Mk + 1.0
            b, Mb = g * ht, np.abs(g) * Mht + np.abs(ht) * Mg + np.abs(g * ht)
            h, Mh = _recur(h, Mh, a, Ma, b, Mb)
            out.append(Mh)
        return (np.stack(out),)
    return mags


def _lru_magnitudes(row, P, s, xs, reset):
    e_nu = np.exp(np.minimum(P["nu_log"], 700.0))
    r = np.exp(-e_nu)
    Mr = r * (e_nu + 2.0)                       # exp(−exp(ν)): relative error e^ν·u from the inner exp, plus two roundings
    theta = np.exp(np.minimum(P["theta_log"], 700.0))
    Mcos = np.abs(np.sin(theta)) * theta + 1.0  # cos(θ) of a θ with error θu, plus its own rounding
    Msin = np.abs(np.cos(theta)) * theta + 1.0
    lr, li = r * np.cos(theta), r * np.sin(theta)
    Mlr, Mli = np.abs(np.cos(theta)) * Mr + r * Mcos + np.abs(lr), np.abs(np.sin(theta)) * Mr + r * Msin + np.abs(li)
    gamma = np.exp(P["gamma_log"])
    hr, hi = s
    Mhr, Mhi = np.zeros_like(hr), np.zeros_like(hi)
    My = []
    for u in xs:
        bu_r, Mbu_r = _lin(P["B_re"], u)
        bu_i, Mbu_i = _lin(P["B_im"], u)
        br, bi = gamma * bu_r, gamma * bu_i
        Mbr, Mbi = gamma * Mbu_r + 2.0 * np.abs(br), gamma * Mbu_i + 2.0 * np.abs(bi)
        nr = lr * hr - li * hi + br
        ni = lr * hi + li * hr + bi
        Mnr = np.abs(lr) * Mhr + np.abs(hr) * Mlr + np.abs(li) * Mhi + np.abs(hi) * Mli + np.abs(lr * hr) + np.abs(li * hi) + Mbr + np.abs(nr)
        Mni = np.abs(lr) * Mhi + np.abs(hi) * Mlr + np.abs(li) * Mhr + np.abs(hr) * Mli + np.abs(lr * hi) + np.abs(li * hr) + Mbi + np.abs(ni)
        hr, hi, Mhr, Mhi = nr, ni, Mnr, Mni
        y = P["C_re"] @ hr - P["C_im"] @ hi + P["D"] * u
        My.append(np.abs(P["C_re"]) @ (Mhr + np.abs(hr)) + np.abs(P["C_im"]) @ (Mhi + np.abs(hi)) + np.abs(P["D"] * u) + np.abs(y))
    return np.stack(My), Mhr, Mhi


def _mamba_magnitudes(row, P, s, xs, reset):
    A = -np.exp(np.minimum(P["A_log"], 300.0))
    h, Mh = s[0], np.zeros_like(s[0])
    My, Ms = [], []
    for x in xs:
        p, Mp = _lin(P["W_delta"], x, P["b_delta"])
        delta = np.logaddexp(0.0, p)
        Md = expit(p) * Mp + delta                                   # softplus' = σ
        dA = delta[:, None] * A
        MdA = np.abs(A) * Md[:, None] + 2.0 * np.abs(dA)             # A = −exp(A_log) rounds once
        Abar = np.exp(dA)
        MAbar = Abar * MdA + Abar
        B, MB = _lin(P["W_B"], x)
        C, MC = _lin(P["W_C"], x)
        bx = delta[:, None] * B[None, :] * x[:, None]
        Mbx = np.abs(B[None, :] * x[:, None]) * Md[:, None] + (delta * np.abs(x))[:, None] * MB[None, :] + 2.0 * np.abs(bx)
        h, Mh = _recur(h, Mh, Abar, MAbar, bx, Mbx)
        y = h @ C + P["D"] * x
        My.append(Mh @ np.abs(C) + np.abs(h) @ MC + np.abs(h) @ np.abs(C) + np.abs(P["D"] * x) + np.abs(y))
        Ms.append(Mh)
    return np.stack(My), Ms[-1]


MAGNITUDES = {"mingru": _min_magnitudes(False), "minlstm": _min_magnitudes(True), "lru": _lru_magnitudes,
              "mamba": _mamba_magnitudes}


# ---------------------------------------------------------------- the catalogues of known bugs
def _mutant(name, says, opts, where="forward"):
    from vanishing.checks.conformance.mutants import Mutant
    return Mutant(name, says, opts, where)


def _common(state):
    from vanishing.checks.conformance.mutants import _precision
    return _precision() + [
        _mutant("scan-off-by-one", f"the outputs are shifted by one step: step t reports {state}_(t−1) (a parallel scan "
                "read one element early, or an exclusive scan where an inclusive one belongs)", {"scan_shift": True}),
        _mutant("recurrent-gradient-dropped", f"nothing flows back from step t to {state}_(t−1) (the state is detached "
                "between steps)", {"cut_h": True}, "backward"),
        _mutant("param-grad-last-step", "the parameter gradients keep only the last step's contribution",
                {"param_grad": "last-step"}, "backward"),
        _mutant("param-grad-mean", "the parameter gradients are averaged over time instead of summed", {"param_grad": "mean"},
                "backward"),
        _mutant("no-state0-grad", "the gradient w.r.t. the initial state is zero", {"cut_state0": True}, "backward"),
        _mutant("no-input-grad", "the gradient w.r.t. the inputs x_t is zero", {"cut_x": True}, "backward"),
    ]


def _min_catalogue(lstm):
    def catalogue(row, reset):
        out = [_mutant("candidate-g", "the candidate is g(W_h x + b_h) (g(a) = a + ½ for a ≥ 0, σ(a) below: the paper's "
                       "log-space variant, Appendix B) where the linear h̃ = W_h x + b_h is declared", {"candidate_g": True}),
               _mutant("bias-unused", "the biases b are unused", {"drop_bias": True}),
               _mutant("h0-through-g", "the initial state enters as g(h_0) (log h_0 taken as log g(h_0)) where h_0 is given",
                       {"g_h0": True})]
        if lstm:
            out += [_mutant("gates-unnormalised", "f and i are used without the normalisation f′ = f/(f + i), i′ = i/(f + i)",
                            {"unnormalised": True}),
                    _mutant("f-i-swapped", "f′ and i′ are swapped: h_t = i′⊙h_(t−1) + f′⊙h̃_t", {"f_i_swapped": True})]
        else:
            out.append(_mutant("z-flipped", "1 − z and z are swapped: h_t = z⊙h_(t−1) + (1 − z)⊙h̃_t", {"z_flip": True}))
        return out + _common("h")
    return catalogue


def _lru_catalogue(row, reset):
    return [_mutant("gamma-missing", "the normalisation γ is missing: x_k = λ⊙x_(k−1) + B u_k (γ = 1)", {"no_gamma": True}),
            _mutant("lambda-conjugated", "λ is conjugated: arg λ = −exp(θ_log)", {"conjugate_lambda": True}),
            _mutant("modulus-one-exp", "|λ| = exp(−ν_log) where exp(−exp(ν_log)) is declared", {"modulus_exp_once": True}),
            _mutant("readout-plus-im", "y = C_re h_re + C_im h_im where Re(C x) = C_re h_re − C_im h_im",
                    {"readout_plus_im": True}),
            _mutant("skip-D-missing", "the skip term D⊙u is missing", {"drop_D": True})] + _common("x")


def _mamba_catalogue(row, reset):
    return [_mutant("bbar-zoh", "B̄ is the paper's zero-order hold (ΔA)^(−1)(exp(ΔA) − I)ΔB (eq. 4) where B̄ = ΔB (the "
                    "official code's simplification, this kind's convention) is declared", {"bbar_zoh": True}),
            _mutant("skip-D-missing", "the skip term D⊙x is missing", {"drop_D": True}),
            _mutant("delta-bias-unused", "the bias of Δ is unused: Δ = softplus(W_Δ x)", {"drop_b_delta": True}),
            _mutant("C-from-B", "C_t is computed with W_B (C_t = B_t)", {"C_from_B": True})] + _common("h")


CATALOGUES = {"mingru": _min_catalogue(False), "minlstm": _min_catalogue(True), "lru": _lru_catalogue,
              "mamba": _mamba_catalogue}


# ---------------------------------------------------------------- pre-activations (the overflow hint of a crash)
PREACTIVATIONS = {
    "mingru": lambda P, h, x: [P["W_z"] @ x + P["b_z"], P["W_h"] @ x + P["b_h"]],
    "minlstm": lambda P, h, x: [P["W_f"] @ x + P["b_f"], P["W_i"] @ x + P["b_i"], P["W_h"] @ x + P["b_h"]],
    "lru": lambda P, h, x: [P["nu_log"], P["theta_log"], P["gamma_log"]],
    "mamba": lambda P, h, x: [P["W_delta"] @ x + P["b_delta"], P["A_log"]],
}
