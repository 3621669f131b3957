"""binary128 (numpy-quaddtype) evaluators: the float64 forms with every constant folded to
``QUAD_DIGITS`` digits, and an mpmath fallback where a function has no quad kernel.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from lrbias.losses.backends.evaluator import Evaluator

QUAD_DIGITS = 40   # digits of every constant folded into a quad evaluator (binary128 holds ~34)


def quad_dtype() -> Any:
    """numpy-quaddtype's binary128 dtype (SLEEF kernels); LrbiasError-free ImportError if missing."""
    import numpy_quaddtype

    return numpy_quaddtype.QuadPrecDType("sleef")


def _quad_impls() -> dict[str, Callable[[Any], Any]]:
    """The stable special functions on quad arrays: the float64 forms with binary128 constants."""
    from numpy_quaddtype import QuadPrecision

    one, two = QuadPrecision(1, backend="sleef"), QuadPrecision(2, backend="sleef")
    ln2 = np.log(two)

    def logcosh(x):
        ax = np.abs(x)
        small = np.log1p(two * np.sinh(np.minimum(ax, one) / two) ** 2)
        large = ax + np.log1p(np.exp(-two * ax)) - ln2
        return np.where(ax < one, small, large)

    def sech(x):
        e = np.exp(-np.abs(x))
        return two * e / (one + e * e)

    return {"Softplus": lambda x: np.logaddexp(QuadPrecision(0), x), "Sigmoid": lambda x: one / (one + np.exp(-x)),
            "LogCosh": logcosh, "Tanh": np.tanh, "Sech": sech}


def quad_function(expr: sp.Expr, sym: sp.Symbol, mp_fallback: Evaluator | None = None) -> Evaluator:
    """binary128 (numpy-quaddtype) vectorised evaluator: quad arrays in, quad arrays out.

    Every non-integer constant (1/2, log 2, π, a float parameter) is folded to QUAD_DIGITS digits
    and built as a quad number, so no float64 literal lowers the precision.  A function quad has
    no loop for (erf, scipy's functions) is found on a probe evaluation: the evaluator then runs
    ``mp_fallback`` (the mpmath form) element by element at 40 digits, slowly but in full
    precision; without a fallback the probe's failure is raised as a LrbiasError naming it.
    """
    from numpy_quaddtype import QuadPrecision
    from sympy.printing.numpy import NumPyPrinter

    from lrbias.errors import LrbiasError

    dtype = quad_dtype()
    impls = _quad_impls()

    class Printer(NumPyPrinter):
        """Prints folded constants as quad numbers and lrbias' stable functions by name."""

        def _print_Float(self, e):
            return f"_Q({sp.Float(e, QUAD_DIGITS).__str__()!r})"

        def _print_Integer(self, e):  # a python int costs a conversion per operation: quad constants
            return f"_Q('{int(e)}')"

        def _print_Pow(self, e, rational=False):
            if e.exp.is_Integer and 2 <= int(e.exp) <= 4:
                base = self.parenthesize(e.base, 100)
                return "(" + "*".join([base] * int(e.exp)) + ")"
            if e.exp.is_Integer:
                return f"{self.parenthesize(e.base, 100)}**{int(e.exp)}"
            return super()._print_Pow(e, rational)

        def _print_Function(self, e):
            if type(e).__name__ in impls:
                return f"{type(e).__name__}({', '.join(self._print(a) for a in e.args)})"
            return super()._print_Function(e)

    folded = expr.replace(lambda e: e.is_number and (not e.is_Atom or not e.is_Integer),
                          lambda e: sp.Float(e.evalf(QUAD_DIGITS + 5), QUAD_DIGITS))
    namespace = {**impls, "_Q": functools.cache(lambda text: QuadPrecision(text, backend="sleef"))}
    try:
        raw = sp.lambdify(sym, folded, modules=[namespace, "numpy"], cse=True, printer=Printer)
    except Exception as exc:  # any printer failure means no quad form
        raw, reason = None, f"{type(exc).__name__}: {exc}"
    if raw is not None:
        probe = np.asarray([-3.0, 0.5, 1.0, 2.0], dtype=np.float64).astype(dtype)
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(raw(probe))
            # a constant derivative comes back as python ints (or a quad scalar): exact, cast below
            exact = out.dtype == dtype or out.dtype.kind in "iub"
            reason = "" if exact else f"the result has dtype {out.dtype}, not quad"
        except Exception as exc:  # a missing ufunc loop, an unknown name
            reason = f"{type(exc).__name__}: {exc}"
    if reason:
        if mp_fallback is None:
            raise LrbiasError(f"the quad engine cannot evaluate {expr} ({reason}); accepted: losses "
                              "built from functions with binary128 loops (exp, log, sqrt, tanh, ...)")
        return _quad_by_mpmath(expr, mp_fallback, dtype)

    def fn(x):
        with np.errstate(all="ignore"):
            out = np.asarray(raw(x))
        if out.dtype != dtype:
            out = out.astype(dtype)
        if out.shape != x.shape:
            out = np.broadcast_to(out, x.shape).copy()
        return out

    fn.__doc__ = f"binary128 evaluation of {expr}"
    fn.quad_native = True  # type: ignore[attr-defined]
    return fn


def quad_parts(x: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three float64 arrays whose exact sum is the quad array ``x`` (113 bits fit in 3 × 53)."""
    hi = np.asarray(x).astype(np.float64)
    rest = x - hi
    mid = rest.astype(np.float64)
    return hi, mid, (rest - mid).astype(np.float64)


def quad_to_mpf(x: Any) -> list[Any]:
    """Every entry of the quad array ``x`` as an exact mpmath number (the working precision must hold 113 bits)."""
    hi, mid, lo = quad_parts(np.asarray(x).reshape(-1))
    return [mpmath.mpf(a) + mpmath.mpf(b) + mpmath.mpf(c) if math.isfinite(a) else mpmath.mpf(a)
            for a, b, c in zip(hi.tolist(), mid.tolist(), lo.tolist(), strict=True)]


def mpf_to_quad(values: list[Any]) -> Any:
    """mpmath numbers rounded to binary128 (each split into three float64 parts, summed in quad)."""
    dtype = quad_dtype()
    hi = np.array([float(v) for v in values], dtype=np.float64)
    with mpmath.workdps(QUAD_DIGITS):
        r1 = [v - a if math.isfinite(a) else mpmath.mpf(0) for v, a in zip(values, hi.tolist(), strict=True)]
        mid = np.array([float(v) for v in r1], dtype=np.float64)
        lo = np.array([float(v - b) for v, b in zip(r1, mid.tolist(), strict=True)], dtype=np.float64)
    return hi.astype(dtype) + mid.astype(dtype) + lo.astype(dtype)


def _quad_by_mpmath(expr: sp.Expr, mp_fn: Evaluator, dtype: Any) -> Evaluator:
    """The quad evaluator of a loss quad has no loops for: mpmath at 40 digits, one element at a time."""

    def fn(x):
        values = []
        with mpmath.workdps(QUAD_DIGITS):
            for v in quad_to_mpf(x):
                try:
                    values.append(mp_fn(v))
                except (OverflowError, ZeroDivisionError, ValueError):
                    values.append(mpmath.nan)
            out = mpf_to_quad(values)
        return out.reshape(np.shape(x))

    fn.__doc__ = f"binary128 evaluation of {expr} through mpmath (quad has no loop for one of its functions)"
    fn.quad_native = False  # type: ignore[attr-defined]
    return fn
