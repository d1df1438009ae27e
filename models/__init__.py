"""Reference models: forward passes beside their hand-derived local derivatives.

Pure NumPy/autograd; nothing here imports from ``vanishing.checks``.
"""
