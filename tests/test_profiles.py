"""profiles.resolve: the one rule every entry point follows for the profile and the seed."""
import pytest
from hypothesis import settings

from vanishing.checks import profiles


def test_the_default_is_derandomized_and_refuses_a_seed():
    assert profiles.resolve(None, None) == ("ci", None)
    with pytest.raises(profiles.ProfileError, match="derandomized profile 'ci'"):
        profiles.resolve("ci", 5)


def test_a_randomized_profile_keeps_a_given_seed_or_draws_one():
    assert profiles.resolve("dev", 7) == ("dev", 7)
    name, seed = profiles.resolve("thorough", None)
    assert name == "thorough" and isinstance(seed, int) and 0 <= seed < 2**32


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
