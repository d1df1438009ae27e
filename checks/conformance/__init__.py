"""Validate other implementations of RNN/LSTM/GRU cells and gradient clipping against the reference.

Plug an implementation in through an *adapter* (the protocol in
:mod:`vanishing.checks.conformance.protocol`; for users, ``vanishing validate --help`` says where
it is documented),
then ``vanishing validate package.module:factory`` or, in Python::

    from vanishing.checks.conformance import load, validate_adapter
    for info in load("examples.numpy_lstm:make"):
        report = validate_adapter(info, profile="ci")
        print(report.ok, [r.text() for r in report.results])

``load("torch")`` gives the built-in PyTorch adapters. When a check fails, the report
says what differs and where, shows the shrunk counterexample with a reproduce snippet,
and names the known bug (a mutated reference model) that reproduces the failure.
"""

from vanishing.checks.conformance.loader import load
from vanishing.checks.conformance.protocol import (
    CELL_KINDS,
    KINDS,
    AdapterError,
    AdapterInfo,
)
from vanishing.checks.conformance.runner import (
    AdapterReport,
    CheckResult,
    validate_adapter,
)

__all__ = ["CELL_KINDS", "KINDS", "AdapterError", "AdapterInfo", "AdapterReport", "CheckResult", "load", "validate_adapter"]
