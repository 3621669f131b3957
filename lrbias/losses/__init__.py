"""Losses ℓ(s): the symbol and stable special functions, the whitelist parser, the sympy →
numpy/torch/mpmath/arb backends, :class:`Family` and its registry, minimiser checks and dor.

The bottom layer of the data path (loss spec → family → engine → run record → verdict →
results → report): nothing here imports ``lrbias.gd``, ``lrbias.claims`` or above.
"""
