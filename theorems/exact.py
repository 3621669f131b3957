"""Exact claims: identities of GD on ℓ(xy) that hold whatever the paper's constants are.

Each is checked in mpmath at 60 digits (a residual must be below 1e-48 of the size of its
terms) and a counterexample is re-checked at 120 digits before it is reported.  The step
identities compare one step of the GD map with their closed form written out here (not the
engine's reduced map), so GD with weight decay (a case with a fourth element λ) fails them.
The cone q² = d² + 4s² holds for every (x, y), whatever GD does: it is a test of the engine's
reduced coordinates (tests/test_identities.py), not a claim.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import mpmath
from hypothesis import strategies as st

from lrbias.claims.entry import Entry, Mutant
from lrbias.claims.group import Group
from lrbias.claims.strategies import coordinates, family_specs, points, step_sizes
from lrbias.gd import objective
from lrbias.losses.families import get_family
from lrbias.verdict import Check, holds

DPS, GUARD = 60, 12

STEP_CASES = st.tuples(family_specs(), points(1e-2, 1e2), step_sizes(1e-4, 10.0))
MINIMISER_CASES = st.tuples(family_specs(), coordinates(1e-2, 1e2))
STEP_ASSUMPTIONS = "every built-in family and parameter; |x|, |y| in [1e-2, 1e2]; h in [1e-4, 10]"
STEP_FAILS_IF = ("the update is not plain GD on ℓ(xy): e.g. GD with weight decay λ "
                 "(x⁺ = x − h(ℓ′y + λx)), a case (spec, (x, y), h, λ) with λ > 0")

Form = Callable[..., tuple]
"""(x, y, h, g = ℓ′(xy), x⁺, y⁺) -> (lhs, rhs, scale) in mpmath: the closed form checked against one step."""


def _room(rel: float, dps: int) -> float:
    """log10(threshold / residual): decimal digits between the residual and the failure threshold."""
    if rel == 0:
        return math.inf
    if not math.isfinite(rel):
        return -math.inf
    return (GUARD - dps) - math.log10(rel)


def stepped(spec: str, x, y, h, decay=0):
    """One step from (x, y) in mpmath: GD on ℓ(xy), plus weight decay ``decay`` when it is not 0."""
    xn, yn = objective.gd_step(get_family(spec), x, y, h, backend="mpmath")
    return xn - h * decay * x, yn - h * decay * y


def _form_check(form: Form, case, dps: int = DPS) -> Check:
    """Check one closed form on the step of a case (spec, (x, y), h[, weight decay])."""
    spec, (x, y), h, *rest = case
    fam = get_family(spec)
    with mpmath.workdps(dps):
        xm, ym, hm = mpmath.mpf(x), mpmath.mpf(y), mpmath.mpf(h)
        xn, yn = stepped(spec, xm, ym, hm, mpmath.mpf(rest[0]) if rest else 0)
        lhs, rhs, scale = form(xm, ym, hm, fam.mp.d1(xm * ym), xn, yn)
        diff = abs(lhs - rhs)
        rel = 0.0 if diff == 0 else float(diff / scale) if scale > 0 else math.inf
    return holds(rel <= 10.0 ** (GUARD - dps), _room(rel, dps), relative_residual=rel, digits=dps)


def balancing_form(x, y, h, g, xn, yn, power: int = 2):
    d = x * x - y * y
    return xn * xn - yn * yn, d * (1 - h**power * g**power), abs(d) * (1 + abs(h**power * g**power)) + xn * xn + yn * yn


def product_form(x, y, h, g, xn, yn, second_order: bool = True):
    s, q = x * y, x * x + y * y
    rhs = s * (1 + h * h * g * g) - h * g * q if second_order else s - h * g * q
    return xn * yn, rhs, abs(s) * (1 + h * h * g * g) + abs(h * g * q) + abs(xn * yn)


def norm_form(x, y, h, g, xn, yn, factor: int = 4):
    s, q = x * y, x * x + y * y
    return xn * xn + yn * yn, q * (1 + h * h * g * g) - factor * h * g * s, q * (1 + h * h * g * g) + abs(4 * h * g * s)


def _inequality(case, lhs_rhs: Callable, dps: int = DPS) -> Check:
    """A rival: an inequality lhs ≤ rhs on the step of a case, margin log(rhs / lhs)."""
    spec, (x, y), h = case[:3]
    fam = get_family(spec)
    with mpmath.workdps(dps):
        xm, ym, hm = mpmath.mpf(x), mpmath.mpf(y), mpmath.mpf(h)
        xn, yn = stepped(spec, xm, ym, hm)
        lhs, rhs = lhs_rhs(xm, ym, hm, fam.mp.d1(xm * ym), xn, yn)
        ok = lhs <= rhs
        margin = float(mpmath.log(rhs / lhs)) if lhs > 0 and rhs > 0 else (1.0 if ok else -1.0)
    return holds(bool(ok), margin, lhs=float(lhs), rhs=float(rhs), digits=dps)


CERT_BITS = 256
"""Precision of the arb certificates of the rivals' counterexamples (every comparison for the whole ball)."""


def _proven(ok: bool, how: str, **balls) -> dict:
    """A counterexample's certificate record: certified when ``ok`` (an arb comparison that held for the
    whole balls), else the reason it is not, with the balls either way."""
    shown = {k: v.str(10, radius=True) for k, v in balls.items()}
    if ok:
        return {"tier": "certified", "how": f"arb ball arithmetic at {CERT_BITS} bits: {how}", **shown}
    return {"tier": "mpmath", "reason": f"not decided in arb at {CERT_BITS} bits: {how}", **shown}


def _inequality_certificate(case, lhs_rhs: Callable) -> dict:
    """The rival's counterexample proven: lhs > rhs for the whole balls of one step from the exact case."""
    import flint

    spec, (x, y), h = case[:3]
    fam = get_family(spec)
    with flint.ctx.workprec(CERT_BITS):
        xb, yb, hb = flint.arb(x), flint.arb(y), flint.arb(h)
        g = fam.arb.d1(xb * yb)
        xn, yn = xb - hb * g * yb, yb - hb * g * xb
        lhs, rhs = lhs_rhs(xb, yb, hb, g, xn, yn)
        return _proven(bool(lhs > rhs), "lhs > rhs (the rival's inequality fails)", lhs=lhs, rhs=rhs)


def _axis_certificate(case) -> dict:
    """From (0, y) one step leaves the axis: |x⁺| = h|ℓ′(0)||y| > 0, proven."""
    import flint

    spec, y, h = case[:3]
    fam = get_family(spec)
    with flint.ctx.workprec(CERT_BITS):
        xn = -flint.arb(h) * fam.arb.d1(flint.arb(0)) * flint.arb(y)
        return _proven(bool(abs(xn) > 0), "|x after one step| > 0", x_after=xn)


def _minimiser_certificate(case) -> dict:
    """At (t, s/t), s ≠ 1, 0 is not an eigenvalue of the Hessian: det = −ℓ′(s)(2ℓ″(s)s + ℓ′(s)) ≠ 0, proven
    (the rival says the spectrum is {0, ℓ″(1)q} there)."""
    import flint

    spec, t, *rest = case
    fam = get_family(spec)
    with flint.ctx.workprec(CERT_BITS):
        x = flint.arb(t)
        y = (flint.arb(rest[0]) if rest else flint.arb(1)) / x
        s = x * y
        g1, g2 = fam.arb.d1(s), fam.arb.d2(s)
        b = g2 * s + g1     # b * b, not b ** 2: python-flint's ** is NaN on a ball straddling 0
        det = (g2 * y * y) * (g2 * x * x) - b * b
        return _proven(bool(abs(det) > 0), "det of the Hessian is not 0, so 0 is not an eigenvalue", det=det)


def _replay(case) -> str:
    spec, (x, y), h = case[:3]
    return f"lrbias run --loss '{spec}' --x0 {x!r} --y0 {y!r} --h {h!r} --steps 1 --precision mp:{DPS}"


def _step_entry(key: str, form: Form, title: str, statement: str, latex: str, mutant: Mutant,
                rival: str, rival_form: Callable) -> Entry:
    return Entry(
        id=f"exact.{key}",
        title=title,
        statement=statement,
        latex=latex,
        provenance="exact",
        hypotheses=STEP_CASES,
        conclusion=lambda case: _form_check(form, case),
        confirm=lambda case: _form_check(form, case, dps=2 * DPS),
        replay=_replay,
        mutants=(mutant,),
        assumptions=STEP_ASSUMPTIONS,
        fails_if=STEP_FAILS_IF,
        near=None,
        rival=Mutant("rival", rival, lambda case: _inequality(case, rival_form),
                     confirm=lambda case: _inequality(case, rival_form, dps=2 * DPS),
                     certify=lambda case: _inequality_certificate(case, rival_form)),
    )


def _minimiser_check(case, wrong_factor: float | None = None, dps: int = DPS) -> Check:
    """(spec, t[, s]): the Hessian spectrum at (t, s/t); s = 1 (the default) is a minimiser."""
    spec, t, *rest = case
    fam = get_family(spec)
    with mpmath.workdps(dps):
        tm = mpmath.mpf(t)
        ym = (mpmath.mpf(rest[0]) if rest else 1) / tm
        lo, hi = objective.hessian_eigenvalues(fam, tm, ym, backend="mpmath")
        expected = fam.mp.d2(mpmath.mpf(1)) * (tm * tm + ym * ym)
        if wrong_factor is not None:
            expected = wrong_factor * fam.mp.d2(mpmath.mpf(1))
        scale = abs(hi) + abs(lo)
        rel = float(max(abs(hi - expected), abs(lo)) / scale)
    return holds(rel <= 10.0 ** (GUARD - dps), _room(rel, dps), relative_residual=rel,
                 lambda_min=float(lo), lambda_max=float(hi))


def _invariant_check(case, slope: int = 1) -> Check:
    """(spec, x, h, sign[, tilt]): from (x, sign·slope·x·(1 + tilt)) one step stays on y = sign·slope·x."""
    spec, x, h, sign, *rest = case
    fam = get_family(spec)
    with mpmath.workdps(DPS):
        xm = mpmath.mpf(x)
        y0 = sign * xm * slope * (1 + (mpmath.mpf(rest[0]) if rest else 0))
        xn, yn = objective.gd_step(fam, xm, y0, mpmath.mpf(h), backend="mpmath")
        gap = abs(yn - sign * slope * xn)
        scale = abs(xn) + abs(yn)
    ok = gap == 0
    return holds(ok, math.inf if ok else -float(gap / scale), gap=float(gap))


def _axis_check(case, dps: int = DPS) -> Check:
    """Rival: from (0, y) one step stays on the axis x = 0."""
    spec, y, h, _sign = case[:4]
    fam = get_family(spec)
    with mpmath.workdps(dps):
        xn, _ = objective.gd_step(fam, mpmath.mpf(0), mpmath.mpf(y), mpmath.mpf(h), backend="mpmath")
        gap = float(abs(xn))
    return holds(gap == 0, math.inf if gap == 0 else -gap, x_after=gap)


INVARIANT_CASES = st.tuples(family_specs(), coordinates(1e-2, 1e2), step_sizes(1e-4, 10.0),
                            st.sampled_from([1, -1]))
NEAR_MINIMISER_CASES = st.tuples(family_specs(), coordinates(1e-2, 1e2), st.floats(0.95, 1.05))

ENTRIES: list[Entry] = [
    _step_entry("balancing-identity", balancing_form, "Balancing identity",
                "One GD step multiplies the imbalance d = x² − y² by 1 − h²ℓ′(xy)².",
                r"d^{+} = d\,\bigl(1 - h^{2}\,\ell'(xy)^{2}\bigr)",
                Mutant("h-not-squared", "d⁺ = d(1 − hℓ′)",
                       functools.partial(_form_check, functools.partial(balancing_form, power=1))),
                "A step never increases the imbalance: |d⁺| ≤ |d|.",
                lambda x, y, h, g, xn, yn: (abs(xn * xn - yn * yn), abs(x * x - y * y))),
    _step_entry("product-update", product_form, "Product update",
                "The product s = xy after one step is s(1 + h²ℓ′²) − hℓ′q.",
                r"s^{+} = s\,(1 + h^{2}\ell'(s)^{2}) - h\,\ell'(s)\,q",
                Mutant("no-second-order", "s⁺ = s − hℓ′q",
                       functools.partial(_form_check, functools.partial(product_form, second_order=False))),
                "A step never overshoots the minimiser set: |s⁺ − 1| ≤ |s − 1|.",
                lambda x, y, h, g, xn, yn: (abs(xn * yn - 1), abs(x * y - 1))),
    _step_entry("norm-update", norm_form, "Norm update",
                "The squared norm q = x² + y² after one step is q(1 + h²ℓ′²) − 4hℓ′s.",
                r"q^{+} = q\,(1 + h^{2}\ell'(s)^{2}) - 4h\,\ell'(s)\,s",
                Mutant("factor-2", "q⁺ = q(1 + h²ℓ′²) − 2hℓ′s",
                       functools.partial(_form_check, functools.partial(norm_form, factor=2))),
                "A step never increases the squared norm: q⁺ ≤ q.",
                lambda x, y, h, g, xn, yn: (xn * xn + yn * yn, x * x + y * y)),
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
        near=None,
        fails_if="the point is not on the minimiser set: a case (spec, t, s) is the point (t, s/t), "
                 "e.g. s = 1.05, where a run has not yet converged",
        rival=Mutant("rival", "Near the minimisers the same holds: at (t, s/t) with s within 5% of 1, "
                     "the Hessian has eigenvalues 0 and ℓ″(1)(x² + y²).", _minimiser_check,
                     NEAR_MINIMISER_CASES, confirm=lambda case: _minimiser_check(case, dps=2 * DPS),
                     certify=_minimiser_certificate),
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
        near=None,
        fails_if="the start is off the line: a case (spec, x, h, sign, tilt) starts at "
                 "(x, sign·x·(1 + tilt)), e.g. tilt = 1e-3",
        rival=Mutant("rival", "The axes are invariant too: from (0, y) a step stays on x = 0.", _axis_check,
                     confirm=lambda case: _axis_check(case, dps=2 * DPS), certify=_axis_certificate),
    ),
]

GROUP = Group("exact", "Exact identities of one GD step", tuple(ENTRIES), figures=("trajectories-good",))
"""The declared group (the entry point ``exact = "theorems.exact:GROUP"``)."""
