"""profiles.resolve: the one rule every entry point follows for the profile and the seed."""
import hypothesis.core
import pytest
from hypothesis import settings

from vanishing.checks import profiles


def test_the_default_is_derandomized_and_refuses_a_seed():
    assert profiles.resolve(None, None) == ("ci", None)
    with pytest.raises(profiles.ProfileError, match="derandomized profile 'ci'"):
        profiles.resolve("ci", 5)


def test_a_randomized_profile_keeps_a_given_seed_or_draws_one(monkeypatch):
    monkeypatch.setattr(hypothesis.core, "global_force_seed", None)     # as without --hypothesis-seed
    assert profiles.resolve("dev", 7) == ("dev", 7)
    name, seed = profiles.resolve("thorough", None)
    assert name == "thorough" and isinstance(seed, int) and 0 <= seed < 2**32


def test_pytests_hypothesis_seed_is_the_claims_seed(monkeypatch):
    """`pytest --hypothesis-profile dev --hypothesis-seed=S` runs the claims with seed S: the command pytest prints
    reproduces them (a flakiness run's claim failure could not be, when each claim drew a seed of its own)."""
    monkeypatch.setattr(hypothesis.core, "global_force_seed", 546385127)
    assert profiles.resolve("dev", None) == ("dev", 546385127)
    assert profiles.resolve("dev", 7) == ("dev", 7)                     # an explicit seed still wins
    assert profiles.resolve("ci", None) == ("ci", None)                 # derandomized: no seed at all


def test_an_unknown_profile_names_the_known_ones():
    with pytest.raises(profiles.ProfileError, match=r"unknown profile 'nonsense'; choose from ci, dev, thorough"):
        profiles.resolve("nonsense", None)


def test_registering_again_does_not_inherit_the_loaded_profile():
    """register_profile inherits from the loaded profile unless told otherwise; dev must stay randomized."""
    current = getattr(settings, "_current_profile", None) or "default"
    try:
        settings.load_profile("ci")
        profiles.register()
        assert not settings.get_profile("dev").derandomize and not settings.get_profile("thorough").derandomize
        assert profiles.resolve("dev", None)[1] is not None
    finally:
        settings.load_profile(current)


def _pool_summary():
    from hypothesis.internal.conjecture import providers
    c = providers._get_local_constants()
    return (tuple(c.floats), tuple(c.integers), tuple(c.strings))


def test_local_constants_are_pinned_to_the_package_source(tmp_path, monkeypatch):
    """Hypothesis mixes constants of imported local modules into its draws; ours are pinned, so a new import changes nothing."""
    profiles.register()
    before = _pool_summary()
    assert 1e-06 in before[0], "the pool should hold the package's own constants (1e-6 is PyTorch's clipping eps in models/clipping.py)"
    (tmp_path / "odd_local_module.py").write_text("STRANGE = 123456.789012345\nOTHER = 987654321\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    importlib.import_module("odd_local_module")
    after = _pool_summary()
    assert 123456.789012345 not in after[0] and after == before, "an imported local module changed Hypothesis's constant pool"


def test_local_constants_are_the_same_in_a_process_that_imported_little():
    """A fresh process that imports only the profiles sees the same pool as this one (pytest, with everything imported)."""
    import subprocess
    import sys
    code = ("from vanishing.checks import profiles; profiles.register();"
            "from hypothesis.internal.conjecture import providers; c = providers._get_local_constants();"
            "print(len(c.floats), len(c.integers), len(c.strings), hash(tuple(c.floats)))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    floats, ints, strings = _pool_summary()
    assert r.stdout.split()[:3] == [str(len(floats)), str(len(ints)), str(len(strings))], r.stdout
    assert int(r.stdout.split()[3]) == hash(floats)
