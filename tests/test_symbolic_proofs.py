"""Symbolic proofs (sympy): each identity's difference simplifies to 0 for the closed-form families."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sympy as sp

from lrbias.gd import objective
from lrbias.losses.families import get_family
from lrbias.losses.symbolic import LogCosh, Softplus, to_elementary

CLOSED_FORM = ["square", "power:b=1", "power:b=3", "power:b=5", "pseudo-huber", "logcosh",
               "quartic", "softplus-pair:a=1", "softplus-pair:a=1/2", "softplus-pair:a=1/3"]
x, y, h = sp.symbols("x y h", real=True)


def _derivative_at_xy(spec: str, k: int) -> sp.Expr:
    fam = get_family(spec)
    return to_elementary(fam.derivative(k)).subs(fam.symbol, x * y)


def _is_zero(expr: sp.Expr) -> bool:
    if sp.expand(expr) == 0:
        return True
    return sp.simplify(sp.expand(expr.rewrite(sp.exp))) == 0


class _SymbolicFamily:
    """A family whose ``np.d1`` returns the sympy expression of ℓ′: the library's own
    :func:`objective.gd_step` and :func:`objective.reduced_step` then build symbolic updates."""

    def __init__(self, spec: str) -> None:
        fam = get_family(spec)
        d1 = to_elementary(fam.derivative(1))
        self.np = SimpleNamespace(d1=lambda s: d1.subs(fam.symbol, s))


@pytest.mark.parametrize("spec", CLOSED_FORM)
def test_one_step_identities_proven(spec):
    """The library's step (objective.gd_step) and its reduced form (objective.reduced_step) obey the
    one-step identities, with ℓ′ the family's own derivative."""
    fam = _SymbolicFamily(spec)
    g = _derivative_at_xy(spec, 1)
    xn, yn = objective.gd_step(fam, x, y, h, backend="numpy")
    s, d, q = objective.to_reduced(x, y)
    assert _is_zero(xn - (x - h * g * y)) and _is_zero(yn - (y - h * g * x)), "the step is GD on l(xy)"
    assert _is_zero(xn**2 - yn**2 - d * (1 - h**2 * g**2)), "balancing identity"
    assert _is_zero(xn * yn - (s * (1 + h**2 * g**2) - h * g * q)), "product update"
    assert _is_zero(xn**2 + yn**2 - (q * (1 + h**2 * g**2) - 4 * h * g * s)), "norm update"
    assert _is_zero(q**2 - d**2 - 4 * s**2), "cone q^2 = d^2 + 4 s^2"
    reduced = objective.reduced_step(fam, s, d, q, h, backend="numpy")
    assert _is_zero(reduced.s - xn * yn), "reduced_step: s"
    assert _is_zero(reduced.d - (xn**2 - yn**2)), "reduced_step: d"
    assert _is_zero(reduced.q - (xn**2 + yn**2)), "reduced_step: q"


@pytest.mark.parametrize("spec", CLOSED_FORM)
def test_hessian_formula_and_spectrum_proven(spec):
    fam = get_family(spec)
    f = to_elementary(fam.expr).subs(fam.symbol, x * y)
    g1, g2 = _derivative_at_xy(spec, 1), _derivative_at_xy(spec, 2)
    formula = g2 * sp.Matrix([[y**2, x * y], [x * y, x**2]]) + g1 * sp.Matrix([[0, 1], [1, 0]])
    assert all(_is_zero(e) for e in sp.hessian(f, (x, y)) - formula)
    t = sp.Symbol("t", positive=True)
    at_min = formula.subs({x: t, y: 1 / t})
    curvature = to_elementary(fam.derivative(2)).subs(fam.symbol, 1)
    assert _is_zero(at_min.det()), "one eigenvalue is 0 at a minimiser"
    assert _is_zero(at_min.trace() - curvature * (t**2 + 1 / t**2)), "the other is l''(1)(x^2 + y^2)"


def test_softplus_pair_stable_form_equals_paper_form():
    """softplus(u) + softplus(-u) = 2 logcosh(u/2) + 2 log 2: derivatives agree and values at 0 agree."""
    u = sp.Symbol("u", real=True)
    diff = to_elementary(Softplus(u) + Softplus(-u) - 2 * LogCosh(u / 2) - 2 * sp.log(2))
    assert sp.simplify(diff.subs(u, 0)) == 0
    assert sp.simplify(sp.diff(diff, u).rewrite(sp.exp)) == 0


@pytest.mark.parametrize("spec", [s for s in CLOSED_FORM if not s.startswith("softplus-pair")])
def test_stable_form_equals_display_form(spec):
    """The form derivatives are taken from is the same function as the one shown to readers.

    (softplus-pair: see test_softplus_pair_stable_form_equals_paper_form.)
    """
    fam = get_family(spec)
    assert _is_zero(to_elementary(fam.expr - fam.display_expr))


def test_proof_detects_a_wrong_identity():
    """The same check rejects d⁺ = d(1 − h ℓ′²)."""
    g = _derivative_at_xy("softplus-pair:a=1/2", 1)
    xn, yn = x - h * g * y, y - h * g * x
    assert not _is_zero(xn**2 - yn**2 - (x**2 - y**2) * (1 - h * g**2))
