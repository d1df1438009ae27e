"""`vanishing experiments --quick`: the figures exist, the JSON records how they were made, and the numbers point the
way the full run's honest results do (docs/EXPERIMENTS.md). Skipped when the 'experiments' extra is absent."""

import argparse
import json
import sys

import numpy as onp
import pytest

pytestmark = pytest.mark.experiments
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from vanishing.checks import runner

import vanishing
from vanishing import experiments as E


def _args(argv):
    p = argparse.ArgumentParser()
    E.add_arguments(p)
    return p.parse_args(argv)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    assert E.main(_args(["--quick", "--quiet", "--out", str(out)])) == 0
    doc = json.loads((out / E.FIGURES_JSON).read_text(encoding="utf-8"))
    return out, doc, {e["name"]: e for e in doc["experiments"]}


def test_every_figure_is_a_real_png(quick):
    out, doc, by = quick
    assert list(by) == list(E.EXPERIMENTS)
    for e in doc["experiments"]:
        assert e["figures"], e["name"]
        for f in e["figures"]:
            data = (out / f["path"]).read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n", f["path"]
            assert len(data) > 20_000, f"{f['path']}: {len(data)} bytes, suspiciously small for a plotted figure"
            assert len(f["caption"]) > 80, f"{f['path']}: the caption should say what the figure shows"


def test_the_json_records_seeds_hyperparameters_versions_and_data(quick):
    _, doc, by = quick
    assert doc["quick"] is True and doc["versions"]["matplotlib"] != "not installed"
    assert doc["versions"]["scikit-learn"] != "not installed"
    assert "commit" in doc["provenance"]
    for e in doc["experiments"]:
        for key in ("seeds", "hyperparameters", "dataset", "numbers", "claims", "seconds"):
            assert e[key] not in (None, "", [], {}), f"{e['name']}: {key} missing"
    assert "load_digits" in by["deep_digits"]["dataset"]


def test_claims_named_by_experiments_exist_and_index_to_figures(quick):
    _, doc, _ = quick
    cat = runner.catalogue()
    for e in doc["experiments"]:
        unknown = [c for c in e["claims"] if c not in cat]
        assert not unknown, f"{e['name']} names unknown claim IDs {unknown}"
    assert set(doc["claims"]) == {c for e in doc["experiments"] for c in e["claims"]}
    rec = doc["claims"]["CLIP-VALUE-DIRECTION"][0]
    assert rec == {"experiment": "clip", "path": "clip.png", "caption": rec["caption"]}


def test_lag_lstm_with_forget_bias_keeps_more_gradient_than_tanh_rnn(quick):
    n = quick[2]["lag"]["numbers"]
    tanh = n["RNN tanh"]["median_dh_at_lag"]["50"]
    for b in ("1", "2"):
        assert n[f"LSTM b_f={b}"]["median_dh_at_lag"]["50"] > 100 * tanh, f"LSTM b_f={b} vs tanh RNN at lag 50"
    assert n["RNN sigmoid"]["median_dh_at_lag"]["50"] < tanh                        # γ = 1/4 vanishes faster
    for rnn_name in ("RNN tanh", "RNN sigmoid", "RNN relu"):
        assert n[rnn_name]["bound_holds_at_every_lag"], f"{rnn_name}: Pascanu's bound violated"


def test_regions_vanish_left_of_one_and_special_cases(quick):
    n = quick[2]["regions"]["numbers"]
    x = onp.array(n["gamma_sigma_max"])
    for k, rates in n["growth_rate_mean"].items():
        rates = onp.array(rates)
        assert onp.all(rates[x < 1] < 0), f"{k}: a non-negative growth rate left of γσ_max = 1"
        assert onp.all(rates <= onp.log(x) + 1e-9), f"{k}: above the bound log(γσ_max)"
    s = n["special_cases"]
    assert s["nilpotent"]["growth_rate"] == "-inf"
    assert s["non-normal"]["growth_rate"] < 0 and s["saturated"]["growth_rate"] < 0
    assert s["ρ(W) = 0, exploding"]["growth_rate"] > 0 and s["ρ(W) = 0, exploding"]["spectral_radius"] == 0


def test_deep_digits_sigmoid_standard_normal_is_seed_000s_picture(quick):
    runs = quick[2]["deep_digits"]["numbers"]["runs"]
    r = [runs[f"{d}|sigmoid|standard normal"]["first_over_last_median"] for d in (2, 5, 10)]
    assert all(v < 1 for v in r) and r[0] > r[1] > r[2], r


def test_long_lags_the_1997_lstm_beats_the_vanilla_rnn_at_the_longest_quick_lag(quick):
    rec = quick[2]["long_lags"]
    n, T = rec["numbers"], rec["hyperparameters"]["lags"][-1]
    lstm97 = onp.mean(n[f"LSTM 1997 (no forget gate)|{T}"]["eval_loss_per_seed"])
    vanilla = onp.mean(n[f"vanilla RNN (tanh)|{T}"]["eval_loss_per_seed"])
    assert lstm97 < vanilla, (lstm97, vanilla)
    from vanishing.experiments.long_lags import MODELS, SUCCESS
    assert {m.label for m in MODELS} == set(n["success_table"])                  # every family trained at every lag
    for m in MODELS:
        for lag in rec["hyperparameters"]["lags"]:
            losses = n[f"{m.label}|{lag}"]["eval_loss_per_seed"]
            assert all(onp.isfinite(losses)), (m.label, lag, losses)
            assert n["success_table"][m.label][str(lag)]["solved_at_end"] == sum(x < SUCCESS for x in losses)


def test_lag_linear_families_reach_the_long_lag_and_the_lru_norm_is_max_abs_lambda_to_the_lag(quick):
    rec = quick[2]["lag"]
    n, T_long = rec["numbers"], rec["hyperparameters"]["T_linear_families"]
    assert T_long > rec["hyperparameters"]["T"]
    for name in ("minGRU", "minLSTM", "LRU", "mLSTM", "Mamba S6"):
        assert n[name]["max_lag"] == T_long, name
    for dh, lam in zip(n["LRU"]["dh_per_seed_at_max_lag"], n["LRU"]["max_abs_lambda"]):
        assert dh == pytest.approx(lam ** T_long, rel=1e-9)                       # ‖diag(λ)^L‖₂ = max|λ|^L
    assert {f["path"] for f in quick[2]["lag"]["figures"]} == {"lag.png", "lag_long.png"}


def test_diagonal_products_equal_the_direct_product_and_survive_underflow():
    from vanishing.experiments.lag import _diagonal_products
    rng = onp.random.default_rng(5)
    a = rng.uniform(0.2, 1.0, (7, 4))
    v = rng.standard_normal(4)
    dh, dL = _diagonal_products(onp.log(a), v)
    for lag in range(8):
        P = onp.diag(onp.prod(a[7 - lag:], axis=0))
        assert dh[lag] == pytest.approx(onp.linalg.norm(P, 2), rel=1e-12)
        assert dL[lag] == pytest.approx(onp.linalg.norm(v @ P), rel=1e-12)
    dh, dL = _diagonal_products(onp.full((2000, 3), -1.0), onp.ones(3))        # e^{−2000} underflows; its log does not
    assert dh[-1] == 0.0 or dh[-1] > 0 and onp.isfinite(dL[-1])
    assert dh[700] == pytest.approx(onp.exp(-700.0), rel=1e-9)


def test_slstm_state_jacobian_equals_autograds_full_jacobian():
    import autograd
    import autograd.numpy as anp
    from vanishing.models import xlstm

    from vanishing.experiments.lag import slstm_state_jacobian
    rng = onp.random.default_rng(1)
    H, D = 3, 2
    p = xlstm.slstm_init_params(H, D, rng, scale=3.0)
    s = (rng.standard_normal(H), rng.standard_normal(H), onp.abs(rng.standard_normal(H)) + 0.5, rng.standard_normal(H))
    x = rng.standard_normal(D)
    full = autograd.jacobian(lambda z: anp.concatenate(xlstm.slstm_step(p, (z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]), x)))
    Jf = full(onp.concatenate(s))
    assert onp.abs(Jf[:H, :H]).max() > 0.01                                    # the R path is there to be read
    onp.testing.assert_allclose(slstm_state_jacobian(p, s, x), Jf, rtol=1e-12, atol=1e-14)


def _reference_step(name, p, s, x):
    """The reference model's step for the torch twin ``name`` (models/), as a tuple in the twin's state order."""
    from vanishing.models import gru, lru, lstm, mamba, mingru, rnn, xlstm
    steps = {"rnn-tanh": lambda: (rnn.step(p, s[0], x),), "lstm-cec": lambda: lstm.step(p, s[0], s[1], x, variant="cec"),
             "lstm-bf1": lambda: lstm.step(p, s[0], s[1], x), "gru": lambda: (gru.step(p, s[0], x, reset="after"),),
             "mingru": lambda: (mingru.step(p, s[0], x, "mingru"),), "minlstm": lambda: (mingru.step(p, s[0], x, "minlstm"),),
             "lru": lambda: lru.step(p, s[0], s[1], x)[:2], "slstm": lambda: xlstm.slstm_step(p, tuple(s), x),
             "mlstm": lambda: xlstm.mlstm_step(p, tuple(s[1:]), x), "mamba-s6": lambda: (mamba.step(p, s[0], x)[0],)}
    return steps[name]()


def _twin_error(name, cell, seed=0, H=4, D=3, S=2, B=3, zero_state=False):
    """Largest |twin − reference| ÷ (that entry's tolerance) over one step from a random state, every seed and row."""
    import torch
    from vanishing.checks import tolerances

    from vanishing.experiments import _torch_cells as TC
    rng = onp.random.default_rng(seed)
    ps = [{k: v + 0.3 * rng.standard_normal(onp.shape(v)) for k, v in cell.init(H, D, rng).items()} for _ in range(S)]
    state = [(0.0 if zero_state else 1.0) * rng.standard_normal(z.shape) for z in cell.zero(S, B, H, D)]
    if name == "slstm" and not zero_state:
        state[2] = onp.abs(state[2]) + 0.5                                      # a normaliser n > 0, as every reachable state
    x = rng.standard_normal((1, S, B, D))
    P = TC.prepare(TC.to_torch(ps))
    u = cell.pre(P, torch.tensor(x))
    out = cell.step(P, tuple(torch.tensor(z) for z in state), u[0] if not isinstance(u, tuple) else tuple(a[0] for a in u))
    worst = 0.0
    for i in range(S):
        for b in range(B):
            ref = _reference_step(name, ps[i], [z[i, b] for z in state], x[0, i, b])
            for r, o in zip(ref, out):
                r = onp.asarray(r)
                tol = tolerances.value(onp.float64, scale=max(1.0, float(onp.abs(r).max())))
                worst = max(worst, float(onp.max(onp.abs(o[i, b].numpy() - r) / tol.bound(r))))
    return worst


@pytest.mark.torch
def test_every_torch_twin_step_equals_the_reference_models_step():
    pytest.importorskip("torch")
    from vanishing.experiments._torch_cells import CELLS
    for name, cell in CELLS.items():
        assert _twin_error(name, cell) <= 1.0, name
        assert _twin_error(name, cell, seed=1, zero_state=True) <= 1.0, name          # the first step (sLSTM: its n = 0 rule)


@pytest.mark.torch
def test_a_wrong_twin_is_caught():
    pytest.importorskip("torch")
    from dataclasses import replace

    from vanishing.experiments._torch_cells import CELLS
    assert _twin_error("lstm-bf1", replace(CELLS["lstm-bf1"], step=CELLS["lstm-cec"].step)) > 1e3   # f ≡ 1 on forget-gate params
    no_rotation = replace(CELLS["lru"], step=lambda P, s, u: (u[0] * s[0] + u[2], u[0] * s[1] + u[3]))   # λ read as real
    assert _twin_error("lru", no_rotation) > 1e3


@pytest.mark.torch
def test_the_torch_forward_equals_the_reference_forward_and_seeds_do_not_interact():
    torch = pytest.importorskip("torch")
    from vanishing.models import lstm

    from vanishing.experiments import _torch_cells as TC
    from vanishing.experiments import long_lags as LL
    rng = onp.random.default_rng(2)
    cell = TC.CELLS["lstm-bf1"]
    ps = [cell.init(4, 2, rng) for _ in range(2)]
    xs = rng.standard_normal((6, 2, 3, 2))
    h = TC.last_state(cell, TC.to_torch(ps), torch.tensor(xs), 4)[0].numpy()
    for i in range(2):
        for b in range(3):
            ref = lstm.forward(ps[i], onp.zeros(4), onp.zeros(4), xs[:, i, b])[0][-1]
            onp.testing.assert_allclose(h[i, b], ref, rtol=1e-12, atol=1e-14)
    model = LL.MODELS[2]
    both = LL.train(model, 5, (0, 1), 4, 6, 8, 0.02, 1.0, 16, 3)
    alone = LL.train(model, 5, (1,), 4, 6, 8, 0.02, 1.0, 16, 3)
    assert both[1]["train_loss"] == pytest.approx(alone[0]["train_loss"], rel=1e-12)   # seed 1 trains as if alone
    assert both[1]["eval_loss"] == pytest.approx(alone[0]["eval_loss"], rel=1e-12)
    assert both[0]["train_loss"] != pytest.approx(both[1]["train_loss"])


@pytest.mark.slow
def test_full_lag_and_long_lag_runs_keep_their_budget_and_shapes(tmp_path):
    pytest.importorskip("torch")
    assert E.main(_args(["--quiet", "--out", str(tmp_path), "--only", "lag", "long_lags"])) == 0
    doc = json.loads((tmp_path / E.FIGURES_JSON).read_text(encoding="utf-8"))
    rec = {e["name"]: e for e in doc["experiments"]}
    assert rec["lag"]["numbers"]["LRU"]["max_lag"] >= 1000
    table = rec["long_lags"]["numbers"]["success_table"]
    assert all(table[m]["40"]["seeds"] >= 8 for m in table)
    assert rec["long_lags"]["hyperparameters"]["steps"] >= 400


def test_clipping_keeps_the_loss_finite_where_no_clipping_diverges(quick):
    n = quick[2]["clip"]["numbers"]
    div = n["no clipping"]["diverged_at_step_per_seed"]
    assert any(d is not None for d in div), "the exploding regime did not diverge without clipping"
    for i, d in enumerate(div):
        if d is not None:
            assert n["norm clipping"]["diverged_at_step_per_seed"][i] is None, f"seed {i}: norm clipping diverged too"
    assert min(n["norm clipping"]["min_cos_update_grad_per_seed"]) > 1 - 1e-12        # direction kept
    cos_v = min(n["value clipping"]["min_cos_update_grad_per_seed"])
    assert 1 / onp.sqrt(n["n_params"]) < cos_v < 0.99                                  # turned, within CLIP-VALUE-DIRECTION


def test_lstm_state_jacobian_blocks_match_the_hand_derived_ones():
    from vanishing.models import lstm

    from vanishing.experiments.lag import lstm_state_jacobian
    rng = onp.random.default_rng(7)
    H, D = 3, 2
    p = lstm.init_params(H, D, rng, scale=2.0, forget_bias=0.5)
    h, c, x = rng.standard_normal(H) * 0.5, rng.standard_normal(H), rng.standard_normal(D)
    J = lstm_state_jacobian(p, h, c, x)
    onp.testing.assert_allclose(J[:H, :H], lstm.h_jacobian(p, h, c, x), rtol=1e-12, atol=1e-14)        # ∂h_t/∂h_{t−1}, c fixed
    onp.testing.assert_allclose(J[H:, H:], lstm.direct_path_jacobian(p, h, c, x), rtol=1e-12, atol=1e-14)  # ∂c_t/∂c_{t−1} = diag(f)


def test_only_runs_one_and_keeps_the_others(tmp_path, capsys):
    assert E.main(_args(["--quick", "--quiet", "--out", str(tmp_path), "--only", "regions"])) == 0
    doc = json.loads((tmp_path / E.FIGURES_JSON).read_text(encoding="utf-8"))
    assert [e["name"] for e in doc["experiments"]] == ["regions"]
    assert (tmp_path / "regions.png").exists() and not (tmp_path / "lag.png").exists()


def test_unknown_experiment_is_a_one_line_usage_error(tmp_path, capsys):
    assert E.main(_args(["--out", str(tmp_path), "--only", "nope"])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown experiment 'nope'" in err


def test_missing_matplotlib_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)          # import matplotlib now raises ImportError
    assert E.main(_args(["--out", str(tmp_path), "--only", "regions"])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "matplotlib" in err and vanishing.install_hint("experiments") in err


def test_renormalised_log_norm_equals_the_direct_product_and_survives_underflow():
    from vanishing.models import rnn

    from vanishing.experiments.regions import log_norm_product
    rng = onp.random.default_rng(3)
    p = rnn.init_params(4, 2, rng, scale=1.3)
    xs = rng.standard_normal((12, 2))
    hs = onp.vstack([onp.zeros(4), rnn.forward(p, onp.zeros(4), xs, "tanh")])
    Js = [rnn.step_jacobian(p, hs[t], xs[t], "tanh") for t in range(12)]
    direct = onp.log(onp.linalg.norm(rnn.jacobian_products(p, onp.zeros(4), xs, "tanh")[0], 2))
    assert abs(log_norm_product(Js) - direct) < 1e-10
    assert onp.isfinite(log_norm_product([1e-200 * onp.eye(3)] * 5))                       # 1e-1000 underflows; the log does not
    assert log_norm_product([onp.triu(onp.ones((3, 3)), 1)] * 3) == -onp.inf              # nilpotent: exactly 0
