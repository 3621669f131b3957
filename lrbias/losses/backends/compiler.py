"""The closure compiler for the multiprecision backends (mpmath, arb).

It turns a sympy expression tree into nested closures.  Every rational constant is built at call
time from its exact numerator and denominator, so a value is correct to the working precision in
force at the call (``mp.workdps``/``flint.ctx.prec``); no float literal sneaks in.  For arb, a
``Piecewise`` whose condition the ball cannot decide returns the union of the candidate branches
(a rigorous enclosure).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from lrbias.losses.backends.evaluator import Evaluator


class Backend:
    """Arithmetic of one multiprecision library, as used by the closure compiler."""

    name = "abstract"
    funcs: dict[str, Callable[[Any], Any]]

    def rational(self, p: int, q: int) -> Any:
        raise NotImplementedError

    def pi(self) -> Any:
        raise NotImplementedError

    def e(self) -> Any:
        raise NotImplementedError

    def compare(self, a: Any, b: Any, op: str) -> bool | None:
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b}[op]

    def union(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def ipow(self, a: Any, n: int) -> Any:
        """a ** n for an integer n >= 0."""
        return a ** n


_REL_OPS = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">",
            sp.GreaterThan: ">=", sp.Equality: "=="}


def compile_expr(expr: sp.Basic, sym: sp.Symbol, be: Backend) -> Evaluator:
    if expr == sym:
        return lambda x: x
    if expr.is_Rational:
        p, q = int(expr.p), int(expr.q)
        return lambda x: be.rational(p, q)
    if expr.is_Float:
        r = sp.Rational(expr)
        p, q = int(r.p), int(r.q)
        return lambda x: be.rational(p, q)
    if expr is sp.pi:
        return lambda x: be.pi()
    if expr is sp.E:
        return lambda x: be.e()
    if expr is sp.true:
        return lambda x: True
    if expr is sp.false:
        return lambda x: False
    if isinstance(expr, sp.Add):
        parts = [compile_expr(a, sym, be) for a in expr.args]

        def add(x):
            total = parts[0](x)
            for part in parts[1:]:
                total = total + part(x)
            return total

        return add
    if isinstance(expr, sp.Mul):
        parts = [compile_expr(a, sym, be) for a in expr.args]

        def mul(x):
            total = parts[0](x)
            for part in parts[1:]:
                total = total * part(x)
            return total

        return mul
    if isinstance(expr, sp.Pow):
        base = compile_expr(expr.base, sym, be)
        exponent = expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            if n >= 0:
                return lambda x: be.ipow(base(x), n)
            return lambda x: 1 / be.ipow(base(x), -n)
        if exponent == sp.Rational(1, 2):
            sqrt = be.funcs["sqrt"]
            return lambda x: sqrt(base(x))
        power = compile_expr(exponent, sym, be)
        return lambda x: base(x) ** power(x)
    if isinstance(expr, sp.Piecewise):
        branches = [(compile_expr(v, sym, be), compile_expr(c, sym, be)) for v, c in expr.args]

        def piecewise(x, start=0):
            for i in range(start, len(branches)):
                value, cond = branches[i]
                decided = cond(x)
                if decided is True:
                    return value(x)
                if decided is None:
                    return be.union(value(x), piecewise(x, i + 1))
            raise ValueError(f"Piecewise has no branch for {x}")

        return piecewise
    if isinstance(expr, sp.core.relational.Relational) and type(expr) in _REL_OPS:
        lhs, rhs = compile_expr(expr.lhs, sym, be), compile_expr(expr.rhs, sym, be)
        op = _REL_OPS[type(expr)]
        return lambda x: be.compare(lhs(x), rhs(x), op)
    if isinstance(expr, (sp.And, sp.Or)):
        parts = [compile_expr(a, sym, be) for a in expr.args]
        is_and = isinstance(expr, sp.And)

        def logic(x):
            values = [p(x) for p in parts]
            if is_and:
                if any(v is False for v in values):
                    return False
                return True if all(v is True for v in values) else None
            if any(v is True for v in values):
                return True
            return False if all(v is False for v in values) else None

        return logic
    if isinstance(expr, sp.Function):
        name = type(expr).__name__
        if name not in be.funcs or len(expr.args) != 1:
            raise ValueError(f"no {be.name} evaluator for function {name}")
        fn = be.funcs[name]
        arg = compile_expr(expr.args[0], sym, be)
        return lambda x: fn(arg(x))
    raise ValueError(f"no {be.name} evaluator for {expr!r} ({type(expr).__name__})")
