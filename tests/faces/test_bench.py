"""The bench module's measuring code, each kind on one tiny case: structure and finite numbers, not speed."""
import argparse
import math

import numpy as np
import pytest

from vanishing import bench, bench_report


def _finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v)


@pytest.fixture
def tiny(monkeypatch):
    from vanishing.models import rnn
    rng = np.random.default_rng(0)
    p = rnn.init_params(4, 2, rng)
    xs = rng.standard_normal((3, 2))
    monkeypatch.setattr(bench, "_functions", lambda quick: {"tiny rnn": (lambda h: rnn.forward(p, h, xs)[-1], rng.standard_normal(4))})
    monkeypatch.setitem(bench.COST_SIZES, True, (6,))
    monkeypatch.setitem(bench.TRIALS, True, 1)
    monkeypatch.setitem(bench.SCALING_GRID, True, [(20, 4), (40, 4), (20, 8)])
    real = bench._optional
    monkeypatch.setattr(bench, "_optional", lambda name: None if name in ("torch", "jax") else real(name))  # the skip path; importing torch alone takes seconds


def test_interleaved_medians_call_every_contender_once_per_run():
    calls = []
    t = bench._median_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 5)
    assert sorted(t) == ["a", "b"] and all(_finite(v) and v >= 0 for v in t.values())
    assert calls.count("a") == calls.count("b") == 21 and calls[:2] != calls[2:4], "the order must rotate; quick contenders get 21 runs"
    slow = []
    bench._median_times({"s": lambda: (slow.append(1), __import__("time").sleep(0.06))}, 5)
    assert len(slow) == 5, "a contender taking 60 ms per call gets the 5 runs asked for"


def test_accuracy_reports_every_oracle_and_whether_the_estimate_bounds_the_error(tiny):
    r = bench.bench_accuracy(True, 5)
    (row,) = r["rows"]
    for key in ("ours", "cd_1e-6", "cd_1e-4", "autograd_1e-6", "scipy_jacobian", "ratio_cd_1e-6_over_ours", "floor_cd"):
        assert _finite(row[key]), (key, row[key])
    assert row["ours"] < row["cd_1e-6"], "the FD oracle must beat a plain central difference at 1e-6 on a smooth map"
    assert row["ours_estimate_bounds_raw"] == 1.0 and isinstance(r["goal_met"], bool)


def test_cost_times_and_counts_evaluations_with_ratios(tiny):
    r = bench.bench_cost(True, 5)
    (row,) = r["rows"]
    assert row["n"] == 6 and {"ours directional", "ours full", "autograd check_grads (defaults)"} <= set(row["seconds"])
    assert all(_finite(v) and v > 0 for v in row["seconds"].values())
    assert row["evaluations"]["ours full"] > row["evaluations"]["ours directional"] > 0
    assert _finite(row["ratio directional / autograd check_grads"])
    assert "skipped" in r["torch"] and r["goals"]["directional <= 2x torch fast mode"] is None


def test_sensitivity_counts_every_plant_for_every_checker(tiny):
    r = bench.bench_sensitivity(True, 5)
    assert r["trials"] == 1 and {"ours full", "ours directional", "autograd check_grads"} <= set(r["counts"])
    for per in r["counts"].values():
        assert set(per) == set(bench.PLANTS) and all(sum(v.values()) == 1 for v in per.values())
    assert r["rates"]["ours full"]["relative 1e-2"] == 1.0 and r["rates"]["ours full"]["one flipped sign"] == 1.0


def test_plants_change_the_jacobian_as_named():
    rng = np.random.default_rng(3)
    J = rng.standard_normal((5, 5))
    for kind in bench.PLANTS:
        bad = bench._plant(J, kind, rng)
        d = np.abs(bad - J)
        assert d.max() > 0, kind
        if kind in bench.RELATIVE:
            assert d.max() <= bench.RELATIVE[kind] * np.abs(J).max()
        elif kind != "transposed block":   # one entry changed
            assert np.count_nonzero(d) == 1, kind


def test_scaling_fits_exponents(tiny):
    r = bench.bench_scaling(True, 5)
    assert len(r["rows"]) == 3 and _finite(r["exponent_T"]) and _finite(r["exponent_H"])


def test_suite_parsers_and_markdown(tiny):
    claim = {"id": "X", "seconds": 2.0, "examples": 4, "properties": [{}], "oracles_used": ["fd"], "worst_comparison": "w"}
    assert "500 ms each" in bench._reason(claim) and "finite-difference" in bench._reason(claim)
    checks = bench._validate_checks({"adapters": [{"name": "A", "checks": [{"check": "forward", "seconds": 1.5, "status": "pass", "examples": 3}]}]})
    assert checks == [{"check": "A / forward", "seconds": 1.5, "status": "pass", "reason": "3 examples, 500 ms each"}]
    res = bench.run(quick=True, only=["accuracy", "scaling"], runs=5)
    md = bench_report.render_markdown(res)
    for piece in ("# Benchmarks (quick run)", "BLAS", "## 1. Accuracy", "## 4. Scaling", "numpy"):
        assert piece in md, piece


def test_main_rejects_fewer_than_five_runs_and_an_unwritable_folder(tmp_path, capsys):
    ap = argparse.ArgumentParser()
    bench.add_arguments(ap)
    assert bench.main(ap.parse_args(["--runs", "3", "--out", str(tmp_path)])) == 2
    (tmp_path / "file").write_text("")
    assert bench.main(ap.parse_args(["--out", str(tmp_path / "file" / "sub"), "--only", "scaling"])) == 2
    err = capsys.readouterr().err
    assert "at least 5" in err and "cannot create output folder" in err and len(err.strip().splitlines()) == 2
