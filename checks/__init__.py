"""Oracles, tolerances, strategies, claim checks and conformance.

Generic parts (``oracles``, ``tolerances``, ``strategies``) never import a model.
"""
