"""vanishing: property-based verification of the mathematics of gradient flow.

Subpackages: ``vanishing.models`` (reference NumPy models with hand-derived
derivatives), ``vanishing.checks`` (oracles, tolerances, strategies, claim
checks, conformance), ``vanishing.spec`` (the claim catalogue).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
