"""Binding tests for lrbias.claims.certified_statistics (the mutation run's survivors, each killed here).

The hooks are built inside each test (mutmut maps a function to the tests that call it: a hook built
at import time, as the catalogue's are, is mapped to none), and most read synthetic certified
samples (``Certified.of`` replaced per family), so each comparison can be put exactly at its boundary."""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import pytest

flint = pytest.importorskip("flint")
cs = pytest.importorskip("lrbias.claims.certified_statistics")
dynamics = pytest.importorskip("theorems.dynamics")

from lrbias.claims.statistics import MIN_CONVERGED  # noqa: E402
from lrbias.claims.sweeps import sweep  # noqa: E402
from lrbias.gd.certificate import Enclosure  # noqa: E402


def _run(ratio=(0.97, 0.98), *, x0=1.5, y0=0.5, h=1.0, imbalance=0.0, spec="square", rises=None):
    """A certified converged run (the fields the bounds read); ``rises``: catapult proven (True), proven absent
    (False) or undecided (None)."""
    return SimpleNamespace(spec=spec, h=h, x0=x0, y0=y0, ratio=Enclosure(*ratio, ball=""),
                           balls={"imbalance": flint.arb(imbalance)},
                           catapult={"step": 1} if rises else None,
                           max_rise_upper=1.0 if rises is False else 2.0)


def _sample(k_edge: int, k_off: int, unproven: int = 0, **kw) -> cs.Certified:
    return cs.Certified(tuple([_run((0.97, 0.98), **kw)] * k_edge + [_run((0.5, 0.6), **kw)] * k_off), unproven)


@pytest.fixture
def samples(monkeypatch):
    """Replace Certified.of: ``table[spec]`` is the sample of every sweep of that family (a list: one per call)."""
    table: dict[str, list] = {}

    def of(batch, width=cs.WIDTH):
        return table[batch.family].pop(0)
    monkeypatch.setattr(cs.Certified, "of", staticmethod(of))
    return table


# --- bounds ------------------------------------------------------------------------------------

def test_a_ratio_whose_upper_end_is_the_band_may_be_at_the_edge():
    assert cs.edge_share_bounds(cs.Certified((_run((0.9, 0.95)),), 0), 0.95) == (0.0, 1.0)


def test_the_band_is_the_one_given():
    sample = cs.Certified((_run((0.96, 0.965)),), 0)
    assert cs.edge_share_bounds(sample, 0.97) == (0.0, 0.0)
    assert cs.edge_share_bounds(sample, 0.95) == (1.0, 1.0)


def test_catapult_flags():
    sample = cs.Certified((_run(rises=True), _run(rises=False), _run(rises=None)), 1)
    assert cs.share_bounds_of(sample, cs.CATAPULT.flags) == (0.25, 0.75)


def test_a_small_initial_imbalance_is_a_value_not_an_open_run():
    # d0 = 1 - 0.5 = 0.5 for (1, 0.5**0.5); |d∞| = 0.25: ratio 0.5
    run = _run(x0=1.0, y0=0.5**0.5, imbalance=0.25)
    lo, hi = cs.imbalance_ratio_median_bounds(cs.Certified((run,), 0))
    assert lo == pytest.approx(0.5, rel=1e-12) and hi == pytest.approx(0.5, rel=1e-12)


def test_every_balanced_start_counts_open_and_the_runs_after_it_count():
    balanced = _run(x0=0.7, y0=0.7)
    runs = (balanced, balanced, _run(imbalance=0.2), _run(imbalance=0.4), _run(imbalance=0.6))   # ratios .1 .2 .3
    lo, hi = cs.imbalance_ratio_median_bounds(cs.Certified(runs, 0))
    assert lo == pytest.approx(0.1) and hi == pytest.approx(0.3)


def test_an_empty_sample_has_no_median_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = cs.imbalance_ratio_median_bounds(cs.Certified((), 0))
        assert math.isnan(lo) and math.isnan(hi)
        assert cs.imbalance_ratio_median_bounds(cs.Certified((), 1)) == (0.0, math.inf)


def test_the_float_share_picks_the_sweeps_to_certify():
    none_converge = sweep("quartic", 3.0, 0, 20, "unbalanced")
    assert cs._float_share(none_converge, cs.CATAPULT) == 0.0
    square = sweep("square", 2.5, 0, 20, "unbalanced")
    assert cs._float_share(square, cs.CATAPULT) == 1.0          # every converged square run catapults
    good = sweep("softplus-pair:a=1/4", 3.0, 0, 40, "unbalanced")
    conv, k = int(dynamics.converged(good).sum()), int(cs.catapulted(good).sum())
    assert 0 < k < conv and cs._float_share(good, cs.CATAPULT) == k / conv


def test_certified_of_narrows_only_to_its_width():
    sample = cs.Certified.of(sweep("softplus-pair:a=1/4", 3.0, 0, 20, "unbalanced"))
    assert max(c.ratio.width for c in sample.converged) > 1e-6      # 1e-6 would narrow every one further


# --- the hooks at their boundaries ----------------------------------------------------------------

CASE = ("square", 2.5, 0, 20)


def test_edge_share_hook_boundaries(samples):
    hook = cs.edge_share_certificate(0.5)("unbalanced")
    samples["square"] = [_sample(MIN_CONVERGED // 2, MIN_CONVERGED // 2)]        # share exactly 0.5
    refused = hook(CASE)
    assert refused["tier"] == "float64" and refused["edge_share_bounds"] == [0.5, 0.5]
    assert "not below 0.5" in refused["reason"]
    samples["square"] = [_sample(MIN_CONVERGED // 2 - 1, MIN_CONVERGED // 2 + 1)]
    proof = hook(CASE)
    assert proof["tier"] == "certified" and proof["certified_converged"] == MIN_CONVERGED and proof["unproven"] == 0
    assert "at most 0.45 < 0.5" in proof["how"] and "every run of this sweep certified" in proof["how"]
    assert "counted in the worst case for the proof" in proof["how"] and proof["edge_share_bounds"] == [0.45, 0.45]
    samples["square"] = [_sample(0, MIN_CONVERGED - 1)]
    assert "only 19 runs are certified converged" in hook(CASE)["reason"]
    samples["square"] = [_sample(0, MIN_CONVERGED, unproven=3)]
    assert hook(CASE)["unproven"] == 3


def test_edge_share_hook_reads_its_band(samples):
    hook = cs.edge_share_certificate(0.5, band=0.99)("unbalanced")
    samples["square"] = [_sample(MIN_CONVERGED, 0)]          # ratios [0.97, 0.98]: off a 0.99 band
    assert hook(CASE)["tier"] == "certified"


def test_edge_share_hook_reads_a_case_of_four_fields_only():
    hook = cs.edge_share_certificate(0.5)("unbalanced")
    proof = hook((*CASE, True))         # a fifth field read as Sweep's fixed_h would run every start at one h
    assert proof["tier"] == "certified" and proof["certified_converged"] == 20


def test_balancing_hook_boundaries(samples):
    hook = cs.stronger_balancing_certificate(dynamics.STRONGER_BALANCING, strict=0.5)("box")
    case = ("softplus-pair:a=1", 1.0, 0, 20)
    at = [_run(imbalance=2 * 0.4, spec="softplus-pair:a=1")] * MIN_CONVERGED       # ratio 0.4 (d0 = 2)
    double = [_run(imbalance=2 * 0.2, spec="softplus-pair:a=1")] * MIN_CONVERGED   # ratio 0.2 = 0.5 × 0.4
    samples["softplus-pair:a=1"] = [cs.Certified(tuple(at), 0), cs.Certified(tuple(double), 0)]
    proof = hook(case)
    assert proof["tier"] == "certified" and proof["certified_converged"] == 2 * MIN_CONVERGED
    assert proof["median_at_kappa_at_most"] == pytest.approx(0.4) and proof["median_at_double_at_least"] == \
        pytest.approx(0.2)
    assert "these 2 sweeps" in proof["how"] and "not below 0.5" in proof["how"]
    lower = [_run(imbalance=2 * 0.19, spec="softplus-pair:a=1")] * MIN_CONVERGED
    samples["softplus-pair:a=1"] = [cs.Certified(tuple(at), 0), cs.Certified(tuple(lower), 0)]
    refused = hook(case)
    assert refused["tier"] == "float64" and "do not refute it" in refused["reason"]
    assert refused["median_at_kappa_at_most"] == pytest.approx(0.4)
    samples["softplus-pair:a=1"] = [cs.Certified(tuple(at[:-1]), 0), cs.Certified(tuple(double), 0)]
    assert "only 19 runs of a sweep" in hook(case)["reason"]


def test_spread_hook_boundaries(samples):
    hook = cs.share_spread_certificate(dynamics.CATAPULT_ORDERING, spread=0.5, counted=cs.CATAPULT)("unbalanced")
    case = (3.0, 0, 40)
    high = cs.Certified((_run(rises=True),) * 3 + (_run(rises=False),), 0)           # 0.75
    low = cs.Certified((_run(rises=True),) + (_run(rises=False),) * 3, 0)            # 0.25: apart by 0.5
    samples.update({"square": [high], "softplus-pair:a=0.25": [low]})
    refused = hook(case)
    assert refused["tier"] == "float64" and "not more than 0.5 apart" in refused["reason"]
    assert refused["families"] == ["square", "softplus-pair:a=1/4"]   # the specs as the layout names them
    assert refused["high_share_at_least"] == 0.75 and refused["low_share_at_most"] == 0.25
    lower = cs.Certified((_run(rises=False),) * 4, 1)                                  # at most 0.2
    samples.update({"square": [high], "softplus-pair:a=0.25": [lower]})
    proof = hook(case)
    assert proof["tier"] == "certified" and proof["certified_converged"] == 8 and proof["unproven"] == 1
    assert "square: at least 0.75 of the converged runs that catapult" in proof["how"]
    assert "these 2 sweeps" in proof["how"] and proof["families"] == ["square", "softplus-pair:a=1/4"]


def test_spread_hook_certifies_the_extremes_wherever_they_lie(samples):
    """The lowest float share is the last family here (a = 1 at κ = 3): the pair certified is the first and last,
    apart by 1 > the default spread 0.1."""
    case = (3.0, 0, 20)
    samples.update({"softplus-pair:a=0.25": [_sample(4, 0)], "softplus-pair:a=1": [_sample(0, 4)]})
    proof = cs.share_spread_certificate(dynamics.GOOD_ORDERING)("unbalanced")(case)
    assert proof["tier"] == "certified" and proof["families"] == ["softplus-pair:a=1/4", "softplus-pair:a=1"]

