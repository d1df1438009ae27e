"""The models' tests share a fixed-seed generator; their helpers are in tests/support/vanishing_testkit.py."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20130211)  # fixed seed: reproducible draws
