"""Counterexamples carry a certificate or the reason they have none, and each verdict its evidence tier.

The arb certificates of the rivals' counterexamples are checked against the mpmath values of the
rival's own check (independent code: mpmath at 60 digits), and each is shown to refuse a case on
which the rival holds."""

from __future__ import annotations

import mpmath
import pytest

from lrbias.claims.evidence_tier import verdict_tier
from lrbias.claims.runner import certificate_of
from lrbias.verdict import Verdict

pytest.importorskip("flint")

exact = pytest.importorskip("theorems.exact")
dynamics = pytest.importorskip("theorems.dynamics")


def _ball_contains(text: str, value: float) -> bool:
    """Whether the arb ball printed as ``text`` ('[m +/- r]' or an exact 'm') contains ``value`` (to 1e-9)."""
    text = text.strip()
    if text.startswith("["):
        mid, rad = text[1:-1].split("+/-")
        return abs(float(mid) - value) <= float(rad) + 1e-9 * (1 + abs(value))
    return abs(float(text) - value) <= 1e-9 * (1 + abs(value))


RIVAL_FORMS = {
    "balancing": lambda x, y, h, g, xn, yn: (abs(xn * xn - yn * yn), abs(x * x - y * y)),
    "product": lambda x, y, h, g, xn, yn: (abs(xn * yn - 1), abs(x * y - 1)),
    "norm": lambda x, y, h, g, xn, yn: (xn * xn + yn * yn, x * x + y * y),
}


@pytest.mark.parametrize("name", sorted(RIVAL_FORMS))
@pytest.mark.parametrize("case", [("power:b=1", (-1.0, -2.0), 1.0), ("softplus-pair:a=0.5", (0.3, 2.5), 3.0),
                                  ("quartic", (1.5, 0.2), 0.7), ("square", (2.0, 0.5), 0.01)])
def test_step_rival_certificate_agrees_with_mpmath(name, case):
    form = RIVAL_FORMS[name]
    check = exact._inequality(case, form)
    cert = exact._inequality_certificate(case, form)
    assert _ball_contains(cert["lhs"], check.detail["lhs"]) and _ball_contains(cert["rhs"], check.detail["rhs"])
    # certified exactly when the rival fails (with room: none of these cases is a tie)
    assert (cert["tier"] == "certified") == (check.verdict == Verdict.FAIL)
    if cert["tier"] != "certified":
        assert "not decided" in cert["reason"]


def test_stability_certificate_agrees_with_the_mpmath_jacobian():
    seen = set()
    for t in (-2.0, -1.0, 0.7, 1.3, 3.0):
        for kappa in (0.5, 1.5, 2.5, 3.9):
            case = ("softplus-pair:a=0.5", t, kappa)
            check = dynamics.stability_criterion(case, balanced=True)
            cert = dynamics.stability_certificate(case, balanced=True)
            assert _ball_contains(cert["transverse_multiplier"], check.detail["transverse_multiplier"])
            assert (cert["tier"] == "certified") == (check.verdict == Verdict.FAIL)
            seen.add(cert["tier"])
    assert seen == {"certified", "mpmath"}   # both branches are exercised


def test_axis_and_near_minimiser_certificates():
    cert = exact._axis_certificate(("square", 2.0, 0.5, 1))   # x⁺ = −h ℓ′(0) y = 0.5·1·2 = 1
    assert cert["tier"] == "certified" and _ball_contains(cert["x_after"], 1.0)
    with mpmath.workdps(50):   # det = −ℓ′(s)(2ℓ″(s)s + ℓ′(s)) at (t, s/t) for the square loss
        s = mpmath.mpf(0.96875)
        det = -(s - 1) * (2 * s + (s - 1))
    cert = exact._minimiser_certificate(("square", -1.0, 0.96875))
    assert cert["tier"] == "certified" and _ball_contains(cert["det"], float(det))
    assert exact._minimiser_certificate(("square", 1.5))["tier"] == "mpmath"   # a true minimiser: det = 0


def test_certificate_of_states_a_reason_whenever_there_is_no_proof():
    assert certificate_of((1,), True, None, "float64 batch")["reason"].startswith("a population statistic")
    assert certificate_of((1,), None, None)["tier"] == "float64"
    assert certificate_of((1,), True, lambda c: {"tier": "certified", "how": "x"})["tier"] == "certified"
    weak = certificate_of((1,), True, lambda c: {"tier": "whatever", "reason": "undecided"})
    assert weak == {"tier": "mpmath", "reason": "undecided"}

    def boom(case):
        raise ValueError("no")

    assert "certification failed: ValueError" in certificate_of((1,), False, boom)["reason"]


def test_verdict_tier_is_the_strongest_tier_of_the_deciding_runs():
    proven = {"tier": "certified", "how": "arb"}
    assert verdict_tier({"verdict": "fail", "counterexample": {"confirmed": True, "certificate": proven}})["name"] \
        == "certified"
    weak = {"tier": "mpmath", "reason": "a population statistic"}
    fail = verdict_tier({"verdict": "fail", "counterexample": {"confirmed": True, "certificate": weak}})
    assert fail["name"] == "mpmath" and "population" in fail["how"]
    assert verdict_tier({"verdict": "fail", "counterexample": {"confirmed": False}})["name"] == "float64"
    ident = verdict_tier({"verdict": "pass", "provenance": "exact", "examples": 30, "engine": "static"})
    assert ident["name"] == "mpmath" and "not a symbolic proof" in ident["how"]
    assert verdict_tier({"verdict": "pass", "provenance": "paper", "coverage": ["quad 3/3"]})["name"] == "quad"
    assert verdict_tier({"verdict": "inconclusive"})["name"] == "float64"


def test_overview_reads_the_recorded_tier_and_how():
    from lrbias.report.overview import evidence_tier

    assert evidence_tier({"tier": {"name": "certified", "how": "the counterexample is proven"}}) == \
        ("certified", "the counterexample is proven")


def test_growth_rival_certificates_agree_with_mpmath():
    conc = pytest.importorskip("theorems.concentration")
    for case, kw in [(("logcosh", (4.4816890703380645, 4.4816890703380645)), {"cap": 0.9}),
                     (("pseudo-huber", (3.0, -7.0)), {"cap": 0.9}),
                     (("square", (4.4816890703380645, -4.4816890703380645)), {"slack": 1.0}),
                     (("quartic", (20.0, 1.5)), {"slack": 1.0})]:
        cert = conc.growth_certificate(case, **kw)
        factor = conc.growth_factor(case[0], case[1], precise=True)   # mpmath, 50 digits
        assert _ball_contains(cert["factor"], factor)
        check = conc._good_check(case, cap=kw["cap"], precise=True) if "cap" in kw else \
            conc._bad_check(case, slack=kw["slack"], precise=True)
        assert (cert["tier"] == "certified") == (check.verdict == Verdict.FAIL), (case, cert, check)
    # a case where the rival holds is refused: logcosh's factor is about 1, not above 1.1
    assert conc.growth_certificate(("logcosh", (4.4816890703380645, 4.4816890703380645)), cap=1.1)["tier"] == "mpmath"


def test_final_gap_rival_certificate_agrees_with_an_mpmath_run():
    from lrbias.claims.statistical import final_gap_certificate
    from lrbias.losses.families import get_family

    cert = final_gap_certificate("box")(("softplus-pair:a=1", 1.0, 0, 100))
    assert cert["tier"] == "certified", cert
    run = cert["run"]
    fam = get_family("softplus-pair:a=1")
    with mpmath.workdps(40):   # the deciding run in mpmath until |s - 1| < 1e-20
        x, y, h = mpmath.mpf(run["x0"]), mpmath.mpf(run["y0"]), mpmath.mpf(run["h"])
        for _ in range(20_000):
            if abs(x * y - 1) < mpmath.mpf(10) ** -20:
                break
            g = h * fam.mp.d1(x * y)
            x, y = x - g * y, y - g * x
        final = float((x - y) ** 2)
    assert _ball_contains(run["final_gap2"], final)
    assert final > (run["x0"] - run["y0"]) ** 2


def test_max_rise_upper_bound_and_catapult_rival_certificate_agree_with_mpmath():
    from lrbias.gd.certificate import certify
    from lrbias.losses.families import get_family

    def mp_max_rise(spec, x0, y0, h, steps=3000):
        fam = get_family(spec)
        with mpmath.workdps(40):
            x, y, hm = mpmath.mpf(x0), mpmath.mpf(y0), mpmath.mpf(h)
            l1 = fam.mp.loss(mpmath.mpf(1))
            f0, best = fam.mp.loss(x * y) - l1, mpmath.mpf(1)
            for _ in range(steps):
                g = hm * fam.mp.d1(x * y)
                x, y = x - g * y, y - g * x
                best = max(best, (fam.mp.loss(x * y) - l1) / f0)
        return float(best)

    for spec, x0, y0, h in [("square", 0.5, 6.0, 3 / 36.25), ("softplus-pair:a=0.5", 0.3, 5.0, 0.2)]:
        cert = certify(spec, x0, y0, h)
        exact_rise = mp_max_rise(spec, x0, y0, h)
        assert exact_rise <= cert.max_rise_upper <= exact_rise * (1 + 1e-6)
    dyn = dynamics.rise_certificate(("softplus-pair:a=1", 1.2, 0, 100), rise=10.0)
    assert dyn["tier"] == "certified"
    run = dyn["run"]
    assert mp_max_rise("softplus-pair:a=1", run["x0"], run["y0"], run["h"]) <= run["max_rise_upper"] < 10


def test_share_converged_rival_certificate_counts_proven_divergent_runs():
    from lrbias.claims.statistical import _case_sweep, share_converged_certificate
    from lrbias.claims.sweeps import converged

    case = ("quartic", 2.0, 0, 100)
    cert = share_converged_certificate(0.9)("box")(case)
    assert cert["tier"] == "certified" and cert["proven"] == 11   # the least count > 100·(1 − 0.9)
    float_share = float(converged(_case_sweep(case, "box")).mean())
    assert float_share <= (cert["n"] - cert["proven"]) / cert["n"] < 0.9
    # at a threshold the sample meets (the rival holds there), no certificate can be issued
    weak = share_converged_certificate(float_share)("box")(case)
    assert weak["tier"] == "float64" and "needed" in weak["reason"]


def test_population_rival_certificates_bound_the_statistic_over_unproven_runs():
    from lrbias.claims.statistical import (
        _case_sweep,
        imbalance_shrinks_certificate,
        median_ratio_certificate,
    )
    from lrbias.claims.statistics import imbalance_shrinks, median_ratio_at_least

    case = ("square", 2.0, 0, 100)
    cert = median_ratio_certificate(0.7)("box")(case)
    assert cert["tier"] == "certified"
    float_median = median_ratio_at_least(0.7)(_case_sweep(case, "box"))[0].detail["median_ratio"]
    bound = float(cert["how"].split("<= ")[1].split(" <")[0])
    assert float_median <= bound * (1 + 1e-9) and bound < 0.7
    assert median_ratio_certificate(bound / 2)("box")(case)["tier"] == "float64"   # the bound binds
    case = ("softplus-pair:a=1", 1.0, 0, 100)
    cert = imbalance_shrinks_certificate(0.99, fraction=0.5)("box")(case)
    assert cert["tier"] == "certified"
    share = imbalance_shrinks(0.99, fraction=0.5)(_case_sweep(case, "box"))[0].detail["share_shrunk"]
    bound = float(cert["how"].split("at most ")[1].split(" <")[0])
    assert share <= bound + 1e-9
    assert imbalance_shrinks_certificate(bound / 2, fraction=0.5)("box")(case)["tier"] == "float64"


def test_beyond_threshold_rival_certificate_agrees_with_an_mpmath_run():
    from lrbias.losses.families import get_family

    cert = dynamics.beyond_threshold_certificate("box")(("softplus-pair:a=1", 2.0, 0, 60))
    assert cert["tier"] == "certified", cert
    run = cert["run"]
    fam = get_family("softplus-pair:a=1")
    with mpmath.workdps(40):
        x, y, h = mpmath.mpf(run["x0"]), mpmath.mpf(run["y0"]), mpmath.mpf(run["h"])
        for _ in range(3000):
            g = h * fam.mp.d1(x * y)
            x, y = x - g * y, y - g * x
        assert abs(x * y - 1) < 1e-8
