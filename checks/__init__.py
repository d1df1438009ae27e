"""Oracles, assertions, recording, tolerances, strategies, claim checks and conformance.

Generic parts (``oracles``, ``assertions``, ``recording``, ``comparison``, ``tolerances``, ``strategies``) never import a model.
"""
