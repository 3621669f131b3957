"""Population statistics bounded over certified runs (lrbias.claims.certified_statistics).

The bounds are checked at their boundaries on hand-made certificates (a ratio exactly at the band, κ
exactly 2, unproven runs counted in the worst case, a start with d0 = 0), then each rival's hook is
shown to prove the counterexample the ci check prints and to refuse a case on which the rival holds,
and the proven bounds to bracket the float64 statistic."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from lrbias.claims.sweeps import converged, open_runs, sweep

flint = pytest.importorskip("flint")
cs = pytest.importorskip("lrbias.claims.certified_statistics")
dynamics = pytest.importorskip("theorems.dynamics")

from lrbias.claims.statistics import edge_runs  # noqa: E402
from lrbias.gd.certificate import Enclosure  # noqa: E402


def _run(ratio: tuple[float, float], *, h: float = 1.0, x0: float = 1.5, y0: float = 0.5, imbalance: float = 0.0,
         spec: str = "square") -> SimpleNamespace:
    """A certified converged run as the certificate gives it (only the fields the bounds read)."""
    return SimpleNamespace(spec=spec, h=h, x0=x0, y0=y0, ratio=Enclosure(*ratio, ball=""),
                           balls={"imbalance": flint.arb(imbalance)})


def test_a_ratio_exactly_at_the_band_is_proven_at_the_edge():
    # κ = h·ℓ″(1)(x0² + y0²) = 2.5 for the square loss
    sample = cs.Certified((_run((0.95, 0.96)), _run((0.9, 0.9499999))), unproven=0)
    assert cs.edge_share_bounds(sample, 0.95) == (0.5, 0.5)


def test_a_ratio_straddling_the_band_is_possible_not_proven():
    sample = cs.Certified((_run((0.9499, 0.9501)),), unproven=0)
    assert cs.edge_share_bounds(sample, 0.95) == (0.0, 1.0)


def test_kappa_exactly_two_is_never_at_the_edge():
    # x0 = y0 = 1, h = 1: κ = 2 exactly (κ > 2 is strict), whatever the ratio
    on_two = _run((0.99, 1.0), x0=1.0, y0=1.0)
    just_above = _run((0.99, 1.0), x0=1.0, y0=1.0, h=1.0 + 2.0**-40)
    assert cs.edge_share_bounds(cs.Certified((on_two,), 0), 0.95) == (0.0, 0.0)
    assert cs.edge_share_bounds(cs.Certified((just_above,), 0), 0.95) == (1.0, 1.0)


def test_kappa_reads_the_family_curvature():
    # power b = 3 has ℓ″(1) = 18: h is set so that κ = 2.2 (or 1.9) only when ℓ″(1) is read
    from lrbias.losses.families import get_family

    spec = "power:b=3"
    curvature = get_family(spec).curvature
    h = 2.2 / (curvature * (1.5**2 + 0.5**2))    # κ = 2.2 only when ℓ″(1) is read
    sample = cs.Certified((_run((0.97, 0.98), h=h, spec=spec),), 0)
    assert cs.edge_share_bounds(sample) == (1.0, 1.0)
    below = 1.9 / (curvature * (1.5**2 + 0.5**2))
    assert cs.edge_share_bounds(cs.Certified((_run((0.97, 0.98), h=below, spec=spec),), 0)) == (0.0, 0.0)


def test_unproven_runs_count_against_the_proof_both_ways():
    sample = cs.Certified((_run((0.97, 0.98)), _run((0.5, 0.6)), _run((0.5, 0.6))), unproven=1)
    assert cs.edge_share_bounds(sample) == (0.25, 0.5)
    assert cs.edge_share_bounds(cs.Certified((), 0)) == (0.0, 0.0)


def test_median_imbalance_bounds_count_unproven_runs_low_and_high():
    # d0 = x0² − y0² = 2 for (1.5, 0.5): ratios 0.1, 0.2, 0.3
    runs = tuple(_run((0, 1), imbalance=r * 2.0) for r in (0.1, 0.2, 0.3))
    lo, hi = cs.imbalance_ratio_median_bounds(cs.Certified(runs, 0))
    assert lo == pytest.approx(0.2) and hi == pytest.approx(0.2) and lo <= 0.2 <= hi
    lo, hi = cs.imbalance_ratio_median_bounds(cs.Certified(runs, 1))
    assert lo == pytest.approx(0.15) and hi == pytest.approx(0.25)
    lo, hi = cs.imbalance_ratio_median_bounds(cs.Certified(runs, 2))
    assert lo == pytest.approx(0.1) and hi == pytest.approx(0.3)


def test_a_balanced_start_is_counted_unproven():
    runs = (_run((0, 1), imbalance=0.2), _run((0, 1), x0=0.7, y0=0.7, imbalance=0.0))
    lo, hi = cs.imbalance_ratio_median_bounds(cs.Certified(runs, 0))
    assert (lo, hi) == (pytest.approx(0.05), math.inf)


# --- the rivals' hooks on real sweeps -----------------------------------------------------------

def _rival_certify(entry_id: str):
    return next(e for e in dynamics.ENTRIES if e.id == entry_id).rival.certify


def test_the_square_loss_edge_rival_is_proven_false_and_a_good_loss_is_not():
    certify = _rival_certify("sharpness.edge-of-stability-good-regularity")
    proof = certify(("square", 2.5, 0, 200))
    assert proof["tier"] == "certified" and proof["edge_share_bounds"][1] < 0.5
    kept = cs.edge_share_certificate(0.5)("unbalanced")(("softplus-pair:a=1", 3.0, 0, 40))
    assert kept["tier"] == "float64" and kept["edge_share_bounds"][1] >= 0.5


def test_the_doubled_kappa_rival_is_proven_false_and_the_claim_is_not():
    case = ("softplus-pair:a=1/1", 1.0, 0, 200)
    proof = _rival_certify("balancing.stronger-for-larger-lr")(case)
    assert proof["tier"] == "certified"
    assert proof["median_at_double_at_least"] >= 0.5 * proof["median_at_kappa_at_most"]
    claim = cs.stronger_balancing_certificate(dynamics.STRONGER_BALANCING, strict=1.0)("box")(case)
    assert claim["tier"] == "float64"     # the median does fall: "not below 1x" is not proven


@pytest.mark.parametrize("spec,kappa,starts", [("square", 2.5, "unbalanced"), ("softplus-pair:a=1", 3.0, "unbalanced"),
                                               ("softplus-pair:a=1/2", 2.2, "box")])
def test_the_proven_share_brackets_the_float_share(spec, kappa, starts):
    b = sweep(spec, kappa, 0, 40, starts)
    lo, hi = cs.edge_share_bounds(cs.Certified.of(b))
    _agrees_with_float(b, edge_runs(b), lo, hi)
    assert hi - lo <= 0.1       # almost every run is decided


def _agrees_with_float(b, mask, lo: float, hi: float) -> None:
    """The proven share of converged runs meets the float64 one, whose open runs are counted out and in."""
    k, conv, left = int(mask.sum()), int(converged(b).sum()), int(open_runs(b).sum())
    assert max(lo, k / (conv + left)) <= min(hi, (k + left) / (conv + left)), (lo, hi, k, conv, left)


@pytest.mark.slow
def test_the_good_ordering_rival_is_proven_false():
    proof = _rival_certify("ordering.edge-share-falls-with-a")((3.0000000000000004, 0, 200))
    assert proof["tier"] == "certified"
    assert proof["high_share_at_least"] - proof["low_share_at_most"] > 0.1


def test_the_ordering_hook_refuses_a_spread_it_cannot_prove():
    certify = cs.share_spread_certificate(dynamics.GOOD_ORDERING, spread=0.99)("unbalanced")
    refused = certify((3.0, 0, 20))
    assert refused["tier"] == "float64" and "not more than 0.99 apart" in refused["reason"]
    assert np.isfinite(refused["high_share_at_least"])


@pytest.mark.parametrize("spec", ["softplus-pair:a=1/4", "square"])
def test_the_proven_catapult_share_brackets_the_float_share(spec):
    """A run that never rises above its start is proven so (the start itself is not a rise), one that does too."""
    from lrbias.claims.statistics import catapulted

    b = sweep(spec, 3.0, 0, 40, "unbalanced")
    lo, hi = cs.share_bounds_of(cs.Certified.of(b), cs.CATAPULT.flags)
    _agrees_with_float(b, catapulted(b), lo, hi)
    assert hi - lo <= 0.05


def test_the_catapult_rival_is_proven_false_on_a_small_case():
    certify = _rival_certify("catapult.more-for-worse-regularity")
    proof = certify((3.0, 0, 40))
    assert proof["tier"] == "certified" and proof["families"] == ["square", "softplus-pair:a=1/4"]
    assert proof["high_share_at_least"] - proof["low_share_at_most"] > 0.1
