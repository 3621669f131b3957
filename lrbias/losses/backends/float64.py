"""float64: ``sympy.lambdify`` with the stable implementations of :mod:`lrbias.losses.symbolic`,
vectorised over float64 arrays of any shape (the result always has the input's shape).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from lrbias.losses.backends.evaluator import Evaluator
from lrbias.losses.symbolic import NUMPY_IMPLS


def numpy_function(expr: sp.Expr, sym: sp.Symbol) -> Evaluator:
    """float64 vectorised evaluator; overflow gives +-inf silently (engines treat it as divergence)."""
    raw = sp.lambdify(sym, expr, modules=[NUMPY_IMPLS, "numpy", "scipy"], cse=True)

    def fn(x):
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(over="ignore", under="ignore"):
            out = raw(x)
        out = np.asarray(out, dtype=np.float64)
        if out.shape != x.shape:
            out = np.broadcast_to(out, x.shape).copy()
        return out

    fn.__doc__ = f"float64 evaluation of {expr}"
    return fn
