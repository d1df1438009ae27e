"""--only selects by literal adapter/check names first: torch adapter names contain brackets."""
from types import SimpleNamespace

from vanishing.checks.conformance.checks import CHECKS
from vanishing.checks.conformance.runner import selected

LSTM32 = SimpleNamespace(name="torch.nn.LSTMCell[float32]", kind="lstm")
GRU64 = SimpleNamespace(name="torch.nn.GRUCell[float64]", kind="gru")
BY_NAME = {c.name: c for c in CHECKS}


def test_a_printed_reproduce_selector_selects_exactly_that_check():
    only = ["torch.nn.LSTMCell[float32]/gradients"]
    assert selected(LSTM32, BY_NAME["gradients"], only)
    assert not selected(LSTM32, BY_NAME["gradients-fd"], only)
    assert not selected(GRU64, BY_NAME["gradients"], only)


def test_adapter_names_kinds_and_patterns():
    assert selected(LSTM32, BY_NAME["forward"], ["LSTMCell[float32]"])        # substring with brackets
    assert not selected(GRU64, BY_NAME["forward"], ["LSTMCell[float32]"])
    assert selected(GRU64, BY_NAME["forward"], ["gru"])                         # kind
    assert selected(GRU64, BY_NAME["direct-path"], ["*/direct-path"])           # fnmatch pattern
    assert not selected(GRU64, BY_NAME["forward"], ["*/direct-path"])
