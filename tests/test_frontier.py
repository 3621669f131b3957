"""The frontier finder recovers a known frontier: linear stability of the square loss's minimisers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrbias.claims.frontier import find_frontier, merge_ranges
from lrbias.cli import main
from lrbias.gd import Outcome, Settings, run_batch
from lrbias.losses.families import get_family
from lrbias.verdict import Verdict, holds


def stays_at_its_minimiser(kappa: float, tol: float = 1e-3):
    """Starts 1e-6 off minimisers (t, 1/t); h = κ / (ℓ″(1) q0).

    Closed form: the minimiser is linearly stable iff hℓ″(1)q < 2, i.e. κ < 2, so for κ < 2 the
    run settles within 1e-3 of its start's norm, and for κ > 2.002 it must leave it (any stable
    limit has q∞ ≤ 2q0/κ).  The frontier is therefore κ* = 2.
    """
    fam = get_family("square")
    t = np.array([0.7, 1.5, 3.0])
    x0, y0 = t * (1 + 1e-6), 1 / t
    q0 = x0 * x0 + y0 * y0
    res = run_batch(fam, x0, y0, h=kappa / (fam.curvature * q0), settings=Settings(max_steps=200_000))
    drift = np.abs((res.x**2 + res.y**2) / q0 - 1)
    ok = bool(np.all(res.outcome == int(Outcome.CONVERGED)) and np.all(drift < tol))
    worst = float(np.nanmax(np.where(np.isfinite(drift), drift, np.inf)))
    return holds(ok, tol - worst if np.isfinite(worst) else -1.0, drift=worst)


def test_frontier_recovers_the_stability_threshold():
    result = find_frontier(stays_at_its_minimiser, 1.0, 4.0, grid=7, steps=10)
    assert len(result["boundaries"]) == 1
    lo, hi = result["boundaries"][0]["between"]
    assert lo <= 2.0 <= hi * 1.0011 and hi - lo < 0.01, result["boundaries"]
    assert result["holds_on"][0][0] == 1.0 and 1.99 < result["holds_on"][0][1] <= 2.0
    assert all(v == str(Verdict.PASS) for k, v, _ in result["points"] if k < 1.99)


def test_frontier_catches_a_wrong_threshold():
    """A mutant claim 'stable up to κ = 3' (checked as holding iff κ < 3) disagrees with the finder."""
    result = find_frontier(stays_at_its_minimiser, 1.0, 4.0, grid=7, steps=10)
    claimed_boundary = 3.0
    found = result["boundaries"][0]["between"]
    assert not (found[0] <= claimed_boundary <= found[1])


@pytest.mark.slow
def test_frontiers_identical_on_a_local_dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    paths = {}
    for name, extra in (("serial", []), ("dask", ["--workers", "2"])):
        paths[name] = tmp_path / f"{name}.json"
        assert main(["check", "convergence.good-regularity-large-lr", "--profile", "smoke", "--no-nn", "--quiet",
                     "--json", str(paths[name]), *extra]) == 0
    frontier = {k: json.loads(p.read_text())["entries"][0]["frontier"] for k, p in paths.items()}
    assert frontier["serial"] == frontier["dask"] and frontier["serial"]["families"]


def test_slow_oscillation_near_the_edge_is_not_called_periodic():
    """Multiplier 1 − κ ≈ −0.996: x_t ≈ x_(t−2) to 1e-12 long before convergence; still converged.

    (Found by the frontier test: the periodic rule used to fire on such decaying oscillations.)
    """
    from lrbias.gd import run_mp

    fam = get_family("square")
    x0, y0 = 1.5 * (1 + 1e-6), 1 / 1.5
    h = 1.9959 / (fam.curvature * (x0 * x0 + y0 * y0))
    st = Settings(max_steps=200_000)
    assert run_batch(fam, [x0], [y0], h=h, settings=st).records()[0].outcome == "converged"
    assert run_mp(fam, x0, y0, h, 30, st).outcome == "converged"


def test_ranges_are_written_lo_to_hi():
    assert merge_ranges([[2.0, 3.5], [5.0, 8.0]]) == "[2, 3.5] ∪ [5, 8]"
    assert merge_ranges([]) == "nowhere"


def test_an_undecided_grid_point_is_never_a_fail_and_every_point_carries_its_counts():
    """Points whose open runs could flip them are inconclusive: they break a holding range but are not
    counted as fails, no bisection runs into them, and each point records runs, open share, steps and cap."""
    from lrbias.verdict import inconclusive

    def predicate(kappa: float):
        counts = {"runs": 200, "steps": 5000, "budget_cap": 1_000_000, "stopped": "decided"}
        if 2.0 < kappa < 3.0:
            return inconclusive("open runs could flip it", undecided=40, undecided_share=0.2, **counts)
        return holds(kappa <= 2.0 or kappa >= 3.0, 0.1, undecided=0, undecided_share=0.0, **counts)

    result = find_frontier(predicate, 1.0, 4.0, grid=7, steps=6, log_scale=False)
    assert not any(v == str(Verdict.FAIL) for _, v, _ in result["points"])
    assert any(v == str(Verdict.INCONCLUSIVE) for _, v, _ in result["points"])
    assert result["boundaries"] == [] and len(result["holds_on"]) == 2
    counts = result["point_counts"]
    assert len(counts) == len(result["points"])
    assert all({"undecided_share", "budget_cap", "steps", "runs"} <= set(c) for c in counts)
    assert [c["undecided_share"] for c in counts if 2 < c["kappa"] < 3] == [0.2]   # the grid point 2.5


def test_no_edge_of_stability_frontier_contains_kappa_two_or_below():
    """The edge statistic fails at κ ≤ 2 whatever the ratios: converged runs there are inside the stable region."""
    from lrbias.claims.statistical import frontier_predicate
    from lrbias.claims.statistics import edge_statistic

    predicate = frontier_predicate(edge_statistic(0.5))
    assert predicate("softplus-pair:a=1/2", 2.0, 60, 0, "unbalanced").verdict == Verdict.FAIL
    assert predicate("softplus-pair:a=1/2", 2.2, 60, 0, "unbalanced").verdict == Verdict.PASS
