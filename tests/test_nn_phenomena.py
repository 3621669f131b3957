"""Phenomena detectors and claim checks on synthetic runs: each can pass and each can fail."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from lrbias.claims.nn import get_claims
from lrbias.errors import LrbiasError
from lrbias.nn import phenomena
from lrbias.nn.config import RunConfig
from lrbias.nn.trainer import RunResult
from lrbias.verdict import Verdict
from theorems.nn import NN_CLAIMS as CLAIMS

pytestmark = pytest.mark.nn


def fake(lr: float = 0.1, loss=(1.0, 0.5, 0.2), w1=(6.0, 8.0, 9.0), w2=(20.0, 15.0, 12.0),
         sharp=(5.0, 10.0, 20.0), outcome: str = "completed") -> RunResult:
    steps = len(loss) - 1
    hist = {"step": list(range(len(loss))), "loss": list(loss), "accuracy": [0.5] * len(loss),
            "w1": list(w1), "w2": list(w2)}
    s_steps = [round(i * steps / (len(sharp) - 1)) for i in range(len(sharp))]
    return RunResult(RunConfig(lr=lr), hist, s_steps, [[s] for s in sharp], outcome, "test", steps, 0.0,
                     "cpu")


def test_edge_of_stability_band_and_signs() -> None:
    # h = 0.1 so S·h/2 = S/20: reached 2/h from below, tail hovering at 1.0, loss falling on average
    eos = fake(sharp=(10, 16, 19.8, 20.2, 20.0), loss=(1, 0.8, 0.5, 0.45, 0.4))
    assert phenomena.classify_eos(eos)[0] == "eos"
    assert phenomena.edge_of_stability(eos).verdict == Verdict.PASS
    assert phenomena.no_edge_of_stability(eos).verdict == Verdict.FAIL
    # the old loose band [0.8, 1.2] would have called these EoS: 0.92 is inconclusive, 0.85 not EoS
    near = fake(sharp=(10, 16, 18.4, 18.4, 18.4), loss=(1, 0.8, 0.5, 0.45, 0.4))
    assert phenomena.classify_eos(near)[0] == "inconclusive"
    assert phenomena.edge_of_stability(near).verdict == Verdict.INCONCLUSIVE
    assert phenomena.no_edge_of_stability(near).verdict == Verdict.INCONCLUSIVE
    below = fake(sharp=(10, 16, 17, 17, 17), loss=(1, 0.8, 0.5, 0.45, 0.4))
    assert phenomena.edge_of_stability(below).verdict == Verdict.FAIL
    assert phenomena.no_edge_of_stability(below).verdict == Verdict.PASS
    # the rules the authors' runs removed (tests/test_nn_authors_runs.py): a run that came down from
    # above 2/h, one whose loss rises over the last window, and one that settled just under 2/h are EoS
    from_above = fake(sharp=(40, 30, 21, 20.2, 20.0), loss=(1, 0.8, 0.5, 0.45, 0.4))
    assert phenomena.classify_eos(from_above)[0] == "eos"
    stalled = fake(sharp=(10, 16, 19.8, 20.2, 20.0), loss=(1, 0.8, 0.5, 0.6, 0.7))
    assert phenomena.classify_eos(stalled)[0] == "eos"
    settled_under = fake(sharp=(36, 19.9, 19.8, 19.8, 19.8), loss=(1, 0.8, 0.5, 0.45, 0.4))
    assert phenomena.classify_eos(settled_under)[0] == "eos"
    # the band's edges and the below line, on both sides (S·h/2 = S/20)
    for tail, kind in ((19.0, "eos"), (18.96, "inconclusive"), (21.0, "eos"), (21.04, "inconclusive"),
                       (18.0, "not-eos"), (18.04, "inconclusive")):
        run = fake(sharp=(10, tail, tail, tail, tail))
        assert phenomena.classify_eos(run)[0] == kind, (tail, phenomena.classify_eos(run)[1]["why"])
    above = fake(sharp=(10, 16, 22, 22, 22), loss=(1, 0.8, 0.5, 0.45, 0.4))
    assert phenomena.classify_eos(above)[0] == "inconclusive"
    diverged = fake(outcome="diverged")
    assert phenomena.edge_of_stability(diverged).verdict == Verdict.FAIL
    assert phenomena.no_edge_of_stability(diverged).verdict == Verdict.PASS


def test_catapult() -> None:
    assert phenomena.catapult(fake(loss=(1, 5, 0.5))).verdict == Verdict.PASS
    assert phenomena.catapult(fake(loss=(1, 1.5, 0.5))).verdict == Verdict.FAIL  # rose too little
    assert phenomena.catapult(fake(loss=(1, 5, 2))).verdict == Verdict.FAIL  # never fell below start
    assert phenomena.catapult(fake(loss=(1, 0.8, 0.5))).verdict == Verdict.FAIL
    assert phenomena.catapult(fake(loss=(1, 5, 0.5))).detail["loss_max_over_start"] == 5


def test_balancing_and_grid_monotonicity() -> None:
    assert phenomena.balancing(fake(w1=(6, 8, 9), w2=(20, 15, 12))).verdict == Verdict.PASS
    assert phenomena.balancing(fake(w1=(6, 6, 6), w2=(20, 21, 22))).verdict == Verdict.FAIL
    good = [fake(lr=0.1, w2=(20, 15, 14)), fake(lr=0.2, w2=(20, 15, 12))]
    bad = [fake(lr=0.1, w2=(20, 15, 12)), fake(lr=0.2, w2=(20, 15, 14))]
    assert phenomena.balancing_grows_with_lr(good).verdict == Verdict.PASS
    assert phenomena.balancing_grows_with_lr(bad).verdict == Verdict.FAIL
    assert phenomena.balancing_grows_with_lr(good[:1]).verdict == Verdict.INCONCLUSIVE


def _settled(lr: float, ratio: float) -> RunResult:
    s = 2 * ratio / lr
    return fake(lr=lr, sharp=(3 * s, s, s, s), loss=(1, 5, 0.3, 0.2))


def test_gap_widens_with_lr_trend() -> None:
    widening = [_settled(0.1, 0.95), _settled(0.2, 0.88), _settled(0.3, 0.8)]
    check = phenomena.gap_widens_with_lr(widening)
    assert check.verdict == Verdict.PASS, check.detail
    assert [round(x["gap"], 6) for x in check.detail["series"]] == [0.05, 0.12, 0.2]
    # every ratio below 1 but no widening: the old "ratio < 1" claim would pass, this one fails
    flat = [_settled(0.1, 0.99), _settled(0.2, 0.995), _settled(0.3, 0.99)]
    assert phenomena.gap_widens_with_lr(flat).verdict == Verdict.FAIL
    shrinking = [_settled(0.1, 0.8), _settled(0.2, 0.88), _settled(0.3, 0.95)]
    assert phenomena.gap_widens_with_lr(shrinking).verdict == Verdict.FAIL
    # a dip within the tolerance is allowed; a larger one is not
    dip = [_settled(0.1, 0.95), _settled(0.2, 0.85), _settled(0.3, 0.855)]
    assert phenomena.gap_widens_with_lr(dip).verdict == Verdict.PASS
    assert phenomena.gap_widens_with_lr(dip, tolerance=0.001).verdict == Verdict.FAIL
    # widening, the largest h still near the edge (0.93 > 0.9), as the authors' CIFAR-10 grid: a pass
    near = [_settled(0.1, 0.99), _settled(0.2, 0.96), _settled(0.3, 0.93)]
    assert phenomena.gap_widens_with_lr(near).verdict == Verdict.PASS
    # widening, but one run at or above the edge: not a limit below it
    at_edge = [_settled(0.1, 1.0), _settled(0.2, 0.96), _settled(0.3, 0.93)]
    assert phenomena.gap_widens_with_lr(at_edge).verdict == Verdict.FAIL
    with_divergence = [*widening[:2], fake(lr=0.4, outcome="diverged")]
    assert phenomena.gap_widens_with_lr(with_divergence).verdict == Verdict.INCONCLUSIVE
    assert phenomena.gap_widens_with_lr(widening[:2]).verdict == Verdict.INCONCLUSIVE


def _flat(lr: float, sharpness: float) -> RunResult:
    return fake(lr=lr, sharp=(sharpness,) * 4, loss=(1, 0.5, 0.3, 0.2))


def test_sharpness_independent_of_lr() -> None:
    # relu³: S_tail 10 whatever h (slope 0), all below the edge: no EoS
    flat = [_flat(0.01, 10), _flat(0.04, 10.5), _flat(0.1, 11)]
    check = phenomena.sharpness_independent_of_lr(flat)
    assert check.verdict == Verdict.PASS and abs(check.detail["slope"]) < 0.1, check.detail
    # S = 1.8/h (tail 0.9 each, below the edge, never EoS) follows 2/h: slope -1, a fail
    following = [_flat(0.01, 180), _flat(0.04, 45), _flat(0.1, 18)]
    check = phenomena.sharpness_independent_of_lr(following)
    assert check.verdict == Verdict.FAIL and abs(check.detail["slope"] + 1) < 1e-9, check.detail
    # the slope threshold on both sides: S ∝ h^-0.5 exactly at the line passes, just steeper fails
    at_line = [_flat(0.01, 1.0), _flat(0.04, 0.5)]
    assert phenomena.sharpness_independent_of_lr(at_line).verdict == Verdict.PASS
    assert phenomena.sharpness_independent_of_lr(at_line, slope_at_least=-0.49).verdict == Verdict.FAIL
    # one EoS run fails the grid whatever the slope
    with_eos = [_flat(0.01, 10), _flat(0.1, 20)]
    assert phenomena.sharpness_independent_of_lr(with_eos).verdict == Verdict.FAIL
    # diverged runs are not EoS but carry no sharpness: one settled run is too few
    one = [_flat(0.01, 10), fake(lr=0.1, outcome="diverged")]
    assert phenomena.sharpness_independent_of_lr(one).verdict == Verdict.INCONCLUSIVE
    assert phenomena.sharpness_independent_of_lr([_flat(0.1, 20)]).verdict == Verdict.FAIL


def test_divergence() -> None:
    assert phenomena.divergence(fake(outcome="diverged")).verdict == Verdict.PASS
    assert phenomena.divergence(fake()).verdict == Verdict.FAIL


def test_claim_specs() -> None:
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids)) == 7
    assert all(c.id.startswith("nn.") and c.provenance == "paper" and c.grids for c in CLAIMS)
    assert get_claims("all") == list(CLAIMS)
    assert [c.id for c in get_claims("nn.catapult-mse-relu")] == ["nn.catapult-mse-relu"]
    with pytest.raises(LrbiasError, match=r"nn\.bogus"):
        get_claims("nn.bogus")


def test_claim_check_combines_runs() -> None:
    claim = get_claims("nn.eos-bounded-activation")[0]
    assert {g.dataset for g in claim.grids} == {"digits", "mnist1d"}
    at_edge = [fake(lr=0.1, sharp=(5, 19, 20), loss=(1, 0.5, 0.4)),
               fake(lr=0.2, sharp=(5, 9.5, 10), loss=(1, 0.5, 0.4))]
    ok = claim.check({g.name: at_edge for g in claim.grids})
    assert ok.verdict == Verdict.PASS and len(ok.detail["runs"]) == 4
    assert set(ok.detail["grids"]) == {g.name for g in claim.grids}
    one_bad = claim.check({claim.grids[0].name: at_edge,
                           claim.grids[1].name: [at_edge[0], fake(lr=0.2, sharp=(5, 5, 5))]})
    assert one_bad.verdict == Verdict.FAIL
    assert one_bad.detail["grids"][claim.grids[0].name]["verdict"] == "pass"
