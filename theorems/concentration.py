"""Sharpness concentration: curvature sits near the minimiser set for good regularity only.

Reconstructed form (our constants): far from the minimiser set (|xy| ≥ 10), doubling the
point p multiplies the Hessian's spectral radius ρ(∇²f) by at most 1 when dor ≤ 1 (the
curvature does not grow, and vanishes as p → ∞ when dor < 1), and by at least
0.75 · 4^(dor − 1) when dor > 1 (it grows without bound).  The factor 4^(dor−1) is what the
growth ℓ″(s) ~ |s|^(dor−2) gives under s → 4s, q → 4q.
"""

from __future__ import annotations

import math

import mpmath
from hypothesis import strategies as st

from lrbias.claims.entry import Entry, Mutant
from lrbias.claims.group import Group
from lrbias.claims.strategies import GOOD
from lrbias.gd import objective
from lrbias.losses.families import get_family
from lrbias.losses.regularity import degree_of_regularity
from lrbias.verdict import Check, holds

FAR = 10.0
BAD = st.sampled_from(["square", "quartic", "power:b=1", "power:b=3", "power:b=5"])
DOR_ONE = st.sampled_from(["logcosh", "pseudo-huber", "softplus-pair:a=1"])


@st.composite
def far_points(draw: st.DrawFn) -> tuple[float, float]:
    """(x, y) with |xy| in [10, 1e4] and |x|/|y| in [1e-3, 1e3]: far from the minimiser set."""
    log_s = draw(st.floats(math.log(FAR), math.log(1e4)))
    log_ratio = draw(st.floats(-math.log(1e3), math.log(1e3)))
    x = math.exp((log_s + log_ratio) / 2)
    y = math.exp((log_s - log_ratio) / 2)
    sx, sy = draw(st.sampled_from([1, -1])), draw(st.sampled_from([1, -1]))
    return sx * x, sy * y


def spectral_radius(family, x, y, backend: str | None = None):
    """max |λ| of ∇²f at (x, y)."""
    lo, hi = objective.hessian_eigenvalues(family, x, y, backend)
    return max(abs(lo), abs(hi))


def growth_factor(spec: str, point: tuple[float, float], precise: bool = False) -> float:
    """ρ(∇²f(2p)) / ρ(∇²f(p)), in float64 or (precise) mpmath at 50 digits."""
    fam = get_family(spec)
    x, y = point
    if precise:
        with mpmath.workdps(50):
            xm, ym = mpmath.mpf(x), mpmath.mpf(y)
            return float(spectral_radius(fam, 2 * xm, 2 * ym, "mpmath") / spectral_radius(fam, xm, ym, "mpmath"))
    return float(spectral_radius(fam, 2 * x, 2 * y, "numpy") / spectral_radius(fam, x, y, "numpy"))


def _good_check(case, cap: float = 1.0, precise: bool = False) -> Check:
    spec, point = case
    factor = growth_factor(spec, point, precise)
    return holds(factor <= cap * (1 + 1e-12), math.log(cap / factor), factor=factor, cap=cap)


def _bad_check(case, slack: float = 0.75, extra: float = 0.0, precise: bool = False) -> Check:
    spec, point = case
    dor = degree_of_regularity(get_family(spec)).value
    floor = slack * 4.0 ** (dor - 1 + extra)
    factor = growth_factor(spec, point, precise)
    return holds(factor >= floor, math.log(factor / floor), factor=factor, floor=floor, dor=dor)


def growth_certificate(case, cap: float | None = None, slack: float | None = None) -> dict:
    """A rival's counterexample proven in arb (256 bits): the factor ρ(∇²f(2p))/ρ(∇²f(p)) at the exact
    point, with ρ of [[a, b], [b, c]] = |a + c|/2 + √(((a − c)/2)² + b²), is above ``cap`` (good-regularity
    rival) or below ``slack``·4^(dor − 1) (bad-regularity rival; dor exact for these families)."""
    import flint

    spec, (x, y) = case
    fam = get_family(spec)
    with flint.ctx.workprec(256):
        def rho(xb, yb):
            s = xb * yb
            g1, g2 = fam.arb.d1(s), fam.arb.d2(s)
            a, c, b = g2 * yb * yb, g2 * xb * xb, g2 * s + g1
            half = (a - c) / 2     # products, not **: python-flint's ** is NaN on a ball straddling 0
            return abs(a + c) / 2 + (half * half + b * b).sqrt()

        xb, yb = flint.arb(x), flint.arb(y)
        factor = rho(2 * xb, 2 * yb) / rho(xb, yb)
        if cap is not None:
            ok, how = bool(factor > cap), f"factor > {cap}"
        else:
            dor = degree_of_regularity(fam).value
            if dor != int(dor):
                return {"tier": "mpmath", "reason": f"dor {dor} is not an exact integer here",
                        "factor": factor.str(10, radius=True)}
            allowance = 1.0 if slack is None else slack
            floor = allowance * flint.arb(4) ** (int(dor) - 1)
            ok, how = bool(factor < floor), f"factor < {allowance}*4^({int(dor)} - 1)"
        shown = {"factor": factor.str(10, radius=True)}
        if ok:
            return {"tier": "certified", "how": f"arb ball arithmetic at 256 bits: {how}", **shown}
        return {"tier": "mpmath", "reason": f"not decided in arb at 256 bits: {how}", **shown}


ENTRIES: list[Entry] = [
    Entry(
        id="concentration.good-regularity-flat-far-away",
        title="Good regularity: curvature does not grow away from the minimisers",
        statement="For dor ≤ 1, at any p with |xy| ≥ 10, doubling p does not increase the Hessian's "
                  "spectral radius: ρ(∇²f(2p)) ≤ ρ(∇²f(p)).",
        latex=r"\mathrm{dor}(\ell)\le 1,\ |xy|\ge 10 \;\Rightarrow\; \rho(\nabla^2 f(2p)) \le \rho(\nabla^2 f(p))",
        provenance="reconstructed",
        hypotheses=st.tuples(GOOD, far_points()),
        conclusion=_good_check,
        confirm=lambda case: _good_check(case, precise=True),
        mutants=(Mutant("halving", "ρ(∇²f(2p)) ≤ ρ(∇²f(p)) / 2 (true decay only for dor < 1/2)",
                        lambda case: _good_check(case, cap=0.5)),),
        assumptions="softplus-pair (every a in (0, 1]), logcosh, pseudo-huber, huber; |xy| in [10, 1e4]",
        fails_if="a loss of bad regularity: e.g. the square loss (dor 2), whose curvature grows 4-fold",
        rival=Mutant("rival", "For dor = 1 the curvature decays far away too: ρ(∇²f(2p)) ≤ 0.9 ρ(∇²f(p)) for "
                     "logcosh, pseudo-huber and softplus-pair a = 1.", lambda case: _good_check(case, cap=0.9),
                     st.tuples(DOR_ONE, far_points()),
                     confirm=lambda case: _good_check(case, cap=0.9, precise=True),
                     certify=lambda case: growth_certificate(case, cap=0.9)),
    ),
    Entry(
        id="concentration.bad-regularity-sharp-far-away",
        title="Bad regularity: curvature grows away from the minimisers",
        statement="For dor > 1, at any p with |xy| ≥ 10, doubling p multiplies the Hessian's spectral "
                  "radius by at least 0.75 · 4^(dor − 1).",
        latex=r"\mathrm{dor}(\ell) > 1,\ |xy|\ge 10 \;\Rightarrow\; "
              r"\rho(\nabla^2 f(2p)) \ge 0.75\cdot 4^{\mathrm{dor}-1}\,\rho(\nabla^2 f(p))",
        provenance="reconstructed",
        hypotheses=st.tuples(BAD, far_points()),
        conclusion=_bad_check,
        confirm=lambda case: _bad_check(case, precise=True),
        mutants=(Mutant("exponent-dor", "factor at least 0.75 · 4^dor",
                        lambda case: _bad_check(case, extra=1.0)),),
        assumptions="square, quartic, power:b=1,3,5; |xy| in [10, 1e4]",
        fails_if="a loss of good regularity: e.g. logcosh (dor 1), whose curvature does not grow",
        rival=Mutant("rival", "Bad regularity means curvature that grows at least 4^(dor − 1)-fold far away "
                     "(the asymptotic factor, without slack), already at |xy| ≥ 10.",
                     lambda case: _bad_check(case, slack=1.0),
                     confirm=lambda case: _bad_check(case, slack=1.0, precise=True),
                     certify=lambda case: growth_certificate(case, slack=1.0)),
    ),
]

GROUP = Group("concentration", "Sharpness concentration", tuple(ENTRIES), figures=("concentration",))
"""The declared group (the entry point ``concentration = "theorems.concentration:GROUP"``)."""
