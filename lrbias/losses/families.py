"""Loss families ℓ(s), each defined once in sympy, with ℓ, ℓ′, ℓ″, ℓ‴ for numpy, mpmath and arb.

A family is named by a spec string ``NAME[:k=v,...]``, e.g. ``softplus-pair:a=0.5``,
``power:b=3``, ``huber:delta=1`` or ``expr:(s-1)**2/2 + (s-1)**4``.  Every family is minimised
at s = 1 with ℓ′(1) = 0 and ℓ″(1) > 0 (checked when it is built).

Use :func:`get_family` to build one; it is cached per canonical spec.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import mpmath
import numpy as np
import sympy as sp

from lrbias.errors import ExpressionError, MinimiserError, ParameterError, SpecError, short
from lrbias.losses import backends
from lrbias.losses.budget import time_limit
from lrbias.losses.parser import S, parse_expression
from lrbias.losses.symbolic import LogCosh, Sech, Sigmoid, Softplus, Tanh, stabilise, to_elementary

NON_SMOOTH_ATOMS = (sp.Abs, sp.sign, sp.Piecewise, sp.Heaviside, sp.Max, sp.Min, sp.floor,
                    sp.ceiling)


class Derivatives(NamedTuple):
    """ℓ and its first three derivatives for one backend (d3 is None when ℓ is not C³)."""

    loss: Callable[[Any], Any]
    d1: Callable[[Any], Any]
    d2: Callable[[Any], Any]
    d3: Callable[[Any], Any] | None


@dataclass(frozen=True)
class ParamSpec:
    """One family parameter: its name, type, accepted range (as a rule text) and default."""

    name: str
    kind: str  # "real" or "odd-int"
    default: Fraction
    rule: str
    check: Callable[[Fraction], bool]


@dataclass(frozen=True)
class FamilyKind:
    """A named family of losses: how to build ℓ(s) from parameter values."""

    name: str
    formula: str
    params: tuple[ParamSpec, ...]
    build: Callable[[dict[str, sp.Rational]], sp.Expr]
    smoothness: str  # "C-inf" or "C1"
    description: str
    paper_form: Callable[[dict[str, sp.Rational]], sp.Expr] | None = None
    simplify_derivatives: bool = False  # sympy.simplify each derivative (removes cancelling terms)


def _softplus_pair(p: dict[str, sp.Rational]) -> sp.Expr:
    # softplus(u) + softplus(-u) = 2 logcosh(u/2) + 2 log 2: the stable form, proven equal to
    # the paper's form in the tests.  Its derivative is tanh(u/2) (no cancellation near u = 0).
    return (2 * LogCosh((S - 1) / 2) + 2 * sp.log(2)) ** p["a"]


def _softplus_pair_paper(p: dict[str, sp.Rational]) -> sp.Expr:
    return (Softplus(S - 1) + Softplus(1 - S)) ** p["a"]


KINDS: dict[str, FamilyKind] = {
    k.name: k
    for k in (
        FamilyKind(
            "softplus-pair",
            "(log(1+e^(s-1)) + log(1+e^(1-s)))^a",
            (ParamSpec("a", "real", Fraction(1), "0 < a <= 1", lambda v: 0 < v <= 1),),
            _softplus_pair,
            "C-inf",
            "the paper's good-regularity family; grows like |s|^a",
            _softplus_pair_paper,
        ),
        FamilyKind(
            "power",
            "(1 - s^b)^2",
            (ParamSpec("b", "odd-int", Fraction(1), "b an odd integer, 1 <= b <= 51",
                       lambda v: v.denominator == 1 and v % 2 == 1 and 1 <= v <= 51),),
            lambda p: (1 - S ** p["b"]) ** 2,
            "C-inf",
            "the paper's bad-regularity family (b >= 3); b = 1 is the square loss; grows like s^(2b)",
        ),
        FamilyKind("square", "(s-1)^2/2", (), lambda p: (S - 1) ** 2 / 2, "C-inf",
                   "the square loss, halved"),
        FamilyKind("pseudo-huber", "sqrt(1+(s-1)^2) - 1", (),
                   # u^2 / (sqrt(1+u^2) + 1): the same function without the cancellation at u = 0
                   lambda p: (S - 1) ** 2 / (sp.sqrt(1 + (S - 1) ** 2) + 1), "C-inf",
                   "smooth Huber; grows like |s|",
                   lambda p: sp.sqrt(1 + (S - 1) ** 2) - 1, simplify_derivatives=True),
        FamilyKind("logcosh", "log cosh(s-1)", (), lambda p: LogCosh(S - 1), "C-inf",
                   "grows like |s|"),
        FamilyKind(
            "huber",
            "(s-1)^2/2 if |s-1| <= delta else delta(|s-1| - delta/2)",
            (ParamSpec("delta", "real", Fraction(1), "delta > 0 and delta <= 1e100",
                       lambda v: 0 < v <= Fraction(10) ** 100),),
            lambda p: sp.Piecewise(
                ((S - 1) ** 2 / 2, sp.Abs(S - 1) <= p["delta"]),
                (p["delta"] * (sp.Abs(S - 1) - p["delta"] / 2), True),
            ),
            "C1",
            "C^1 only: l'' jumps at |s-1| = delta; grows like |s|",
        ),
        FamilyKind("quartic", "(s-1)^2/2 + (s-1)^4/4", (),
                   lambda p: (S - 1) ** 2 / 2 + (S - 1) ** 4 / 4, "C-inf", "grows like s^4"),
    )
}

EXPR_PREFIX = "expr"
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
MAX_SPEC_CHARS = 400
SYMBOLIC_BUILD_TIMEOUT_S = 20.0
"""Budget for parsing, stabilising and checking a user formula (sympy), per family built."""
MAX_SPEC_LOG10 = 300
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/\d+)?$")


def _format_value(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    d = v.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:  # terminating decimal
        text = format(float(v), ".15g")
        return text if Fraction(text) == v else f"{v.numerator}/{v.denominator}"
    return f"{v.numerator}/{v.denominator}"


def _parse_value(kind: FamilyKind, ps: ParamSpec, text: str) -> Fraction:
    text = text.strip()
    not_a_number = f"{kind.name}: {ps.name}={text!r} is not a number; accepted: {ps.rule}"
    if not _NUMBER_RE.match(text):
        raise ParameterError(not_a_number)
    out_of_range = (f"{kind.name}: {ps.name}={short(text, 30)} is out of range; accepted: {ps.rule}, "
                    f"at most {MAX_SPEC_CHARS} characters, magnitude within 1e-{MAX_SPEC_LOG10}..1e{MAX_SPEC_LOG10}")
    exponents = [int(e) for e in re.findall(r"[eE]([+-]?\d{1,6})", text)]
    if len(text) > MAX_SPEC_CHARS or any(abs(e) > MAX_SPEC_LOG10 + MAX_SPEC_CHARS for e in exponents) \
            or re.search(r"[eE][+-]?\d{7}", text):
        raise ParameterError(out_of_range)  # checked on the text: no big Fraction is ever built
    try:
        if "/" in text:
            num, den = text.split("/")
            value = Fraction(num) / Fraction(den)
        else:
            value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ParameterError(not_a_number) from None
    log10 = math.log10(abs(value.numerator)) - math.log10(value.denominator) if value else 0.0
    if not -MAX_SPEC_LOG10 <= log10 <= MAX_SPEC_LOG10:
        raise ParameterError(out_of_range)
    if not ps.check(value):
        raise ParameterError(f"{kind.name}: {ps.name}={text} is out of range; accepted: {ps.rule}")
    return value


@dataclass(eq=False)
class Family:
    """One loss ℓ(s) with its derivatives on every backend.

    Attributes: ``spec`` (canonical spec string), ``kind`` (family name or ``expr``),
    ``params`` (exact parameter values), ``expr`` (the sympy form the derivatives come from),
    ``display_expr`` (the form shown to readers, the paper's where it differs),
    ``smoothness`` (``C-inf``, ``C1`` or ``unknown``).
    """

    spec: str
    kind: str
    params: dict[str, Fraction]
    expr: sp.Expr
    display_expr: sp.Expr
    smoothness: str
    description: str = ""
    formula: str = ""
    simplify_derivatives: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    symbol = S

    @property
    def is_c2(self) -> bool:
        """Whether ℓ is known to be twice continuously differentiable."""
        return self.smoothness == "C-inf"

    def derivative(self, k: int) -> sp.Expr:
        """The k-th derivative of ℓ as a sympy expression (k = 0..3)."""
        key = f"d{k}"
        if key not in self._cache:
            if k == 0:
                self._cache[key] = self.expr
            elif self.simplify_derivatives:
                # differentiate the (proven equal) display form and simplify: the stable form of
                # the value is not the stable form of its derivatives
                source = self.display_expr if k == 1 else self.derivative(k - 1)
                self._cache[key] = sp.simplify(classical_diff(source))
            else:
                self._cache[key] = classical_diff(self.derivative(k - 1))
        return self._cache[key]

    @functools.cached_property
    def curvature_exact(self) -> sp.Expr:
        """ℓ″(1), exact (sympy)."""
        return sp.nsimplify(sp.simplify(to_elementary(self.derivative(2)).subs(S, 1)))

    @functools.cached_property
    def curvature(self) -> float:
        """ℓ″(1) as a float: the sharpness at a minimiser is curvature · (x² + y²)."""
        with mpmath.workdps(30):
            return float(self.mp.d2(mpmath.mpf(1)))

    @functools.cached_property
    def min_value(self) -> float:
        """ℓ(1), the minimum value of the loss."""
        with mpmath.workdps(30):
            return float(self.mp.loss(mpmath.mpf(1)))

    def _derivs(self, make: Callable[[sp.Expr, sp.Symbol], Callable]) -> Derivatives:
        loss, d1, d2 = (make(self.derivative(k), S) for k in range(3))
        return Derivatives(loss, d1, d2, make(self.derivative(3), S) if self.is_c2 else None)

    @functools.cached_property
    def np(self) -> Derivatives:
        """float64 vectorised ℓ, ℓ′, ℓ″, ℓ‴ (numpy arrays of any shape in, same shape out)."""
        return self._derivs(backends.numpy_function)

    @functools.cached_property
    def mp(self) -> Derivatives:
        """mpmath ℓ, ℓ′, ℓ″, ℓ‴ at the working precision in force at the call."""
        return self._derivs(backends.mpmath_function)

    @functools.cached_property
    def torch(self) -> Derivatives:
        """torch ℓ, ℓ′, ℓ″, ℓ‴ on tensors (requires the ``nn`` extra); the stable forms as for numpy."""
        return self._derivs(backends.torch_function)

    @functools.cached_property
    def quad(self) -> Derivatives:
        """binary128 vectorised ℓ, ℓ′, ℓ″, ℓ‴ on numpy-quaddtype arrays (the stable forms as for numpy);
        a function quad has no loop for is evaluated through mpmath, element by element."""
        loss, d1, d2 = (backends.quad_function(self.derivative(k), S, backends.mpmath_function(self.derivative(k), S))
                        for k in range(3))
        d3 = None
        if self.is_c2:
            d3 = backends.quad_function(self.derivative(3), S, backends.mpmath_function(self.derivative(3), S))
        return Derivatives(loss, d1, d2, d3)

    @functools.cached_property
    def arb(self) -> Derivatives:
        """python-flint ball ℓ, ℓ′, ℓ″, ℓ‴ (requires the ``flint`` extra)."""
        if not backends.flint_available():
            raise ImportError("python-flint is not installed: pip install 'lrbias[flint]'")
        return self._derivs(backends.arb_function)

    def latex(self) -> str:
        """LaTeX of ℓ(s) in its display form."""
        return sp.latex(to_elementary(self.display_expr))

    def __repr__(self) -> str:
        return f"Family({self.spec!r})"


def parse_spec(spec: str) -> tuple[str, dict[str, str] | str]:
    """Split a spec into (name, {key: value text}) or ('expr', expression text)."""
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError("empty loss spec: expected NAME[:k=v,...], e.g. 'softplus-pair:a=0.5'")
    spec = spec.strip()
    name, sep, rest = spec.partition(":")
    name = name.strip()
    if name == EXPR_PREFIX:
        return name, rest
    if not _NAME_RE.match(name):
        raise SpecError(f"malformed loss spec {spec!r}: expected NAME[:k=v,...]")
    args: dict[str, str] = {}
    if sep:
        if not rest.strip():
            raise SpecError(f"malformed loss spec {spec!r}: nothing after ':'")
        for item in rest.split(","):
            key, eq, value = item.partition("=")
            key = key.strip()
            if not eq or not key or not value.strip():
                raise SpecError(f"malformed parameter {item.strip()!r} in {spec!r}: expected k=v")
            if key in args:
                raise SpecError(f"parameter {key!r} given twice in {spec!r}")
            args[key] = value
    return name, args


def classical_diff(expr: sp.Expr) -> sp.Expr:
    """d/ds of expr, dropping the DiracDelta terms that Abs/sign produce (the a.e. derivative)."""
    return sp.diff(expr, S).replace(sp.DiracDelta, lambda *args: sp.Integer(0))


def _check_minimiser(expr: sp.Expr, spec: str) -> None:
    """Raise MinimiserError unless ℓ′(1) = 0, ℓ″(1) > 0 and ℓ(s) ≥ ℓ(1) on a wide grid."""
    d1 = backends.mpmath_function(classical_diff(expr), S)
    d2 = backends.mpmath_function(classical_diff(classical_diff(expr)), S)
    loss_mp = backends.mpmath_function(expr, S)
    with mpmath.workdps(50):
        try:
            g1 = d1(mpmath.mpf(1))
            g2 = d2(mpmath.mpf(1))
            l1 = loss_mp(mpmath.mpf(1))
        except (ValueError, ZeroDivisionError, TypeError) as exc:
            raise ExpressionError(f"{spec}: cannot evaluate the loss at s = 1 ({exc})") from None
        if not all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in (g1, g2, l1)):
            raise ExpressionError(f"{spec}: the loss or its derivatives are not real and finite at s = 1")
        scale = 1 + abs(l1)
        if abs(g1) > mpmath.mpf(10) ** -40 * scale:
            raise MinimiserError(
                f"{spec}: l'(1) = {mpmath.nstr(g1, 6)}, but every loss must be minimised at s = 1 "
                "(rule: l'(1) = 0 and l''(1) > 0)"
            )
        if g2 <= mpmath.mpf(10) ** -40 * scale:
            raise MinimiserError(
                f"{spec}: l''(1) = {mpmath.nstr(g2, 6)}, but the minimiser s = 1 must be "
                "non-degenerate (rule: l''(1) > 0)"
            )
    grid = np.concatenate([np.linspace(-20, 20, 4001), np.geomspace(20, 1e6, 400),
                           -np.geomspace(20, 1e6, 400)])
    with np.errstate(invalid="ignore", divide="ignore"):
        values = backends.numpy_function(expr, S)(grid)
        bad_nan = np.isnan(values) | (np.isinf(values) & (values < 0))
    if bad_nan.any():
        s_bad = grid[np.argmax(bad_nan)]
        with mpmath.workdps(30):
            try:
                v = loss_mp(mpmath.mpf(float(s_bad)))
                ok = isinstance(v, mpmath.mpf) and mpmath.isfinite(v)
            except (ValueError, ZeroDivisionError):
                ok = False
        if not ok:
            raise ExpressionError(
                f"{spec}: the loss is not real and finite at s = {s_bad:g}; a loss must be defined "
                "for every real s"
            )
    below = values < float(l1) - 1e-9 * float(scale)
    if below.any():
        s_bad = float(grid[np.argmax(below)])
        with mpmath.workdps(50):
            v = loss_mp(mpmath.mpf(s_bad))
        if v < l1:
            raise MinimiserError(
                f"{spec}: l({s_bad:g}) = {mpmath.nstr(v, 6)} < l(1) = {mpmath.nstr(l1, 6)}: the "
                "global minimiser is not at s = 1 (rule: l(s) >= l(1) for all s)"
            )


def _smoothness_of(expr: sp.Expr) -> str:
    return "unknown" if expr.has(*NON_SMOOTH_ATOMS) else "C-inf"


@functools.lru_cache(maxsize=256)
def get_family(spec: str) -> Family:
    """Build (or fetch from cache) the family named by ``spec``; raise an LrbiasError if invalid."""
    name, args = parse_spec(spec)
    if name == EXPR_PREFIX:
        assert isinstance(args, str)
        text = args.strip()
        canonical = f"expr:{text}"
        try:
            with time_limit(SYMBOLIC_BUILD_TIMEOUT_S):
                raw = parse_expression(args)
                expr = stabilise(raw)
                _check_minimiser(expr, canonical)
        except TimeoutError:
            raise ExpressionError(f"{short(canonical)}: sympy could not analyse the formula within "
                                  f"{SYMBOLIC_BUILD_TIMEOUT_S:g} s; accepted: a simpler formula") from None
        return Family(canonical, EXPR_PREFIX, {}, expr, raw, _smoothness_of(raw),
                      "user expression", text)
    if name not in KINDS:
        raise SpecError(
            f"unknown loss family {name!r}; known: {', '.join(KINDS)}, or expr:<formula in s>"
        )
    kind = KINDS[name]
    assert isinstance(args, dict)
    known = {p.name for p in kind.params}
    for key in args:
        if key not in known:
            accepted = ", ".join(sorted(known)) if known else "none"
            raise SpecError(f"{name}: unknown parameter {key!r}; accepted parameters: {accepted}")
    values = {p.name: (_parse_value(kind, p, args[p.name]) if p.name in args else p.default)
              for p in kind.params}
    sym_values = {k: sp.Rational(v.numerator, v.denominator) for k, v in values.items()}
    expr = kind.build(sym_values)
    display = kind.paper_form(sym_values) if kind.paper_form else expr
    canonical = name + (
        ":" + ",".join(f"{k}={_format_value(v)}" for k, v in values.items()) if values else ""
    )
    _check_minimiser(expr, canonical)
    return Family(canonical, name, values, expr, display, kind.smoothness, kind.description,
                  kind.formula, kind.simplify_derivatives)


def _within(lo: Fraction, hi: Fraction) -> Callable[[Fraction], bool]:
    """The range rule lo < v <= hi of a registered family's parameter."""
    return lambda v: lo < v <= hi


def register_family(name: str, expression: str, params: dict[str, tuple[float, float, float]] | None = None,
                    description: str = "", smoothness: str | None = None) -> FamilyKind:
    """Add a named family ℓ(s; params) from a formula, usable as ``NAME[:k=v,...]`` everywhere.

    ``expression`` is a formula in ``s`` and the parameter names (parsed without eval, like
    ``expr:``); ``params`` maps each name to (default, lo, hi) with the accepted range lo < v <= hi.
    The default parameters are built at once, so a formula not minimised at s = 1 is refused here.
    Re-registering the same name with the same formula is a no-op; a different formula is an error.
    """
    params = params or {}
    if not _NAME_RE.match(name) or name == EXPR_PREFIX:
        raise SpecError(f"family name {name!r} is invalid; accepted: lower-case letters, digits and '-'")
    raw = parse_expression(expression, tuple(params))
    specs = []
    for pname, (default, lo, hi) in params.items():
        lo_f, hi_f, d = Fraction(str(lo)), Fraction(str(hi)), Fraction(str(default))
        if not lo_f < d <= hi_f:
            raise ParameterError(f"{name}: default {pname}={default} is outside its range ({lo}, {hi}]")
        specs.append(ParamSpec(pname, "real", d, f"{lo} < {pname} <= {hi}", _within(lo_f, hi_f)))
    symbols = {p: sp.Symbol(p, positive=True) for p in params}

    def build(values: dict[str, sp.Rational]) -> sp.Expr:
        return stabilise(raw.subs({symbols[k]: v for k, v in values.items()}))

    kind = FamilyKind(name, expression, tuple(specs), build,
                      smoothness or _smoothness_of(raw), description or "registered family",
                      lambda values: raw.subs({symbols[k]: v for k, v in values.items()}))
    existing = KINDS.get(name)
    if existing is not None:
        if existing.formula == expression and [p.name for p in existing.params] == list(params):
            return existing
        raise SpecError(f"family {name!r} is already defined (as {existing.formula!r})")
    KINDS[name] = kind
    try:
        get_family(name)
    except Exception:
        del KINDS[name]
        raise
    return kind


def builtin_specs() -> list[str]:
    """A representative spec per built-in family (defaults plus the paper's examples)."""
    return ["softplus-pair:a=1", "softplus-pair:a=0.5", "power:b=1", "power:b=3", "power:b=5",
            "square", "pseudo-huber", "logcosh", "huber:delta=1", "quartic"]


__all__ = [
    "KINDS",
    "Derivatives",
    "Family",
    "FamilyKind",
    "LogCosh",
    "ParamSpec",
    "S",
    "Sech",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "builtin_specs",
    "get_family",
    "parse_spec",
]
