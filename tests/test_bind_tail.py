"""Binding tests of ``lrbias.gd.certificate.tail`` (issue 27): the tail certificate and the limit enclosures it
implies, pinned whole on fixed balls (every figure of the Tail record and every enclosure, as exact floats), for
the proof's bounds and each unsound shortcut; each pinned figure is then checked against independent
high-precision evaluations: ρ and K bound their expressions over the whole box (a dense mpmath sample), the box
holds q_T ± R, and the enclosures contain the limit of the run followed in mpmath.

The pinned floats were produced by the code and are kept because the oracle checks below show them sound (and
close to the truth); a change of any constant or term of the proof moves at least one of them."""

from __future__ import annotations

import itertools

import mpmath
import pytest

flint = pytest.importorskip("flint")
arb = flint.arb

from lrbias.gd.certificate.intervals import lower, upper  # noqa: E402
from lrbias.gd.certificate.records import Tail  # noqa: E402
from lrbias.gd.certificate.tail import Soundness, limit_enclosures, tail_certificate  # noqa: E402
from lrbias.losses.families import get_family  # noqa: E402

FAM = get_family("logcosh")  # ℓ″(s) = sech²(s − 1): varies over the box, so where it is taken matters
H = 0.25
SOUNDNESS = {"SOUND": Soundness(), "AT_POINT": Soundness(rho_at_point=True), "AT_ONE": Soundness(curvature_at_one=True)}
STARTS = {
    "wide": ((0.6, 2.0**-40), (1.75, 2.0**-40)),  # s_T = 1.05
    "narrow": ((0.5, 2.0**-60), (2 + 2.0**-19, 2.0**-60)),
}  # s_T = 1 + 2⁻²⁰


class State:
    """The follower's state as limit_enclosures reads it: q, d = x² − y² and the point."""

    def __init__(self, x, y, with_point=True):
        self.x, self.y, self.with_point = x, y, with_point
        self.q, self.d = x * x + y * y, x * x - y * y

    def point(self):
        return (self.x, self.y) if self.with_point else None


def _state(name, with_point=True):
    (x, rx), (y, ry) = STARTS[name]
    return State(arb(x, rx), arb(y, ry), with_point)


PINNED = {
    ("wide", "SOUND"): Tail(
        step=3,
        eps=0.05000000004656613,
        q_centre=3.4225,
        delta=0.12475722003728151,
        rho=0.18098173697653608,
        K=1.0610851912026324,
        e=0.05000000000213736,
        curvature_bound=1.000000011179704,
    ),
    ("wide", "AT_POINT"): Tail(
        step=3,
        eps=0.05000000004656613,
        q_centre=3.4225,
        delta=8.550252452127309e-12,
        rho=0.149775393939387,
        K=1.036737377254836,
        e=0.05000000000213736,
        curvature_bound=0.9975041607758327,
    ),
    ("wide", "AT_ONE"): Tail(
        step=3,
        eps=0.05000000004656613,
        q_centre=3.4225,
        delta=0.12444454664364457,
        rho=0.17876738679129633,
        K=1.061084202141501,
        e=0.05000000000213736,
        curvature_bound=1.0,
    ),
    ("narrow", "SOUND"): Tail(
        step=3,
        eps=9.536743181826068e-07,
        q_centre=4.250007629398169,
        delta=2.0345119402520595e-06,
        rho=0.0625024755822936,
        K=1.0000012069947068,
        e=9.536743164084186e-07,
        curvature_bound=1.0000000000000573,
    ),
    ("narrow", "AT_POINT"): Tail(
        step=3,
        eps=9.536743181826068e-07,
        q_centre=4.250007629398169,
        delta=1.2359918117546825e-17,
        rho=0.06250184774387477,
        K=1.0000007003532125,
        e=9.536743164084186e-07,
        curvature_bound=0.999999999999091,
    ),
    ("narrow", "AT_ONE"): Tail(
        step=3,
        eps=9.536743181826068e-07,
        q_centre=4.250007629398169,
        delta=2.0345119402520595e-06,
        rho=0.06250247558223254,
        K=1.00000120699465,
        e=9.536743164084186e-07,
        curvature_bound=1.0,
    ),
}

PINNED_LIMITS = {
    "wide": {
        "q": (3.3577221286389975, 3.487277871361002),
        "sharpness": (3.357722128406167, 3.487277871593833),
        "ratio": (0.4197152660071151, 0.43590973399288485),
        "imbalance": (-2.7025000000063306, -2.7020634349374637),
        "x": (0.5712549695395864, 0.6287450304604135),
        "y": (1.7212549695395865, 1.7787450304604135),
    },
    "narrow": {
        "q": (4.250006612141648, 4.25000864665469),
        "sharpness": (4.250006612141643, 4.250008646654695),
        "ratio": (0.5312508265177047, 0.5312510808318376),
        "imbalance": (-3.7500076293981697, -3.750007629397954),
        "x": (0.4999994757180266, 0.5000005242819734),
        "y": (2.0000013830666594, 2.000002431630606),
    },
}


@pytest.mark.parametrize(("name", "soundness"), list(PINNED))
def test_tail_certificate_pinned(name, soundness):
    z = _state(name)
    tail, why = tail_certificate(FAM.arb.d2, arb(H), z.x * z.y, z.q, 3, SOUNDNESS[soundness])
    assert (tail, why) == (PINNED[name, soundness], "")


@pytest.mark.parametrize("name", list(PINNED_LIMITS))
def test_limit_enclosures_pinned(name):
    z = _state(name)
    out = limit_enclosures(PINNED[name, "SOUND"], arb(H), z, arb(FAM.curvature))
    assert {k: (lower(v), upper(v)) for k, v in out.items()} == PINNED_LIMITS[name]
    without_point = limit_enclosures(PINNED[name, "SOUND"], arb(H), _state(name, with_point=False), arb(FAM.curvature))
    assert set(without_point) == {"q", "sharpness", "ratio", "imbalance"}


def _sech2(v):
    return 1 / mpmath.cosh(v - 1) ** 2


@pytest.mark.parametrize("name", list(STARTS))
def test_rho_and_k_bound_their_expressions_over_the_whole_box(name):
    """sup over S ∈ [1 − ε, 1 + ε], Q ∈ [q_c − δ, q_c + δ], m ∈ ℓ″([1 − ε, 1 + ε]) of
    |1 − hmQ + h²m²(S − 1)S| and |m|·|h²m(S − 1)Q − 4hS|, sampled densely at 50 digits, lie under ρ and K,
    and within 1 % (ρ) and 5 % (K) of them (the bounds are proven, not loose); ℓ″ over the interval lies under M."""
    t = PINNED[name, "SOUND"]
    with mpmath.workdps(50):
        h = mpmath.mpf(H)
        ss = [1 - mpmath.mpf(t.eps) + 2 * mpmath.mpf(t.eps) * i / 40 for i in range(41)]
        qs = [mpmath.mpf(t.q_centre) - mpmath.mpf(t.delta) + 2 * mpmath.mpf(t.delta) * i / 20 for i in range(21)]
        ms = [_sech2(v) for v in ss]
        rho = max(abs(1 - h * m * Q + h * h * m * m * (S - 1) * S) for S, Q, m in itertools.product(ss, qs, ms))
        K = max(abs(m) * abs(h * h * m * (S - 1) * Q - 4 * h * S) for S, Q, m in itertools.product(ss, qs, ms))
        assert max(ms) <= t.curvature_bound
        assert rho <= t.rho <= rho * mpmath.mpf("1.01")
        assert K <= t.K <= K * mpmath.mpf("1.05")  # m appears twice: ball arithmetic widens K by ~2 % at ε = 0.05
        R = mpmath.mpf(t.K) * mpmath.mpf(t.e) / (1 - mpmath.mpf(t.rho))
        z = _state(name)
        q_mid, q_rad = mpmath.mpf(float(z.q.mid())), mpmath.mpf(float(z.q.rad()))
        assert mpmath.mpf(t.q_centre) - t.delta <= q_mid - q_rad - R
        assert q_mid + q_rad + R <= mpmath.mpf(t.q_centre) + t.delta


@pytest.mark.parametrize("name", list(STARTS))
def test_the_enclosures_contain_the_limit_of_the_run(name):
    """GD from the balls' centres at 60 digits, followed to |s − 1| < 1e-40: its limit lies in every enclosure."""
    (x, _), (y, _) = STARTS[name]
    with mpmath.workdps(60):
        x, y, h = mpmath.mpf(x), mpmath.mpf(y), mpmath.mpf(H)
        for _ in range(20_000):
            g = mpmath.tanh(x * y - 1)  # ℓ′ of logcosh(s − 1)
            x, y = x - h * g * y, y - h * g * x
            if abs(x * y - 1) < mpmath.mpf("1e-40"):
                break
        q = x * x + y * y
        truth = {
            "q": q,
            "sharpness": FAM.curvature * q,
            "ratio": FAM.curvature * q * h / 2,
            "imbalance": x * x - y * y,
            "x": x,
            "y": y,
        }
    for key, (lo, hi) in PINNED_LIMITS[name].items():
        assert lo <= truth[key] <= hi, (key, lo, truth[key], hi)


def test_a_run_exactly_at_a_minimiser_takes_the_smallest_box():
    """e = 0: the interval [1 − ε, 1 + ε] is floored at ε = 2⁻¹⁰⁰⁰ (arb rounds the radius up to its own)."""
    tail, _ = tail_certificate(FAM.arb.d2, arb(H), arb(1), arb(3), 7)
    assert (tail.e, tail.eps, tail.q_centre) == (0.0, 9.332636202415578e-302, 3.0)
    assert 2.0**-1000 <= tail.eps < 2.0**-999


def test_what_is_not_certified_says_why():
    assert tail_certificate(FAM.arb.d2, arb(H), arb("inf"), arb(3), 7) == (None, "s_T is not finite")
    z = _state("wide")
    assert tail_certificate(FAM.arb.d2, arb(0.8), z.x * z.y, z.q, 7) == (None, "rho >= 1 on the box (rho <= 1.7716)")


def test_no_enclosure_when_the_imbalance_bound_is_one():
    """U = h²M²e²/(1 − ρ²) = 0.25 · 1 · 4 / 1 = 1 exactly: the bound needs U < 1."""
    tail = Tail(step=0, eps=2.0, q_centre=3.0, delta=0.5, rho=0.0, K=1.0, e=2.0, curvature_bound=1.0)
    assert limit_enclosures(tail, arb(0.5), _state("wide"), arb(1)) == {}
    just_under = Tail(step=0, eps=2.0, q_centre=3.0, delta=0.5, rho=0.0, K=1.0, e=1.9921875, curvature_bound=1.0)
    assert set(limit_enclosures(just_under, arb(0.5), _state("wide"), arb(1))) == {
        "q",
        "sharpness",
        "ratio",
        "imbalance",
        "x",
        "y",
    }


def test_rho_exactly_one_is_refused_as_rho_not_as_drift():
    """ρ = 1 exactly (ℓ″ ≡ 0 on the box gives |1 − 0| = 1): the certificate fails on ρ < 1 at once, naming ρ,
    not after six boxes on an infinite R."""
    from flint import arb

    assert tail_certificate(lambda J: arb(0), arb(1), arb(1) + arb("1e-6"), arb(1, 1e-6), 10) == \
        (None, "rho >= 1 on the box (rho <= 1)")


def test_a_failed_box_grows_to_twice_the_drift_not_to_a_multiple_of_itself():
    """q_T's radius r and the drift bound R with R/r in (1, 2): the first box (radius 2r) misses q_T ± R, and
    the next is 2(r + R), not 3 × 2r (which would exceed it here: R < 2r)."""
    from flint import arb

    r = 3e-6
    tail, why = tail_certificate(lambda J: arb(1), arb(1), arb(1) + arb("1e-6"), arb(1, r), 10)
    R = tail.K * tail.e / (1 - tail.rho)
    assert why == "" and 1 < R / r < 1.5
    assert r + R <= tail.delta <= 2 * (r + R) * (1 + 1e-4)
