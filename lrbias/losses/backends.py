"""Turn one sympy expression in ``s`` into callables for numpy, mpmath and python-flint (arb).

numpy: ``sympy.lambdify`` with the stable implementations of :mod:`lrbias.losses.symbolic`; the
result is vectorised over float64 arrays (any shape) and always returns an array of the
input's shape.

mpmath and arb: a small compiler that turns the expression tree into nested closures.  Every
rational constant is built at call time from its exact numerator and denominator, so a value
is correct to the working precision in force at the call (``mp.workdps``/``flint.ctx.prec``);
no float literal sneaks in.  For arb, a ``Piecewise`` whose condition the ball cannot decide
returns the union of the candidate branches (a rigorous enclosure).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from lrbias.errors import NumberRangeError
from lrbias.losses.symbolic import NUMPY_IMPLS

Evaluator = Callable[[Any], Any]


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


def _torch_impls() -> dict[str, Callable[[Any], Any]]:
    import torch

    def logcosh(x):
        ax = torch.abs(x)
        small = torch.log1p(2.0 * torch.sinh(torch.clamp(ax, max=1.0) / 2.0) ** 2)
        large = ax + torch.log1p(torch.exp(-2.0 * ax)) - math.log(2.0)
        return torch.where(ax < 1.0, small, large)

    def sech(x):
        e = torch.exp(-torch.abs(x))
        return 2.0 * e / (1.0 + e * e)

    return {"Softplus": lambda x: torch.logaddexp(torch.zeros_like(x), x), "Sigmoid": torch.sigmoid,
            "LogCosh": logcosh, "Tanh": torch.tanh, "Sech": sech}


def torch_function(expr: sp.Expr, sym: sp.Symbol) -> Evaluator:
    """torch evaluator (tensors of any dtype/device in, same shape out), stable forms as for numpy."""
    import torch
    from sympy.printing.pytorch import TorchPrinter

    impls = _torch_impls()

    class Printer(TorchPrinter):
        """Prints lrbias' stable functions by name (they are supplied in the namespace)."""

        def _print_Function(self, e):
            if type(e).__name__ in impls:
                return f"{type(e).__name__}({', '.join(self._print(a) for a in e.args)})"
            return super()._print_Function(e)

    # torch functions want tensors: fold constant subexpressions such as log(2) into floats first
    folded = expr.replace(lambda e: e.is_number and not e.is_Atom, lambda e: sp.Float(e.evalf(30), 30))
    raw = sp.lambdify(sym, folded, modules=[impls, "torch"], cse=True, printer=Printer)

    def fn(x):
        out = raw(x)
        if not isinstance(out, torch.Tensor) or out.shape != x.shape:
            out = torch.as_tensor(out, dtype=x.dtype, device=x.device).expand(x.shape).clone()
        return out

    fn.__doc__ = f"torch evaluation of {expr}"
    return fn


class _Backend:
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


class _MpmathBackend(_Backend):
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


class _ArbBackend(_Backend):
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


_REL_OPS = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">",
            sp.GreaterThan: ">=", sp.Equality: "=="}


def _compile(expr: sp.Basic, sym: sp.Symbol, be: _Backend) -> Evaluator:
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
        parts = [_compile(a, sym, be) for a in expr.args]

        def add(x):
            total = parts[0](x)
            for part in parts[1:]:
                total = total + part(x)
            return total

        return add
    if isinstance(expr, sp.Mul):
        parts = [_compile(a, sym, be) for a in expr.args]

        def mul(x):
            total = parts[0](x)
            for part in parts[1:]:
                total = total * part(x)
            return total

        return mul
    if isinstance(expr, sp.Pow):
        base = _compile(expr.base, sym, be)
        exponent = expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            if n >= 0:
                return lambda x: be.ipow(base(x), n)
            return lambda x: 1 / be.ipow(base(x), -n)
        if exponent == sp.Rational(1, 2):
            sqrt = be.funcs["sqrt"]
            return lambda x: sqrt(base(x))
        power = _compile(exponent, sym, be)
        return lambda x: base(x) ** power(x)
    if isinstance(expr, sp.Piecewise):
        branches = [(_compile(v, sym, be), _compile(c, sym, be)) for v, c in expr.args]

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
        lhs, rhs = _compile(expr.lhs, sym, be), _compile(expr.rhs, sym, be)
        op = _REL_OPS[type(expr)]
        return lambda x: be.compare(lhs(x), rhs(x), op)
    if isinstance(expr, (sp.And, sp.Or)):
        parts = [_compile(a, sym, be) for a in expr.args]
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
        arg = _compile(expr.args[0], sym, be)
        return lambda x: fn(arg(x))
    raise ValueError(f"no {be.name} evaluator for {expr!r} ({type(expr).__name__})")


def mpmath_function(expr: sp.Expr, sym: sp.Symbol) -> Evaluator:
    """mpmath evaluator at the working precision in force at call time (``mp.workdps``)."""
    inner = _compile(expr, sym, _MpmathBackend())

    def fn(x):
        return inner(mpmath.mpf(x) if not isinstance(x, mpmath.mpf) else x)

    return fn


_ARB_BACKEND: _ArbBackend | None = None


def arb_function(expr: sp.Expr, sym: sp.Symbol) -> Evaluator:
    """python-flint arb (ball) evaluator; the result encloses the true value."""
    global _ARB_BACKEND
    if _ARB_BACKEND is None:
        _ARB_BACKEND = _ArbBackend()
    import flint

    inner = _compile(expr, sym, _ARB_BACKEND)

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
