"""Bindings for lrbias/claims/frontier.py: the range and grid checks at their boundaries on both sides
(log and linear scale), the declared defaults, the grid's exact points, one evaluation per κ, every
bisection step (geometric and arithmetic midpoints, both directions, a stop at an inconclusive
midpoint), holding ranges, margins, the counts a point carries, and the scan's layout per start
distribution (order, arguments, a mapper that returns too few results).

Written against the survivors of mutmut on this module (``python -m mutants.tool run
lrbias/claims/frontier.py``); every predicate is a synthetic step function, so each transition
is met exactly and no run of gradient descent is needed.
"""

from __future__ import annotations

import math

import pytest

from lrbias.claims import frontier as fr
from lrbias.claims.profiles import Profile
from lrbias.errors import InvalidArgument
from lrbias.verdict import Check, fail, holds, inconclusive, passed

RANGE_MESSAGE = ("frontier range [{}, {}] is empty, not finite or not positive; "
                 "accepted: finite 0 < lo < hi (lo < hi on a linear scale)")


def always_pass(*args) -> Check:
    return passed(1.0)


def counting(predicate):
    """``predicate`` with a list of the κ it was called on."""
    calls: list[float] = []

    def wrapped(k: float) -> Check:
        calls.append(k)
        return predicate(k)

    return wrapped, calls


# --- Frontier: the declared scan -------------------------------------------------------------------


def test_declared_defaults():
    """A Frontier scans 7 grid points on a log scale of κ, the 'box' starts only."""
    f = fr.Frontier(("square",), 1.0, 4.0, always_pass)
    assert (f.grid, f.log_scale, f.parameter, f.starts) == (7, True, "kappa", ("box",))


@pytest.mark.parametrize(("lo", "hi"), [(0.0, 1.0), (-1.0, 1.0), (1.0, 1.0), (2.0, 1.0), (1.0, math.inf),
                                        (math.nan, 1.0), (1.0, math.nan)])
def test_a_log_scale_range_must_be_finite_and_positive(lo, hi):
    """Log scale: 0 < lo < hi, both finite; lo = 0, lo = hi, lo > hi, hi = inf and NaN are refused."""
    with pytest.raises(InvalidArgument) as err:
        fr.Frontier(("square",), lo, hi, always_pass)
    assert str(err.value) == RANGE_MESSAGE.format(lo, hi)


@pytest.mark.parametrize(("lo", "hi"), [(1.0, 1.0), (2.0, 1.0), (-math.inf, 0.0), (0.0, math.inf)])
def test_a_linear_range_must_be_finite_and_increasing(lo, hi):
    """Linear scale: lo < hi, both finite; lo = hi, lo > hi and infinite ends are refused."""
    with pytest.raises(InvalidArgument) as err:
        fr.Frontier(("square",), lo, hi, always_pass, log_scale=False)
    assert str(err.value) == RANGE_MESSAGE.format(lo, hi)


def test_the_smallest_accepted_ranges():
    """Log scale accepts any 0 < lo < hi (tiny lo); linear accepts lo <= 0 and a range ending at 0."""
    fr.Frontier(("square",), 5e-324, 1e-323, always_pass)
    fr.Frontier(("square",), 1.0, math.nextafter(1.0, 2.0), always_pass)
    fr.Frontier(("square",), -1.0, 0.0, always_pass, log_scale=False)
    fr.Frontier(("square",), -2.0, -1.0, always_pass, log_scale=False)


@pytest.mark.parametrize("grid", [1, 0, -3, 2.0, 7.0, "7", None])
def test_the_grid_must_be_an_integer_of_at_least_two(grid):
    """grid: an int >= 2; 1, 0, a negative, a float (even 2.0) and a string are refused."""
    with pytest.raises(InvalidArgument) as err:
        fr.Frontier(("square",), 1.0, 4.0, always_pass, grid=grid)
    assert str(err.value) == f"frontier grid {grid!r} is invalid; accepted: an integer >= 2"


def test_a_grid_of_two_is_accepted():
    """grid = 2 (the boundary) is accepted."""
    assert fr.Frontier(("square",), 1.0, 4.0, always_pass, grid=2).grid == 2


# --- the grid ---------------------------------------------------------------------------------------


def test_grid_points_exact():
    """_grid: [lo] below 2 points; ends included; linear steps even; log steps even in log κ."""
    assert fr._grid(1.0, 4.0, 1, True) == [1.0] and fr._grid(1.0, 4.0, 1, False) == [1.0]
    assert fr._grid(1.0, 4.0, 0, False) == [1.0]
    assert fr._grid(1.0, 4.0, 2, False) == [1.0, 4.0]
    assert fr._grid(1.0, 4.0, 4, False) == [1.0, 2.0, 3.0, 4.0]
    assert fr._grid(-2.0, 2.0, 5, False) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert fr._grid(1.0, 100.0, 3, True) == pytest.approx([1.0, 10.0, 100.0], rel=1e-13)
    assert fr._grid(2.0, 16.0, 4, True) == pytest.approx([2.0, 4.0, 8.0, 16.0], rel=1e-13)
    assert fr._grid(1.0, 4.0, 2, True) == pytest.approx([1.0, 4.0], rel=1e-13)


# --- find_frontier --------------------------------------------------------------------------------


@pytest.mark.parametrize(("lo", "hi", "log_scale"), [(0.0, 1.0, True), (1.0, 1.0, True), (2.0, 1.0, True),
                                                     (1.0, 1.0, False), (2.0, 1.0, False)])
def test_find_frontier_refuses_an_empty_range(lo, hi, log_scale):
    """find_frontier: log scale needs 0 < lo < hi, linear lo < hi (the boundaries refused)."""
    with pytest.raises(InvalidArgument) as err:
        fr.find_frontier(lambda k: passed(1.0), lo, hi, grid=3, steps=1, log_scale=log_scale)
    assert str(err.value) == f"frontier range [{lo}, {hi}] is empty or not positive"


def test_find_frontier_accepts_a_range_through_zero_on_a_linear_scale():
    """Linear scale: lo < 0 < hi is a valid range (only log scale needs lo > 0)."""
    result = fr.find_frontier(lambda k: passed(1.0), -1.0, 1.0, grid=3, steps=1, log_scale=False)
    assert [p[0] for p in result["points"]] == [-1.0, 0.0, 1.0]
    assert result["holds_on"] == [[-1.0, 1.0]]
    small = fr.find_frontier(lambda k: passed(1.0), 0.5, 0.75, grid=2, steps=1)
    assert small["holds_on"] == [pytest.approx([0.5, 0.75], rel=1e-13)]


def test_defaults_of_find_frontier():
    """Defaults: 7 grid points, 8 bisection steps, log scale."""
    predicate, calls = counting(lambda k: holds(k < 3.0, 3.0 - k))
    result = fr.find_frontier(predicate, 1.0, 64.0)
    grid = [2.0 ** i for i in range(7)]
    assert calls[:7] == pytest.approx(grid, rel=1e-13)
    assert len(calls) == 7 + 8
    (b,) = result["boundaries"]
    left, right = b["between"]
    assert left == pytest.approx(2.0 * 2.0 ** (149 / 256), rel=1e-12)   # sqrt of the 2..4 bracket, 8 times
    assert right == pytest.approx(2.0 * 2.0 ** (150 / 256), rel=1e-12)


def test_each_kappa_is_evaluated_once_and_the_grid_first():
    """The predicate runs once per κ (grid points in order, then the bisection's midpoints)."""
    predicate, calls = counting(lambda k: holds(k < 2.5, 2.5 - k))
    fr.find_frontier(predicate, 1.0, 4.0, grid=4, steps=3, log_scale=False)
    assert calls == [1.0, 2.0, 3.0, 4.0, 2.5, 2.25, 2.375]


def test_bisection_pass_to_fail_linear():
    """pass→fail: a failing midpoint moves the right end, a passing one the left; arithmetic midpoints."""
    result = fr.find_frontier(lambda k: holds(k < 2.5, 2.5 - k), 1.0, 4.0, grid=4, steps=3, log_scale=False)
    assert result["boundaries"] == [{"from": "pass", "to": "fail", "between": [2.375, 2.5], "width": 0.125}]
    assert result["holds_on"] == [[1.0, 2.375]]
    assert result["points"] == [[1.0, "pass", 1.5], [2.0, "pass", 0.5], [2.25, "pass", 0.25],
                                [2.375, "pass", 0.125], [2.5, "fail", 0.0], [3.0, "fail", -0.5],
                                [4.0, "fail", -1.5]]
    assert result["point_counts"] == []


def test_bisection_fail_to_pass_linear():
    """fail→pass: the left end stays on the failing side; 'from' and 'to' follow the grid's order."""
    result = fr.find_frontier(lambda k: holds(k > 2.5, k - 2.5), 1.0, 4.0, grid=4, steps=3, log_scale=False)
    assert result["boundaries"] == [{"from": "fail", "to": "pass", "between": [2.5, 2.625], "width": 0.125}]
    assert result["holds_on"] == [[2.625, 4.0]]


def test_no_bisection_step_keeps_the_grid_bracket():
    """steps = 0: the boundary is the grid bracket itself, width hi − lo of that bracket."""
    result = fr.find_frontier(lambda k: holds(k < 2.5, 2.5 - k), 1.0, 4.0, grid=4, steps=0, log_scale=False)
    assert result["boundaries"] == [{"from": "pass", "to": "fail", "between": [2.0, 3.0], "width": 1.0}]


def test_bisection_on_a_log_scale_uses_geometric_midpoints():
    """Log scale: the midpoint of [a, b] is sqrt(a·b)."""
    predicate, calls = counting(lambda k: holds(k < 3.0, 3.0 - k))
    result = fr.find_frontier(predicate, 1.0, 16.0, grid=3, steps=2)
    assert calls[3:] == pytest.approx([2.0, math.sqrt(8.0)], rel=1e-13)
    (b,) = result["boundaries"]
    assert b["between"] == pytest.approx([math.sqrt(8.0), 4.0], rel=1e-13)
    assert b["width"] == pytest.approx(4.0 - math.sqrt(8.0), rel=1e-12)


def test_every_transition_is_bisected_and_same_verdict_pairs_are_skipped():
    """pass, pass, fail, fail, pass: two boundaries, in order; the same-verdict pairs are not bisected."""
    def predicate(k):
        return holds(k < 2.5 or k > 4.5, 1.0)

    result = fr.find_frontier(predicate, 1.0, 5.0, grid=5, steps=1, log_scale=False)
    assert result["boundaries"] == [
        {"from": "pass", "to": "fail", "between": [2.0, 2.5], "width": 0.5},
        {"from": "fail", "to": "pass", "between": [4.5, 5.0], "width": 0.5},
    ]


def test_an_inconclusive_midpoint_stops_the_bisection():
    """An inconclusive midpoint ends that bisection: the bracket stays, no further midpoint runs."""
    def step(k):
        if 2.0 <= k < 3.0:
            return inconclusive("open")
        return holds(k < 2.0, 1.0)

    predicate, calls = counting(step)
    result = fr.find_frontier(predicate, 1.0, 4.0, grid=2, steps=5, log_scale=False)
    assert calls == [1.0, 4.0, 2.5]
    assert result["boundaries"] == [{"from": "pass", "to": "fail", "between": [1.0, 4.0], "width": 3.0}]
    assert result["points"][1] == [2.5, "inconclusive", None]


def test_a_transition_after_an_inconclusive_bisection_is_still_bisected():
    """A bisection stopped by an inconclusive midpoint does not end the scan of later grid pairs."""
    def step(k):
        if k == 1.5:
            return inconclusive("open")
        return holds(k < 1.5 or 2.5 <= k < 3.5, 1.0)

    result = fr.find_frontier(step, 1.0, 4.0, grid=4, steps=1, log_scale=False)
    assert result["boundaries"] == [
        {"from": "pass", "to": "fail", "between": [1.0, 2.0], "width": 1.0},
        {"from": "fail", "to": "pass", "between": [2.0, 2.5], "width": 0.5},
        {"from": "pass", "to": "fail", "between": [3.0, 3.5], "width": 0.5},
    ]


def test_an_inconclusive_grid_point_is_never_bisected_into():
    """A pair with an inconclusive end (either side) is skipped, and the pairs after it still scanned."""
    def step(k):
        if k == 2.0:
            return inconclusive("open")
        return holds(k < 3.5, 1.0)

    predicate, calls = counting(step)
    result = fr.find_frontier(predicate, 1.0, 4.0, grid=4, steps=1, log_scale=False)
    assert calls == [1.0, 2.0, 3.0, 4.0, 3.5]
    assert result["boundaries"] == [{"from": "pass", "to": "fail", "between": [3.0, 3.5], "width": 0.5}]
    assert result["holds_on"] == [[1.0, 1.0], [3.0, 3.0]]


def test_holding_ranges_are_maximal_runs_of_passes():
    """holds_on: each maximal run of passing points, [first, last]; single points and a last run count."""
    verdicts = {1.0: "fail", 2.0: "pass", 3.0: "pass", 4.0: "pass", 5.0: "inconclusive", 6.0: "pass",
                7.0: "fail", 8.0: "pass"}

    def step(k):
        v = verdicts[k]
        return inconclusive("open") if v == "inconclusive" else holds(v == "pass", 1.0)

    result = fr.find_frontier(step, 1.0, 8.0, grid=8, steps=0, log_scale=False)
    assert result["holds_on"] == [[2.0, 4.0], [6.0, 6.0], [8.0, 8.0]]
    assert [v for _, v, _ in result["points"]] == list(verdicts.values())


def test_a_range_passing_from_the_start():
    """holds_on opens at the first point when it passes."""
    result = fr.find_frontier(lambda k: holds(k < 2.5, 1.0), 1.0, 3.0, grid=3, steps=0, log_scale=False)
    assert result["holds_on"] == [[1.0, 2.0]]


def test_margins_infinite_or_not_measured_become_none():
    """A point's margin is kept when finite; ±∞ (or NaN, read as ±∞) is written as None."""
    margins = {1.0: passed(0.25), 2.0: passed(math.inf), 3.0: fail(-math.inf), 4.0: fail(math.nan),
               5.0: fail(-0.5)}
    result = fr.find_frontier(lambda k: margins[k], 1.0, 5.0, grid=5, steps=0, log_scale=False)
    assert [m for _, _, m in result["points"]] == [0.25, None, None, None, -0.5]


def test_point_counts_carry_the_population_figures_of_points_that_report_runs():
    """point_counts: one entry per point whose detail has 'runs', with the six COUNTS keys it has, no others."""
    full = {"runs": 10, "undecided": 2, "undecided_share": 0.2, "steps": 500, "budget_cap": 9000,
            "stopped": "decided"}

    def step(k):
        if k == 1.0:
            return passed(1.0, **full, other="x")
        if k == 2.0:
            return passed(1.0, undecided=1, steps=3)        # no 'runs': not counted
        return passed(1.0, runs=7)

    result = fr.find_frontier(step, 1.0, 3.0, grid=3, steps=0, log_scale=False)
    assert result["point_counts"] == [{"kappa": 1.0, **full}, {"kappa": 3.0, "runs": 7}]
    assert fr.COUNTS == ("runs", "undecided", "undecided_share", "steps", "budget_cap", "stopped")


def test_merge_ranges_three_significant_digits():
    """merge_ranges: three significant digits, ' ∪ ' between ranges, 'nowhere' for none."""
    assert fr.merge_ranges([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]) == "[1, 2] ∪ [3, 4] ∪ [5, 6]"
    assert fr.merge_ranges([[0.5, 4.36]]) == "[0.5, 4.36]"
    assert fr.merge_ranges([]) == "nowhere"


def test_merge_ranges_never_widens_a_range():
    """lo rounds up and hi down: [2.004, 10.71] must not print as '[2, 10.7]' (a claim at κ = 2)
    nor hi as 10.8; float noise is not a widening (15.999999999999998 prints as 16)."""
    assert fr.merge_ranges([[2.004, 10.71]]) == "[2.01, 10.7]"
    assert fr.merge_ranges([[1.23456, 2.0]]) == "[1.24, 2]"
    assert fr.merge_ranges([[0.5, 15.999999999999998]]) == "[0.5, 16]"
    assert fr.merge_ranges([[2.0000000000004, 3.0]]) == "[2, 3]"
    assert fr.merge_ranges([[9.9991, 12.0]]) == "[10, 12]"


def test_merge_ranges_keeps_the_ends_apart():
    """Rounded inwards, a narrow range's ends could cross or meet: more digits until they do not."""
    assert fr.merge_ranges([[3.0101, 3.0149]]) == "[3.011, 3.014]"
    assert fr.merge_ranges([[3.01, 3.0149]]) == "[3.01, 3.014]"
    assert fr.merge_ranges([[3.01000001, 3.01000002]]) == "[3.01000001, 3.01000002]"
    assert fr.merge_ranges([[2.5, 2.5]]) == "[2.5, 2.5]"
    assert fr.merge_ranges([[1.23456, 1.23456]]) == "[1.23456, 1.23456]"   # a point: digits until the ends meet


def test_merge_ranges_zero_and_infinite_ends():
    """0 and ±inf print as themselves (Decimal cannot quantize an infinity)."""
    assert fr.merge_ranges([[0.0, math.inf]]) == "[0, inf]"
    assert fr.merge_ranges([[-math.inf, 0.0]]) == "[-inf, 0]"


# --- Frontier.compute and family_frontier ---------------------------------------------------------

PROFILE = Profile("bind", max_examples=1, sweep_starts=1, frontier_starts=11, frontier_steps=2)


def recording_predicate(calls: list):
    """Passes below κ = 2.5 for family 'f', below 3.5 for the others; records every call's arguments."""
    def predicate(spec, k, n, seed, starts):
        calls.append((spec, k, n, seed, starts))
        edge = 2.5 if spec == "f" else 3.5
        return holds(k < edge, edge - k)
    return predicate


def test_compute_scans_each_start_distribution_and_family_with_the_profile_budget():
    """compute: one find_frontier per (starts, family) with the profile's starts, steps and the seed."""
    calls: list = []
    f = fr.Frontier(("f", "g"), 1.0, 4.0, recording_predicate(calls), grid=4, log_scale=False,
                    parameter="C", starts=("box", "unbalanced"))
    result = f.compute(PROFILE, seed=5)
    expected_f = fr.find_frontier(lambda k: holds(k < 2.5, 2.5 - k), 1.0, 4.0, 4, 2, False)
    expected_g = fr.find_frontier(lambda k: holds(k < 3.5, 3.5 - k), 1.0, 4.0, 4, 2, False)
    assert expected_f["boundaries"][0]["between"] == [2.25, 2.5]
    assert result == {
        "parameter": "C",
        "range": [1.0, 4.0],
        "starts": "box",
        "families": {"f": expected_f, "g": expected_g},
        "by_starts": {"box": {"f": expected_f, "g": expected_g}, "unbalanced": {"f": expected_f, "g": expected_g}},
    }
    assert {(n, seed) for _, _, n, seed, _ in calls} == {(11, 5)}
    assert [(c[0], c[4]) for c in calls if c[1] == 1.0] == [
        ("f", "box"), ("g", "box"), ("f", "unbalanced"), ("g", "unbalanced")]


def test_compute_default_seed_is_zero_and_the_first_starts_are_the_entrys_own():
    """compute: seed defaults to 0; 'starts' and 'families' are those of the first start distribution."""
    calls: list = []

    def predicate(spec, k, n, seed, starts):
        calls.append(seed)
        return holds(starts == "unbalanced", 1.0)

    f = fr.Frontier(("f",), 1.0, 4.0, predicate, grid=2, starts=("unbalanced", "box"))
    result = f.compute(PROFILE)
    assert set(calls) == {0}
    assert result["starts"] == "unbalanced"
    assert result["families"]["f"]["holds_on"] == [pytest.approx([1.0, 4.0], rel=1e-13)]
    assert result["by_starts"]["box"]["f"]["holds_on"] == []
    assert result["parameter"] == "kappa"


def test_compute_through_a_mapper():
    """compute(mapper=...): the mapper gets every (starts, family) item in order; its results are placed by item."""
    seen: list = []

    def mapper(fn, items):
        seen.extend(items)
        return [fn(item) for item in items]

    calls: list = []
    f = fr.Frontier(("f", "g"), 1.0, 4.0, recording_predicate(calls), grid=4, log_scale=False,
                    starts=("box", "unbalanced"))
    assert f.compute(PROFILE, seed=5, mapper=mapper) == f.compute(PROFILE, seed=5)
    assert seen == [("box", "f"), ("box", "g"), ("unbalanced", "f"), ("unbalanced", "g")]


def test_a_mapper_returning_too_few_results_is_an_error():
    """compute: a mapper that loses a result raises (zip strict), never a silently missing family."""
    f = fr.Frontier(("f", "g"), 1.0, 4.0, recording_predicate([]), grid=2)
    with pytest.raises(ValueError):
        f.compute(PROFILE, mapper=lambda fn, items: [fn(item) for item in items[:-1]])


def test_family_frontier_passes_the_scan_settings():
    """family_frontier: the frontier's range, grid, scale and the profile's bisection steps reach find_frontier."""
    calls: list = []
    f = fr.Frontier(("f",), 1.0, 16.0, recording_predicate(calls), grid=3)
    result = fr.family_frontier(f, PROFILE, 9, ("unbalanced", "f"))
    ks = [k for _, k, _, _, _ in calls]
    assert ks == pytest.approx([1.0, 4.0, 16.0, 2.0, math.sqrt(8.0)], rel=1e-13)
    assert {(spec, n, seed, starts) for spec, _, n, seed, starts in calls} == {("f", 11, 9, "unbalanced")}
    assert result["boundaries"][0]["between"] == pytest.approx([2.0, math.sqrt(8.0)], rel=1e-13)
    assert result == fr.find_frontier(lambda k: holds(k < 2.5, 2.5 - k), 1.0, 16.0, 3, 2, True)
