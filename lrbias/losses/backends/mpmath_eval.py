"""mpmath evaluators at the working precision in force at call time, with arguments too large to
evaluate safely refused (NumberRangeError, not a GMP abort).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import sympy as sp

from lrbias.errors import NumberRangeError
from lrbias.losses.backends.compiler import Backend, compile_expr
from lrbias.losses.backends.evaluator import Evaluator

MAX_MP_ARGUMENT_BITS = 4096
"""exp, sin and their kin refuse an mpmath argument of magnitude beyond 2^4096: past it they build
integers of astronomic size (GMP aborts the whole process with "overflow in mpz type") or spend
unbounded time reducing the argument."""


def _guarded(name: str, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` refusing an argument too large to evaluate safely (NumberRangeError, not a GMP abort)."""

    def guarded(x: Any) -> Any:
        if mpmath.isfinite(x) and x != 0 and mpmath.mag(x) > MAX_MP_ARGUMENT_BITS:
            raise NumberRangeError(f"{name}(x) with |x| beyond 2^{MAX_MP_ARGUMENT_BITS}: an argument too large to "
                                   "evaluate there (a function inside the loss grows too fast)")
        return fn(x)

    return guarded


class _MpmathBackend(Backend):
    name = "mpmath"

    def __init__(self) -> None:
        self.funcs = {
            "exp": _guarded("exp", mpmath.exp),
            "log": mpmath.log,
            "cosh": _guarded("cosh", mpmath.cosh),
            "sinh": _guarded("sinh", mpmath.sinh),
            "tanh": _guarded("tanh", mpmath.tanh),
            "sech": _guarded("sech", mpmath.sech),
            "atan": mpmath.atan,
            "sin": _guarded("sin", mpmath.sin),
            "cos": _guarded("cos", mpmath.cos),
            "erf": _guarded("erf", mpmath.erf),
            "Abs": abs,
            "sign": mpmath.sign,
            "Softplus": _guarded("softplus", lambda x: mpmath.log1p(mpmath.exp(x))),
            "Sigmoid": _guarded("sigmoid", lambda x: 1 / (1 + mpmath.exp(-x))),
            "LogCosh": _guarded("logcosh", lambda x: mpmath.log(mpmath.cosh(x))),
            "Tanh": _guarded("tanh", mpmath.tanh),
            "Sech": _guarded("sech", mpmath.sech),
            "sqrt": mpmath.sqrt,
        }

    def rational(self, p: int, q: int) -> Any:
        return mpmath.mpf(p) / q if q != 1 else mpmath.mpf(p)

    def pi(self) -> Any:
        return +mpmath.pi

    def e(self) -> Any:
        return +mpmath.e

    def union(self, a: Any, b: Any) -> Any:  # pragma: no cover - never undecided in mpmath
        raise AssertionError("mpmath comparisons are always decided")



def mpmath_function(expr: sp.Expr, sym: sp.Symbol) -> Evaluator:
    """mpmath evaluator at the working precision in force at call time (``mp.workdps``)."""
    inner = compile_expr(expr, sym, _MpmathBackend())

    def fn(x):
        return inner(mpmath.mpf(x) if not isinstance(x, mpmath.mpf) else x)

    return fn
