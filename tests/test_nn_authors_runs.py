"""The EoS detector calibrated on the authors' own stored runs (not on ours), then frozen.

Fixture: tests/data/authors_runs/ (87 runs of github zhenghaoxu-gatech/edge-of-stability, see its
PROVENANCE.md).  The detector (lrbias.nn.phenomena) must call
- their EoS runs (tanh/Huber/BatchNorm settings, h above 2/S0) EoS,
- their CIFAR-10 ReLU-MSE runs after the catapult "below the edge, widening with h",
- their cubic MSE runs "not EoS, sharpness independent of h",
and the test also records where their traces say otherwise (two EoS-setting runs that end below
the edge; their MNIST ReLU-MSE runs, which do not widen).  Fast: no training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("torch")

from lrbias.nn import phenomena  # noqa: E402
from lrbias.nn.config import RunConfig  # noqa: E402
from lrbias.nn.trainer import RunResult  # noqa: E402
from lrbias.verdict import Verdict  # noqa: E402

pytestmark = pytest.mark.nn

DATA = Path(__file__).parent / "data" / "authors_runs"

FIXTURE_CONTENT_SHA256 = "b402c16dd4f859d790cd827fc77e882b7be182347c52417375ebfaf2a2fee43c"
FROZEN_RULES = {"EOS_BAND": (0.95, 1.05), "BELOW_EOS": 0.9, "TAIL": 0.25, "WIDEN_TOLERANCE": 0.01,
                "SLOPE_SPLIT": -0.5, "MIN_H_SPAN": 1.5, "MIN_GRID_RUNS": 3}

EOS_GROUPS = ("cifar-tanh-huber", "cifar-relu-huber", "cifar-tanh-mse", "cifar-cubic-bn-mse-s0",
              "cifar-cubic-bn-mse-s1", "mnist-tanh-huber", "mnist-cubic-bn-huber-6-20")
ENDS_BELOW_EDGE = {"cifar-tanh-mse/lr_0.0001": 0.802, "mnist-tanh-huber/lr_0.001": 0.637}
"""Runs of EoS settings above 2/S0 whose sharpness ends clearly below 2/h (tail median shown)."""


def content_digest(arrays) -> str:
    """SHA-256 over the fixture's arrays (sorted by name: name, dtype, shape, bytes) and index.json."""
    h = hashlib.sha256()
    for key in sorted(arrays.files):
        a = arrays[key]
        h.update(f"{key}|{a.dtype.str}|{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    h.update((DATA / "index.json").read_bytes())
    return h.hexdigest()


def _load() -> tuple[dict, dict[str, RunResult]]:
    index = json.loads((DATA / "index.json").read_text())
    z = np.load(DATA / "authors_runs.npz")
    runs = {}
    for r in index["runs"]:
        k = r["key"]
        t = z[k + "/steps"].tolist()
        keep = [i for i, x in enumerate(t) if x <= r["steps_run"]]
        series = {name: z[f"{k}/{name}"].astype(float)[keep].tolist() for name in ("sharpness", "loss", "w1", "w2")}
        group = r["group"]
        config = RunConfig(dataset="cifar10" if group.startswith("cifar") else "mnist",
                           activation="cubic" if "cubic" in group else ("tanh" if "tanh" in group else "relu"),
                           loss="huber" if "huber" in group else "mse", norm="bn" if "-bn-" in group else "none",
                           lr=r["lr"], steps=r["steps"] - 1, device="cpu")
        hist = {"step": [t[i] for i in keep], "loss": series["loss"], "accuracy": [math.nan] * len(keep),
                "w1": series["w1"], "w2": series["w2"]}
        runs[k] = RunResult(config, hist, [t[i] for i in keep], [[v] for v in series["sharpness"]],
                            "diverged" if r["diverged"] else "completed", "authors' run", r["steps_run"], 0.0, "cpu",
                            {"s0": r["s0"], "group": group})
    return index, runs


@pytest.fixture(scope="module")
def authors():
    return _load()


def _truncated(run: RunResult, steps: int) -> RunResult:
    """The run as if it had stopped at ``steps`` (to compare a grid's runs over the same budget)."""
    keep = [i for i, t in enumerate(run.sharpness_steps) if t <= steps]
    hist = {k: [v[i] for i in keep] for k, v in run.history.items()}
    return dataclasses.replace(run, history=hist, sharpness_steps=[run.sharpness_steps[i] for i in keep],
                               sharpness=[run.sharpness[i] for i in keep], steps_run=min(steps, run.steps_run))


def _group(runs: dict[str, RunResult], group: str, above_edge: bool = True, settled: bool = True,
           max_lr: float = math.inf, common: bool = True) -> list[RunResult]:
    """A group's runs (BatchNorm groups: all of them; their step-0 eigenvalue is no usable S0), optionally
    only those above 2/S0 and not diverged, and (``common``) cut to the group's shortest run."""
    out = [r for k, r in runs.items() if r.meta["group"] == group and r.lr <= max_lr
           and (not above_edge or "-bn-" in group or r.meta["s0"] * r.lr / 2 > 1)
           and (not settled or r.outcome != "diverged")]
    shortest = min(r.steps_run for r in out)
    return sorted((_truncated(r, shortest) if common else r for r in out), key=lambda r: r.lr)


def test_fixture_is_frozen(authors) -> None:
    index, runs = authors
    assert index["repository"] == "github.com/zhenghaoxu-gatech/edge-of-stability"
    assert len(runs) == len(index["runs"]) == 87
    assert content_digest(np.load(DATA / "authors_runs.npz")) == FIXTURE_CONTENT_SHA256
    assert (DATA / "PROVENANCE.md").read_text().count(index["commit"]) >= 1


def test_rule_constants_are_frozen() -> None:
    assert phenomena.FROZEN == FROZEN_RULES
    assert phenomena.FROZEN["EOS_BAND"] == phenomena.EOS_BAND


@pytest.mark.parametrize("group", EOS_GROUPS)
def test_authors_eos_runs_are_called_eos(authors, group) -> None:
    _, runs = authors
    group_runs = _group(runs, group, common=False)
    assert len(group_runs) >= 3
    for run in group_runs:
        key = f"{group}/lr_{run.lr:g}"
        kind, figures = phenomena.classify_eos(run)
        if key in ENDS_BELOW_EDGE:
            assert kind == "not-eos" and figures["ratio_median"] == pytest.approx(ENDS_BELOW_EDGE[key], abs=5e-4)
        else:
            assert kind == "eos", (key, figures)
            assert phenomena.edge_of_stability(run).verdict == Verdict.PASS
    # the sharpness follows 2/h across the group: the no-EoS grid rule fails on it
    slope = phenomena.sharpness_slope(_group(runs, group))
    assert slope.verdict == Verdict.FAIL and slope.detail["slope"] < -0.75, slope.detail


def test_authors_eos_tails_set_the_band(authors) -> None:
    """The band's edges bind: its nearest EoS runs sit within 0.04 of the lower edge and of 1.0."""
    _, runs = authors
    medians = [phenomena.tail_ratio(r) for g in EOS_GROUPS for r in _group(runs, g, common=False)
               if f"{g}/lr_{r.lr:g}" not in ENDS_BELOW_EDGE]
    lo, hi = phenomena.EOS_BAND
    assert len(medians) == 36
    assert lo < min(medians) < lo + 0.02  # 0.965 (CIFAR-10 tanh + MSE): a band edge at 0.97 would miss it
    assert 1.0 < max(medians) < hi        # 1.014
    narrower = [m for m in medians if not (lo + 0.02 <= m <= hi)]
    assert narrower  # a tighter lower edge mis-calls an authors' EoS run


def test_authors_relu_mse_runs_are_below_the_edge_and_widen(authors) -> None:
    _, runs = authors
    cifar = _group(runs, "cifar-relu-mse")
    assert [round(r.lr, 6) for r in cifar] == [0.0002, 0.00021, 0.00023, 0.00025, 0.00027]
    assert all(phenomena.tail_ratio(r) < 1 for r in cifar)  # below the edge, every one
    check = phenomena.gap_widens_with_lr(cifar)
    assert check.verdict == Verdict.PASS, check.detail
    assert check.detail["growth"] == pytest.approx(0.057, abs=0.002)
    assert max(phenomena.tail_ratio(r) for r in cifar) > phenomena.BELOW_EOS + 0.08  # no "ends <= 0.9" clause
    # the diverged run beyond m* (h = 3e-4, S0·h/2 = 1.68) makes the grid inconclusive, not a pass
    with_diverged = _group(runs, "cifar-relu-mse", settled=False, common=False)
    assert phenomena.gap_widens_with_lr(with_diverged).verdict == Verdict.INCONCLUSIVE


def test_authors_mnist_relu_mse_runs_do_not_widen(authors) -> None:
    """Their MNIST ReLU-MSE runs (init 10/40) settle far below the edge, the gap shrinking with h."""
    _, runs = authors
    mnist = _group(runs, "mnist-relu-mse", max_lr=5e-4)
    assert len(mnist) == 5
    assert all(phenomena.tail_ratio(r) < phenomena.BELOW_EOS for r in mnist)
    assert phenomena.gap_widens_with_lr(mnist).verdict == Verdict.FAIL


def test_authors_cubic_runs_are_not_eos_and_h_independent(authors) -> None:
    _, runs = authors
    cifar = _group(runs, "cifar-cubic-mse")
    assert len(cifar) == 4
    assert all(phenomena.classify_eos(r)[0] == "not-eos" for r in cifar)
    check = phenomena.sharpness_slope(cifar)
    assert check.verdict == Verdict.PASS, check.detail
    assert abs(check.detail["slope"]) < 0.35  # 0.28: the final sharpness barely moves while h grows 2.3x
    # every run beyond m* diverges: not EoS either
    every = _group(runs, "cifar-cubic-mse", settled=False, common=False)
    assert all(phenomena.classify_eos(r)[0] == "not-eos" for r in every)
    # MNIST: two settled runs only (h 1e-4, 1.2e-4), too few to decide the trend
    mnist = _group(runs, "mnist-cubic-mse", above_edge=False)
    assert phenomena.sharpness_slope(mnist).verdict == Verdict.INCONCLUSIVE
