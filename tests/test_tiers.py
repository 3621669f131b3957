"""Tiered confirmation: float64 → quad (batched) → mpmath, and what each tier catches."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from lrbias.gd import Settings, run_batch, run_mp, tiers
from lrbias.gd.step_loop import quad_backend
from lrbias.losses.families import get_family

LOGCOSH = get_family("logcosh")
ST = Settings(max_steps=5000)
# One float64 ulp off y = −x: float64 rounds onto the line and stalls at the saddle; binary128
# keeps the offset, which grows until the run converges (as mpmath at 50 digits does).
FLOAT_WRONG = (1.0, -(1.0 - 2.0**-53), 0.2)
# 1e-35 off y = −x, below binary128's resolution (2^-112 ≈ 1.9e-34): quad rounds onto the line
# too; with tol = 1e-30 the offset has room to grow before the run would stall, so mpmath converges.
ST_FINE = Settings(max_steps=5000, tol=1e-30)


def _quad_wrong_start():
    with mpmath.workdps(200):
        return mpmath.mpf(1), -(1 - mpmath.mpf("1e-35")), mpmath.mpf("0.2")


def _no_mpmath(*args, **kwargs):
    raise AssertionError("the mpmath tier was called")


def _float_records(x0, y0, h, st):
    return run_batch(LOGCOSH, [float(v) for v in x0], [float(v) for v in y0], h=[float(v) for v in h],
                     settings=st).records()


def test_float64_wrong_quad_right_is_caught_by_quad_without_mpmath(monkeypatch):
    x0, y0, h = FLOAT_WRONG
    fast = _float_records([2.0, x0], [0.3, y0], [0.1, h], ST)
    assert fast[1].outcome == "undecided" and "saddle" in fast[1].reason
    monkeypatch.setattr(tiers, "run_auto", _no_mpmath)
    cov, res = tiers.confirm(LOGCOSH, [2.0, x0], [0.3, y0], [0.1, h], fast, ST, budget_s=None, escalation_limit=0)
    assert cov.confirmed_quad == 1 and res[0].tier == "quad"
    assert cov.disagreed == 1 and cov.escalated == 0
    assert res[1].quad is not None and res[1].quad.outcome == "converged" and res[1].quad.precision == "quad"
    assert run_mp(LOGCOSH, x0, y0, h, 50, ST).outcome == "converged"   # quad was right


def test_the_disagreement_escalates_and_two_precisions_confirm_the_flip():
    x0, y0, h = FLOAT_WRONG
    fast = _float_records([x0], [y0], [h], ST)
    cov, res = tiers.confirm(LOGCOSH, [x0], [y0], [h], fast, ST, budget_s=None)
    assert cov.coverage == 1.0 and cov.escalated == 1 and cov.confirmed_mpmath == 1 and cov.quad_wrong == 0
    assert res[0].tier == "mpmath" and res[0].final is res[0].precise
    flip = cov.flips[0]
    assert flip["verdicts"]["float64"]["outcome"] == "undecided"
    assert flip["verdicts"]["quad"]["outcome"] == flip["verdicts"]["mpmath"]["outcome"] == "converged"
    assert flip["replay"].startswith("lrbias run --loss logcosh --x0 1.0") and "--precision auto" in flip["replay"]


def test_quad_wrong_start_is_escalated_to_mpmath():
    x0, y0, h = _quad_wrong_start()
    quad = tiers.run_quad(LOGCOSH, [x0], [y0], [h], ST_FINE)[0]
    assert quad.outcome == "undecided" and "saddle" in quad.reason          # quad alone is wrong
    fast = _float_records([x0], [y0], [h], ST_FINE)
    assert fast[0].outcome == "undecided"                                     # and agrees with float64
    cov, res = tiers.confirm(LOGCOSH, [x0], [y0], [h], fast, ST_FINE, budget_s=None)
    assert cov.unresolved_by_quad == 1 and cov.escalated == 1 and cov.confirmed_quad == 0
    assert res[0].tier == "mpmath" and res[0].precise is not None and res[0].precise.outcome == "converged"
    assert [f["precise"] for f in cov.flips] == ["converged"]


def test_without_the_resolution_rule_quad_would_confirm_the_wrong_verdict(monkeypatch):
    """Mutant: no start is too close to a line for quad; float64 and quad agree on the wrong
    verdict and the flip goes unseen, so the test above fails."""
    monkeypatch.setattr(tiers, "LINE_RESOLUTION", 0)
    x0, y0, h = _quad_wrong_start()
    fast = _float_records([x0], [y0], [h], ST_FINE)
    cov, res = tiers.confirm(LOGCOSH, [x0], [y0], [h], fast, ST_FINE, budget_s=None)
    assert cov.confirmed_quad == 1 and not cov.flips and res[0].final is not None
    assert res[0].final.outcome == "undecided"


def test_a_benign_batch_is_confirmed_by_quad_and_a_zero_budget_confirms_nothing():
    fam = get_family("softplus-pair")
    rng = np.random.default_rng(3)
    x0, y0 = rng.uniform(0.5, 2, 40), rng.uniform(0.5, 2, 40)
    batch = run_batch(fam, x0, y0, C=1.0, settings=Settings(max_steps=3000))
    fast = batch.records()
    args = ([float(v) for v in x0], [float(v) for v in y0], [float(v) for v in batch.h], fast, batch.settings)
    cov, res = tiers.confirm(fam, *args, budget_s=None)
    assert cov.coverage == 1.0 and cov.confirmed_quad == 40 and not cov.flips
    assert all(r.final is not None and r.final.precision == "quad" for r in res)
    none, _ = tiers.confirm(fam, *args, budget_s=0.0)
    assert none.coverage == 0.0 and none.skipped == 40 and none.confirmed == 0


def test_tolerances_scale_with_the_number_types_epsilon():
    eps_q = quad_backend().eps
    assert eps_q == pytest.approx(2.0**-112)
    assert tiers.point_rtol(2.0**-52) == pytest.approx(2.0**-20)
    assert tiers.point_rtol(eps_q) == tiers.RECORD_RTOL < tiers.point_rtol(2.0**-52)
    assert tiers.below_quad_resolution(1.0, "-0.99999999999999999999999999999999999")
    assert not tiers.below_quad_resolution(1.0, -1.0) and not tiers.below_quad_resolution(*FLOAT_WRONG[:2])


@pytest.mark.parametrize("spec", ["square", "softplus-pair", "softplus-pair:a=0.5", "pseudo-huber", "logcosh",
                                  "huber", "quartic", "power:b=3", "expr:(s-1)**2/2 + erf(s-1)**2"])
def test_every_family_evaluates_in_quad(spec):
    """ℓ, ℓ′, ℓ″ in binary128 agree with mpmath at 50 digits to ~1e-32 (relative), natively or,
    for a function quad has no loop for (erf), through the mpmath fallback."""
    from lrbias.losses.backends import quad_dtype, quad_to_mpf

    fam = get_family(spec)
    xs = np.array([-2.5, 0.3, 0.75, 1.7, 4.0])
    for k, fn in enumerate((fam.quad.loss, fam.quad.d1, fam.quad.d2)):
        out = fn(xs.astype(quad_dtype()))
        assert out.dtype == quad_dtype()
        with mpmath.workdps(50):
            ref = [(fam.mp.loss, fam.mp.d1, fam.mp.d2)[k](mpmath.mpf(float(v))) for v in xs]
            err = max(abs(a - b) / (abs(b) + mpmath.mpf(10) ** -40) for a, b in zip(quad_to_mpf(out), ref, strict=True))
        assert err < 1e-31, (spec, k, float(err))
    assert fam.quad.d1.quad_native == ("erf" not in spec)


def test_a_quad_evaluator_with_a_float64_constant_is_caught(monkeypatch):
    """Mutant: constants printed as float64 literals (no quad folding) lose ~18 digits; the
    family test above would fail."""
    from lrbias.losses.backends import quad as backends
    from lrbias.losses.families import Family

    fam = get_family("softplus-pair:a=0.5")
    monkeypatch.setattr(backends, "QUAD_DIGITS", 16)
    fresh = Family(fam.spec, fam.kind, fam.params, fam.expr, fam.display_expr, fam.smoothness)
    xs = np.array([0.3, 1.7]).astype(backends.quad_dtype())
    with mpmath.workdps(50):
        ref = [fam.mp.d1(mpmath.mpf(v)) for v in (0.3, 1.7)]
        err = max(abs(a - b) / abs(b) for a, b in zip(backends.quad_to_mpf(fresh.quad.d1(xs)), ref, strict=True))
    assert err > 1e-20


def test_catalogue_confirmation_goes_through_the_tiers_and_reports_coverage():
    """A batch claim's confirmation (counterexamples and near-boundary passes) runs the tiers and
    says what they covered; run_entry keeps that line per entry."""
    from lrbias.claims import runner, sweeps
    from lrbias.claims import statistical as claims_batch
    from lrbias.verdict import Check, Verdict

    def statistic(b):
        share = float(np.mean(b.outcome == 0))
        return Check(Verdict.PASS, share, {"converged": share}), np.flatnonzero(b.outcome == 0)[:3]

    case = ("logcosh", 2.0, 0, 30)
    check = claims_batch.confirm(statistic)(case)
    assert check.detail["confirmation"].startswith("coverage 100% of ")
    precise = sweeps.precise_batch(sweeps.sweep(*case), np.array([0, 1, 2]))
    cov = precise.meta["confirmation"]
    assert cov["suspects"] >= 3 and cov["confirmed_by_quad"] + cov["confirmed_by_mpmath"] == cov["suspects"]
    seen: list[str] = []
    recorded = runner._recording(claims_batch.confirm(statistic), seen)
    assert recorded is not None
    recorded(case)
    assert seen == [check.detail["confirmation"]]


def test_quad_rise_ratio_matches_mpmath_where_the_start_excess_is_at_float64_rounding():
    """softplus-pair's ℓ(1) is not a float64 number: 1e-7 off a minimiser the start's excess loss
    (~5e-16) sits at float64's rounding of ℓ(1), so float64's rise ratio is far off; the quad tier
    takes ℓ(1) in binary128 too (a float64 ℓ(1) had capped it at float64 accuracy: 45% off here)."""
    fam = get_family("softplus-pair:a=1/16")
    t = 1.3
    x0, y0 = [t * (1 + 1e-7)], [1 / t]
    h = [2.1 / (fam.curvature * (t * t + 1 / t**2))]
    exact = run_mp(fam, x0[0], y0[0], h[0], 60, ST).fmax_ratio
    quad = run_batch(fam, x0, y0, h=h, settings=ST, backend="quad").fmax_ratio[0]
    binary64 = run_batch(fam, x0, y0, h=h, settings=ST).fmax_ratio[0]
    assert abs(quad / exact - 1) < 1e-6
    assert abs(binary64 / exact - 1) > 0.1
