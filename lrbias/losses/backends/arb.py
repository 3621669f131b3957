"""python-flint arb (ball) evaluators: every result encloses the true value.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from lrbias.losses.backends.compiler import Backend, compile_expr
from lrbias.losses.backends.evaluator import Evaluator


class _ArbBackend(Backend):
    name = "arb"

    def __init__(self) -> None:
        import flint

        self.flint = flint
        arb = flint.arb

        def softplus(x):
            return x.exp().log1p()

        def sigmoid(x):
            return 1 / (1 + (-x).exp())

        def sign(x):
            return x.sgn()

        self.funcs = {
            "exp": arb.exp,
            "log": arb.log,
            "cosh": arb.cosh,
            "sinh": arb.sinh,
            "tanh": arb.tanh,
            "sech": arb.sech,
            "atan": arb.atan,
            "sin": arb.sin,
            "cos": arb.cos,
            "erf": arb.erf,
            "Abs": abs,
            "sign": sign,
            "Softplus": softplus,
            "Sigmoid": sigmoid,
            "LogCosh": lambda x: x.cosh().log(),
            "Tanh": arb.tanh,
            "Sech": arb.sech,
            "sqrt": arb.sqrt,
        }

    def rational(self, p: int, q: int) -> Any:
        a = self.flint.arb(p)
        return a / q if q != 1 else a

    def pi(self) -> Any:
        return self.flint.arb.pi()

    def e(self) -> Any:
        return self.flint.arb.const_e()

    def compare(self, a: Any, b: Any, op: str) -> bool | None:
        definitely = super().compare(a, b, op)
        if definitely:
            return True
        negation = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": None}[op]
        if negation is not None and super().compare(a, b, negation):
            return False
        return None

    def union(self, a: Any, b: Any) -> Any:
        return a.union(b)

    def ipow(self, a: Any, n: int) -> Any:
        # python-flint's ** is NaN for a ball straddling 0 and loose for negative balls: a
        # positive ball keeps **, any other is raised by repeated squaring (a valid enclosure)
        if a > 0 or n <= 1:
            return a ** n
        result, base = None, a
        while n:
            if n & 1:
                result = base if result is None else result * base
            n >>= 1
            if n:
                base = base * base
        return result



_ARB_BACKEND: _ArbBackend | None = None


def arb_function(expr: sp.Expr, sym: sp.Symbol) -> Evaluator:
    """python-flint arb (ball) evaluator; the result encloses the true value."""
    global _ARB_BACKEND
    if _ARB_BACKEND is None:
        _ARB_BACKEND = _ArbBackend()
    import flint

    inner = compile_expr(expr, sym, _ARB_BACKEND)

    def fn(x):
        return inner(x if isinstance(x, flint.arb) else flint.arb(x))

    return fn


def flint_available() -> bool:
    """True when python-flint is importable (the ``flint`` extra)."""
    try:
        import flint  # noqa: F401
    except ImportError:
        return False
    return True
