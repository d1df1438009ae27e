"""vanishing: property-based verification of the mathematics of gradient flow.

Subpackages: ``vanishing.models`` (reference NumPy models with hand-derived
derivatives), ``vanishing.checks`` (oracles, tolerances, strategies, claim
checks, conformance), ``vanishing.spec`` (the claim catalogue).
"""

__version__ = "0.1.0"
__all__ = ["__version__", "documentation"]


def documentation(page, module=None):
    """Where a message sends the user to read ``page`` of the documentation (e.g. ``"VALIDATE.md"``).

    What the user has, in this order: the checkout's ``docs/PAGE`` (running from a clone); the
    Documentation address declared in the package metadata (``[project.urls]``) joined with
    PAGE; else the installed file of ``module`` (whose docstring documents it), or
    ``vanishing --help``. Never a path that does not exist on the user's machine.
    """
    import os
    from pathlib import Path
    here = Path(__file__).resolve().parent
    local = here.parent / "docs" / page
    if local.is_file() and (here.parent / "pyproject.toml").is_file():
        rel = os.path.relpath(local)
        return str(local) if rel.startswith(os.pardir) else rel
    try:
        from importlib import metadata
        for entry in metadata.metadata("vanishing").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if label.strip().lower() in ("documentation", "docs") and url.strip():
                return f"{url.strip().rstrip('/')}/{page}"
    except Exception:   # no metadata (not installed): fall through
        pass
    if module:
        import importlib.util
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin:
            return f"the docstring of {spec.origin} (python -m pydoc {module})"
    return "vanishing --help"
