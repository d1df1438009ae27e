"""The trigger zoo: implementations whose bug hides behind the inputs an ordinary search draws (issue 23).

Each broken member states its **trigger** (the input structure that exposes it) and its **easy input** (an input
without the trigger, of the kind the search drew before: every parameter non-zero, states equal or 0, B = 1 or
B = T, two layers): tests/conformance/test_zoo.py shows it passes there and is rejected under ``ci``. Written like
user code (NumPy with a hand-written backward pass, or autograd.numpy), independently of vanishing's mutants.
``TRIGGERED`` maps each factory to (check, what the diagnosis must say, its trigger); ``correct()`` must pass.
"""

import autograd
import autograd.numpy as anp
import numpy as np
from scipy.special import expit

from autograd.tracer import getval
from zoo import GRU, Clip, _sig  # tests/zoo is on sys.path (the loader's file import)


def _all_zero(arrays):
    return not any(np.any(np.asarray(a)) for a in arrays)


# ---------------------------------------------------------------- a GRU with a hand-written backward pass
class HandGRU:
    """PyTorch's GRU (reset after the matmul, b_hn inside r⊙(W_hn h + b_hn)) in NumPy, BPTT by hand."""

    kind, dtype, reset = "gru", np.float64, "after"

    def __init__(self, name, bug=None):
        self.name, self.bug = name, bug

    def _run(self, p, h, xs):
        H = h.shape[0]
        caches, hs = [], []
        for x in xs:
            gx, gh = p["W_x"] @ x + p["b_x"], p["W_h"] @ h + p["b_h"]
            r, z = expit(gx[:H] + gh[:H]), expit(gx[H:2 * H] + gh[H:2 * H])
            n = np.tanh(gx[2 * H:] + r * gh[2 * H:])
            caches.append((x, h, r, z, n, gh[2 * H:]))
            h = (1 - z) * n + z * h
            hs.append(h)
        return np.stack(hs), caches

    def step(self, params, state, x):
        return (self._run(params, state[0], np.asarray(x)[None, :])[0][0],)

    def forward(self, params, state0, xs):
        return (self._run(params, state0[0], xs)[0],)

    def vjp(self, params, state0, xs, cotangents):
        p = params
        H = state0[0].shape[0]
        _, caches = self._run(p, state0[0], xs)
        # BUG (bias-free-path): a bias-free kernel, taken when every bias is 0, forgets r in ∂/∂W_hn
        no_bias = self.bug == "bias-free-path" and _all_zero([p["b_x"], p["b_h"]])
        g = {k: np.zeros_like(v) for k, v in p.items()}
        g["xs"] = np.zeros_like(xs)
        dh_next = np.zeros(H)
        for t in range(len(caches) - 1, -1, -1):
            x, h_prev, r, z, n, ghn = caches[t]
            dh = cotangents[0][t] + dh_next
            dn, dz = dh * (1 - z), dh * (h_prev - n)
            dan = dn * (1 - n * n)
            dar, daz = dan * ghn * r * (1 - r), dz * z * (1 - z)
            dgx = np.concatenate([dar, daz, dan])
            dgh = np.concatenate([dar, daz, dan * r])
            g["W_x"] += np.outer(dgx, x)
            g["b_x"] += dgx
            g["W_h"] += np.outer(dgh, h_prev)
            if no_bias:
                g["W_h"][2 * H:] += np.outer(dan * (1 - r), h_prev)   # i.e. outer(dan, h_prev): r is missing
            g["b_h"] += dgh
            g["xs"][t] = p["W_x"].T @ dgx
            dh_next = dh * z + p["W_h"].T @ dgh
        g["h0"] = dh_next
        return g


# ---------------------------------------------------------------- a peephole LSTM with a hand-written backward pass
class HandPeephole:
    """The peephole LSTM (i, f peek at c_{t−1}, o at c_t; gate order i, f, g, o) in NumPy, BPTT by hand."""

    kind, dtype = "lstm-peephole", np.float64

    def __init__(self, name, bug=None):
        self.name, self.bug = name, bug

    def _run(self, p, h, c, xs):
        H = h.shape[0]
        caches, hs = [], []
        for x in xs:
            a = p["W_x"] @ x + p["W_h"] @ h + p["b"]
            i, f = expit(a[:H] + p["p_i"] * c), expit(a[H:2 * H] + p["p_f"] * c)
            g = np.tanh(a[2 * H:3 * H])
            c_new = f * c + i * g
            o = expit(a[3 * H:] + p["p_o"] * c_new)
            tc = np.tanh(c_new)
            caches.append((x, h, c, i, f, g, o, c_new, tc))
            h, c = o * tc, c_new
            hs.append(h)
        return np.stack(hs), c, caches

    def step(self, params, state, x):
        hs, c, _ = self._run(params, state[0], state[1], np.asarray(x)[None, :])
        return hs[0], c

    def forward(self, params, state0, xs):
        hs, c, _ = self._run(params, state0[0], state0[1], xs)
        return hs, c

    def vjp(self, params, state0, xs, cotangents):
        p = params
        _, _, caches = self._run(p, state0[0], state0[1], xs)
        # BUG (bias-free-path): the kernel taken when b = 0 drops the peephole paths p_i⊙δi + p_f⊙δf into dc_{t−1}
        no_bias = self.bug == "bias-free-path" and _all_zero([p["b"]])
        g = {k: np.zeros_like(v) for k, v in p.items()}
        g["xs"] = np.zeros_like(xs)
        dh_next, dc_next = np.zeros_like(state0[0]), np.array(cotangents[1], copy=True)
        for t in range(len(caches) - 1, -1, -1):
            x, h_prev, c_prev, i, f, gg, o, c_new, tc = caches[t]
            dh = cotangents[0][t] + dh_next
            dao = dh * tc * o * (1 - o)
            dc = dc_next + dh * o * (1 - tc * tc) + dao * p["p_o"]
            dai, daf, dag = dc * gg * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - gg * gg)
            da = np.concatenate([dai, daf, dag, dao])
            g["W_x"] += np.outer(da, x)
            g["W_h"] += np.outer(da, h_prev)
            g["b"] += da
            g["p_i"] += dai * c_prev
            g["p_f"] += daf * c_prev
            g["p_o"] += dao * c_new
            g["xs"][t] = p["W_x"].T @ da
            dh_next = p["W_h"].T @ da
            dc_next = dc * f + (0.0 if no_bias else dai * p["p_i"] + daf * p["p_f"])
        g["h0"], g["c0"] = dh_next, dc_next
        return g


# ---------------------------------------------------------------- cells differentiated by autograd
class FastFirstStepGRU(GRU):
    """BUG: from h0 = 0 the first step takes a fast path, n = tanh(W_xn x + b_xn + b_hn): r⊙(W_hn h0 + b_hn) with
    h0 = 0 is r⊙b_hn, and the fast path forgets r."""

    def _run(self, p, s, xs):
        h = s[0]
        if not np.any(getval(h)):
            H = h.shape[0]
            gx = anp.dot(p["W_x"], xs[0]) + p["b_x"]
            r_z = _sig(gx[:2 * H] + p["b_h"][:2 * H])
            z = r_z[H:]
            n = anp.tanh(gx[2 * H:] + p["b_h"][2 * H:])          # r missing
            h1 = (1 - z) * n
            rest = super()._run(p, (h1,), xs[1:])[0] if xs.shape[0] > 1 else None
            return (h1[None, :] if rest is None else anp.concatenate([h1[None, :], rest]),)
        return super()._run(p, s, xs)


class EquinoxStyleGRU(GRU):
    """Equinox's GRUCell layout (b_x (3H,) and b_hn (H,): the ``gru-bhn`` parameter set). BUG (equinox PR #215): with
    use_bias=True the biases are never added."""

    param_set = "gru-bhn"

    def __init__(self, name, ignores_biases=False):
        super().__init__(name)
        self.ignores_biases = ignores_biases

    def _run(self, p, s, xs):
        H = s[0].shape[0]
        zero = anp.zeros(3 * H)
        b_x = zero if self.ignores_biases else p["b_x"]
        b_h = zero if self.ignores_biases else anp.concatenate([anp.zeros(2 * H), p["b_hn"]])
        return super()._run({"W_x": p["W_x"], "W_h": p["W_h"], "b_x": b_x, "b_h": b_h}, s, xs)


# ---------------------------------------------------------------- multi-layer modules (PyTorch's parameter layout)
_BLOCKS = {"rnn-tanh": 1, "lstm": 4, "gru": 3}


def _cell(cell, Wi, Wh, bi, bh, x, h, c, bug_roll=False):
    """One batched step: x (B, D), h (B, H) → (h, c)."""
    H = h.shape[1]
    if cell == "rnn-tanh":
        return anp.tanh(anp.dot(x, Wi.T) + bi + anp.dot(h, Wh.T) + bh), None
    if cell == "lstm":
        a = anp.dot(x, Wi.T) + bi + anp.dot(h, Wh.T) + bh
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), anp.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
        c = f * c + i * g
        return o * anp.tanh(c), c
    gx = anp.dot(x, Wi.T) + bi
    hh = anp.concatenate([h[-1:], h[:-1]]) if bug_roll else h   # BUG (batch3-nobias): sequence b reads sequence b−1's h
    gh = anp.dot(hh, Wh.T) + bh
    r, z = _sig(gx[:, :H] + gh[:, :H]), _sig(gx[:, H:2 * H] + gh[:, H:2 * H])
    n = anp.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h, None


class Stack:
    """nn.RNN / LSTM / GRU(num_layers, bidirectional, batch_first) written out in autograd.numpy; ``bug`` plants one."""

    kind, dtype = "stack", np.float64

    def __init__(self, name, cell, num_layers=2, bidirectional=False, batch_first=False, bug=None):
        self.name, self.cell, self.bug = name, cell, bug
        self.config = {"num_layers": num_layers, "bidirectional": bidirectional, "batch_first": batch_first}
        self.L, self.dirs = num_layers, 2 if bidirectional else 1

    def param_shapes(self, H, D):
        G, out = _BLOCKS[self.cell] * H, []
        for l in range(self.L):
            for d in range(self.dirs):
                s = f"_l{l}" + ("_reverse" if d else "")
                out += [(f"weight_ih{s}", (G, D if l == 0 else self.dirs * H)), (f"weight_hh{s}", (G, H)),
                        (f"bias_ih{s}", (G,)), (f"bias_hh{s}", (G,))]
        return out

    def _forward(self, params, xs, h0, c0, lengths=None):
        bf = self.config["batch_first"] != (self.bug == "batch-time-swapped")   # BUG: the layout read the other way round
        seq = anp.swapaxes(xs, 0, 1) if bf else xs                              # (T, B, D)
        T, B = seq.shape[0], seq.shape[1]
        biases_zero = _all_zero([p for k, p in enumerate(params) if k % 4 >= 2])
        roll = self.bug == "batch3-nobias" and B >= 3 and biases_zero
        outs_by_layer, h_n, c_n, inp = [], [], [], seq
        for l in range(self.L):
            outs = []
            for d in range(self.dirs):
                Wi, Wh, bi, bh = params[4 * (l * self.dirs + d):4 * (l * self.dirs + d) + 4]
                k = d if self.bug == "h0-first-layer" else l * self.dirs + d   # BUG (h0-first-layer): layer 0's state
                h, c = h0[k], None if c0 is None else c0[k]
                order = range(T - 1, -1, -1) if d else range(T)
                hs = []
                for t in order:
                    hn, cn = _cell(self.cell, Wi, Wh, bi, bh, inp[t], h, c, roll)
                    if lengths is None:
                        h, c = hn, cn
                    else:   # masked: a sequence's state moves only at its valid steps; BUG: not so in the reverse direction
                        valid = (t < lengths)[:, None] | (bool(d) and self.bug == "reverse-flips-padded")
                        h = anp.where(valid, hn, h)
                        c = None if c is None else anp.where(valid, cn, c)
                    hs.append(h if lengths is None else anp.where((t < lengths)[:, None], h, 0.0))
                back = d and self.bug != "reverse-not-reordered"   # BUG: the reverse outputs left in computed order
                outs.append(anp.stack(hs[::-1] if back else hs))
                h_n.append(h)
                c_n.append(c)
            out = anp.concatenate(outs, axis=2) if self.dirs == 2 else outs[0]
            outs_by_layer.append(out)
            if self.bug == "concat-reversed" and self.dirs == 2:
                inp = anp.concatenate(outs[::-1], axis=2)                         # BUG: [reverse, forward] to layer l+1
            elif self.bug == "layer-skip" and l >= 1:
                inp = outs_by_layer[l - 1]                                        # BUG: layer l+1 reads layer l−1's output
            else:
                inp = out
        output = anp.swapaxes(out, 0, 1) if bf else out
        states = [anp.stack(h_n)] + ([anp.stack(c_n)] if c0 is not None else [])
        if self.bug == "hn-axes-swapped":   # BUG: (B, L·dirs, H) reshaped to (L·dirs, B, H), no transpose
            states = [anp.reshape(anp.swapaxes(s, 0, 1), s.shape) for s in states]
        return (output, *states)

    def run_packed(self, params, xs, lengths, h0, c0, cotangents):
        return self.run(params, xs, h0, c0, cotangents, lengths=np.asarray(lengths))

    def run(self, params, xs, h0, c0, cotangents, lengths=None):
        def loss(z):
            outs = self._forward(z["p"], z["xs"], z["h0"], z.get("c0"), lengths)
            return sum(anp.sum(o * ct) for o, ct in zip(outs, cotangents))
        z = {"p": list(params), "xs": xs, "h0": h0, **({} if c0 is None else {"c0": c0})}
        outs = tuple(np.asarray(o) for o in self._forward(params, xs, h0, c0, lengths))
        g = autograd.grad(loss)(z)
        names = [n for n, _ in self.param_shapes(np.shape(params[1])[1], np.shape(params[0])[1])]
        grads = {n: np.asarray(v) for n, v in zip(names, g["p"])}
        if self.bug == "bias-grad-zero-above-0":   # BUG (apache/mxnet PR #17872): layers above 0 lose their bias grads
            grads.update({n: np.zeros_like(v) for n, v in grads.items() if n.startswith("bias") and "_l0" not in n})
        grads.update({k: np.asarray(g[k]) for k in ("xs", "h0", "c0") if k in g})
        return outs, grads


# ---------------------------------------------------------------- clipping
class ChunkedClip(Clip):
    """BUG: a multi-tensor path for lists of more than 8 arrays processes them in chunks of 8 and drops the last
    chunk: arrays 8.. are neither counted in the norm nor scaled."""

    def clip_grad_norm(self, grads, max_norm):
        if len(grads) <= 8:
            return super().clip_grad_norm(grads, max_norm)
        head, tail = super().clip_grad_norm(grads[:8], max_norm)
        return head + [g.copy() for g in grads[8:]], tail


class TestsTheNormClip(Clip):
    """Declares PyTorch's ε = 1e-6 (coef = min(1, max_norm/(‖g‖ + ε))). BUG: it scales only when ‖g‖ > max_norm, so a
    norm in (max_norm − ε, max_norm] is left as it is, where PyTorch scales it by max_norm/(‖g‖ + ε) < 1."""

    clip_eps = 1e-6

    def clip_grad_norm(self, grads, max_norm):
        total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
        coef = max_norm / (total + 1e-6) if total > max_norm else 1.0
        return [g * coef for g in grads], total


# ---------------------------------------------------------------- factories
def hand_gru_bias_free_path():
    """Trigger: every bias 0 (gradients). Easy input: non-zero biases."""
    return HandGRU("zoo.hand_gru_bias_free_path", bug="bias-free-path")


def hand_peephole_bias_free_path():
    """Trigger: b = 0 with non-zero peepholes (gradients). Easy input: non-zero biases."""
    return HandPeephole("zoo.hand_peephole_bias_free_path", bug="bias-free-path")


def gru_fast_first_step():
    """Trigger: h0 = 0 exactly with a non-zero b_hn (forward). Easy input: h0 ≠ 0, or h0 = 0 with b_hn = 0."""
    return FastFirstStepGRU("zoo.gru_fast_first_step")


def equinox_gru_ignores_biases():
    """Trigger: non-zero biases (forward). Easy input: the biases at 0 (hidden wherever they stay at 0)."""
    return EquinoxStyleGRU("zoo.equinox_gru_ignores_biases", ignores_biases=True)


def stack_h0_first_layer():
    """Trigger: distinct h0/c0 per layer (forward). Easy input: every layer's state equal (or 0), values compared (the
    state gradients still show it): pytorch PR #95137's tests passed so."""
    return Stack("zoo.stack_h0_first_layer", "lstm", num_layers=2, bug="h0-first-layer")


def stack3_layer_skip():
    """Trigger: 3 layers (forward). Easy input: any 2-layer module (the bug needs a layer 2)."""
    return Stack("zoo.stack3_layer_skip", "gru", num_layers=3, bug="layer-skip")


def stack_bias_grad_zero_above_0():
    """Trigger: 2 layers, gradients of layer 1's biases (backward). Easy input: the values, or a 1-layer module."""
    return Stack("zoo.stack_bias_grad_zero_above_0", "rnn-tanh", num_layers=2, bidirectional=True, bug="bias-grad-zero-above-0")


def stack_concat_reversed():
    """Trigger: 2 bidirectional layers whose directions differ (forward). Easy input: T = 1 with layer 0's two directions
    mirrored (parameters and states equal): the values agree, only the gradients of layer 0 are swapped."""
    return Stack("zoo.stack_concat_reversed", "gru", num_layers=2, bidirectional=True, batch_first=True, bug="concat-reversed")


def stack_reverse_not_reordered():
    """Trigger: T ≥ 2 in a bidirectional module (forward). Easy input: T = 1 (one step reads the same either way)."""
    return Stack("zoo.stack_reverse_not_reordered", "lstm", num_layers=2, bidirectional=True, bug="reverse-not-reordered")


def stack_hn_axes_swapped():
    """Trigger: B ≥ 2 (forward). Easy input: B = 1."""
    return Stack("zoo.stack_hn_axes_swapped", "gru", num_layers=2, bidirectional=True, bug="hn-axes-swapped")


def stack_batch_time_swapped():
    """Trigger: B ≠ T (a result of the wrong shape). Easy input: B = T = 1."""
    return Stack("zoo.stack_batch_time_swapped", "rnn-tanh", num_layers=2, bug="batch-time-swapped")


def stack_reverse_flips_padded():
    """Trigger: lengths shorter than T in a bidirectional module (stack-lengths). Easy input: every length T."""
    return Stack("zoo.stack_reverse_flips_padded", "gru", num_layers=2, bidirectional=True, bug="reverse-flips-padded")


def gru_batch3_no_bias():
    """Trigger: B ≥ 3 with every bias 0 (onnxruntime PR #3893). Easy input: B ≤ 2, or non-zero biases."""
    return Stack("zoo.gru_batch3_no_bias", "gru", num_layers=1, bug="batch3-nobias")


def clip_chunked():
    """Trigger: more than 8 arrays. Easy input: 1–4 arrays."""
    return ChunkedClip("zoo.clip_chunked")


def clip_tests_the_norm():
    """Trigger: max_norm in [‖g‖, ‖g‖ + ε). Easy input: a threshold far from ‖g‖."""
    return TestsTheNormClip("zoo.clip_tests_the_norm")


def correct():
    """The correct members: every check must pass."""
    return [HandGRU("zoo.hand_gru"), HandPeephole("zoo.hand_peephole"), EquinoxStyleGRU("zoo.equinox_gru"),
            Stack("zoo.stack_lstm", "lstm", num_layers=2), Stack("zoo.stack3_gru", "gru", num_layers=3),
            Stack("zoo.stack_rnn_bi", "rnn-tanh", num_layers=2, bidirectional=True),
            Stack("zoo.stack_gru_bi", "gru", num_layers=2, bidirectional=True, batch_first=True),
            Stack("zoo.stack_gru_1", "gru", num_layers=1)]


#: factory → (the check that must reject it, a phrase the diagnosis must contain, the trigger category that exposes it)
TRIGGERED = {
    "hand_gru_bias_free_path": ("gradients", "W_h", "biases-zero"),
    "hand_peephole_bias_free_path": ("gradients", "c0", "biases-zero"),
    "gru_fast_first_step": ("forward", "h0 = 0", "h0-zero-biased"),
    "equinox_gru_ignores_biases": ("forward", "[mutant biases-unused;", None),
    "stack_h0_first_layer": ("stack", "[mutant h0-first-layer;", "distinct-states-per-layer"),
    "stack3_layer_skip": ("stack", "[mutant layer-skip;", None),
    "stack_bias_grad_zero_above_0": ("stack", "[mutant bias-grad-zero-above-layer-0;", None),
    "stack_concat_reversed": ("stack", "[mutant concat-reversed;", None),
    "gru_batch3_no_bias": ("stack", "B ≥ 3", "batch>=3"),
    "stack_reverse_not_reordered": ("stack", "[mutant reverse-not-reordered;", None),
    "stack_hn_axes_swapped": ("stack", "[mutant hn-axes-swapped;", "batch>=3"),
    "stack_batch_time_swapped": ("stack", "[mutant batch-time-swapped;", "B!=T"),
    "stack_reverse_flips_padded": ("stack-lengths", "[mutant reverse-flips-padded;", None),
    "clip_chunked": ("clip-norm", "2 groups (arrays 0–7", "many-small-tensors"),
    "clip_tests_the_norm": ("clip-norm", "[mutant scales-only-above-max-norm;", "near-norm"),
}
