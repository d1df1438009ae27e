"""Tests added for survivors of the mutation run (docs/MUTATION.md): each pins a behaviour no other test pinned.

House rule: bad input gets a clear one-line error naming what was wrong, so the message is part of the behaviour.
"""
import numpy as np
import pytest
from vanishing.checks import oracles, tolerances
from vanishing.models import layouts


def test_assert_le_on_nan_names_its_label_and_the_cause():
    # survivor checks/oracles.py:414 raised AssertionError(None): the verdict was kept, the diagnosis lost
    with pytest.raises(AssertionError, match=r"^my bound: non-finite bound or NaN value: value \[?nan\]?, bound \[?1\.0\]?$"):
        oracles.assert_le(np.nan, 1.0, tolerances.exact("a test"), "my bound")


def test_from_torch_names_the_four_state_dict_keys_it_expects():
    # survivor models/layouts.py:61 misspelt bias_hh in the list of keys the error message names
    with pytest.raises(ValueError, match=r"^tensors_or_arrays: expected a dict with keys \['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'\], got list$"):
        layouts.from_torch("lstm", [])
