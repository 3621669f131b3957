"""Bindings for lrbias/claims/nn.py: a grid's description in each placement, seeded and longer copies at their
boundaries, result keys in seed order, each way of combining run checks (pass, fail, inconclusive, none), a
rival's refutation re-trained and re-decided, claim selection, and the training path (S0, bracket, placement,
learning rates, caches) on a scripted trainer.

Written against the survivors of mutmut on this module (``python -m mutants.tool run lrbias/claims/nn.py``).
Nothing is trained: ``lrbias.nn.trainer`` is replaced by a stand-in module (prepare / initial_sharpness /
train), the bracket search and the disk cache by recorders, so the file needs no torch and runs in a second.
"""

from __future__ import annotations

import math
import sys
import types
from dataclasses import replace

import pytest

import lrbias.claims.caching as caching
import lrbias.claims.catalogue as catalogue
import lrbias.nn.bracket as bracket_module
from lrbias.claims import nn as N
from lrbias.nn.bracket import Bracket
from lrbias.nn.config import NNConfigError, RunConfig
from lrbias.verdict import Check, Verdict, fail, inconclusive, passed

P, F, I = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
BASE = RunConfig(dataset="mnist1d", n=60, width=8, steps=100, activation="tanh", sharpness_every=20, seed=1)


def run(outcome="converged", **meta):
    return types.SimpleNamespace(outcome=outcome, meta=dict(meta))


# --- Grid, seeds, keys ---------------------------------------------------------------------------------

def test_grid_describes_each_placement():
    plain = N.Grid("plain", BASE, (0.5, 1.25))
    assert plain.dataset == "mnist1d"
    assert (plain.window, plain.fractions, plain.same_h_as, plain.protocol_steps) == (None, (), None, None)
    assert plain.describe() == ("mnist1d n=60, tanh/mse/norm none, width 8, default init, h = (0.5, 1.25)·2/S0, "
                                "100 steps, seed 1")
    normed = replace(BASE, init_norms=(1.5, 2.5), norm="bn", loss="huber", activation="relu")
    edge = N.Grid("edge", normed, window="edge", fractions=(0.25, 0.5))
    assert edge.describe() == ("mnist1d n=60, relu/huber/norm bn, width 8, init norms 1.5/2.5, h = m·2/S0 at "
                               "fractions (0.25, 0.5) of the bracketed window (1, m*), 100 steps, seed 1")
    cat = N.Grid("cat", BASE, window="catapult", fractions=(0.75,))
    assert cat.describe() == ("mnist1d n=60, tanh/mse/norm none, width 8, default init, h = m·2/S0 at fractions "
                              "(0.75) of the bracketed window (m_c, m*), 100 steps, seed 1")
    same = N.Grid("same", BASE, window="edge", same_h_as=plain)
    assert same.describe() == ("mnist1d n=60, tanh/mse/norm none, width 8, default init, h of plain, 100 steps, "
                               "seed 1")


def test_seeded_and_protocol_grids():
    assert N.SEED_MARK == "#seed"
    g = N.Grid("g", BASE, (1.0,), protocol_steps=400)
    s = N.seeded(g, 7)
    assert s == replace(g, name="g#seed7", base=replace(BASE, seed=7))
    # 20 measurements per 100 steps: 10 per 50, at least 1, none stays none
    assert N.seeded(g, 7, 50).base == replace(BASE, seed=7, steps=50, sharpness_every=10)
    assert N.seeded(g, 7, 2).base == replace(BASE, seed=7, steps=2, sharpness_every=1)
    assert N.seeded(g, 7, 3).base.sharpness_every == 1
    assert N.seeded(g, 7, 250).base.sharpness_every == 50
    assert N.seeded(g, 7, 230).base.sharpness_every == 46
    quiet = replace(g, base=replace(BASE, sharpness_every=0))
    assert N.seeded(quiet, 2, 50).base == replace(BASE, seed=2, steps=50, sharpness_every=0)
    other = N.Grid("o", replace(BASE, steps=10, sharpness_every=5), (1.0,), protocol_steps=40)
    linked = N.Grid("l", BASE, same_h_as=other, window="edge")
    assert N.seeded(linked, 3).same_h_as == replace(other, name="o#seed3", base=replace(other.base, seed=3))
    assert N.seeded(linked, 3, 200).same_h_as.base == replace(other.base, seed=3, steps=40, sharpness_every=20)
    assert N.seeded(replace(linked, same_h_as=replace(other, protocol_steps=None)), 3, 200).same_h_as.base == \
        replace(other.base, seed=3)
    h = N.Grid("h", BASE, (1.0,), protocol_steps=None)
    assert N.protocol_grids([g, h], [1, 2]) == [N.seeded(g, 1, 400), N.seeded(g, 2, 400), N.seeded(h, 1),
                                                N.seeded(h, 2)]
    assert N.protocol_grids([g], [5], full=False) == [N.seeded(g, 5)]
    assert N.protocol_grids([g], [5], full=True) == [N.seeded(g, 5, 400)]


def test_grid_keys_in_seed_order():
    results = {"a#seed10": [], "ab": [], "a": [], "b#seed1": [], "a#seed2": [], "xa#seed1": []}
    assert N.grid_keys(results, "a") == ["a", "a#seed2", "a#seed10"]
    assert N.grid_keys(results, "b") == ["b#seed1"]
    assert N.grid_keys(results, "c") == []


def test_longer_scales_budget_and_cadence():
    g = N.Grid("g", BASE, (1.0,))
    assert N.longer(g, 3) == replace(g, base=replace(BASE, steps=300, sharpness_every=60))


# --- combining checks ---------------------------------------------------------------------------------------

def test_combine_each_verdict():
    p1, p2, f1, i1 = passed(2.0, k=1), passed(0.5), fail(-1.0, k=2), inconclusive("open")
    assert N.combine([p1, p2], tag="t") == passed(0.5, runs=[{"verdict": "pass", "margin": 2.0, "k": 1},
                                                             {"verdict": "pass", "margin": 0.5}], tag="t")
    assert N.combine([p1, f1, i1]) == fail(-1.0, runs=[{"verdict": "pass", "margin": 2.0, "k": 1},
                                                       {"verdict": "fail", "margin": -1.0, "k": 2},
                                                       {"verdict": "inconclusive", "margin": math.inf,
                                                        "reason": "open"}])
    assert N.combine([i1, f1], tag="t") == fail(-1.0, runs=[
        {"verdict": "inconclusive", "margin": math.inf, "reason": "open"},
        {"verdict": "fail", "margin": -1.0, "k": 2}], tag="t")
    assert N.combine(iter([p1, i1])) == inconclusive("an undecided run", runs=[
        {"verdict": "pass", "margin": 2.0, "k": 1}, {"verdict": "inconclusive", "margin": math.inf, "reason": "open"}])
    assert N.combine([i1, p1]).verdict == I
    assert N.combine([], tag="t") == inconclusive("no runs", runs=[], tag="t")
    assert N.combine([]).margin == math.inf


def test_each_run_of_a_grid():
    results = {"g": [run(m=0.5), run(m=-0.5)], "h": [run(m=-1.0)]}
    detector = lambda r: passed(r.meta["m"]) if r.meta["m"] > 0 else fail(r.meta["m"])  # noqa: E731
    assert N.each("g", detector)(results) == fail(-0.5, runs=[{"verdict": "pass", "margin": 0.5},
                                                             {"verdict": "fail", "margin": -0.5}])
    assert N.each("h", detector)(results).margin == -1.0


def test_per_grid_keeps_each_grid_and_counts_the_budget_limited_runs():
    ga, gb = N.Grid("a", BASE, (1.0,)), N.Grid("b", BASE, (1.0,))
    results = {"a#seed1": [run("converged"), run("diverged")], "a#seed2": [run("undecided")],
               "b": [run("diverged"), run("catapult"), run("diverged"), run("diverged")], "c": [run()]}
    checks = {"a#seed1": passed(1.0, runs=[{"r": 1}, {"r": 2}], note="n1"), "a#seed2": passed(0.25, s=2),
              "b": fail(-0.5, runs=[{"r": 3}])}
    seen = []

    def check_one(key):
        def check(res):
            seen.append(res)
            return checks[key]
        return check

    got = N.per_grid([ga, gb], check_one)(results)
    assert seen == [results] * 3
    assert got == Check(F, -0.5, {
        "runs": [{"r": 1, "grid": "a#seed1"}, {"r": 2, "grid": "a#seed1"}, {"s": 2, "grid": "a#seed2"},
                 {"r": 3, "grid": "b"}],
        "grids": {"a#seed1": {"verdict": "pass", "margin": 1.0, "note": "n1"},
                  "a#seed2": {"verdict": "pass", "margin": 0.25, "s": 2},
                  "b": {"verdict": "fail", "margin": -0.5}},
        "budget_limited": 3})
    checks["b"] = inconclusive("open")
    got = N.per_grid([ga, gb], lambda key: (lambda res: checks[key]))(results)
    assert (got.verdict, got.margin, got.detail["reason"]) == (I, math.inf, "an undecided run")
    checks["b"] = passed(3.0)
    got = N.per_grid([ga, gb], lambda key: (lambda res: checks[key]))(results)
    assert (got.verdict, got.margin, "reason" in got.detail) == (P, 0.25, False)
    assert N.per_grid([], lambda key: None)(results) == Check(I, math.inf, {"runs": [], "grids": {},
                                                                           "budget_limited": 0, "reason": "no runs"})


def test_every_run_names_its_worst_run():
    ga, gb = N.Grid("a", BASE, (1.0,)), N.Grid("b", BASE, (1.0,))
    results = {"a#seed1": [run(lr_multiple=0.5, m=1.0), run(lr_multiple=1.5, m=-0.5)],
               "b": [run(lr_multiple=2.0, m=-2.0), run(m=-1.0)]}
    verdict = {"x": None}

    def predicate(r):
        m = r.meta["m"]
        if verdict["x"] is not None:
            return verdict["x"]
        return passed(m, v=m) if m > 0 else fail(m, v=m)

    rows = [{"grid": "a#seed1", "lr_multiple": 0.5, "verdict": "pass", "margin": 1.0, "v": 1.0},
            {"grid": "a#seed1", "lr_multiple": 1.5, "verdict": "fail", "margin": -0.5, "v": -0.5},
            {"grid": "b", "lr_multiple": 2.0, "verdict": "fail", "margin": -2.0, "v": -2.0},
            {"grid": "b", "lr_multiple": None, "verdict": "fail", "margin": -1.0, "v": -1.0}]
    assert N.every_run([ga, gb], predicate)(results) == fail(-2.0, runs=rows, deciding=[["b", 2.0]])
    assert N.every_run([ga], predicate)(results) == fail(-0.5, runs=rows[:2], deciding=[["a#seed1", 1.5]])
    results["a#seed1"][1].meta["m"] = 0.25
    assert N.every_run([ga], predicate)(results) == passed(0.25, runs=[
        rows[0], {"grid": "a#seed1", "lr_multiple": 1.5, "verdict": "pass", "margin": 0.25, "v": 0.25}])
    verdict["x"] = inconclusive("open")
    assert N.every_run([ga], predicate)(results) == inconclusive("an undecided run", runs=[
        {"grid": "a#seed1", "lr_multiple": m, "verdict": "inconclusive", "margin": math.inf, "reason": "open"}
        for m in (0.5, 1.5)])
    assert N.every_run([N.Grid("z", BASE)], predicate)(results) == inconclusive("no runs", runs=[])


def test_every_run_names_the_first_of_equally_bad_runs():
    results = {"b": [run(lr_multiple=None, m=-1.0)], "a": [run(lr_multiple=0.5, m=-1.0)]}
    predicate = lambda r: fail(r.meta["m"])  # noqa: E731
    got = N.every_run([N.Grid("b", BASE), N.Grid("a", BASE)], predicate)(results)
    assert (got.margin, got.detail["deciding"]) == (-1.0, [["b", None]])
    results = {"b": [run(lr_multiple=2.0, m=-1.0)], "a": [run(lr_multiple=0.5, m=-1.0)]}
    got = N.every_run([N.Grid("b", BASE), N.Grid("a", BASE)], predicate)(results)
    assert got.detail["deciding"] == [["b", 2.0]]


def test_deciding_text_and_confirm_overrides():
    assert N.deciding_text([["a#seed1", 1.5], ["b", 0.25]]) == "a#seed1 at 1.5·2/S0; b at 0.25·2/S0"
    assert N.deciding_text([]) == ""
    assert N.CONFIRM_OVERRIDES == {"dtype": "float64", "hvp_dtype": "float64", "device": "cpu"}


# --- confirm_rival --------------------------------------------------------------------------------------------

def test_confirm_rival_re_trains_the_deciding_runs(monkeypatch):
    ga, gb = N.Grid("a", BASE, (1.0, 2.0), window="edge", fractions=(0.5,)), N.Grid("b", BASE, (0.5,))
    trained = []

    def train_grid(grid, overrides):
        trained.append((grid, overrides))
        return [run(dtype=overrides["dtype"], hvp_dtype=overrides.get("hvp_dtype"), m=grid.multiples[0])]

    monkeypatch.setattr(N, "train_grid", train_grid)
    seen = []

    def check(results):
        seen.append(results)
        if len(seen) == 1:
            return fail(-1.0, deciding=[["a#seed3", 1.5], ["b", 0.5], ["a#seed3", 2.5]])
        return fail(-0.25, runs=sorted(results))

    rival = N.Rival("R", (ga, gb), check, {"hvp_dtype": "float32"})
    got = N.confirm_rival(rival, {"float32": []})
    assert got == Check(F, -0.25, {"runs": ["a#seed3", "b"], "dtypes": ["float32", "float64"],
                                   "confirmation": "float32 and float64 GD and HVPs re-trained 3 deciding run(s): "
                                                   "a#seed3 at 1.5·2/S0; b at 0.5·2/S0; a#seed3 at 2.5·2/S0"})
    assert seen[0] == {"float32": []}
    assert {k: [r.meta["m"] for r in v] for k, v in seen[1].items()} == {"a#seed3": [1.5, 2.5], "b": [0.5]}
    overrides = {"dtype": "float64", "hvp_dtype": "float32", "device": "cpu"}
    seeded = N.seeded(ga, 3)
    assert trained == [
        (replace(seeded, multiples=(1.5,), window=None, fractions=()), overrides),
        (replace(gb, multiples=(0.5,)), overrides),
        (replace(seeded, multiples=(2.5,), window=None, fractions=()), overrides)]
    plain = N.confirm_rival(N.Rival("R", (gb,), lambda res: fail(-1.0, deciding=[["b", 0.5]])), {})
    assert plain.detail["dtypes"] == ["float64"]
    assert trained[-1][1] == N.CONFIRM_OVERRIDES
    assert N.Rival("R", (gb,), check).confirm_overrides == {}
    linked = N.Grid("l", BASE, same_h_as=gb, window="edge")
    N.confirm_rival(N.Rival("R", (linked,), lambda res: fail(-1.0, deciding=[["l", 0.5]])), {})
    assert trained[-1][0] == N.Grid("l", BASE, (0.5,))
    N.confirm_rival(N.Rival("R", (gb,), lambda res: fail(-1.0, deciding=[["b#seed03", 0.5]])), {})
    assert trained[-1][0] == N.Grid("b#seed03", replace(BASE, seed=3), (0.5,))


@pytest.mark.parametrize("first", [passed(1.0, deciding=[["b", 0.5]]), inconclusive("open", deciding=[["b", 0.5]]),
                                   fail(-1.0), fail(-1.0, deciding=[])])
def test_confirm_rival_without_a_float32_refutation(monkeypatch, first):
    monkeypatch.setattr(N, "train_grid", lambda grid, overrides: pytest.fail("nothing is re-trained"))
    rival = N.Rival("R", (N.Grid("b", BASE, (0.5,)),), lambda results: first)
    assert N.confirm_rival(rival, {}) == inconclusive("the float32 runs did not refute the rival: nothing to confirm")


# --- claims of the catalogue ------------------------------------------------------------------------------------

def claim(cid, *grids, check=None):
    return N.NNClaim(cid, "T", "S", "paper", tuple(grids), check or (lambda results: passed(1.0)))


def test_claim_defaults():
    c = claim("x")
    assert (c.thresholds, c.fails_if, c.rival) == ("", "", None)


def test_catalogue_claims_reads_every_group(monkeypatch):
    asked = []

    def load_groups(**kw):
        asked.append(kw)
        return [types.SimpleNamespace(nn_claims=("c1", "c2")), types.SimpleNamespace(nn_claims=()),
                types.SimpleNamespace(nn_claims=("c3",))]

    monkeypatch.setattr(catalogue, "load_groups", load_groups)
    assert N.catalogue_claims() == ("c1", "c2", "c3")
    assert asked == [{"include_nn": True}]


def test_get_claims_selects_by_id(monkeypatch):
    a, b, c = claim("a"), claim("b"), claim("c")
    assert N.get_claims(" all ", [a, b]) == [a, b]
    assert N.get_claims("c, a,,", [a, b, c]) == [c, a]
    assert N.get_claims("b", (a, b)) == [b]
    with pytest.raises(NNConfigError) as err:
        N.get_claims("a, x, y", [a, b])
    assert str(err.value) == "unknown claim id(s) x, y; accepted: all, a, b"
    with pytest.raises(NNConfigError) as err:
        N.get_claims(" , ", [a, b])
    assert str(err.value) == "unknown claim id(s) ' , '; accepted: all, a, b"
    monkeypatch.setattr(N, "catalogue_claims", lambda: (c, a))
    assert N.get_claims("all") == [c, a]
    assert N.get_claims("a") == [a]
    with pytest.raises(NNConfigError):
        N.get_claims("a", [])


def test_check_claims_runs_each_check():
    results = {"g": [run()]}
    a = claim("a", check=lambda res: passed(float(len(res["g"]))))
    b = claim("b", check=lambda res: fail(-1.0))
    assert N.check_claims([a, b], results) == {"a": passed(1.0), "b": fail(-1.0)}


# --- training, on a scripted trainer -------------------------------------------------------------------------------

class Trainer(types.ModuleType):
    """Stand-in of lrbias.nn.trainer: S0 per config seed, runs recording their learning rate."""

    def __init__(self, s0):
        super().__init__("lrbias.nn.trainer")
        self.s0, self.calls = s0, []

    def prepare(self, config):
        self.calls.append(("prepare", config))
        return types.SimpleNamespace(config=config)

    def initial_sharpness(self, prep):
        return self.s0[prep.config.seed]

    def train(self, prep, lr, progress=None):
        self.calls.append(("train", prep.config.seed, lr, progress))
        return run(lr=lr, s0=self.s0[prep.config.seed])


@pytest.fixture
def trainer(monkeypatch):
    fake = Trainer({1: 4.0, 2: 8.0, 3: 0.5})
    monkeypatch.setitem(sys.modules, "lrbias.nn.trainer", fake)
    brackets = []

    def find_bracket(prep, s0):
        brackets.append((prep.config, s0))
        return Bracket(s0, (2.0, 2.5), (1.25, 1.5), ())

    monkeypatch.setattr(bracket_module, "find_bracket", find_bracket)
    monkeypatch.setattr(N, "_BRACKETS", {})
    monkeypatch.setattr(N, "_TRAINED", {})
    fake.brackets = brackets
    return fake


def test_placed_multiples_plain_and_overrides(trainer):
    g = N.Grid("g", BASE, (0.5, 1.5))
    prep, s0, multiples, placed = N.placed_multiples(g)
    assert (prep.config, s0, multiples, placed) == (BASE, 4.0, (0.5, 1.5), {})
    prep, s0, _, _ = N.placed_multiples(g, {"seed": 2, "device": "cpu"})
    assert (prep.config, s0) == (replace(BASE, seed=2, device="cpu"), 8.0)
    assert trainer.brackets == []


@pytest.mark.parametrize("s0", [0.0, -1.0, math.nan, math.inf])
def test_placed_multiples_refuses_a_bad_s0(trainer, s0):
    trainer.s0[1] = s0
    with pytest.raises(NNConfigError) as err:
        N.placed_multiples(N.Grid("g", BASE, (1.0,)))
    assert str(err.value) == f"grid g: initial sharpness S0 = {s0!r} is not a positive number"


def test_placed_multiples_tiny_positive_s0(trainer):
    trainer.s0[1] = 5e-324
    assert N.placed_multiples(N.Grid("g", BASE, (1.0,)))[1] == 5e-324


def test_placed_multiples_in_a_window(trainer):
    said = []
    g = N.Grid("w", BASE, window="catapult", fractions=(0.5,))
    _prep, s0, multiples, placed = N.placed_multiples(g, progress=said.append)
    assert (s0, multiples) == (4.0, (1.75,))
    assert placed == {"bracket": Bracket(4.0, (2.0, 2.5), (1.25, 1.5), ()).as_dict(),
                      "window": {"kind": "catapult", "ends": [1.5, 2.0], "fractions": [0.5]}}
    assert said == ["[w] bracketing m_c and m* by bisection (S0=4)"]
    assert trainer.brackets == [(BASE, 4.0)]
    edge = N.Grid("e", BASE, window="edge", fractions=(0.5,))
    assert N.placed_multiples(edge)[2] == (1.5,)
    assert trainer.brackets == [(BASE, 4.0)]        # one bracket per configuration


def test_placed_multiples_at_the_h_of_another_grid(trainer):
    other = N.Grid("o", replace(BASE, seed=2), (0.5, 1.0, 3.0, 4.0))
    said = []
    g = N.Grid("s", BASE, window="edge", fractions=(0.5,), same_h_as=other)
    _prep, s0, multiples, placed = N.placed_multiples(g, progress=said.append)
    # the other grid's S0 is 8, this one's 4: m = m_o·4/8; m* = 2 bounds the window (2.0 is outside)
    assert (s0, multiples) == (4.0, (0.25, 0.5, 1.5))
    assert placed == {"bracket": Bracket(4.0, (2.0, 2.5), (1.25, 1.5), ()).as_dict(), "same_h_as": "o",
                      "outside_window": [2.0]}
    assert said == ["[s] bracketing m_c and m* by bisection (S0=4)"]
    at = N.Grid("o", replace(BASE, seed=2), (4.0, 5.0))
    assert N.placed_multiples(replace(g, same_h_as=at))[2:] == ((), {
        "bracket": Bracket(4.0, (2.0, 2.5), (1.25, 1.5), ()).as_dict(), "same_h_as": "o",
        "outside_window": [2.0, 2.5]})
    assert trainer.calls[:2] == [("prepare", BASE), ("prepare", replace(BASE, seed=2))]
    linked = N.Grid("o", replace(BASE, seed=2), window="edge", fractions=(0.5,))
    placed = N.placed_multiples(replace(g, same_h_as=linked), {"device": "cpu"}, said.append)
    assert placed[2] == (0.75,)
    assert said[-2:] == ["[s] bracketing m_c and m* by bisection (S0=4)",
                         "[o] bracketing m_c and m* by bisection (S0=8)"]
    assert trainer.calls[-1] == ("prepare", replace(BASE, seed=2, device="cpu"))


def test_grid_bracket_is_computed_once_per_configuration(trainer):
    prep = types.SimpleNamespace(config=BASE)
    first = N.grid_bracket(prep, 4.0, BASE)
    assert N.grid_bracket(prep, 9.0, replace(BASE, steps=500, sharpness_every=5)) is first
    assert list(N._BRACKETS) == [repr(replace(BASE, steps=1, sharpness_every=0))]
    assert N.grid_bracket(prep, 9.0, replace(BASE, seed=5)).s0 == 9.0
    assert trainer.brackets == [(BASE, 4.0), (BASE, 9.0)]


def test_train_grid_places_each_run(trainer, monkeypatch):
    cached = []

    def disk_cached_grid(compute, grid, overrides):
        cached.append((grid, overrides))
        return compute()

    monkeypatch.setattr(caching, "disk_cached_grid", disk_cached_grid)
    g = N.Grid("g", BASE, (0.5, 1.5))
    runs = N.train_grid(g)
    assert [r.meta for r in runs] == [{"lr": 0.25, "s0": 4.0, "lr_multiple": 0.5},
                                      {"lr": 0.75, "s0": 4.0, "lr_multiple": 1.5}]
    assert type(runs) is list
    assert cached == [(g, {})]
    said = []
    runs = N.train_grid(N.Grid("w", BASE, window="edge", fractions=(0.5,)), {"seed": 2}, said.append)
    assert cached[-1][1] == {"seed": 2}
    assert [r.meta["lr"] for r in runs] == [0.375]
    assert runs[0].meta["window"] == {"kind": "edge", "ends": [1.0, 2.0], "fractions": [0.5]}
    assert runs[0].meta["bracket"]["s0"] == 8.0
    assert said == ["[w] bracketing m_c and m* by bisection (S0=8)",
                    "[w] h=1.5·2/S0=0.375 (S0=8), 100 steps"]
    assert trainer.calls[-1] == ("train", 2, 0.375, said.append)
    assert trainer.calls[-3] == ("train", 1, 0.75, None)


def test_run_grids_trains_each_grid_once(monkeypatch):
    trained = []

    def train_grid(grid, overrides, progress):
        trained.append((grid, overrides, progress))
        return [grid.name]

    monkeypatch.setattr(N, "train_grid", train_grid)
    g, h = N.Grid("g", BASE, (1.0,), protocol_steps=400), N.Grid("h", BASE, (1.0,))
    claims = [claim("a", g, h), claim("b", h)]
    assert N.run_grids(claims) == {"g": ["g"], "h": ["h"]}
    assert trained == [(g, None, None), (h, None, None)]
    trained.clear()
    out = N.run_grids(claims, {"device": "cpu"}, print, seeds=[1, 2])
    assert out == {k: [k] for k in ("g#seed1", "g#seed2", "h#seed1", "h#seed2")}
    assert trained == [(N.seeded(x, s), {"device": "cpu"}, print) for x in (g, h) for s in (1, 2)]
    trained.clear()
    N.run_grids([claim("a", g)], seeds=[1], full=True)
    assert trained == [(N.seeded(g, 1, 400), None, None)]


def test_trained_grid_once_per_process_and_grid_results(monkeypatch):
    trained = []

    def train_grid(grid, overrides):
        trained.append((grid.name, overrides))
        return [grid.name, "run"]

    monkeypatch.setattr(N, "train_grid", train_grid)
    monkeypatch.setattr(N, "_TRAINED", {})
    g, h = N.Grid("g", BASE, (1.0,)), N.Grid("h", BASE, (1.0,))
    assert N.trained_grid(g) == ("g", "run")
    assert N.trained_grid(replace(g)) == ("g", "run")
    assert N.trained_grid(replace(g, multiples=(2.0,))) == ("g", "run")
    assert trained == [("g", {"device": "cpu"}), ("g", {"device": "cpu"})]
    assert list(N._TRAINED) == [repr(g), repr(replace(g, multiples=(2.0,)))]
    monkeypatch.setattr(N, "catalogue_claims", lambda: (claim("a", g), claim("b", N.Grid("x", BASE), h)))
    assert N.grid_results("h") == ("h", "run")
    assert N.grid_results("g") == ("g", "run")
    with pytest.raises(NNConfigError) as err:
        N.grid_results("zz")
    assert str(err.value) == "no grid 'zz' in the catalogue's NN claims"
