"""Bindings for lrbias/claims/statistics.py: every comparison at its boundary on both sides, every
constant where it binds (MIN_CONVERGED, ON_MINIMISERS, the default eos level, the 1e-9 tolerance),
a family with ℓ″(1) = 2, starts with |x0| ≫ |y0| and |y0| ≫ |x0|, figures and deciding rows in order.

Written against the survivors of mutmut on this module (``python -m mutants.tool run
lrbias/claims/statistics.py``); the batches are hand-made with exact binary fractions, so each
boundary is met exactly.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np
import pytest

from lrbias.claims import statistics as st
from lrbias.gd.outcome import Outcome

C, D, P = int(Outcome.CONVERGED), int(Outcome.DIVERGED), int(Outcome.PERIODIC)


@dataclass
class Batch:
    """What the statistics read of a BatchResult, with the same derived figures."""

    outcome: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x: np.ndarray
    y: np.ndarray
    h: np.ndarray
    sharpness: np.ndarray
    family: str = "logcosh"

    def __len__(self) -> int:
        return len(self.outcome)

    @property
    def settings(self):
        """A budget of 5000 steps, every run using all of it (an undecided run is an open one)."""
        return types.SimpleNamespace(max_steps=5000)

    @property
    def steps(self):
        return np.full(len(self.outcome), 5000)

    @property
    def ratio(self):
        return self.sharpness * self.h / 2

    @property
    def C(self):
        return self.h * (self.x0 * self.x0 + self.y0 * self.y0)

    @property
    def imbalance(self):
        return self.x * self.x - self.y * self.y

    @property
    def gap2(self):
        return (self.x - self.y) ** 2

    def mask(self, outcome):
        return self.outcome == int(outcome)

    def shares(self):
        n = max(len(self), 1)
        return {str(o): float(np.count_nonzero(self.outcome == int(o))) / n for o in Outcome}


def batch(outcome, *, x0=None, y0=None, x=None, y=None, h=None, ratio=None, family="logcosh") -> Batch:
    n = len(outcome)
    full = lambda v, d: np.broadcast_to(np.asarray(d if v is None else v, float), (n,)).copy()  # noqa: E731
    hh = full(h, 0.5)
    sharp = full(ratio, 0.5) * 2 / hh
    return Batch(np.asarray(outcome, int), full(x0, 2.0), full(y0, 0.5), full(x, 1.0), full(y, 1.0), hh, sharp,
                 family)


# --- masks -------------------------------------------------------------------------------------

def test_on_minimisers_is_strict_two_sided_and_drops_non_finite_points():
    b = batch([C] * 7, x=[1.25, 1.125, 0.875, 0.75, np.nan, np.inf, 1.0])
    assert st.on_minimisers(b, 0.25).tolist() == [False, True, True, False, False, False, True]
    assert st.on_minimisers(b, 0.2500001).tolist() == [True, True, True, True, False, False, True]


def test_on_minimisers_default_distance_is_1e_8():
    assert st.ON_MINIMISERS == 1e-8
    b = batch([C] * 4, x=[1 + 2e-9, 1 - 2e-9, 1 + 5e-8, 1 - 5e-8])
    assert st.on_minimisers(b).tolist() == [True, True, False, False]


def test_eos_runs_include_the_level_and_need_convergence():
    b = batch([C, C, D, C], ratio=[0.7, 0.6875, 0.9, 0.75])
    assert st.eos_runs(b).tolist() == [True, False, False, True]      # default level 0.7, inclusive
    assert st.eos_runs(b, 0.75).tolist() == [False, False, False, True]
    assert st.eos_runs(b, 0.6875).tolist() == [True, True, False, True]


def test_no_rows_is_an_empty_integer_index():
    rows = st._none()
    assert rows.size == 0 and rows.dtype.kind == "i"
    assert np.arange(3)[rows].size == 0


# --- share converged ---------------------------------------------------------------------------

def test_share_converged_at_its_threshold_on_both_sides():
    b = batch([C, D, C, C])
    check, rows = st.share_converged(0.75)(b)
    assert check.verdict == "pass" and check.margin == 0.0
    assert check.detail["share"] == 0.75 and check.detail["n"] == 4 and check.detail["outcomes"] == b.shares()
    assert rows.tolist() == [1]
    check, rows = st.share_converged(0.8125)(b)
    assert check.verdict == "fail" and check.margin == pytest.approx(-0.0625)
    assert rows.tolist() == [1]
    assert st.share_converged(0.6875)(b)[0].margin == pytest.approx(0.0625)


# --- median ratio ------------------------------------------------------------------------------

def _n_converged(k: int, extra: int = 3, ratio: float = 0.5) -> Batch:
    return batch([C] * k + [D] * extra, ratio=[ratio] * k + [9.0] * extra)


def test_median_ratio_needs_exactly_min_converged_runs():
    assert st.MIN_CONVERGED == 20
    check, rows = st.median_ratio_at_least(0.5)(_n_converged(st.MIN_CONVERGED - 1))
    assert check.verdict == "inconclusive" and check.detail["converged"] == st.MIN_CONVERGED - 1
    assert check.detail["reason"] == "too few converged runs" and rows.size == 0
    check, rows = st.median_ratio_at_least(0.5)(_n_converged(st.MIN_CONVERGED))
    assert check.verdict == "pass" and check.margin == 0.0 and check.detail["converged"] == st.MIN_CONVERGED
    assert sorted(rows.tolist()) == list(range(st.MIN_CONVERGED))


def test_median_ratio_boundary_margin_figures_and_row_order():
    ratios = np.linspace(0.25, 1.25, 21)  # median 0.75; the diverged runs at 9 would move it
    b = batch([C] * 21 + [D, D], ratio=[*ratios, 9.0, 9.0])
    check, rows = st.median_ratio_at_least(0.75)(b)
    assert check.verdict == "pass" and check.margin == pytest.approx(0.0, abs=1e-15)
    assert check.detail["median_ratio"] == pytest.approx(0.75) and check.detail["converged"] == 21
    assert check.detail["q05"] == pytest.approx(float(np.quantile(ratios, 0.05)))
    assert check.detail["q05"] != pytest.approx(float(np.quantile(ratios, 0.5)))
    assert rows[0] == 10 and set(rows[1:3].tolist()) == {9, 11} and 21 not in rows and 22 not in rows
    assert rows[-1] in (0, 20)
    check = st.median_ratio_at_least(0.8125)(b)[0]
    assert check.verdict == "fail" and check.margin == pytest.approx(0.75 - 0.8125)


# --- EoS share ---------------------------------------------------------------------------------

def test_eos_share_counts_all_runs_and_includes_its_levels():
    b = batch([C, C, C, D], ratio=[0.7, 0.5, 0.8, 0.9])   # EoS: runs 0 (at the level) and 2; run 3 diverged
    check, rows = st.eos_share_at_most(0.5, eos=0.7)(b)     # κ = 2.125 > 2 for every run of the batch
    assert check.verdict == "pass" and check.margin == 0.0 and rows.tolist() == [0, 2]
    assert check.detail["eos_share"] == 0.5 and check.detail["converged_share"] == 0.75
    assert check.detail["outcomes"] == b.shares()
    check = st.eos_share_at_most(0.4375, eos=0.7)(b)[0]
    assert check.verdict == "fail" and check.margin == pytest.approx(-0.0625)
    check, rows = st.eos_share_at_most(0.25, eos=0.75)(b)
    assert check.verdict == "pass" and rows.tolist() == [2] and check.detail["eos_share"] == 0.25


# --- imbalance shrinks -------------------------------------------------------------------------

def test_imbalance_shrinks_on_unbalanced_starts_both_ways():
    n = st.MIN_CONVERGED
    # |x0| >> |y0| (d0 = 15) and |y0| >> |x0| (d0 = -15): |d| counts, not d
    x0 = np.array([4.0, 1.0] * (n // 2))
    y0 = np.array([1.0, 4.0] * (n // 2))
    x = np.array([4.0, np.sqrt(2.0)] * (n // 2))
    y = np.array([np.sqrt(2.0), 4.0] * (n // 2))  # final imbalance ±14 (up to rounding): shrank from 15
    check, rows = st.imbalance_shrinks(1.0)(batch([C] * n, x0=x0, y0=y0, x=x, y=y))
    assert check.verdict == "pass" and check.margin == 0.0 and rows.size == 0
    assert check.detail["share_shrunk"] == 1.0 and check.detail["converged"] == n
    # exactly as large as at the start: not shrunk (strict)
    check, rows = st.imbalance_shrinks(0.5)(batch([C] * n, x0=x0, y0=y0, x=x0, y=y0))
    assert check.verdict == "fail" and check.margin == -0.5 and rows.tolist() == list(range(n))
    # the fraction binds: 14 < 15 but not < 0.9 · 15 = 13.5
    check, rows = st.imbalance_shrinks(0.5, fraction=0.9)(batch([C] * n, x0=x0, y0=y0, x=x, y=y))
    assert check.detail["share_shrunk"] == 0.0 and check.verdict == "fail"


def test_imbalance_shrinks_needs_min_converged_and_counts_only_those():
    n = st.MIN_CONVERGED
    y = np.sqrt(4.0 - 1.0)  # final imbalance 1 < 15
    ok = batch([C] * n + [D], x0=4.0, y0=1.0, x=2.0, y=y)
    ok.x[-1] = 100.0  # the diverged run: not counted, not a row
    check, rows = st.imbalance_shrinks(1.0)(ok)
    assert check.verdict == "pass" and check.detail["converged"] == n and rows.size == 0
    few = batch([C] * (n - 1) + [D], x0=4.0, y0=1.0, x=2.0, y=y)
    check, rows = st.imbalance_shrinks(1.0)(few)
    assert check.verdict == "inconclusive" and check.detail["converged"] == n - 1 and rows.size == 0
    assert check.detail["reason"] == "too few converged runs"
    half = batch([C] * n, x0=4.0, y0=1.0, x=2.0, y=y)
    half.x[: n // 2] = 5.0  # imbalance 22 > 15: did not shrink
    check, rows = st.imbalance_shrinks(0.5)(half)
    assert check.verdict == "pass" and check.margin == 0.0 and rows.tolist() == list(range(n // 2))
    assert st.imbalance_shrinks(0.5625)(half)[0].verdict == "fail"


# --- the stability bound (x∞ − y∞)² ≤ slack · (2/(hℓ″(1)) − 2) ---------------------------------

CURVED = "expr:(s-1)**2"   # ℓ″(1) = 2: a bound that ignored the curvature would be 6, not 2


def _bound_batch(gap: list[float], outcome=None, h=0.25, family=CURVED) -> Batch:
    gap_arr = np.asarray(gap, float)
    y = np.full(len(gap), 0.5)
    return batch(outcome or [C] * len(gap), x=y + gap_arr, y=y, h=h, family=family)


def test_stability_bound_uses_the_curvature_the_slack_and_the_tolerance():
    from lrbias.losses.families import get_family
    assert get_family(CURVED).curvature == 2.0
    # h = 0.25, ℓ″(1) = 2: 2/(h ℓ″(1)) − 2 = 2; slack 2 → 4, so a final gap x − y = 2 sits on the bound
    check, rows = st.imbalance_bound(2.0)(_bound_batch([2.0, 1.0, 0.5]))
    assert check.verdict == "pass" and check.margin == 0.0
    assert check.detail["worst_gap2"] == 4.0 and check.detail["bound"] == 4.0 and rows.tolist() == [0, 1, 2]
    check, rows = st.imbalance_bound(1.0)(_bound_batch([0.5, 2.0, 1.0]))
    assert check.verdict == "fail" and check.margin == -2.0 and rows.tolist() == [1, 2, 0]
    assert check.detail["bound"] == 2.0 and check.detail["worst_gap2"] == 4.0
    assert st.imbalance_bound()(_bound_batch([1.0]))[0].margin == 1.0  # default slack 1: bound 2
    # the tolerance is 1e-9 on the gap, both sides
    inside = st._within_stability_bound(_bound_batch([1.0]), np.array([True]), 0.5 - 0.25e-9)[0]  # bound 1 − 0.5e-9
    outside = st._within_stability_bound(_bound_batch([1.0]), np.array([True]), 0.5 - 1e-9)[0]  # bound 1 − 2e-9
    assert inside.verdict == "pass" and outside.verdict == "fail"


def test_stability_bound_reads_each_runs_own_step_size_and_only_its_rows():
    b = _bound_batch([1.25, 1.5, 9.0], outcome=[C, C, D], h=np.array([0.25, 0.125, 0.25]))
    check, rows = st.imbalance_bound(1.0)(b)  # bounds 2 and 6: run 0 has 0.4375 left, run 1 has 3.75
    assert check.verdict == "pass" and check.margin == 0.4375 and rows.tolist() == [0, 1]
    assert check.detail["bound"] == 2.0 and check.detail["worst_gap2"] == 1.5625
    extra = st._within_stability_bound(b, np.array([True, True, False]), 1.0, tag=7)[0]
    assert extra.detail["tag"] == 7


def test_imbalance_bound_without_a_converged_run_is_undecided():
    check, rows = st.imbalance_bound()(_bound_batch([1.0, 1.0], outcome=[D, P]))
    assert check.verdict == "inconclusive" and check.detail["reason"] == "no converged run" and rows.size == 0
    assert st.imbalance_bound()(_bound_batch([1.0, 1.0], outcome=[D, C]))[0].verdict == "pass"


def test_minimiser_bound_reads_the_final_point_not_the_label():
    # on xy = 1 with x − y = g: x = (g + √(g² + 4))/2, y = 1/x
    def on(g):
        x = (g + np.sqrt(g * g + 4)) / 2
        return x, 1 / x
    pts = [on(1.0), on(0.5), (3.0, 0.5)]  # the last is off the minimiser set (xy = 1.5)
    b = batch([P, C, C], x=[p[0] for p in pts], y=[p[1] for p in pts], h=0.25, family=CURVED)
    check, rows = st.minimiser_bound(1.0)(b)
    assert check.verdict == "pass" and rows.tolist() == [0, 1]
    assert check.detail["on_minimisers"] == 2 and check.detail["not_labelled_converged"] == 1
    assert check.margin == pytest.approx(1.0) and check.detail["bound"] == 2.0
    assert st.minimiser_bound()(b)[0].margin == pytest.approx(1.0)
    check = st.minimiser_bound(0.25)(b)[0]
    assert check.verdict == "fail" and check.margin == pytest.approx(-0.5)
    off = batch([C], x=3.0, y=0.5)
    check, rows = st.minimiser_bound()(off)
    assert check.verdict == "inconclusive" and rows.size == 0
    assert check.detail["reason"] == "no run ended on the minimiser set"


def test_final_gap_at_most_initial_boundary_figures_and_rows():
    b = batch([C, C, C, D], x0=[3.0, 2.0, 1.5, 9.0], y0=[1.0, 1.0, 1.0, 0.0],
              x=[3.0, 1.5, 1.0, 0.0], y=[1.0, 1.0, 1.0, 0.0])
    # initial gaps 4, 1, 0.25; final 4 (equal: holds), 0.25, 0: room 0, 0.75, 0.25; run 3 diverged (81 → 0)
    check, rows = st.final_gap_at_most_initial()(b)
    assert check.verdict == "pass" and check.margin == 0.0 and rows.tolist() == [0, 2, 1]
    assert check.detail["worst_final_gap2"] == 4.0 and check.detail["initial_gap2"] == 4.0
    b.x[2] = 1.75  # final gap 0.5625 > 0.25
    check, rows = st.final_gap_at_most_initial()(b)
    assert check.verdict == "fail" and check.margin == pytest.approx(-0.3125) and rows.tolist() == [2, 0, 1]
    assert check.detail["worst_final_gap2"] == pytest.approx(0.5625) and check.detail["initial_gap2"] == 0.25
    none = batch([D, P])
    check, rows = st.final_gap_at_most_initial()(none)
    assert check.verdict == "inconclusive" and check.detail["reason"] == "no converged run" and rows.size == 0


def test_the_variant_file_names_map_to_their_builders():
    assert st.STATISTICS == {"median-ratio-at-least": st.median_ratio_at_least,
                             "share-converged-at-least": st.share_converged,
                             "imbalance-shrinks": st.imbalance_shrinks, "eos-share-at-most": st.eos_share_at_most,
                             "edge-share-at-least": st.edge_statistic}


def test_the_tolerance_of_the_stability_bound_is_inclusive():
    # h ℓ″(1) = 2: 2/(h ℓ″(1)) − 2 = −1, slack 1e-9: the bound is exactly −1e-9, a balanced run sits on it
    b = batch([C], x=1.0, y=1.0, h=1.0, family=CURVED)
    check = st._within_stability_bound(b, np.array([True]), 1e-9)[0]
    assert check.margin == -1e-9 and check.verdict == "pass"
    assert st._within_stability_bound(b, np.array([True]), 1.5e-9)[0].verdict == "fail"


def test_minimiser_bound_counts_the_runs_not_labelled_converged():
    def on(g):
        x = (g + np.sqrt(g * g + 4)) / 2
        return x, 1 / x
    pts = [on(1.0), on(0.5), on(0.25)]
    b = batch([P, D, C], x=[p[0] for p in pts], y=[p[1] for p in pts], h=0.25, family=CURVED)
    check = st.minimiser_bound()(b)[0]
    assert check.detail["on_minimisers"] == 3 and check.detail["not_labelled_converged"] == 2


def test_masks_of_overflowed_runs_raise_no_floating_point_warning():
    """A diverged run can end at (inf, 0): xy is NaN (an invalid operation), which the masks read quietly."""
    b = batch([D, C], x=[np.inf, 1.0], y=[0.0, 1.0])
    with np.errstate(all="raise"):
        assert st.on_minimisers(b).tolist() == [False, True]
