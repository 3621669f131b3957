"""Binding tests for lrbias.nn.phenomena: every figure a detector reports (the nn-grid table, the report
and docs/nn.md read them by name), every comparison at its boundary on both sides, every default.

Runs are built by hand with exact binary numbers (h = 0.5, S0 = 8, so S·h/2 = S/4), so whole detail
dicts are compared exactly.  Written against the mutants mutmut 3 left alive (DESIGN.md, mutation table).
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")

from lrbias.nn import phenomena as P
from lrbias.nn.config import RunConfig
from lrbias.nn.trainer import RunResult
from lrbias.verdict import Verdict

pytestmark = pytest.mark.nn

LR = 0.5


def run(*, lr: float = LR, loss=(4.0, 2.0, 1.0, 0.5, 0.25), w1=(6.0, 7.0, 8.0, 9.0, 10.0),
        w2=(20.0, 19.0, 18.0, 16.0, 14.0), steps=(0, 50, 75, 100), sharp=(2.0, 3.0, 4.0, 4.0),
        steps_run: int = 100, outcome: str = "completed", s0: float | None = 8.0, residual=None) -> RunResult:
    hist = {"step": list(range(len(loss))), "loss": list(loss), "accuracy": [0.5] * len(loss),
            "w1": list(w1), "w2": list(w2)}
    meta = {} if s0 is None else {"s0": s0}
    if residual is not None:
        meta["lanczos_residual"] = list(residual)
    return RunResult(RunConfig(lr=lr), hist, list(steps), [[s] for s in sharp], outcome,
                     "diverged at step 3" if outcome == "diverged" else "budget", steps_run, 0.0, "cpu", meta)


BASE = {"lr": LR, "two_over_lr": 4.0, "s0": 8.0, "s0_lr_over_2": 2.0, "band": [0.95, 1.05], "below": 0.9,
        "tail": 0.25, "outcome": "completed"}


def test_s0_ratio_and_the_tail_window() -> None:
    r = run()
    assert P._s0_ratio(r) == 2.0
    assert math.isnan(P._s0_ratio(run(s0=None)))
    # first = 100·(1 − 0.25) = 75: the measurement at step 75 is in the tail (>=), the one at 50 is not
    assert P._tail_ratios(r, 0.25) == [1.0, 1.0]
    assert P._tail_ratios(run(sharp=(2.0, 3.0, 2.0, 4.0)), 0.25) == [0.5, 1.0]
    assert P.tail_sharpness(run(sharp=(2.0, 3.0, 2.0, 4.0))) == 3.0
    assert P.tail_sharpness(run(sharp=(2.0, 3.0, math.nan, 4.0))) == 4.0  # non-finite dropped
    assert math.isnan(P.tail_sharpness(run(sharp=(2.0, 3.0, math.nan, math.nan))))
    # a trace whose steps and values disagree in length is an error, not a silent truncation
    bad = run(steps=(0, 50, 75), sharp=(2.0, 3.0, 4.0, 4.0))
    for f in (P.tail_ratio, P.tail_sharpness):
        with pytest.raises(ValueError):
            f(bad)


def test_classify_eos_reports_every_figure() -> None:
    kind, fig = P.classify_eos(run(sharp=(2.0, 3.0, 3.9, 4.1), residual=[0.5, math.nan, 0.25]))
    assert kind == "eos"
    med = (3.9 / 4 + 4.1 / 4) / 2
    assert fig == {**BASE, "ratio_median": med, "ratio_min": 3.9 / 4, "ratio_max": 4.1 / 4, "sharpness_final": 4.1,
                   "lanczos_residual_max": 0.5, "why": f"tail median {med:.4g} in [0.95, 1.05]"}
    kind, fig = P.classify_eos(run(outcome="diverged"))
    assert (kind, fig) == ("not-eos", {**BASE, "outcome": "diverged", "why": "diverged: diverged at step 3"})
    kind, fig = P.classify_eos(run(sharp=(2.0, 3.0, math.nan, math.nan)))
    assert (kind, fig) == ("inconclusive", {**BASE, "why": "no finite sharpness measurement in the tail"})
    kind, fig = P.classify_eos(run(sharp=(2.0, 3.0, 3.7, 3.7)))  # 0.925: between the line and the band
    assert kind == "inconclusive" and fig["why"] == "tail median 0.925: between 0.9 and the band"
    assert math.isnan(fig["lanczos_residual_max"])
    kind, fig = P.classify_eos(run(sharp=(2.0, 3.0, 4.4, 4.4)))  # 1.1: above the band
    assert kind == "inconclusive" and fig["why"] == "tail median 1.1: above the band"
    # the tail argument is passed through: with tail 0.5 the step-50 value (0.75) joins the median
    kind, fig = P.classify_eos(run(sharp=(2.0, 3.0, 3.6, 3.6)), tail=0.5)
    assert kind == "not-eos" and fig["ratio_median"] == 0.9 and fig["tail"] == 0.5


def test_edge_and_no_edge_checks_carry_the_call_and_their_margins() -> None:
    eos = run(sharp=(2.0, 3.0, 3.9, 3.9))  # 0.975
    below = run(sharp=(2.0, 3.0, 3.4, 3.4))  # 0.85
    near = run(sharp=(2.0, 3.0, 3.7, 3.7))  # 0.925
    diverged = run(outcome="diverged")
    c = P.edge_of_stability(eos)
    assert c.verdict == Verdict.PASS and c.margin == pytest.approx(0.025) and c.detail["call"] == "eos"
    c = P.edge_of_stability(below)
    assert c.verdict == Verdict.FAIL and c.margin == pytest.approx(-0.05) and c.detail["call"] == "not-eos"
    assert P.edge_of_stability(diverged).margin == -math.inf
    c = P.edge_of_stability(near)
    assert c.verdict == Verdict.INCONCLUSIVE and c.detail["call"] == "inconclusive"
    assert c.detail["ratio_median"] == 0.925
    c = P.no_edge_of_stability(below)
    assert c.verdict == Verdict.PASS and c.margin == pytest.approx(0.05) and c.detail["call"] == "not-eos"
    assert c.detail["ratio_median"] == 0.85 and c.detail["s0_lr_over_2"] == 2.0
    c = P.no_edge_of_stability(diverged)
    assert c.verdict == Verdict.PASS and c.margin == math.inf and c.detail["outcome"] == "diverged"
    c = P.no_edge_of_stability(eos)
    assert c.verdict == Verdict.FAIL and c.margin == pytest.approx(-0.075) and c.detail["call"] == "eos"
    assert c.detail["ratio_median"] == 0.975
    c = P.no_edge_of_stability(near)
    assert c.verdict == Verdict.INCONCLUSIVE and c.detail["call"] == "inconclusive"
    assert c.detail["reason"] == "tail median 0.925: between 0.9 and the band" and c.detail["ratio_median"] == 0.925
    # the tail is passed through: with tail 0.5 the median of (0.75, 0.925, 0.925) is 0.925, not 0.85
    assert P.no_edge_of_stability(run(sharp=(2.0, 3.0, 3.7, 3.7)), tail=0.5).detail["tail"] == 0.5


def test_catapult_figures_and_boundaries() -> None:
    c = P.catapult(run(loss=(4.0, 16.0, 2.0, 1.0, 0.5)))
    assert c.verdict == Verdict.PASS
    assert c.margin == pytest.approx(min(math.log(16.0 / 8.0), math.log(4.0 / 0.5)))
    assert c.detail == {"lr": LR, "s0_lr_over_2": 2.0, "factor": 2.0, "loss_start": 4.0, "loss_max": 16.0,
                        "step_of_max": 1, "loss_max_over_start": 4.0, "loss_min_after_max": 0.5, "loss_final": 0.5,
                        "outcome": "completed", "rose": True, "fell_below_start": True}
    # a rise to exactly factor·L0 counts; just under it does not
    assert P.catapult(run(loss=(4.0, 8.0, 1.0, 1.0, 1.0))).detail["rose"] is True
    assert P.catapult(run(loss=(4.0, 7.99, 1.0, 1.0, 1.0))).detail["rose"] is False
    # ending exactly at L0 is not "below the start"
    c = P.catapult(run(loss=(4.0, 16.0, 5.0, 4.0, 4.0)))
    assert c.detail["fell_below_start"] is False and c.verdict == Verdict.FAIL
    # a loss that reaches 0: the margin is the rise alone
    c = P.catapult(run(loss=(4.0, 16.0, 2.0, 0.0, 0.0)))
    assert c.verdict == Verdict.PASS and c.margin == pytest.approx(math.log(2.0))
    # L0 > 1 and a low between 1 and L0: log(L0/low) is the margin
    c = P.catapult(run(loss=(4.0, 64.0, 2.0, 3.0, 2.0)))
    assert c.margin == pytest.approx(math.log(2.0)) and c.detail["loss_final"] == 2.0
    assert c.detail["loss_min_after_max"] == 2.0
    c = P.catapult(run(loss=(4.0, 64.0, 0.5, 3.0, 2.0)))
    assert c.margin == pytest.approx(math.log(8.0)) and c.detail["loss_final"] == 2.0
    c = P.catapult(run(loss=(4.0, 16.0, math.inf, 1.0, 1.0), outcome="diverged"))
    assert c.verdict == Verdict.FAIL and c.margin == -math.inf and c.detail["reason"] == "diverged at step 3"
    assert c.detail["outcome"] == "diverged"


def test_norm_gaps_and_balancing() -> None:
    r = run(w1=(6.0, 1.0, 2.0, 3.0, 10.0), w2=(20.0, 2.0, 4.0, 8.0, 14.0))
    assert P.norm_gaps(r) == (14.0, 4.0)
    c = P.balancing(r)
    assert c.verdict == Verdict.PASS and c.margin == 10.0
    assert c.detail == {"lr": LR, "s0_lr_over_2": 2.0, "gap_start": 14.0, "gap_final": 4.0,
                        "gap_final_over_start": 4.0 / 14.0, "shrink": 1.0, "outcome": "completed"}
    assert P.balancing(r, shrink=0.5).margin == 3.0
    # a final gap equal to shrink·start does not balance
    same = run(w1=(6.0, 7.0, 8.0, 9.0, 6.0), w2=(20.0, 19.0, 18.0, 16.0, 20.0))
    assert P.balancing(same).verdict == Verdict.FAIL and P.balancing(same).margin == 0.0
    zero = run(w1=(6.0, 7.0, 8.0, 9.0, 7.0), w2=(6.0, 19.0, 18.0, 16.0, 8.0))
    assert math.isnan(P.balancing(zero).detail["gap_final_over_start"])
    c = P.balancing(run(outcome="diverged"))
    assert c.verdict == Verdict.INCONCLUSIVE and c.detail["outcome"] == "diverged" and c.detail["gap_start"] == 14.0


def test_balancing_grows_with_lr() -> None:
    small = run(lr=0.25, w2=(20.0, 19.0, 18.0, 16.0, 15.0))  # final gap 5
    large = run(lr=0.5, w2=(20.0, 19.0, 18.0, 16.0, 12.0))  # final gap 2
    gone = run(lr=1.0, outcome="diverged")
    c = P.balancing_grows_with_lr([large, gone, small])
    assert c.verdict == Verdict.PASS and c.margin == 3.0
    assert c.detail == {"lr_and_final_gap": [(0.25, 5.0), (0.5, 2.0)], "diverged_lrs": [1.0]}
    equal = run(lr=0.5, w2=(20.0, 19.0, 18.0, 16.0, 15.0))
    assert P.balancing_grows_with_lr([small, equal]).verdict == Verdict.PASS  # a flat step is allowed
    assert P.balancing_grows_with_lr([small, equal]).margin == 0.0
    worse = run(lr=0.5, w2=(20.0, 19.0, 18.0, 16.0, 15.5))  # grows by 0.5
    c = P.balancing_grows_with_lr([small, worse])
    assert c.verdict == Verdict.FAIL and c.margin == -0.5
    c = P.balancing_grows_with_lr([small, gone])
    assert c.verdict == Verdict.INCONCLUSIVE and c.detail["reason"] == "fewer than 2 non-diverged runs"
    assert c.detail["diverged_lrs"] == [1.0] and c.detail["lr_and_final_gap"] == [(0.25, 5.0)]


def _settled(lr: float, ratio: float, loss=(4.0, 2.0, 1.0, 0.5, 0.25)) -> RunResult:
    s = 2 * ratio / lr
    return run(lr=lr, sharp=(s, s, s, s), loss=loss)


def test_gap_widens_with_lr_figures_and_margins() -> None:
    runs = [_settled(0.5, 0.96875), _settled(0.25, 0.9375), _settled(1.0, 0.875)]  # gaps 1/32, 1/16, 1/8 by h
    c = P.gap_widens_with_lr(runs)
    assert c.detail["series"][0] == {"lr": 0.25, "s0_lr_over_2": 1.0, "outcome": "completed", "ratio_median": 0.9375,
                                     "gap": 0.0625, "loss_start": 4.0, "loss_final": 0.25}
    assert [x["lr"] for x in c.detail["series"]] == [0.25, 0.5, 1.0]
    assert c.detail["tolerance"] == 0.01 and c.detail["tail"] == 0.25
    assert c.detail["worst_drop"] == 0.0625 - 0.03125 and c.detail["growth"] == 0.125 - 0.0625
    assert c.detail["smallest_gap"] == 0.03125
    # sorted by h the gaps read 1/16, 1/32, 1/8: a drop of 1/32 > 0.01, so no monotone widening
    assert c.verdict == Verdict.FAIL
    assert c.margin == pytest.approx(min(0.01 - 0.03125, 0.0625 - 0.01, 0.03125))
    ordered = [_settled(0.25, 0.96875), _settled(0.5, 0.9375), _settled(1.0, 0.875)]
    c = P.gap_widens_with_lr(ordered)
    assert c.verdict == Verdict.PASS and c.margin == pytest.approx(min(0.01 + 0.03125, 0.09375 - 0.01, 0.03125))
    assert c.detail["growth"] == 0.09375  # last minus first, not second-to-last
    # a single settled run (min_runs=1): no neighbour, so no drop; growth 0 fails by the tolerance
    one = P.gap_widens_with_lr([_settled(0.5, 0.875)], min_runs=1)
    assert one.verdict == Verdict.FAIL and one.detail["worst_drop"] == 0.0 and one.margin == pytest.approx(-0.01)
    # a run whose loss ends exactly at its start has not settled
    flat = [*ordered[:2], _settled(1.0, 0.875, loss=(4.0, 2.0, 1.0, 0.5, 4.0))]
    c = P.gap_widens_with_lr(flat)
    assert c.verdict == Verdict.INCONCLUSIVE
    assert c.detail["reason"] == "1 run(s) did not settle; need 3 settled runs" and len(c.detail["series"]) == 3
    assert c.detail["series"][2]["loss_start"] == 4.0


def _level(lr: float, sharpness: float, outcome: str = "completed") -> RunResult:
    return run(lr=lr, sharp=(sharpness,) * 4, outcome=outcome)


def test_sharpness_independent_of_lr_figures_and_margins() -> None:
    runs = [_level(0.0625, 1.0), _level(0.25, 2.0)]  # S doubles as h quadruples: slope 1/2
    c = P.sharpness_independent_of_lr(runs)
    assert c.verdict == Verdict.PASS and c.detail["slope"] == pytest.approx(0.5) and c.margin == pytest.approx(1.0)
    assert c.detail["eos_lrs"] == [] and c.detail["slope_at_least"] == -0.5 and c.detail["tail"] == 0.25
    assert c.detail["series"][0] == {"lr": 0.0625, "s0_lr_over_2": 0.25, "outcome": "completed", "call": "not-eos",
                                     "ratio_median": 0.03125, "sharpness_tail": 1.0}
    # an EoS run: fail, margin -1 whatever the slope, and the run named
    with_eos = [_level(0.0625, 1.0), _level(0.25, 2.0), _level(0.5, 4.0)]
    c = P.sharpness_independent_of_lr(with_eos)
    assert c.verdict == Verdict.FAIL and c.margin == -1.0 and c.detail["eos_lrs"] == [0.5]
    assert "slope" in c.detail and c.detail["series"][2]["call"] == "eos"
    # too few settled runs but one is EoS: fail, named, margin -1
    c = P.sharpness_independent_of_lr([_level(0.5, 4.0), _level(1.0, 2.0, "diverged")])
    assert c.verdict == Verdict.FAIL and c.margin == -1.0 and c.detail["eos_lrs"] == [0.5]
    assert len(c.detail["series"]) == 2
    c = P.sharpness_independent_of_lr([_level(0.25, 1.0), _level(1.0, 2.0, "diverged")])
    assert c.verdict == Verdict.INCONCLUSIVE and c.detail["reason"] == "1 settled run(s) at distinct h; need 2"
    assert len(c.detail["series"]) == 2
    # a zero tail sharpness carries no slope (log 0): it is not a settled run
    c = P.sharpness_independent_of_lr([_level(0.0625, 1.0), _level(0.125, 0.0), _level(0.25, 2.0)])
    assert c.detail["slope"] == pytest.approx(0.5)
    # the tail argument reaches the per-run figures
    c = P.sharpness_independent_of_lr(runs, tail=0.5)
    assert c.detail["tail"] == 0.5 and c.detail["series"][0]["sharpness_tail"] == 1.0


def test_divergence() -> None:
    c = P.divergence(run(outcome="diverged"))
    assert c.verdict == Verdict.PASS and c.margin == 1.0
    assert c.detail == {"lr": LR, "outcome": "diverged", "reason": "diverged at step 3", "steps_run": 100}
    c = P.divergence(run())
    assert c.verdict == Verdict.FAIL and c.margin == -1.0 and c.detail["outcome"] == "completed"


def test_classify_eos_edges_and_its_why() -> None:
    assert math.isnan(P.classify_eos(run(s0=None))[1]["s0"])            # no S0 measured: NaN, not None
    kind, fig = P.classify_eos(run(sharp=(2.0, 3.0, 3.4, 3.4)))
    assert (kind, fig["why"]) == ("not-eos", "tail median 0.85 <= 0.9")
    kind, fig = P.classify_eos(run(sharp=(2.0, 3.0, 3.8, 3.8)))        # 3.8/4 is 0.95 exactly: the band's edge
    assert fig["ratio_median"] == 0.95 and (kind, fig["why"]) == ("eos", "tail median 0.95 in [0.95, 1.05]")


def test_edge_of_stability_reports_the_classification_whole() -> None:
    near_top = run(sharp=(2.0, 3.0, 4.16, 4.16))                       # 1.04: 0.01 below the band's top
    c = P.edge_of_stability(near_top)
    assert c.verdict == Verdict.PASS and c.margin == pytest.approx(0.01)
    assert c.detail == {**P.classify_eos(near_top)[1], "call": "eos"}
    below = run(sharp=(2.0, 3.0, 3.4, 3.4))
    assert P.edge_of_stability(below).detail == {**P.classify_eos(below)[1], "call": "not-eos"}
    near = run(sharp=(2.0, 3.0, 3.7, 3.7))
    assert P.edge_of_stability(near).detail["reason"] == "tail median 0.925: between 0.9 and the band"
    # the tail reaches the classification: over the last half the median is 0.975 (EoS), over a quarter 0.7375
    two_faced = run(sharp=(2.0, 3.9, 3.9, 2.0))
    assert P.edge_of_stability(two_faced, tail=0.5).detail["call"] == "eos"
    assert P.edge_of_stability(two_faced).detail["call"] == "not-eos"


def test_balancing_names_a_divergence() -> None:
    assert P.balancing(run(outcome="diverged")).detail["reason"] == "run diverged"


def test_catapult_margin_with_a_start_below_one() -> None:
    c = P.catapult(run(loss=(0.8, 16.0, 0.5, 0.6, 0.6)))               # the low 0.5 is below 1 but above 0
    assert c.verdict == Verdict.PASS and c.margin == pytest.approx(math.log(0.8 / 0.5))


def test_gap_widens_with_lr_at_its_tolerance() -> None:
    tol = 0.0625
    # gaps 1/8, 1/16, 1/4 by h: a drop of exactly the tolerance is allowed
    runs = [_settled(0.25, 0.875), _settled(0.5, 0.9375), _settled(1.0, 0.75)]
    assert P.gap_widens_with_lr(runs, tolerance=tol).verdict == Verdict.PASS
    # growth of exactly the tolerance is not growth
    flat = [_settled(0.25, 0.875), _settled(0.5, 0.8125)]
    c = P.gap_widens_with_lr(flat, tolerance=tol, min_runs=2)
    assert c.detail["growth"] == tol and c.verdict == Verdict.FAIL


def test_the_tail_reaches_every_per_run_figure_of_the_grids() -> None:
    r = run(lr=0.5, sharp=(2.0, 3.9, 3.9, 2.0))            # tail 0.5: median 3.9; tail 0.25: median 2.95
    other = run(lr=0.25, sharp=(2.0, 3.9, 3.9, 2.0))
    series = P.gap_widens_with_lr([r, other], min_runs=2, tail=0.5).detail["series"]
    assert [x["ratio_median"] for x in series] == [3.9 * 0.25 / 2, 3.9 * 0.5 / 2]
    assert [x["gap"] for x in series] == [1 - 3.9 * 0.25 / 2, 1 - 3.9 * 0.5 / 2]
    series = P.sharpness_independent_of_lr([r, other], tail=0.5).detail["series"]
    assert [(x["call"], x["ratio_median"], x["sharpness_tail"]) for x in series] == [
        ("not-eos", 3.9 * 0.25 / 2, 3.9), ("eos", 3.9 * 0.5 / 2, 3.9)]
