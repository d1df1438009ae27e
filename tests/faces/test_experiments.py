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

import vanishing
from vanishing.checks import runner

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
    n = quick[2]["long_lags"]["numbers"]
    T = quick[2]["long_lags"]["hyperparameters"]["lags"][-1]
    lstm97 = onp.mean(n[f"LSTM 1997 (no forget gate)|{T}"]["eval_loss_per_seed"])
    vanilla = onp.mean(n[f"vanilla RNN (tanh)|{T}"]["eval_loss_per_seed"])
    assert lstm97 < vanilla, (lstm97, vanilla)
    assert all(onp.isfinite(v) for k in n for v in n[k]["eval_loss_per_seed"])


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
