"""The fused float64 kernel: numba code generated from each family's sympy form.

The batched loop (:func:`lrbias.gd.step_loop.run_chunk`) tests its rules only every few steps;
between those steps a plain numpy step costs a dozen array passes (s, ℓ′(s), the loss, the
update).  With :func:`numba_backend` the loop hands those stretches to one compiled call: for each
start (in parallel, ``prange``) k steps in registers, the loss maximum raised on the way.  The
rules still run in numpy on the arrays, so they are stated once (:mod:`lrbias.gd.rules`).

ℓ′ and ℓ are printed by ``sympy.lambdify`` for the ``math`` module with the stable functions of
:mod:`lrbias.losses.symbolic` as scalar numba functions (the same formulas as their numpy
versions), then compiled per family (cached per process; a first call costs a compile, ~1 s).
The step is the numpy engine's to the operation (x − hℓ′(s)·y, y − hℓ′(s)·x), so the two agree
run for run on non-chaotic runs; libm and numpy may round a transcendental differently in the
last place, so a chaotic orbit may part after many steps.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from lrbias.errors import LrbiasError
from lrbias.losses.families import Family


def numba_available() -> bool:
    """True when numba imports (the ``fast`` extra)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _scalar_impls() -> dict[str, Callable[[float], float]]:
    """The stable special functions as scalar numba functions (the numpy forms, element by element)."""
    from numba import njit

    @njit(cache=False)
    def softplus(x: float) -> float:   # np.logaddexp(0, x)
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    @njit(cache=False)
    def sigmoid(x: float) -> float:    # scipy.special.expit
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)

    @njit(cache=False)
    def logcosh(x: float) -> float:
        ax = abs(x)
        if ax < 1.0:
            return math.log1p(2.0 * math.sinh(min(ax, 1.0) / 2.0) ** 2)
        return ax + math.log1p(math.exp(-2.0 * ax)) - math.log(2.0)

    @njit(cache=False)
    def sech(x: float) -> float:
        e = math.exp(-abs(x))
        return 2.0 * e / (1.0 + e * e)

    @njit(cache=False)
    def tanh(x: float) -> float:
        return math.tanh(x)

    return {"Softplus": softplus, "Sigmoid": sigmoid, "LogCosh": logcosh, "Tanh": tanh, "Sech": sech}


def scalar_function(expr: sp.Expr, sym: sp.Symbol) -> Callable[[float], float]:
    """A numba-compiled scalar evaluator of ``expr`` (LrbiasError naming the function numba cannot compile)."""
    from numba import njit

    impls = _scalar_impls()
    raw = sp.lambdify(sym, expr, modules=[impls, "math"], cse=True)
    compiled = njit(cache=False, error_model="numpy")(raw)
    try:
        compiled(0.5)
    except Exception as exc:  # a typing error names what numba could not compile
        raise LrbiasError(f"the fused kernel cannot compile {expr} ({type(exc).__name__}); accepted: losses "
                          "numba's math module covers (use backend='numpy')") from None
    return compiled


@functools.cache
def _kernel(spec: str) -> Callable[..., tuple[Any, ...]]:
    from numba import njit, prange

    from lrbias.losses.families import get_family

    family = get_family(spec)
    d1 = scalar_function(family.derivative(1), family.symbol)
    loss = scalar_function(family.derivative(0), family.symbol)

    @njit(parallel=True, error_model="numpy", cache=False)
    def advance(x, y, h, fmax, fmax_step, t0, k, track):   # pragma: no cover - compiled
        n = x.shape[0]
        xo, yo, pxo, pyo = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        fo, so = fmax.copy(), fmax_step.copy()
        for i in prange(n):
            xi, yi, hi = x[i], y[i], h[i]
            pxi, pyi = xi, yi
            fm, fs = fo[i], so[i]
            for j in range(k):
                hg = hi * d1(xi * yi)
                pxi, pyi = xi, yi
                xi, yi = xi - hg * yi, yi - hg * xi
                if track:
                    f = loss(xi * yi)
                    if f > fm:
                        fm, fs = f, t0 + j + 1
            xo[i], yo[i], pxo[i], pyo[i], fo[i], so[i] = xi, yi, pxi, pyi, fm, fs
        return xo, yo, pxo, pyo, fo, so

    return advance


def fused_kernel(family: Family) -> Callable[..., tuple[Any, ...]]:
    """``advance(x, y, h, fmax, fmax_step, t, k, track_max)``: k float64 GD steps from step t for
    every start, returning the new (x, y), the state one step before, and the raised loss maximum."""
    if not numba_available():
        raise LrbiasError("the fused kernel needs numba: pip install 'lrbias[fast]'; accepted: backend='numpy'")
    return _kernel(family.spec)


def numba_backend() -> Any:
    """The numpy backend with the fused kernel between rule steps (trajectories: the plain loop)."""
    import dataclasses

    from lrbias.gd import step_loop

    if not numba_available():
        raise LrbiasError("backend 'numba' needs numba: pip install 'lrbias[fast]'; accepted: backend='numpy'")
    return dataclasses.replace(step_loop.NUMPY, name="numba", fused=fused_kernel, records=True)
