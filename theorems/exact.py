"""Exact claims: identities of GD on ℓ(xy) that hold whatever the paper's constants are.

Each is checked in mpmath at 60 digits (a residual must be below 1e-48 of the size of its
terms) and a counterexample is re-checked at 120 digits before it is reported.
"""

from __future__ import annotations

import math

import mpmath
from hypothesis import strategies as st

from lrbias.claims.entry import Entry, Mutant
from lrbias.claims.strategies import coordinates, family_specs, points, step_sizes
from lrbias.claims.verdict import Check, holds
from lrbias.gd import identities, objective
from lrbias.losses.families import get_family

DPS, GUARD = 60, 12

STEP_CASES = st.tuples(family_specs(), points(1e-2, 1e2), step_sizes(1e-4, 10.0))
MINIMISER_CASES = st.tuples(family_specs(), coordinates(1e-2, 1e2))


def _identity_check(identity: identities.Identity, case, dps: int = DPS) -> Check:
    spec, (x, y), h = case
    ok, rel = identities.check(identity, get_family(spec), x, y, h, dps=dps, guard=GUARD)
    return holds(ok, _digits_of_room(rel, dps), relative_residual=rel, digits=dps)


def _digits_of_room(rel: float, dps: int) -> float:
    """log10(threshold / residual): decimal digits between the residual and the failure threshold."""
    if rel == 0:
        return math.inf
    if not math.isfinite(rel):
        return -math.inf
    return (GUARD - dps) - math.log10(rel)


def _replay(case) -> str:
    spec, (x, y), h = case
    return f"lrbias run --loss '{spec}' --x0 {x!r} --y0 {y!r} --h {h!r} --steps 1 --precision mp:{DPS}"


def _step_entry(key: str, identity: identities.Identity, title: str, statement: str, latex: str,
                mutant: Mutant) -> Entry:
    return Entry(
        id=f"exact.{key}",
        title=title,
        statement=statement,
        latex=latex,
        provenance="exact",
        hypotheses=STEP_CASES,
        conclusion=lambda case: _identity_check(identity, case),
        confirm=lambda case: _identity_check(identity, case, dps=2 * DPS),
        replay=_replay,
        mutants=(mutant,),
        assumptions="every built-in family and parameter; |x|, |y| in [1e-2, 1e2]; h in [1e-4, 10]",
    )


def _wrong(lhs_rhs):
    """Build a mutant conclusion from a wrong (lhs, rhs, scale) identity."""
    return lambda case: _identity_check(lhs_rhs, case)


def _wrong_balancing(family, x, y, h):
    g, xn, yn = identities._step(family, x, y, h)
    d = x * x - y * y
    return xn * xn - yn * yn, d * (1 - h * g * g), abs(d) * (1 + h * h * g * g) + xn * xn + yn * yn


def _wrong_product(family, x, y, h):
    g, xn, yn = identities._step(family, x, y, h)
    s, q = x * y, x * x + y * y
    return xn * yn, s - h * g * q, abs(s) * (1 + h * h * g * g) + abs(h * g * q)


def _wrong_norm(family, x, y, h):
    g, xn, yn = identities._step(family, x, y, h)
    s, q = x * y, x * x + y * y
    return xn * xn + yn * yn, q * (1 + h * h * g * g) - 2 * h * g * s, q * (1 + h * h * g * g) + abs(4 * h * g * s)


def _wrong_cone(family, x, y, h):
    _, xn, yn = identities._step(family, x, y, h)
    r = objective.to_reduced(xn, yn)
    return r.q * r.q, r.d * r.d + 2 * r.s * r.s, r.q * r.q


def _minimiser_check(case, wrong_factor: float | None = None, dps: int = DPS) -> Check:
    spec, t = case
    fam = get_family(spec)
    with mpmath.workdps(dps):
        tm = mpmath.mpf(t)
        lo, hi = objective.hessian_eigenvalues(fam, tm, 1 / tm, backend="mpmath")
        expected = fam.mp.d2(mpmath.mpf(1)) * (tm * tm + 1 / (tm * tm))
        if wrong_factor is not None:
            expected = wrong_factor * fam.mp.d2(mpmath.mpf(1))
        scale = abs(hi) + abs(lo)
        rel = float(max(abs(hi - expected), abs(lo)) / scale)
    return holds(rel <= 10.0 ** (GUARD - dps), _digits_of_room(rel, dps), relative_residual=rel,
                 lambda_min=float(lo), lambda_max=float(hi))


def _invariant_check(case, slope: int = 1) -> Check:
    spec, x, h, sign = case
    fam = get_family(spec)
    with mpmath.workdps(DPS):
        xm = mpmath.mpf(x)
        xn, yn = objective.gd_step(fam, xm, sign * xm * slope, mpmath.mpf(h), backend="mpmath")
        gap = abs(yn - sign * slope * xn)
        scale = abs(xn) + abs(yn)
    ok = gap == 0
    return holds(ok, math.inf if ok else -float(gap / scale), gap=float(gap))


INVARIANT_CASES = st.tuples(family_specs(), coordinates(1e-2, 1e2), step_sizes(1e-4, 10.0),
                            st.sampled_from([1, -1]))

ENTRIES: list[Entry] = [
    _step_entry("balancing-identity", identities.balancing, "Balancing identity",
                "One GD step multiplies the imbalance d = x² − y² by 1 − h²ℓ′(xy)².",
                r"d^{+} = d\,\bigl(1 - h^{2}\,\ell'(xy)^{2}\bigr)",
                Mutant("h-not-squared", "d⁺ = d(1 − hℓ′²)", _wrong(_wrong_balancing))),
    _step_entry("product-update", identities.product_update, "Product update",
                "The product s = xy after one step is s(1 + h²ℓ′²) − hℓ′q.",
                r"s^{+} = s\,(1 + h^{2}\ell'(s)^{2}) - h\,\ell'(s)\,q",
                Mutant("no-second-order", "s⁺ = s − hℓ′q", _wrong(_wrong_product))),
    _step_entry("norm-update", identities.norm_update, "Norm update",
                "The squared norm q = x² + y² after one step is q(1 + h²ℓ′²) − 4hℓ′s.",
                r"q^{+} = q\,(1 + h^{2}\ell'(s)^{2}) - 4h\,\ell'(s)\,s",
                Mutant("factor-2", "q⁺ = q(1 + h²ℓ′²) − 2hℓ′s", _wrong(_wrong_norm))),
    _step_entry("cone", identities.invariant_q, "Reduced coordinates stay on the cone",
                "After any step q² = d² + 4s², so (s, d, q) is a faithful reduction.",
                r"q^{2} = d^{2} + 4 s^{2}",
                Mutant("factor-2", "q² = d² + 2s²", _wrong(_wrong_cone))),
    Entry(
        id="exact.hessian-spectrum-at-minimisers",
        title="Hessian spectrum at minimisers",
        statement="At every minimiser (t, 1/t) the Hessian has eigenvalues 0 and ℓ″(1)(x² + y²).",
        latex=r"\operatorname{spec}\nabla^{2}f(t, 1/t) = \{0,\ \ell''(1)\,(t^{2} + t^{-2})\}",
        provenance="exact",
        hypotheses=MINIMISER_CASES,
        conclusion=_minimiser_check,
        confirm=lambda case: _minimiser_check(case, dps=2 * DPS),
        mutants=(Mutant("flattest-everywhere", "λ_max = 2ℓ″(1) at every minimiser",
                        lambda case: _minimiser_check(case, wrong_factor=2.0)),),
        assumptions="every built-in family; |t| in [1e-2, 1e2]",
    ),
    Entry(
        id="exact.invariant-lines",
        title="Invariant lines y = ±x",
        statement="GD maps the lines y = x and y = −x into themselves (measure-zero bad sets).",
        latex=r"y_{0} = \pm x_{0} \Rightarrow y_{k} = \pm x_{k}\ \forall k",
        provenance="exact",
        hypotheses=INVARIANT_CASES,
        conclusion=_invariant_check,
        confirm=_invariant_check,
        mutants=(Mutant("slope-2", "the line y = 2x is invariant",
                        lambda case: _invariant_check(case, slope=2)),),
        assumptions="every built-in family; |x| in [1e-2, 1e2]; h in [1e-4, 10]",
    ),
]
