"""Bracketing the learning-rate window (lrbias.nn.bracket) and placing the catalogue's grids inside it.

The bisection is tested on a synthetic threshold model (probe replaced: settles below 3.7, catapults
from 1.9), at its boundaries (the tolerance, the search's ceiling, no window, a catapult from m = 1);
the probe's decisions on a scripted trainer; and one tiny real configuration end to end, where every
run of a placed grid records its bracket and sits inside its window.
"""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import pytest

pytest.importorskip("torch")

from lrbias.claims.nn import Grid, protocol_grids, seeded, train_grid
from lrbias.nn import bracket as B
from lrbias.nn.config import NNConfigError, RunConfig
from theorems.nn import ALL_GRIDS, CUBIC_BN_SAME_H, HUBER, NN_CLAIMS, PAPER_INIT, SEEDS, TANH

pytestmark = pytest.mark.nn


def _model(monkeypatch, diverge_at: float = 3.7, catapult_at: float = 1.9, calls: list | None = None) -> None:
    def fake_probe(prep, s0, m, *, steps=B.PROBE_STEPS, max_steps=B.MAX_PROBE_STEPS):
        if calls is not None:
            calls.append(m)
        if m >= diverge_at:
            return B.Probe(m, "diverged", 10, math.inf, math.inf)
        rise = 3.0 if m >= catapult_at else 1.0
        return B.Probe(m, "settled", steps, rise, 0.01)
    monkeypatch.setattr(B, "probe", fake_probe)


def test_bisection_brackets_both_thresholds_to_the_tolerance(monkeypatch) -> None:
    calls: list[float] = []
    _model(monkeypatch, calls=calls)
    b = B.find_bracket(None, 100.0)  # type: ignore[arg-type]
    lo, hi = b.divergence
    assert lo < 3.7 <= hi and hi / lo - 1 <= B.REL_TOL
    c_lo, c_hi = b.catapult  # type: ignore[misc]
    assert c_lo < 1.9 <= c_hi and c_hi / c_lo - 1 <= B.REL_TOL
    assert [p.multiple for p in b.probes] == calls and len(set(calls)) == len(calls)  # each m probed once
    assert b.window("edge") == (1.0, lo) and b.window("catapult") == (c_hi, lo)
    placed = b.place("catapult", (0.2, 0.5, 0.8))
    assert all(c_hi < m < lo for m in placed)
    record = b.as_dict()
    assert record["s0"] == 100.0 and record["divergence"] == [lo, hi] and len(record["probes"]) == len(calls)


def test_the_tolerance_binds(monkeypatch) -> None:
    _model(monkeypatch)
    loose = B.find_bracket(None, 1.0, rel_tol=0.2)  # type: ignore[arg-type]
    tight = B.find_bracket(None, 1.0, rel_tol=0.001)  # type: ignore[arg-type]
    widths = [h / lo - 1 for lo, h in (loose.divergence, tight.divergence)]
    assert 0.001 < widths[0] <= 0.2 and widths[1] <= 0.001


def test_nothing_diverges_below_the_ceiling(monkeypatch) -> None:
    _model(monkeypatch, diverge_at=math.inf)
    b = B.find_bracket(None, 1.0)  # type: ignore[arg-type]
    assert b.divergence == (B.MAX_MULTIPLE, math.inf)
    _model(monkeypatch, diverge_at=B.MAX_MULTIPLE * 0.75)
    lo, hi = B.find_bracket(None, 1.0).divergence  # type: ignore[arg-type]
    assert lo < B.MAX_MULTIPLE * 0.75 <= hi < math.inf


def test_no_window_and_catapults_from_the_edge(monkeypatch) -> None:
    _model(monkeypatch, diverge_at=0.9)
    with pytest.raises(NNConfigError, match="does not settle"):
        B.find_bracket(None, 1.0)  # type: ignore[arg-type]
    _model(monkeypatch, catapult_at=10.0)  # no catapult below m* = 3.7
    b = B.find_bracket(None, 1.0)  # type: ignore[arg-type]
    assert b.catapult is None
    with pytest.raises(NNConfigError, match="no catapult window"):
        b.window("catapult")
    _model(monkeypatch, catapult_at=1.0)  # catapults already at 2/S0
    assert B.find_bracket(None, 1.0).catapult == (0.0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(NNConfigError, match="not a positive number"):
        B.find_bracket(None, math.nan)  # type: ignore[arg-type]


def test_place_rejects_fractions_outside_the_open_window() -> None:
    b = B.Bracket(10.0, (2.0, 2.02), (1.5, 1.51), ())
    assert b.place("edge", (0.5,)) == (1.5,)
    for bad in ((0.0,), (1.0,), (), (0.5, 1.2)):
        with pytest.raises(NNConfigError, match="fractions"):
            b.place("edge", bad)
    with pytest.raises(NNConfigError, match="empty"):
        B.Bracket(10.0, (1.0, 1.01), None, ()).place("edge", (0.5,))
    with pytest.raises(NNConfigError, match="unknown window"):
        b.window("middle")


def _scripted(monkeypatch, outcomes: list[tuple[str, list[float]]], seen: list[int]) -> None:
    import lrbias.nn.trainer as trainer

    def fake_train(prep, lr=None, steps=None, progress=None, *, sharpness_log=True):
        outcome, loss = outcomes[len(seen)]
        seen.append(steps)
        return SimpleNamespace(outcome=outcome, history={"loss": loss}, steps_run=len(loss) - 1)
    monkeypatch.setattr(trainer, "train", fake_train)


def test_probe_is_followed_until_decided(monkeypatch) -> None:
    seen: list[int] = []
    # still above its start at 200 and 400 steps, settled at 800: the budget doubles until decided
    _scripted(monkeypatch, [("completed", [1.0, 5.0, 1.2]), ("completed", [1.0, 5.0, 1.0]),
                            ("completed", [1.0, 5.0, 0.5])], seen)
    p = B.probe(None, 1.0, 1.5)  # type: ignore[arg-type]
    assert seen == [200, 400, 800] and p.outcome == "settled" and p.catapults and p.loss_max_over_start == 5.0
    seen.clear()
    _scripted(monkeypatch, [("completed", [1.0, 1.5, 1.1])] * 5, seen)
    p = B.probe(None, 1.0, 1.5)  # type: ignore[arg-type]
    assert seen == [200, 400, 800, 1600, 3200] and p.outcome == "undecided" and not p.settled
    seen.clear()
    _scripted(monkeypatch, [("diverged", [1.0, 1e9, math.inf])], seen)
    p = B.probe(None, 1.0, 9.0)  # type: ignore[arg-type]
    assert p.outcome == "diverged" and p.loss_max_over_start == 1e9
    # a rise to exactly the factor is a catapult; just under it is not
    assert B.Probe(1.5, "settled", 200, B.CATAPULT_FACTOR, 0.5).catapults
    assert not B.Probe(1.5, "settled", 200, math.nextafter(B.CATAPULT_FACTOR, 0), 0.5).catapults
    assert not B.Probe(1.5, "undecided", 3200, 10.0, 1.5).catapults


TINY = RunConfig(dataset="digits", n=200, width=20, activation="relu", loss="mse", steps=20, sharpness_every=10,
                 init_norms=(6.0, 20.0), device="cpu")


def test_a_placed_grid_records_its_bracket_and_sits_inside_it() -> None:
    runs = train_grid(Grid("tiny-catapult", TINY, window="catapult", fractions=(0.25, 0.75)))
    assert len(runs) == 2
    for run in runs:
        b, w = run.meta["bracket"], run.meta["window"]
        assert w["kind"] == "catapult" and w["ends"] == [b["catapult"][1], b["divergence"][0]]
        assert w["ends"][0] < run.meta["lr_multiple"] < w["ends"][1]
        assert math.isclose(run.lr * run.meta["s0"] / 2, run.meta["lr_multiple"])
        settled = {p["multiple"]: p["outcome"] for p in b["probes"]}
        assert settled[b["divergence"][0]] == "settled" and settled[b["divergence"][1]] != "settled"


def test_same_h_grid_reuses_the_absolute_h_and_drops_what_lies_beyond_its_own_m_star() -> None:
    plain = Grid("tiny-plain", TINY, window="edge", fractions=(0.2, 0.9))
    bn = Grid("tiny-bn", replace(TINY, norm="bn"), same_h_as=plain)
    plain_runs, bn_runs = train_grid(plain), train_grid(bn)
    assert bn_runs, "the tiny BN net settles at the plain grid's smaller h"
    s0_bn, m_star = bn_runs[0].meta["s0"], bn_runs[0].meta["bracket"]["divergence"][0]
    kept = [r.lr for r in plain_runs if r.lr * s0_bn / 2 < m_star]
    dropped = [r.lr * s0_bn / 2 for r in plain_runs if r.lr * s0_bn / 2 >= m_star]
    assert [r.lr for r in bn_runs] == pytest.approx(kept)
    assert bn_runs[0].meta["outside_window"] == pytest.approx(dropped)
    for r in bn_runs:
        assert r.meta["same_h_as"] == "tiny-plain" and r.meta["lr_multiple"] < m_star


def test_the_catalogue_grids_follow_the_protocol() -> None:
    claimed = {g.name: g for c in NN_CLAIMS for g in c.grids}
    assert set(claimed) <= {g.name for g in ALL_GRIDS}
    for g in ALL_GRIDS:
        assert g.base.init_norms == PAPER_INIT, g.name  # the authors' 6/20 for every grid
        assert (g.window is None) != (g.same_h_as is None), g.name  # placed by a bracket, never fixed
        assert all(0 < f < 1 for f in g.fractions) and g.multiples == (), g.name
        assert g.protocol_steps is not None and g.protocol_steps >= g.base.steps
    for g in (*TANH, *HUBER):
        assert g.window == "edge" and g.protocol_steps >= 6000
    assert all(g.protocol_steps > 6000 for g in CUBIC_BN_SAME_H)
    assert len(SEEDS) >= 3
    grids = protocol_grids(TANH, SEEDS)
    assert [g.name for g in grids[:3]] == [f"{TANH[0].name}#seed{s}" for s in SEEDS]
    assert grids[1].base.seed == SEEDS[1] and grids[1].base.steps == TANH[0].protocol_steps
    per_run = TANH[0].base.steps // TANH[0].base.sharpness_every  # as many sharpness measurements per run
    assert grids[1].base.steps // grids[1].base.sharpness_every == per_run
    same = seeded(CUBIC_BN_SAME_H[0], 2)
    assert same.same_h_as is not None and same.same_h_as.base.seed == 2


def test_placement_text_reads_a_live_or_a_json_record() -> None:
    b = B.Bracket(127.5, (2.444, math.inf), (1.52, 1.53), ())
    meta = {"bracket": b.as_dict(), "window": {"kind": "catapult", "ends": [1.53, 2.444], "fractions": [0.5]}}
    text = B.placement_text(meta)
    assert text == "S0 127.5; m_c in (1.52, 1.53]; m* in (2.444, inf]; window catapult (1.53, 2.444)"
    as_json = {**meta, "bracket": {**meta["bracket"], "divergence": [2.444, "inf"]}}  # JSON writes inf as "inf"
    assert B.placement_text(as_json) == text
    same = {"bracket": {**b.as_dict(), "catapult": None}, "same_h_as": "cubic@digits", "outside_window": [700.0]}
    assert B.placement_text(same).endswith("no catapult below m*; m* in (2.444, inf]; h of cubic@digits "
                                           "(beyond m*, not run: m = 700)")
    assert B.placement_text({}) == ""
