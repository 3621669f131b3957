"""Phenomena detectors and claim checks on synthetic runs: each can pass and each can fail."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from lrbias.claims.nn import get_claims
from lrbias.claims.verdict import Verdict
from lrbias.errors import LrbiasError
from lrbias.nn import phenomena
from lrbias.nn.config import RunConfig
from lrbias.nn.trainer import RunResult
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


def test_edge_of_stability() -> None:
    assert phenomena.edge_of_stability(fake(sharp=(5, 19, 20))).verdict == Verdict.PASS
    assert phenomena.edge_of_stability(fake(sharp=(5, 6, 8))).verdict == Verdict.FAIL
    assert phenomena.edge_of_stability(fake(sharp=(5, 19, 20), loss=(1, 3, 2))).verdict == Verdict.FAIL
    assert phenomena.edge_of_stability(fake(outcome="diverged")).verdict == Verdict.FAIL
    check = phenomena.edge_of_stability(fake(sharp=(5, 19, 21)))
    assert check.detail["ratio_median"] == pytest.approx(1.05)


def test_no_edge_of_stability() -> None:
    assert phenomena.no_edge_of_stability(fake(sharp=(5, 6, 8))).verdict == Verdict.PASS
    assert phenomena.no_edge_of_stability(fake(sharp=(5, 19, 20))).verdict == Verdict.FAIL
    assert phenomena.no_edge_of_stability(fake(outcome="diverged")).verdict == Verdict.PASS


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


def test_limit_below_and_divergence() -> None:
    assert phenomena.limit_below_eos(fake(sharp=(30, 20, 15))).verdict == Verdict.PASS
    assert phenomena.limit_below_eos(fake(sharp=(30, 20, 21))).verdict == Verdict.FAIL
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
    grid = claim.grids[0].name
    ok = claim.check({grid: [fake(lr=0.1, sharp=(5, 19, 20)), fake(lr=0.2, sharp=(5, 9.5, 10))]})
    assert ok.verdict == Verdict.PASS and len(ok.detail["runs"]) == 2
    one_bad = claim.check({grid: [fake(lr=0.1, sharp=(5, 19, 20)), fake(lr=0.2, sharp=(5, 5, 5))]})
    assert one_bad.verdict == Verdict.FAIL
