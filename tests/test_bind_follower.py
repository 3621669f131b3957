"""Binding tests of lrbias/gd/certificate/follower.py (issue 27): :func:`certify` pinned whole for each outcome
(converged, periodic, diverged, and every reason it gives for not certifying), the schedule of tail and periodic
attempts (the first 32 tail tries at every step, then every 8; the periodic proof at multiples of 64), the
precision doubling at its bound, the argument checks at each boundary, the ball state (its exact step, its sign
flips, the undecided sign, the mean-value radii), the catapult record, the too-wide test and the periodic try at
each of its refusals.

Every pinned figure was produced by this code; the soundness-relevant ones are then checked against an
independent 50-digit mpmath run of the same GD map (the limit lies in each enclosure, the rise bounds bracket the
true rise, the escape holds along the run, the cycle box holds the true 2-cycle), so a pin is not a snapshot only.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import types

import mpmath
import pytest

flint = pytest.importorskip("flint")
arb = flint.arb

from lrbias.errors import InvalidArgument  # noqa: E402
from lrbias.gd.certificate import follower  # noqa: E402
from lrbias.gd.certificate.escape import Escape  # noqa: E402
from lrbias.gd.certificate.follower import State, _follow, _Rise, _too_wide, certify, try_periodic  # noqa: E402
from lrbias.gd.certificate.intervals import Enclosure, lower, upper  # noqa: E402
from lrbias.gd.certificate.records import NOT_CERTIFIED, Certificate, Cycle, Tail  # noqa: E402
from lrbias.gd.certificate.tail import SOUND, Soundness  # noqa: E402
from lrbias.losses.families import get_family  # noqa: E402

SQUARE, LOGCOSH = get_family("square"), get_family("logcosh")
CYCLE_START = (1.0490339373411115, 1.0490339373660473, 3.3 / 3.25)   # a float run's 2-cycle of logcosh (kappa 3.3)
NEAR = (1.0, 1.0 + 2.0**-20, 0.5)                                      # s0 = 1 + 2^-20: a tail proof at step 0


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """follower's clock ticks 0.25 s per reading: every certificate's ``seconds`` is 0.25 exactly."""
    ticks = itertools.count(step=0.25)
    monkeypatch.setattr(follower, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))


@pytest.fixture(autouse=True)
def precision():
    """The arb precision of the tests that build balls themselves: 128 bits (certify's first), restored after."""
    old = flint.ctx.prec
    flint.ctx.prec = 128
    yield
    flint.ctx.prec = old


def _spy(monkeypatch, name):
    """Record the calls of follower.<name> (the real function still runs); returns the list of argument tuples."""
    calls = []
    real = getattr(follower, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(follower, name, spy)
    return calls


# ---- independent 50-digit runs --------------------------------------------------------------------------------

def _d1(spec):
    """ℓ′ written out here (not the library's): square ½(s − 1)², logcosh log cosh(s − 1), power:b=3 (s³ − 1)²."""
    return {"square": lambda s: s - 1, "logcosh": lambda s: mpmath.tanh(s - 1),
            "power:b=3": lambda s: 6 * s**5 - 6 * s**2}[spec]


def _mp_run(spec, x0, y0, h, steps):
    """[(x_t, y_t)] for t = 0..steps at 50 digits."""
    d1 = _d1(spec)
    with mpmath.workdps(50):
        x, y, h = mpmath.mpf(x0), mpmath.mpf(y0), mpmath.mpf(h)
        out = [(x, y)]
        for _ in range(steps):
            g = h * d1(x * y)
            x, y = x - g * y, y - g * x
            out.append((x, y))
    return out


def _mp_limit(spec, x0, y0, h):
    """The 50-digit run up to the first step with |s − 1| < 1e-40 (its last point stands for the limit)."""
    points = _mp_run(spec, x0, y0, h, 3000)
    k = next(i for i, (x, y) in enumerate(points) if abs(x * y - 1) < mpmath.mpf("1e-40"))
    return points[:k + 1]


def _rises(points):
    """(ℓ(s_t) − ℓ(1)) / (ℓ(s_0) − ℓ(1)) of the square loss along the points."""
    f = [(x * y - 1) ** 2 / 2 for x, y in points]
    return [v / f[0] for v in f]


def _inside(enc, value):
    return mpmath.mpf(enc.lo) <= value <= mpmath.mpf(enc.hi)


# ---- the arguments ---------------------------------------------------------------------------------------------

def test_constants():
    assert (follower.TAIL_EVERY_STEP_TRIES, follower.TAIL_STRIDE, follower.PERIODIC_STRIDE) == (32, 8, 64)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_bits": 127}, "max bits 127 is invalid; accepted: an integer in 128..1000000"),
    ({"max_bits": 1_000_001}, "max bits 1000001 is invalid; accepted: an integer in 128..1000000"),
    ({"max_bits": 256.0}, "max bits 256.0 is invalid; accepted: an integer in 128..1000000"),
    ({"max_steps": 0}, "max steps 0 is invalid; accepted: an integer >= 1"),
    ({"max_steps": 5.0}, "max steps 5.0 is invalid; accepted: an integer >= 1"),
    ({"width": 0.0}, "width 0.0 is invalid; accepted: 0 < width < 1"),
    ({"width": 1.0}, "width 1.0 is invalid; accepted: 0 < width < 1"),
])
def test_invalid_arguments_are_refused_at_each_boundary(kwargs, message):
    with pytest.raises(InvalidArgument) as exc:
        certify("square", *NEAR, **{"max_steps": 20, **kwargs})
    assert str(exc.value) == message


def test_the_start_is_checked():
    with pytest.raises(InvalidArgument) as exc:
        certify("square", math.nan, 1.0, 0.5)
    assert str(exc.value) == "x0 = nan is not finite; accepted: a finite real number"


@pytest.mark.parametrize(("kwargs", "step"), [({"max_bits": 128}, 8), ({"max_bits": 1_000_000}, 8),
                                              ({"max_steps": 1}, 0), ({"width": 5e-324}, 16),
                                              ({"width": 0.9999999999999999}, 0)])
def test_the_boundary_values_are_accepted(kwargs, step):
    cert = certify("square", *NEAR, **{"max_steps": 20, **kwargs})
    assert (cert.outcome, cert.bits, cert.step) == ("certified converged", 128, step)


def test_a_family_or_its_spec_give_the_same_certificate():
    assert certify(SQUARE, *NEAR) == certify("square", *NEAR) == NEAR_CERT


def test_a_family_of_unknown_smoothness_is_refused_whole():
    spec = "expr:abs(s-1)**3+(s-1)**2"
    assert certify(spec, 0.5, 3.0, 0.05) == Certificate(
        NOT_CERTIFIED, spec, 0.5, 3.0, 0.05,
        f"the smoothness of {spec} is unknown: the tail argument needs l' absolutely continuous (C1 with a piecewise "
        "l'')", 0, 0.0, 0)


def test_a_c1_family_is_certified():
    """huber is C1 (ℓ″ jumps at |s − 1| = δ): accepted.  (0.5, 2) sits on xy = 1 with hS = 0.425: proven at step 0."""
    assert certify("huber", 0.5, 2.0, 0.1) == Certificate(
        "certified converged", "huber:delta=1", 0.5, 2.0, 0.1, "", 128, 0.25, 0, 0,
        Enclosure(0.2125, 0.21250000000000002, "[0.21250000000000001179611963664228824200 +/- 1.09e-39]"),
        Enclosure(4.25, 4.25, "4.2500000000000000000000000000000000000"),
        Enclosure(-3.75, -3.75, "-3.7500000000000000000000000000000000000"),
        Enclosure(0.5, 0.5, "0.50000000000000000000000000000000000000"),
        Enclosure(2.0, 2.0, "2.0000000000000000000000000000000000000"),
        Tail(step=0, eps=9.332636202415578e-302, q_centre=4.25, delta=3.6862873929130636e-18, rho=0.5750000000000001,
             K=0.4000000000000001, e=0.0, curvature_bound=1.0))


# ---- converged -------------------------------------------------------------------------------------------------

CONVERGED = Certificate(
    outcome="certified converged", spec="square", x0=0.5, y0=6.0, h=0.08275862068965517, reason="", bits=128,
    seconds=0.25, steps_followed=85, step=85,
    ratio=Enclosure(lo=0.1410799932945276, hi=0.14107999329461732, ball="[0.1410799932946 +/- 7.24e-14]"),
    sharpness=Enclosure(lo=3.4094331712844173, hi=3.4094331712865853, ball="[3.40943317129 +/- 5.59e-12]"),
    imbalance=Enclosure(lo=-2.761201649545814, hi=-2.7612016495458134,
                        ball="[-2.7612016495458134151493328 +/- 1.68e-26]"),
    x=Enclosure(lo=0.5693116553077711, hi=0.5693116553087717, ball="[0.569311655308 +/- 7.72e-13]"),
    y=Enclosure(lo=1.7565071620730441, hi=1.756507162074045, ball="[1.75650716207 +/- 4.05e-12]"),
    tail=Tail(step=85, eps=9.237762278350515e-13, q_centre=3.4094331712855013, delta=2.1678549018031793e-12,
              rho=0.7178400134110409, K=0.3310344827589481, e=9.237762278315285e-13, curvature_bound=1.0),
    catapult={"step": 1, "rise_lower": 29.461203277631206}, max_rise_upper=29.46120327763121)


def test_a_converged_run_whole_and_against_mpmath():
    """The issue's example (0.5, 6) at C = 3: a catapult at step 1, proven converged at step 85."""
    x0, y0, h = 0.5, 6.0, 3.0 / 36.25
    cert = certify("square", x0, y0, h)
    assert cert == CONVERGED
    assert sorted(cert.balls) == ["imbalance", "q", "ratio", "sharpness", "x", "y"]
    points = _mp_limit("square", x0, y0, h)
    with mpmath.workdps(50):
        x, y = points[-1]
        q = x * x + y * y
        for name, value in (("ratio", q * mpmath.mpf(h) / 2), ("sharpness", q), ("imbalance", x * x - y * y),
                            ("x", x), ("y", y)):
            assert _inside(getattr(cert, name), value), name
        assert lower(cert.balls["q"]) <= q <= upper(cert.balls["q"])
        xt, yt = points[85]
        assert abs(xt * yt - 1) <= cert.tail.e
        rises = _rises(points)
        assert next(t for t in range(1, 86) if rises[t] > 1) == 1                 # the catapult's step
        watched = max(rises[1:86])                                                  # the steps it watched
        assert watched * (1 - mpmath.mpf("1e-14")) <= cert.catapult["rise_lower"] <= watched
        assert max(rises) <= cert.max_rise_upper <= max(rises) * (1 + mpmath.mpf("1e-14"))


SOFTPLUS = Certificate(
    outcome="certified converged", spec="softplus-pair:a=1", x0=0.5, y0=6.0, h=0.16551724137931034, reason="",
    bits=128, seconds=0.25, steps_followed=682, step=682,
    ratio=Enclosure(lo=0.9794262848273732, hi=0.979426284828099, ball="[0.979426284828 +/- 6.27e-13]"),
    sharpness=Enclosure(lo=11.834734274997425, hi=11.834734275006197, ball="[11.83473427500 +/- 6.20e-12]"),
    imbalance=Enclosure(lo=-23.58482014855322, hi=-23.584820148553217,
                        ball="[-23.58482014855321876598249 +/- 6.12e-24]"),
    x=Enclosure(lo=0.20572846356499422, hi=0.20572846358632702, ball="[0.2057284636 +/- 3.51e-11]"),
    y=Enclosure(lo=4.860776105641436, hi=4.86077610566277, ball="[4.8607761057 +/- 5.86e-11]"),
    tail=Tail(step=682, eps=1.090064975404429e-12, q_centre=23.66946855000362, delta=1.75415544448939e-11,
              rho=0.9588525696590666, K=0.33103448275951913, e=1.090064974589556e-12,
              curvature_bound=0.5000000000005451),
    catapult={"step": 1, "rise_lower": 1.487030566589187}, max_rise_upper=1.4870305665891872)


def test_a_converged_run_of_a_loss_not_zero_at_its_minimum():
    """softplus-pair (a = 1): ℓ(s) = 2 log cosh((s − 1)/2) + 2 log 2, so ℓ(1) = 2 log 2 ≠ 0 (the rise is measured from
    it) and ℓ″(1) = 1/2 while ℓ″ varies (the sharpness takes ℓ″ at 1, nowhere else)."""
    x0, y0, h = 0.5, 6.0, 3.0 / (0.5 * 36.25)
    assert certify("softplus-pair", x0, y0, h) == SOFTPLUS
    d1 = lambda s: mpmath.tanh((s - 1) / 2)  # noqa: E731
    with mpmath.workdps(50):
        x, y, hm = mpmath.mpf(x0), mpmath.mpf(y0), mpmath.mpf(h)
        f = []
        for _ in range(4000):
            f.append(2 * mpmath.log(mpmath.cosh((x * y - 1) / 2)))
            g = hm * d1(x * y)
            x, y = x - g * y, y - g * x
        assert abs(x * y - 1) < mpmath.mpf("1e-40")
        q = x * x + y * y
        for name, value in (("ratio", q * hm / 4), ("sharpness", q / 2), ("imbalance", x * x - y * y), ("x", x),
                            ("y", y)):
            assert _inside(getattr(SOFTPLUS, name), value), name
        assert next(t for t in range(1, 683) if f[t] > f[0]) == 1
        watched = max(f[1:683]) / f[0]
        assert watched * (1 - mpmath.mpf("1e-14")) <= SOFTPLUS.catapult["rise_lower"] <= watched
        assert max(f) / f[0] <= SOFTPLUS.max_rise_upper <= max(f) / f[0] * (1 + mpmath.mpf("1e-14"))


NEAR_CERT = Certificate(
    outcome="certified converged", spec="square", x0=1.0, y0=1.0000009536743164, h=0.5, reason="", bits=128,
    seconds=0.25, steps_followed=8, step=8,
    ratio=Enclosure(lo=0.5000000000002274, hi=0.5000000000002275,
                    ball="[0.5000000000002273738922835631588058621 +/- 8.60e-38]"),
    sharpness=Enclosure(lo=2.0000000000009095, hi=2.00000000000091,
                        ball="[2.000000000000909495569134252635223449 +/- 5.86e-37]"),
    imbalance=Enclosure(lo=-1.907349542306768e-06, hi=-1.9073495423067677e-06,
                        ball="[-1.907349542306768091852448338259826153e-6 +/- 2.30e-43]"),
    x=Enclosure(lo=0.9999995231627281, hi=0.9999995231627282,
                ball="[0.9999995231627281103083289981773935826 +/- 6.92e-38]"),
    y=Enclosure(lo=1.000000476837499, hi=1.0000004768374993,
                ball="[1.0000004768374992635839545520566905565 +/- 8.50e-38]"),
    tail=Tail(step=8, eps=1.1054327685968174e-75, q_centre=2.0000000000009095, delta=3.4694461247730016e-18,
              rho=4.547490856095314e-13, K=2.0000000000000004, e=1.1054327665377944e-75, curvature_bound=1.0),
    max_rise_upper=1.0000000167638063)


def test_a_run_proven_at_step_0_narrowed_every_8_steps(monkeypatch):
    """The first proof (step 0) is too wide for 1e-12; the next try is 8 steps on, where it is narrow.  The largest
    rise is bounded with the box of the *first* proof (ℓ(1 ± ε₀) = ℓ(s_0) within rounding: just above 1)."""
    tails = _spy(monkeypatch, "tail_certificate")
    assert certify("square", *NEAR) == NEAR_CERT
    assert [c[4] for c in tails] == [0, 8]
    points = _mp_limit("square", *NEAR)
    assert max(_rises(points)) == 1                         # the run only descends: the true largest rise is 1
    assert 1 < NEAR_CERT.max_rise_upper < 1 + 2e-8
    with mpmath.workdps(50):
        x, y = points[-1]
        assert _inside(NEAR_CERT.x, x) and _inside(NEAR_CERT.y, y) and _inside(NEAR_CERT.imbalance, x * x - y * y)


def test_the_budget_ends_a_converged_run_with_its_last_proof():
    """A width no enclosure reaches: the proof of step 16 (0, 8, 16 within 20 steps) is returned."""
    cert = certify("square", *NEAR, width=1e-40, max_steps=20)
    assert (cert.outcome, cert.step, cert.steps_followed, cert.tail.step, cert.reason) == (
        "certified converged", 16, 16, 16, "")
    assert cert.max_rise_upper == NEAR_CERT.max_rise_upper               # still the first proof's box


def test_the_width_test_at_its_boundary():
    """width × |mid| equal to the step-0 ratio enclosure's width (exactly, in floats) stops there; one float less
    does not."""
    ratio = certify("square", *NEAR, width=0.99).balls["ratio"]
    diff, mid = upper(ratio) - lower(ratio), abs(float(ratio.mid()))
    width = diff / mid
    assert width * mid == diff and math.nextafter(width, 0) * mid < diff
    assert certify("square", *NEAR, width=width).step == 0
    assert certify("square", *NEAR, width=math.nextafter(width, 0)).step == 8


def test_the_soundness_setting_reaches_the_tail_proof():
    unsound = certify("square", *NEAR, soundness=Soundness(rho_at_point=True))
    assert unsound == dataclasses.replace(NEAR_CERT, tail=dataclasses.replace(NEAR_CERT.tail,
                                                                              rho=4.547477845671263e-13))


EDGE = (0.7, 1.5, 1.999 / 2.74)   # hS0 = 1.999: near the edge of stability, the tail proof fails for 71 steps


def test_the_tail_schedule_near_the_edge_of_stability(monkeypatch):
    """Tries at steps 0..31 (32 tries at every step), then every 8 (39, ..., 63) until the first proof (71); then
    every 8 until the ratio is 1e-12 narrow (415).  The periodic proof is tried once, at 64 (before the first
    proof)."""
    tails = _spy(monkeypatch, "tail_certificate")
    periodic = _spy(monkeypatch, "try_periodic")
    cert = certify("square", *EDGE)
    assert [c[4] for c in tails] == [*range(32), 39, 47, 55, 63, *range(71, 416, 8)]
    assert [c[3] for c in periodic] == [64]
    assert (cert.outcome, cert.step, cert.steps_followed, cert.catapult, cert.max_rise_upper) == (
        "certified converged", 415, 415, None, 1.0)
    assert cert.tail == Tail(step=415, eps=2.7113884630612737e-14, q_centre=2.6509321887222415,
                             delta=2.3985740422918095e-12, rho=0.9340195055695601, K=2.9182481751825993,
                             e=2.711388461472144e-14, curvature_bound=1.0)
    assert cert.ratio == Enclosure(lo=0.9670097527834604, hi=0.9670097527843353, ball="[0.967009752784 +/- 5.40e-13]")
    points = _mp_limit("square", *EDGE)
    with mpmath.workdps(50):
        x, y = points[-1]
        assert _inside(cert.ratio, (x * x + y * y) * mpmath.mpf(EDGE[2]) / 2)
        assert _inside(cert.x, x) and _inside(cert.y, y)
        assert max(_rises(points)) == 1


def test_the_tail_is_tried_only_below_one_half(monkeypatch):
    """s0 = 1.5 exactly: |s − 1| < 0.5 fails at step 0; the first try (and proof) is at step 1."""
    tails = _spy(monkeypatch, "tail_certificate")
    cert = certify("square", 1.0, 1.5, 0.1, max_steps=1, width=0.99)
    assert [c[4] for c in tails] == [1]
    assert (cert.outcome, cert.step, cert.steps_followed) == ("certified converged", 1, 1)
    assert cert.tail == Tail(step=1, eps=0.34125000005587935, q_centre=2.958125, delta=1.280925014987588,
                             rho=0.836857017537579, K=0.5509657590650022, e=0.34125, curvature_bound=1.0)


# ---- periodic --------------------------------------------------------------------------------------------------

PERIODIC = Certificate(
    outcome="certified periodic", spec="logcosh", x0=1.0490339373411115, y0=1.0490339373660473,
    h=1.0153846153846153,
    reason="converges to a proven stable 2-cycle (trace [1.8546 +/- 4.87e-6], det [0.85742 +/- 1.57e-6])",
    bits=128, seconds=0.25, steps_followed=64, step=64,
    cycle=Cycle(period=2, x=Enclosure(lo=1.0490339373535789, hi=1.0490339373535797,
                                      ball="[1.049033937353579 +/- 5.31e-16]"),
                y=Enclosure(lo=1.0490339373535789, hi=1.0490339373535797, ball="[1.049033937353579 +/- 5.31e-16]"),
                stability="stable", multipliers="trace [1.8546 +/- 4.87e-6], det [0.85742 +/- 1.57e-6]"),
    catapult={"step": 1, "rise_lower": 1.2406798359081432})


def _mp_two_cycle(x0):
    """The point of the logcosh 2-cycle on the diagonal near x0 (x = y there), at 50 digits."""
    h = mpmath.mpf(CYCLE_START[2])
    with mpmath.workdps(50):
        def f(v):
            return v - h * mpmath.tanh(v * v - 1) * v
        return mpmath.findroot(lambda v: f(f(v)) - v, mpmath.mpf(x0))


def test_a_periodic_run_whole_and_against_mpmath(monkeypatch):
    """The first periodic try is at step 64 (not 0, not 65) and proves the cycle there."""
    periodic = _spy(monkeypatch, "try_periodic")
    cert = certify("logcosh", *CYCLE_START)
    assert cert == PERIODIC
    assert [c[3] for c in periodic] == [64]
    point = _mp_two_cycle(PERIODIC.cycle.x.mid)
    h = mpmath.mpf(CYCLE_START[2])
    with mpmath.workdps(50):
        assert _inside(cert.cycle.x, point) and _inside(cert.cycle.y, point)
        other = point - h * mpmath.tanh(point * point - 1) * point
        assert abs(other - point) > mpmath.mpf("0.01")                     # a true 2-cycle, not a fixed point
        points = _mp_run("logcosh", *CYCLE_START, 3000)
        x, y = points[-1]
        assert abs(x - point) + abs(y - point) < mpmath.mpf("1e-20")       # the run goes to it (even steps)
        f = [mpmath.log(mpmath.cosh(a * b - 1)) for a, b in points[:65]]
        assert next(t for t in range(1, 65) if f[t] > f[0]) == 1
        watched = max(f[1:65]) / f[0]
        assert watched * (1 - mpmath.mpf("1e-12")) <= cert.catapult["rise_lower"] <= watched


def test_the_budget_can_end_before_the_first_periodic_try():
    cert = certify("logcosh", *CYCLE_START, max_steps=63)
    assert (cert.outcome, cert.steps_followed, cert.step, cert.cycle) == (NOT_CERTIFIED, 63, None, None)
    assert cert.reason == ("budget of 63 steps spent without a proof (last tail attempt: rho >= 1 on the box "
                           "(rho <= 16.6627))")
    assert certify("logcosh", *CYCLE_START, max_steps=64) == PERIODIC


def test_the_precision_doubles_up_to_max_bits_exactly():
    """(1.3, 0.9) at h = 1.1: the chaotic transient needs 512 bits; max_bits 512 reaches them, 511 stops at 256."""
    cert = certify("square", 1.3, 0.9, 1.1, max_bits=512)
    assert (cert.outcome, cert.bits, cert.step, cert.steps_followed) == ("certified periodic", 512, 192, 192)
    assert cert.cycle == Cycle(period=2, x=Enclosure(lo=1.1160629714523045, hi=1.1160629714523047,
                                                     ball="[1.1160629714523046 +/- 5.52e-17]"),
                               y=Enclosure(lo=1.1160629714523045, hi=1.1160629714523047,
                                           ball="[1.1160629714523046 +/- 5.52e-17]"),
                               stability="stable", multipliers="trace [0.98000 +/- 1.88e-8], det [0.14400 +/- 1.32e-8]")
    with mpmath.workdps(40):
        def phi(v):
            return v * (1 - mpmath.mpf(1.1) * (v * v - 1))
        a = mpmath.findroot(lambda v: phi(phi(v)) - v, cert.cycle.x.mid)
        assert _inside(cert.cycle.x, a) and abs(phi(a) - a) > 0.1
    cut = certify("square", 1.3, 0.9, 1.1, max_bits=511)
    assert (cut.outcome, cut.bits, cut.steps_followed, cut.step, cut.catapult) == (
        NOT_CERTIFIED, 256, 173, None, {"step": 1, "rise_lower": 8.056447933558184})
    assert cut.reason == "the enclosure's radius grew past 2^-64 (relative) at step 173 at the maximum of 256 bits"
    at_128 = certify("square", 1.3, 0.9, 1.1, max_bits=128)
    assert (at_128.bits, at_128.steps_followed, at_128.reason) == (
        128, 57, "the enclosure's radius grew past 2^-64 (relative) at step 57 at the maximum of 128 bits")


def test_certify_restores_the_precision():
    old = flint.ctx.prec
    try:
        flint.ctx.prec = 77
        certify("square", 1.3, 0.9, 1.1, max_bits=512)
        assert flint.ctx.prec == 77
    finally:
        flint.ctx.prec = old


# ---- diverged --------------------------------------------------------------------------------------------------

DIVERGED = Certificate(
    outcome="certified diverged", spec="square", x0=0.5, y0=6.0, h=0.12413793103448276,
    reason=("in the escape region s >= 302.12353515625 and (q - 2s)/(q + 2s) + 8.916998529204154/s <= "
            "0.2610530612856885 from step 4: |s| grows by >= 1270.74 per step"),
    bits=128, seconds=0.25, steps_followed=4, step=4, catapult={"step": 1, "rise_lower": 285.53186781972084},
    escape=Escape(step=4, side=1, sigma=302.12353515625, rho_bar=0.2610530612856885, c=8.916998529204154,
                  rate=1270.7432359404877, slope=37.380852640086204, K=8.53273021704082,
                  s_entry=(302.12355515513553, 302.1235551551356), W_entry=0.25000702594732904,
                  growth="l'(s) >= 616701/2048 + 1*(s - 618749/2048) for s >= 618749/2048 (exact Taylor "
                         "coefficients of l' at the point: those of degree >= 2 are >= 0)"))


def test_a_diverging_run_whole_and_against_mpmath():
    """(0.5, 6) at C = 4.5: escape proven at step 4; the rise is watched on steps 1..3 only (step 4 escapes first)."""
    x0, y0, h = 0.5, 6.0, 4.5 / 36.25
    cert = certify("square", x0, y0, h)
    assert cert == DIVERGED and cert.balls == {}
    points = _mp_run("square", x0, y0, h, 6)
    with mpmath.workdps(50):
        s = [x * y for x, y in points]
        assert cert.escape.s_entry[0] <= s[4] <= cert.escape.s_entry[1]
        assert all(s[t + 1] >= cert.escape.rate * s[t] for t in (4, 5))
        rises = _rises(points)
        assert next(t for t in range(1, 4) if rises[t] > 1) == 1
        assert max(rises[1:4]) * (1 - mpmath.mpf("1e-14")) <= cert.catapult["rise_lower"] <= max(rises[1:4])
        assert rises[4] > 2 * max(rises[1:4])


def test_a_run_in_the_escape_region_at_its_start():
    cert = certify("power:b=3", 2.0, 3.0, 0.01)
    assert cert == Certificate(
        outcome="certified diverged", spec="power:b=3", x0=2.0, y0=3.0, h=0.01,
        reason=("in the escape region s >= 6.0 and (q - 2s)/(q + 2s) + 0.002198952972909417/s <= "
                "0.042366493869187505 from step 0: |s| grows by >= 214657 per step"),
        bits=128, seconds=0.25, steps_followed=0, step=0,
        escape=Escape(step=0, side=1, sigma=6.0, rho_bar=0.042366493869187505, c=0.002198952972909417,
                      rate=214657.37824830943, slope=464.4, K=0.0129757181210579, s_entry=(6.0, 6.0),
                      W_entry=0.040366492162151574,
                      growth="l'(s) >= 46440 + 38808*(s - 6) for s >= 6 (exact Taylor coefficients of l' at the "
                             "point: those of degree >= 2 are >= 0)"))
    (x1, y1) = _mp_run("power:b=3", 2.0, 3.0, 0.01, 1)[1]
    assert x1 * y1 >= cert.escape.rate * 6


# ---- not certified ---------------------------------------------------------------------------------------------

def test_a_run_leaving_the_box_without_an_escape_region(monkeypatch):
    """logcosh (bounded ℓ′): no escape is tried; the box is |s|, q ≤ 1e12 × q0 = 3.625e13, left at step 9."""
    escapes = _spy(monkeypatch, "escape_certificate")
    cert = certify("logcosh", 0.5, 6.0, 5.0)
    assert escapes == []
    assert (cert.outcome, cert.bits, cert.steps_followed, cert.step, cert.catapult, cert.max_rise_upper) == (
        NOT_CERTIFIED, 128, 9, None, {"step": 1, "rise_lower": 209189695614.33102}, None)
    assert cert.reason == (
        "the run is proven to leave the box |s|, q <= 3.625e+13 at step 9; divergence is not certified (l' of "
        "logcosh is not a polynomial in s: no escape region is proven (DESIGN.md, 'Divergence certificates', "
        "bounded l'))")
    points = _mp_run("logcosh", 0.5, 6.0, 5.0, 9)
    assert max(x * x + y * y for x, y in points[:9]) <= 3.625e13 < points[9][0] ** 2 + points[9][1] ** 2


def test_a_polynomial_family_that_never_tries_an_escape_says_so(monkeypatch):
    """The float pre-check refusing every step: the square run leaves the box at step 6, with the default reason."""
    monkeypatch.setattr(follower, "worth_trying", lambda *a: False)
    cert = certify("square", 0.5, 6.0, 4.5 / 36.25)
    assert (cert.outcome, cert.steps_followed) == (NOT_CERTIFIED, 6)
    assert cert.reason == ("the run is proven to leave the box |s|, q <= 3.625e+13 at step 6; divergence is not "
                           "certified (the run never entered an escape region)")
    points = _mp_run("square", 0.5, 6.0, 4.5 / 36.25, 6)
    assert max(x * x + y * y for x, y in points[:6]) <= 3.625e13 < points[6][0] ** 2 + points[6][1] ** 2


def test_an_unstable_minimiser_is_not_certified_whole():
    """(0.5, 2) lies on xy = 1 with hS = 0.6 · 4.25 = 2.55 > 2: the tail proof fails there and s = 1 exactly."""
    assert certify("square", 0.5, 2.0, 0.6) == Certificate(
        NOT_CERTIFIED, "square", 0.5, 2.0, 0.6,
        "the run sits exactly at a minimiser from step 0 on, and it is linearly unstable (rho >= 1 on the box "
        "(rho <= 1.55)): any perturbation leaves it; not certified as convergence", 128, 0.25, 0)


def test_the_budget_reasons():
    far = certify("square", 3.0, 2.0, 0.001, max_steps=3)
    assert far == Certificate(NOT_CERTIFIED, "square", 3.0, 2.0, 0.001,
                              "budget of 3 steps spent without a proof (last tail attempt: |s - 1| never fell below "
                              "0.5)", 128, 0.25, 3)
    near = certify("square", 0.5000001, 2.0, 0.6, max_steps=5)
    assert (near.outcome, near.steps_followed, near.reason) == (
        NOT_CERTIFIED, 5, "budget of 5 steps spent without a proof (last tail attempt: rho >= 1 on the box "
                          "(rho <= 1.55))")
    one = certify("square", 3.0, 2.0, 0.001, max_steps=1)
    assert (one.steps_followed, one.reason) == (
        1, "budget of 1 steps spent without a proof (last tail attempt: |s - 1| never fell below 0.5)")


def test_an_undecided_sign_asks_for_bits_up_to_the_maximum():
    """(1, 2) at h = 0.5: x1 = 1 − 0.5 · 1 · 2 = 0 exactly, at any precision; 256 bits is the last doubling.
    The reason names the sign (the radius did not grow)."""
    cert = certify("square", 1.0, 2.0, 0.5, max_bits=256)
    assert cert == Certificate(NOT_CERTIFIED, "square", 1.0, 2.0, 0.5,
                               "the sign of x or y at step 1 is not decided (the ball holds 0) at the maximum of "
                               "256 bits", 256, 0.25, 0)
    assert certify("square", 1.0, 2.0, 0.5, max_bits=255).bits == 128


# ---- one attempt at a precision ------------------------------------------------------------------------------

STEP_0_EPS = 9.536743181826068e-07     # the first proof's box of NEAR: eps ≥ |s0 − 1| = 2^-20, rounded up

CONVERGED_KEYS = ["first_tail_eps", "limits", "outcome", "reason", "step", "steps", "tail"]


@pytest.mark.parametrize(("fam", "start", "max_steps", "width", "kind", "keys", "steps", "fields"), [
    (SQUARE, (0.5, 6.0, 4.5 / 36.25), 10**5, 1e-12, "done", ["escape", "outcome", "reason", "step", "steps"], 4,
     {"outcome": "certified diverged", "reason": DIVERGED.reason}),
    (LOGCOSH, (0.5, 6.0, 5.0), 10**5, 1e-12, "done", ["reason", "steps"], 9, {}),
    (SQUARE, (0.5, 2.0, 0.6), 10**5, 1e-12, "done", ["reason", "steps"], 0, {}),
    (SQUARE, NEAR, 10**5, 1e-12, "done", CONVERGED_KEYS, 8, {"reason": "", "first_tail_eps": STEP_0_EPS}),
    (LOGCOSH, CYCLE_START, 10**5, 1e-12, "done", ["cycle", "outcome", "reason", "step", "steps"], 64,
     {"reason": PERIODIC.reason, "cycle": PERIODIC.cycle}),
    (SQUARE, NEAR, 20, 1e-40, "done", CONVERGED_KEYS, 16, {"reason": "", "first_tail_eps": STEP_0_EPS}),
    (SQUARE, (3.0, 2.0, 0.001), 3, 1e-12, "done", ["reason", "steps"], 3,
     {"reason": "budget of 3 steps spent without a proof (last tail attempt: |s - 1| never fell below 0.5)"}),
    (SQUARE, (1.3, 0.9, 1.1), 10**5, 1e-12, "more-bits", ["best", "steps", "why"], 57,
     {"best": None, "why": "the enclosure's radius grew past 2^-64 (relative) at step 57"}),
    (SQUARE, (1.0, 2.0, 0.5), 10**5, 1e-12, "more-bits", ["best", "steps", "why"], 0,
     {"best": None, "why": "the sign of x or y at step 1 is not decided (the ball holds 0)"}),
])
def test_one_attempt_says_done_or_more_bits(fam, start, max_steps, width, kind, keys, steps, fields):
    """_follow at 128 bits, without a rise record of the caller's (it keeps its own): "done" with the payload that
    certify turns into a certificate, or "more-bits" with the steps followed and any proof so far."""
    got_kind, payload = _follow(fam, *start, 128, max_steps, width, SOUND)
    assert (got_kind, sorted(payload), payload["steps"]) == (kind, keys, steps)
    assert {k: payload[k] for k in fields} == fields
    if "first_tail_eps" in fields:
        assert 2.0**-20 <= STEP_0_EPS <= 2.0**-20 * (1 + 1e-8)


def test_one_attempt_keeps_its_own_rise_record_from_the_start(monkeypatch):
    """Without the caller's record, _follow starts one on ℓ(s_0), s_0 = x0·y0 (the exact ball)."""
    made = _spy(monkeypatch, "_Rise")
    _follow(SQUARE, 0.5, 6.0, 3.0 / 36.25, 128, 10, 1e-12, SOUND)
    assert len(made) == 1 and made[0][0] is SQUARE
    assert (float(made[0][1].mid()), made[0][1].rad()) == (3.0, 0)
    given = _Rise(SQUARE, arb(3))
    _follow(SQUARE, 0.5, 6.0, 3.0 / 36.25, 128, 10, 1e-12, SOUND, given)
    assert len(made) == 1 and given.result() == {"step": 1, "rise_lower": 29.461203277631206}


# ---- the pieces ------------------------------------------------------------------------------------------------

def _balls(rx, ry, sx=1, sy=-1, more=0.0):
    """Balls with radii rx, ry (arb rounds them up) and mids ±1, ±(4R − 2), R the sum of the rounded radii: the
    too-wide threshold 2^-2 · (1 + |x| + |y|) is then R exactly.  ``more`` widens y past it."""
    R = float(arb(0, rx).rad()) + float(arb(0, ry).rad())
    x, y = arb(sx * 1.0, rx), arb(sy * (4 * R - 2), ry + more)
    assert 2.0**-2 * (1 + 1.0 + (4 * R - 2)) == R == float(x.rad()) + float(arb(0, ry).rad())
    return x, y


@pytest.mark.parametrize(("rx", "ry", "sx", "sy", "more", "wide"), [
    (0.5, 0.5, 1, -1, 0.0, False),                # at the threshold: not wider
    (0.5, 0.5, 1, -1, 2.0**-20, True),
    (0.5, 0.5, -1, 1, 0.0, False),                # |mid| of each
    (0.5, 0.5, -1, 1, 2.0**-20, True),
    (0.25, 0.75, 1, 1, 0.0, False),               # the sum of the radii
    (0.25, 0.75, -1, -1, 2.0**-20, True),
])
def test_too_wide_at_its_boundary(rx, ry, sx, sy, more, wide):
    assert _too_wide(*_balls(rx, ry, sx, sy, more), 2) is wide


def test_too_wide_scale_is_one_at_the_origin():
    assert _too_wide(arb(0, 0.2), arb(0), 2) is False           # 0.2 < 2^-2 · 1
    assert _too_wide(arb(0, 0.3), arb(0), 2) is True
    assert _too_wide(arb(0), arb(0, 0.3), 1) is False           # 0.3 < 2^-1
    assert _too_wide(arb(0), arb(0, 0.3), 2) is True


def test_state_coordinates_and_point_exact():
    z = State(3.0, -2.0)
    assert [float(v.mid()) for v in (z.s, z.q, z.d)] == [-6.0, 13.0, 5.0]
    assert all(v.rad() == 0 for v in (z.s, z.q, z.d)) and (z.sx, z.sy) == (1, -1)
    x, y = z.point()
    assert (float(x.mid()), float(y.mid()), float(x.rad()), float(y.rad())) == (3.0, -2.0, 0.0, 0.0)
    z = State(-2.0, 3.0)
    assert (z.sx, z.sy) == (-1, 1) and [float(v.mid()) for v in z.point()] == [-2.0, 3.0]
    assert State(0.0, 2.0).point() is None and State(2.0, 0.0).point() is None
    assert (State(0.0, -2.0).sx, State(0.0, -2.0).sy) == (0, -1)


def _exact_step(x, y, h):
    """One GD step of the square loss in exact rationals: (s, q, d) after it, and the signs of x, y."""
    from fractions import Fraction
    x, y, h = Fraction(x), Fraction(y), Fraction(h)
    u = h * (x * y - 1)
    x, y = x - u * y, y - u * x
    return (x * y, x * x + y * y, x * x - y * y), ((x > 0) - (x < 0), (y > 0) - (y < 0))


@pytest.mark.parametrize(("x", "y", "h", "signs"), [
    (1.0, 3.0, 0.25, (-1, 1)),      # x flips only
    (3.0, 1.0, 0.25, (1, -1)),      # y flips only
    (1.0, 1.5, 4.0, (-1, -1)),      # both flip
    (0.5, 0.75, 0.5, (1, 1)),       # neither
    (-1.0, -3.0, 0.25, (1, -1)),
])
def test_state_step_is_exact_and_flips_the_right_sign(x, y, h, signs):
    z = State(x, y)
    assert z.step(SQUARE.arb.d1, SQUARE.arb.d2, arb(h)) is True
    (s, q, d), exact_signs = _exact_step(x, y, h)
    assert exact_signs == signs == (z.sx, z.sy)
    assert [float(v.mid()) for v in (z.s, z.q, z.d)] == [float(s), float(q), float(d)]
    assert all(v.rad() == 0 for v in (z.s, z.q, z.d))


@pytest.mark.parametrize(("x", "y"), [(1.0, 2.0), (2.0, 1.0)])
def test_state_step_refuses_an_undecided_sign(x, y):
    """x1 = x − h(s − 1)y = 1 − 0.5 · 2 = 0 exactly (and y1 for the mirrored start)."""
    assert State(x, y).step(SQUARE.arb.d1, SQUARE.arb.d2, arb(0.5)) is False


@pytest.mark.parametrize(("x0", "y0"), [(0.0, 2.0), (2.0, 0.0), (0.0, -2.0), (-2.0, 0.0)])
def test_a_start_on_an_axis_gets_its_limit_point(x0, y0):
    """x0 = 0 exactly: x1 = −hℓ′(0)·y0 takes its sign from y0 and ℓ′(0), and the run's limit point (x∞, y∞) is
    enclosed as for any start (it was left without one: the sign 0 was kept for the whole run)."""
    cert = certify("square", x0, y0, 0.1)
    assert (cert.outcome, cert.steps_followed) == ("certified converged", 50)
    x, y = _mp_limit("square", x0, y0, 0.1)[-1]
    assert _inside(cert.x, x) and _inside(cert.y, y)
    assert min(abs(x), abs(y)) > 0.48 and max(abs(x), abs(y)) > 2.0   # off the axis: both coordinates moved


def test_state_step_from_the_axis_and_at_the_saddle():
    z = State(0.0, 2.0)
    assert z.step(LOGCOSH.arb.d1, LOGCOSH.arb.d2, arb(0.5)) is True
    assert (z.sx, z.sy) == (1, 1)      # x1 = −0.5·tanh(−1)·2 > 0
    z = State(0.0, 0.0)
    assert z.step(SQUARE.arb.d1, SQUARE.arb.d2, arb(0.5)) is True and (z.sx, z.sy) == (0, 0)


RISING_AT_0 = get_family("expr:((s-1)*(s+1/2))**2")   # l'(0) = 1/2 > 0 (the built-in losses fall at 0)
FLAT_AT_0 = get_family("expr:(s**2-1)**2/4")           # l'(0) = 0: a start on an axis does not move


@pytest.mark.parametrize(("fam", "start", "signs"), [
    (RISING_AT_0, (0.0, 2.0), (-1, 1)),     # x1 = −h·(1/2)·2 < 0
    (RISING_AT_0, (0.0, -2.0), (1, -1)),
    (RISING_AT_0, (2.0, 0.0), (1, -1)),
    (SQUARE, (0.0, 2.0), (1, 1)),           # l'(0) = −1: x1 = +h·2
    (SQUARE, (-2.0, 0.0), (-1, -1)),
    (FLAT_AT_0, (0.0, 2.0), (0, 1)),        # x stays exactly 0
])
def test_state_step_gives_an_axis_start_the_sign_of_minus_h_l1_0_y(fam, start, signs):
    z = State(*start)
    assert z.step(fam.arb.d1, fam.arb.d2, arb(0.1)) is True
    assert (z.sx, z.sy) == signs


@pytest.mark.parametrize("fam", [RISING_AT_0, SQUARE])
def test_state_step_from_an_axis_with_an_undecided_sign_asks_for_bits(fam):
    """h a ball [0, 1/8]: h·l'(0) touches 0 from one side (above for RISING_AT_0, below for the square), so the
    sign of x1 is not decided."""
    assert State(0.0, 2.0).step(fam.arb.d1, fam.arb.d2, arb(0.0625, 0.0625)) is False


def test_state_step_from_an_axis_flips_y_later():
    """x0 = 0 (its sign is 0): y's sign is still followed, and flips at the second step: (0, 2) → (2, 2) → (−4, −4)."""
    z = State(0.0, 2.0)
    for _ in range(2):
        assert z.step(SQUARE.arb.d1, SQUARE.arb.d2, arb(1.0)) is True
    (s, q, d), exact_signs = _exact_step(2.0, 2.0, 1.0)
    assert (z.sx, z.sy) == exact_signs == (-1, -1)
    assert [float(v.mid()) for v in (z.s, z.q, z.d)] == [float(s), float(q), float(d)]


def test_state_step_mean_value_radii_pinned_and_against_the_jacobian():
    """Balls of radius 1e-6 in s, q, d (logcosh, h = 0.3): the new radii are the mean-value form's |J|·r, J the
    Jacobian of the map written out here from x⁺ = x − uy, y⁺ = y − ux (u = hℓ′(xy)): s⁺ = s(1 + u²) − uq,
    q⁺ = q(1 + u²) − 4us, d⁺ = d(1 − u²), taken by 50-digit finite differences; the images of all 8 corners lie
    inside the new balls.  The map itself is checked against the GD step at the centre."""
    z = State(0.8, 1.6)
    r = 1e-6
    s0, q0, d0 = (float(v.mid()) for v in (z.s, z.q, z.d))
    z.s, z.q, z.d = arb(s0, r), arb(q0, r), arb(d0, r)
    assert z.step(LOGCOSH.arb.d1, LOGCOSH.arb.d2, arb(0.3)) is True
    got = [(float(v.mid()), float(v.rad())) for v in (z.s, z.q, z.d)]
    assert got == [(1.0265908941406667, 2.5826833605080424e-07), (2.802267224958213, 2.6103097603424885e-06),
                   (-1.9071303427765718, 1.0806966788123873e-06)]
    with mpmath.workdps(50):
        h = mpmath.mpf(0.3)

        def image(s, q, d):
            u = h * mpmath.tanh(s - 1)
            return s * (1 + u * u) - u * q, q * (1 + u * u) - 4 * u * s, d * (1 - u * u)

        x, y = mpmath.mpf("0.8"), mpmath.mpf("1.6")
        u = h * mpmath.tanh(x * y - 1)
        x1, y1 = x - u * y, y - u * x
        assert all(abs(a - b) < mpmath.mpf("1e-45") for a, b in zip(
            image(x * y, x * x + y * y, x * x - y * y), (x1 * y1, x1 * x1 + y1 * y1, x1 * x1 - y1 * y1), strict=True))
        S, Q, D = (mpmath.mpf(v) for v in (s0, q0, d0))
        eps = mpmath.mpf("1e-20")
        base = image(S, Q, D)
        ds, dq, dd = ([(a - b) / eps for a, b in zip(image(*p), base, strict=True)]
                      for p in ((S + eps, Q, D), (S, Q + eps, D), (S, Q, D + eps)))
        assert abs(ds[0]) > 0.1 and abs(dq[0]) > 0.05 and abs(ds[1]) > 1 and abs(dq[1]) > 1   # every term matters
        for k, bound in enumerate((abs(ds[0]) + abs(dq[0]), abs(ds[1]) + abs(dq[1]), abs(ds[2]) + abs(dd[2]))):
            assert bound * r <= got[k][1] <= bound * r * (1 + 1e-3), k
        for cs, cq, cd in itertools.product((-1, 1), repeat=3):
            img = image(S + cs * r, Q + cq * r, D + cd * r)
            for k in range(3):
                assert abs(img[k] - got[k][0]) <= got[k][1]


def test_rise_records_the_first_step_above_the_start_and_bounds_the_largest():
    """square, s0 = 3: ℓ(s0) − ℓ(1) = 2.  Steps 0 and the start's own value are not a rise; equal is not above."""
    rise = _Rise(SQUARE, arb(3))
    assert (rise.step, rise.rise, rise.rise_upper, rise.result()) == (None, 1.0, 1.0, None)
    rise.watch(0, arb(10))                     # step 0 is the start
    rise.watch(1, arb(-1))                     # ℓ = 2 = ℓ(s0): not above
    assert (rise.step, rise.rise, rise.rise_upper) == (None, 1.0, 1.0)
    rise.watch(2, arb(4))                      # ℓ = 4.5: 2.25
    rise.watch(3, arb(2))                      # ℓ = 0.5: below, bounds unchanged
    assert (rise.step, rise.rise, rise.rise_upper) == (2, 2.25, 2.25)
    rise.watch(4, arb(5))                      # ℓ = 8: 4
    assert rise.result() == {"step": 2, "rise_lower": 4.0} and rise.rise_upper == 4.0
    assert rise.upper_with_tail(2.0) == 4.0                   # the box's ℓ(1 ± 2) = 2: 1 < 4
    assert rise.upper_with_tail(6.0) == 9.000000074505806     # ℓ(1 ± 6) = 18: 9 (the ball's radius rounded up)
    wide = _Rise(SQUARE, arb(3))
    wide.watch(1, arb(3, 1))                   # ℓ in [0.5, 4.5]: an upper bound moves, no proven rise
    assert (wide.step, wide.rise, wide.rise_upper) == (None, 1.0, 2.2500000167638063)


def test_rise_from_a_minimiser_is_not_watched():
    rise = _Rise(SQUARE, arb(1))
    rise.watch(1, arb(3))
    assert (rise.step, rise.rise, rise.rise_upper, rise.result(), rise.upper_with_tail(0.5)) == (
        None, None, None, None, None)


def test_try_periodic_proves_the_cycle_from_the_first_float_point(monkeypatch):
    cycles = _spy(monkeypatch, "certify_cycle")
    guesses = _spy(monkeypatch, "period_guess")
    x, y, h = CYCLE_START
    out = try_periodic(LOGCOSH, arb(h), State(x, y), 64, 200)
    assert out == {"outcome": "certified periodic", "steps": 64, "step": 64, "cycle": PERIODIC.cycle,
                   "reason": PERIODIC.reason}
    assert len(guesses[0][0]) == 33                                  # 2 · PERIOD_MAX + 1 float points
    assert guesses[0][0][:2] == [(x, y), (0.9423723317841829, 0.9423723318116541)]
    assert cycles == [(LOGCOSH, x, y, h, 2)]
    with mpmath.workdps(50):
        (x1, y1) = _mp_run("logcosh", x, y, h, 1)[1]
        assert abs(x1 - guesses[0][0][1][0]) < 1e-15 and abs(y1 - guesses[0][0][1][1]) < 1e-15


def test_try_periodic_passes_its_precision(monkeypatch):
    seen = []
    monkeypatch.setattr(follower, "certify_cycle", lambda *a, **kw: (seen.append(kw), (None, "no"))[1])
    assert try_periodic(LOGCOSH, arb(CYCLE_START[2]), State(*CYCLE_START[:2]), 64, 200) is None
    assert seen == [{"bits": 200}]


@pytest.mark.parametrize(("fam", "x", "y", "h", "why"), [
    (SQUARE, 0.0, 2.0, 0.1, "a sign is 0: no point"),
    (SQUARE, 1.3, 0.9, 1.1, "no period within 16 (chaotic transient)"),
    (SQUARE, 1.0, 1.0, 0.1, "period 1: a fixed point"),
    (SQUARE, 1.0001, 0.9999, 1.0, "a float 2-cycle near a non-hyperbolic fixed point: no Krawczyk box"),
    (SQUARE, 1.0, -1.0, 1.0, "a proven 2-cycle, unstable"),
])
def test_try_periodic_refusals(fam, x, y, h, why):
    assert try_periodic(fam, arb(h), State(x, y), 64, 128) is None, why


def test_try_periodic_refuses_a_ball_not_attracted():
    """The square loss's stable 2-cycle at h = 1.1 (on x = y): a ball of radius 1e-4 around its point is proven
    attracted (mpmath agrees: its corners go to the cycle), one of radius 1e-3 is not (the float points are periodic
    for both: the ball's centre sits on the cycle and the square loss keeps mids exact)."""
    c = 1.1160629714523046

    def at(radius):
        return types.SimpleNamespace(point=lambda: (arb(c, radius), arb(c, radius)))

    assert try_periodic(SQUARE, arb(1.1), at(1e-3), 64, 128) is None
    out = try_periodic(SQUARE, arb(1.1), at(1e-4), 64, 128)
    assert (out["outcome"], out["step"], out["steps"], out["cycle"].period) == ("certified periodic", 64, 64, 2)
    assert out["cycle"].x.contains(c) and out["cycle"].y.contains(c)
    with mpmath.workdps(30):
        for dx, dy in itertools.product((-1e-4, 1e-4), repeat=2):
            x, y = _mp_run("square", c + dx, c + dy, 1.1, 400)[-1]
            assert abs(x - c) + abs(y - c) < 1e-12
