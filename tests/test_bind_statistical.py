"""Bindings for lrbias/claims/statistical.py: the case strategies, the sweep arguments, the population counts,
the climb to convergence, the confirmation, the re-budgeting, the four certificate hooks at their boundaries,
the sentences, both builders field by field (and rebuilt for another start distribution), and every
:class:`Compared` layout.

Written against the survivors of mutmut on this module (``python -m mutants.tool run
lrbias/claims/statistical.py``).  No GD runs: the sweeps, the tiers and the certificates are scripted
stand-ins (``monkeypatch``), so every test takes milliseconds and each figure is exact.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types

import numpy as np
import pytest
from hypothesis import find, settings
from hypothesis import strategies as st

import lrbias.claims.statistics as statistics_module
import lrbias.gd.certificate as certificate
from lrbias.claims import statistical as S
from lrbias.claims.entry import Mutant
from lrbias.claims.sweeps import Case, replay
from lrbias.errors import InvalidArgument, SpecError
from lrbias.gd import BatchResult, Outcome, Settings
from lrbias.verdict import Check, Verdict

P, F, I = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
C, D, PER, U = int(Outcome.CONVERGED), int(Outcome.DIVERGED), int(Outcome.PERIODIC), int(Outcome.UNDECIDED)
BOX = "runs followed to a decision (5,000 steps, ×4 while the open runs could flip the verdict, cap 100,000)"
BOX_STARTS = "x0, y0 uniform in [0.5, 4], independent random signs"
SHELL_STARTS = "x0² + y0² = 4, start angle uniform (isolates |d0|/q0)"
FIND = settings(database=None, derandomize=True, max_examples=500)


def batch(outcome, *, max_steps=5000, starts="box", family="logcosh", x0=None, y0=None, h=None, tag=None):
    """A BatchResult of len(outcome) runs, every run using the whole budget (an undecided run is open)."""
    n = len(outcome)
    col = lambda v, d: np.asarray(d if v is None else v, float) * np.ones(n)  # noqa: E731
    meta = {"starts": starts} if starts is not None else {}
    if tag is not None:
        meta["tag"] = tag
    return BatchResult(family, Settings(max_steps=max_steps), col(x0, np.arange(1, n + 1)), col(y0, 0.5),
                       col(h, 0.25), np.ones(n), np.asarray(outcome, np.int64), np.full(n, max_steps, np.int64),
                       np.zeros(n, np.int64), np.ones(n), np.ones(n), np.ones(n), np.ones(n), np.zeros(n, np.int64),
                       np.ones(n), meta=meta)


class Sweeps:
    """Stand-in of ``sweep`` / ``fixed_step_sweep``: records each call (as a repr, so 2 and 2.0 differ) and
    returns ``script(steps)`` as a batch whose budget is ``steps``."""

    def __init__(self, script):
        self.script, self.calls = script, []

    def __call__(self, spec, kappa, seed, n, starts, steps):
        self.calls.append(repr((spec, kappa, seed, n, starts, steps)))
        return batch(self.script(steps), max_steps=steps, starts=starts, family=spec)


@pytest.fixture
def sweeps(monkeypatch):
    """4 runs, one open at 5000 steps, none above: the climb stops at 20000."""
    fake = Sweeps(lambda steps: [C, C, D, U] if steps <= 5000 else [C, C, D, C])
    monkeypatch.setattr(S, "sweep", fake)
    return fake


def counting(b):
    """A statistic: pass with margin = converged runs, flippable while a run is open; rows: the converged."""
    conv = np.flatnonzero(b.outcome == C)
    open_ = int(np.count_nonzero(b.outcome == U))
    return Check(P, float(conv.size), {"undecided_can_flip": open_ > 0}), conv


def counted_detail(runs, left, starts, steps, **extra):
    return {"runs": runs, "undecided": left, "undecided_share": left / runs if runs else 0.0, "starts": starts,
            "steps": steps, "budget_cap": steps, **extra}


# --- strategies ---------------------------------------------------------------------------------------

def test_variant_source_default_and_set():
    assert S.variant_source() is None
    token = S.VARIANT_SOURCE.set("variants/mine.toml")
    try:
        assert S.variant_source() == "variants/mine.toml"
    finally:
        S.VARIANT_SOURCE.reset(token)


def test_kappas_is_log_uniform_between_its_ends():
    assert repr(S.kappas(2, 8)) == "floats(min_value=0.6931471805599453, max_value=2.0794415416798357).map(exp)"
    assert find(S.kappas(2, 8), lambda k: True, settings=FIND) == math.e
    assert 2.0 <= find(S.kappas(2, 8), lambda k: k < 2.000001, settings=FIND) < 2.000001
    assert 7.9 < find(S.kappas(2, 8), lambda k: k > 7.9, settings=FIND) <= 8.0


def test_sized_appends_the_profile_sweep_size():
    assert find(S.sized(st.just((1, "a")))(types.SimpleNamespace(sweep_starts=7)), lambda c: True,
                settings=FIND) == (1, "a", 7)


def test_cases_from_a_list_and_from_a_strategy():
    profile = types.SimpleNamespace(sweep_starts=5)
    listed = S.cases(["logcosh", "power:b=1"], 1, 4)(profile)
    assert repr(listed).startswith("tuples(sampled_from(['logcosh', 'power:b=1']), floats(min_value=0.0, "
                                   "max_value=1.3862943611198906).map(exp), integers(min_value=0, "
                                   "max_value=65536)).map(")
    assert find(listed, lambda c: True, settings=FIND) == Case("logcosh", 1.0, 0, 5)
    assert type(find(listed, lambda c: True, settings=FIND)) is Case
    assert find(listed, lambda c: c.spec == "power:b=1", settings=FIND) == Case("power:b=1", 1.0, 0, 5)
    assert find(listed, lambda c: c.seed >= 2**16, settings=FIND) == Case("logcosh", 1.0, 65536, 5)
    drawn = S.cases(st.just("square"), 2, 8)(profile)
    assert repr(drawn).startswith("tuples(just('square'), floats(min_value=0.6931471805599453")
    assert find(drawn, lambda c: True, settings=FIND) == Case("square", math.e, 0, 5)


# --- sweeps of a case, population counts --------------------------------------------------------------

def test_case_sweep_arguments_and_defaults(sweeps):
    S._case_sweep(Case("logcosh", 2, np.int64(3), np.int64(4)))
    S._case_sweep(("square", 1.5, 7, 2), "shell", 300)
    assert sweeps.calls == ["('logcosh', 2.0, 3, 4, 'box', 5000)", "('square', 1.5, 7, 2, 'shell', 300)"]


def test_counted_one_batch():
    b = batch([C, U, U, D], max_steps=300, starts="shell")
    got = S.counted(Check(F, -1.5, {"runs": 99, "k": 1}), b)
    assert got == Check(F, -1.5, {"k": 1, **counted_detail(4, 2, "shell", 300)})


def test_counted_all_over_batches_and_none():
    a = batch([C, U], max_steps=300, starts="box")
    b = batch([U, U, C, D], max_steps=600, starts="shell")
    assert S._counted_all(Check(P, 2.0, {"x": 0}), [a, b]) == \
        Check(P, 2.0, {"x": 0, **counted_detail(6, 3, "box", 300)})
    assert S._counted_all(Check(I, math.inf, {}), []) == Check(I, math.inf, counted_detail(0, 0, None, None))
    bare = batch([C], starts=None)
    assert S._counted_all(Check(P, 1.0), [bare]).detail["starts"] is None


# --- at convergence, at a budget, confirmation ----------------------------------------------------------

def test_at_convergence_climbs_until_decided(sweeps):
    got = S.at_convergence(counting, Case("logcosh", 2.0, 3, 4))
    assert got == Check(P, 3.0, {"undecided_can_flip": False, **counted_detail(4, 0, "box", 20000),
                                 "budget_cap": 100000, "stopped": "decided"})
    assert sweeps.calls == ["('logcosh', 2.0, 3, 4, 'box', 5000)", "('logcosh', 2.0, 3, 4, 'box', 20000)"]


def test_at_convergence_stops_at_its_cap(sweeps):
    got = S.at_convergence(counting, Case("logcosh", 2.0, 3, 4), "shell", 5000)
    assert got == Check(P, 2.0, {"undecided_can_flip": True, **counted_detail(4, 1, "shell", 5000),
                                 "stopped": "cap"})
    assert sweeps.calls == ["('logcosh', 2.0, 3, 4, 'shell', 5000)"]


def test_decide_at_convergence_by_default_and_at_a_budget(sweeps):
    case = Case("logcosh", 2.0, 3, 4)
    assert S.decide(counting)(case) == S.at_convergence(counting, case, "box")
    sweeps.calls.clear()
    assert S.decide(counting, "shell", 300)(case) == \
        Check(P, 2.0, {"undecided_can_flip": True, **counted_detail(4, 1, "shell", 300)})
    assert sweeps.calls == ["('logcosh', 2.0, 3, 4, 'shell', 300)"]


def test_rebudget_multiplies_the_first_rung(sweeps):
    case = Case("logcosh", 2.0, 3, 4)
    assert S.rebudget(counting)(case, 3.0) == \
        Check(P, 3.0, {"undecided_can_flip": False, **counted_detail(4, 0, "box", 15000)})
    assert S.rebudget(counting, "shell")(case, 1).detail["steps"] == 5000
    assert sweeps.calls == ["('logcosh', 2.0, 3, 4, 'box', 15000)", "('logcosh', 2.0, 3, 4, 'shell', 5000)"]


@pytest.fixture
def tiers(monkeypatch):
    """Stand-ins of precise_batch (turns the deciding rows periodic, records them) and coverage_line."""
    seen = []

    def precise(b, rows):
        seen.append((len(b), b.settings.max_steps, list(map(int, rows))))
        out = dataclasses.replace(b, outcome=b.outcome.copy(), meta={**b.meta, "tag": "precise"})
        out.outcome[rows[:1]] = PER
        return out

    monkeypatch.setattr(S, "precise_batch", precise)
    monkeypatch.setattr(S, "coverage_line", lambda b: f"line {b.meta.get('tag')} {b.settings.max_steps}")
    return seen


def test_confirm_re_decides_the_deciding_rows_at_the_deciding_rung(sweeps, tiers):
    got = S.confirm(counting)(Case("logcosh", 2.0, 3, 4))
    assert got == Check(P, 2.0, {"undecided_can_flip": False, **counted_detail(4, 0, "box", 20000),
                                 "budget_cap": 100000, "confirmation": "line precise 20000"})
    assert tiers == [(4, 20000, [0, 1, 3])]
    assert sweeps.calls == ["('logcosh', 2.0, 3, 4, 'box', 5000)", "('logcosh', 2.0, 3, 4, 'box', 20000)",
                            "('logcosh', 2.0, 3, 4, 'box', 20000)"]
    sweeps.calls.clear()
    S.confirm(counting, "shell")(Case("logcosh", 2.0, 3, 4))
    assert set(sweeps.calls) == {"('logcosh', 2.0, 3, 4, 'shell', 5000)", "('logcosh', 2.0, 3, 4, 'shell', 20000)"}


def test_frontier_predicate_decides_its_grid_point_at_convergence(sweeps):
    predicate = S.frontier_predicate(counting)
    assert predicate("logcosh", 2, np.int64(4), np.int64(3)) == \
        S.at_convergence(counting, Case("logcosh", 2.0, 3, 4), "box")
    assert predicate("logcosh", 2, 4, 3, "shell").detail["starts"] == "shell"
    assert sweeps.calls[:2] == ["('logcosh', 2.0, 3, 4, 'box', 5000)", "('logcosh', 2.0, 3, 4, 'box', 20000)"]


# --- the certificate hooks --------------------------------------------------------------------------------

def arb(v):
    return certificate.intervals.flint_module().arb(v)


def cert(outcome, *, reason="", step=7, bits=64, balls=None, hi=None, x0=1.0, y0=0.5):
    return types.SimpleNamespace(outcome=outcome, reason=reason, step=step, bits=bits, balls=balls or {},
                                 ratio=types.SimpleNamespace(hi=hi), x0=x0, y0=y0)


class Certify:
    """Stand-in of ``certify``: the certificate of each run by its x0, the calls recorded."""

    def __init__(self, by_x0):
        self.by_x0, self.calls = by_x0, []

    def __call__(self, spec, x0, y0, h, **kw):
        self.calls.append((spec, x0, y0, h, kw))
        return self.by_x0[x0]


def test_final_gap_certificate_each_outcome(monkeypatch):
    rows = {"rows": np.array([], int)}
    b = batch([C, C, C], x0=[1.1, 2.0, 1.5], y0=[0.3, 0.5, 0.5], h=[0.125, 0.25, 0.5], family="square")
    read = []

    def statistic(batch_):
        read.append(batch_)
        return Check(F, -1.0), rows["rows"]

    monkeypatch.setattr(statistics_module, "final_gap_at_most_initial", lambda: statistic)
    swept = []
    monkeypatch.setattr(S, "_case_sweep", lambda case, starts="?", steps="?": swept.append((case, starts, steps)) or b)
    case = Case("square", 2.0, 3, 3)
    assert S.final_gap_certificate()(case) == {"tier": "float64", "reason": "no converged run to certify"}
    assert swept == [(case, "box", "?")]
    assert read == [b]

    rows["rows"] = np.array([2, 0])
    run = {"x0": 1.5, "y0": 0.5, "h": 0.5, "step": 7, "bits": 64}
    fake = Certify({1.5: cert(certificate.PERIODIC, reason="a cycle")})
    monkeypatch.setattr(certificate, "certify", fake)
    assert S.final_gap_certificate("shell")(case) == {
        "tier": "float64", "reason": "the deciding run is not certified converged: a cycle",
        "run": {**run, "outcome": certificate.PERIODIC}}
    assert fake.calls == [("square", 1.5, 0.5, 0.5, {"width": 1e-6})]
    assert swept[-1] == (case, "shell", "?")

    fake.by_x0[1.5] = cert(certificate.CONVERGED, reason="no balls")
    assert S.final_gap_certificate()(case)["reason"] == "the deciding run is not certified converged: no balls"

    # (x0 - y0)² = 1 exactly: a final gap of exactly 1 is not above it
    fake.by_x0[1.5] = cert(certificate.CONVERGED, balls={"x": arb(1.5), "y": arb(0.5)})
    assert S.final_gap_certificate()(case) == {
        "tier": "float64", "reason": "(x∞ - y∞)² > (x0 - y0)² not decided by the enclosures",
        "run": {**run, "outcome": certificate.CONVERGED, "final_gap2": "1.000000000", "initial_gap2": "1.000000000"}}
    # (1.1 - 0.3)² = 0.64 is a ball (not exact in 53 bits); the final gap [4 ± 4e-12] lies above it
    rows["rows"] = np.array([0])
    flint = certificate.intervals.flint_module()
    fake.by_x0[1.1] = cert(certificate.CONVERGED, balls={"x": flint.arb(2.5, 1e-12), "y": arb(0.5)})
    assert S.final_gap_certificate()(case) == {
        "tier": "certified", "how": "the deciding run is certified converged (tail certificate at step 7) and its "
                                    "(x∞ - y∞)² enclosure lies above (x0 - y0)²",
        "run": {"x0": 1.1, "y0": 0.3, "h": 0.125, "step": 7, "bits": 64, "outcome": certificate.CONVERGED,
                "final_gap2": "[4.000000000 +/- 4.01e-12]", "initial_gap2": "[0.6400000000 +/- 2e-15]"}}


def test_share_converged_certificate_counts_the_proven_runs(monkeypatch):
    b = batch([C, D, U, PER], x0=[1.0, 2.0, 3.0, 4.0], family="square")
    swept = []
    monkeypatch.setattr(S, "_case_sweep", lambda case, starts="?", steps="?": swept.append((case, starts, steps)) or b)
    fake = Certify({2.0: cert(certificate.DIVERGED), 3.0: cert(certificate.PERIODIC),
                    4.0: cert(certificate.DIVERGED)})
    monkeypatch.setattr(certificate, "certify", fake)
    case = Case("square", 2.0, 3, 4)
    # threshold 0.5: 3 proven needed (more than 4·0.5); all three are
    assert S.share_converged_certificate(0.5)("shell")(case) == {
        "tier": "certified",
        "how": "3 of the 4 runs are proven not to converge (escape or cycle certificates; 3 tried), "
               "so the converged share is at most 0.25 < 0.5", "proven": 3, "n": 4}
    assert fake.calls == [("square", x, 0.5, 0.25, {"width": 1e-6, "max_steps": 20000}) for x in (2.0, 3.0, 4.0)]
    assert swept == [(case, "shell", "?")]
    # threshold 0.75: 2 needed (more than 4·0.25), so the third run is never tried
    fake.calls.clear()
    assert S.share_converged_certificate(0.75)("box")(case)["how"] == (
        "2 of the 4 runs are proven not to converge (escape or cycle certificates; 2 tried), so the converged share "
        "is at most 0.5 < 0.75")
    assert len(fake.calls) == 2
    # threshold 0.25: 4 needed, only 3 runs can be
    assert S.share_converged_certificate(0.25)("box")(case) == {
        "tier": "float64", "reason": "only 3 of the 4 runs needed are proven not to converge (3 tried; {})",
        "proven": 3, "n": 4}


def test_share_converged_certificate_names_the_two_commonest_reasons(monkeypatch):
    long = "L" * 80
    b = batch([C, D, D, D, D, D, D], x0=[1, 2, 3, 4, 5, 6, 7], family="square")
    monkeypatch.setattr(S, "_case_sweep", lambda case, starts="box", steps=5000: b)
    reasons = {2: "a b (1)", 3: long + "x (9)", 4: " b", 5: "a b (2) (3)", 6: long + "y", 7: None}
    fake = Certify({float(x): cert(certificate.DIVERGED) if r is None else cert(certificate.NOT_CERTIFIED, reason=r)
                    for x, r in reasons.items()})
    monkeypatch.setattr(certificate, "certify", fake)
    # threshold 0.5 of 7: 4 needed (int(3.5) + 1)
    assert S.share_converged_certificate(0.5)("box")(Case("square", 2.0, 3, 7)) == {
        "tier": "float64", "reason": f"only 1 of the 4 runs needed are proven not to converge (6 tried; "
                                     f"{ {'a b': 2, long: 2} })", "proven": 1, "n": 7}


def test_certify_sample_counts_the_unproven(monkeypatch):
    b = batch([C, D, U, U], x0=[1.0, 2.0, 3.0, 4.0], family="square")
    fake = Certify({1.0: cert(certificate.CONVERGED), 2.0: cert(certificate.NOT_CERTIFIED),
                    3.0: cert(certificate.DIVERGED), 4.0: cert(certificate.NOT_CERTIFIED)})
    monkeypatch.setattr(certificate, "certify", fake)
    certs, unproven = S.certify_sample(b)
    assert (certs, unproven) == ([fake.by_x0[1.0], fake.by_x0[3.0]], 2)
    assert fake.calls == [("square", x, 0.5, 0.25, {"width": 1e-6, "max_steps": 20000})
                          for x in (1.0, 2.0, 3.0, 4.0)]
    fake.calls.clear()
    S.certify_sample(b, 1e-3)
    assert fake.calls[0][4] == {"width": 1e-3, "max_steps": 20000}


def _sample(monkeypatch, certs, unproven):
    monkeypatch.setattr(S, "_case_sweep", lambda case, starts="?", steps="?": f"the sweep {case.n} {starts} {steps}")
    seen = []

    def sample(b):
        seen.append(b)
        return list(certs), unproven
    monkeypatch.setattr(S, "certify_sample", sample)
    return seen


def test_median_ratio_certificate_at_its_limits(monkeypatch):
    case = Case("square", 2.0, 3, 4)
    conv = [cert(certificate.CONVERGED, hi=0.25) for _ in range(19)]
    seen = _sample(monkeypatch, [*conv, cert(certificate.DIVERGED, hi=0.0)], 0)
    assert S.median_ratio_certificate(0.5)("shell")(case) == {"tier": "float64",
                                                             "reason": "only 19 runs are certified converged"}
    assert seen == ["the sweep 4 shell ?"]
    # 20 converged at 0.25 and one unproven (+inf): the median is 0.25
    _sample(monkeypatch, [*conv, cert(certificate.CONVERGED, hi=0.25)], 1)
    assert S.median_ratio_certificate(0.5)("box")(case) == {
        "tier": "certified", "how": "20 runs certified, 1 not (counted as converged with ratio +inf); the median ratio "
                                    "of the converged runs is <= 0.25 < 0.5", "n": 21, "unproven": 1}
    assert S.median_ratio_certificate(0.25)("box")(case) == {
        "tier": "float64", "reason": "the median's upper bound 0.25 is not below 0.25"}
    # 20 at 0.25 and 20 unproven: the median is +inf
    _sample(monkeypatch, [*conv, cert(certificate.CONVERGED, hi=0.25)], 20)
    assert S.median_ratio_certificate(0.5)("box")(case)["reason"] == "the median's upper bound inf is not below 0.5"


def test_imbalance_shrinks_certificate_at_its_limits(monkeypatch):
    case = Case("square", 2.0, 3, 4)
    # d0 = x0² - y0² = 2.25 - 0.25 = 2 for x0 = 1.5, y0 = 0.5
    at = cert(certificate.CONVERGED, balls={"imbalance": arb(-2.0)}, x0=1.5, y0=0.5)
    below = cert(certificate.CONVERGED, balls={"imbalance": arb(1.75)}, x0=1.5, y0=0.5)
    above = cert(certificate.CONVERGED, balls={"imbalance": arb(2.5)}, x0=-1.5, y0=0.5)
    seen = _sample(monkeypatch, [cert(certificate.DIVERGED)], 2)
    assert S.imbalance_shrinks_certificate(0.5)("shell")(case) == {"tier": "float64",
                                                                  "reason": "no run is certified converged"}
    assert seen == ["the sweep 4 shell ?"]
    # at and above fail to shrink (|d∞| >= |d0|), below shrinks: share (3 - 2 + 1) / 4 = 0.5
    _sample(monkeypatch, [at, below, above, cert(certificate.PERIODIC)], 1)
    assert S.imbalance_shrinks_certificate(0.75)("box")(case) == {
        "tier": "certified", "how": "4 runs certified, 1 not (counted as converged and shrunk); 2 of the 3 certified "
                                    "converged runs are proven to end with |d∞| >= 1|d0|, so the shrunk share is at "
                                    "most 0.5 < 0.75", "n": 5, "unproven": 1}
    assert S.imbalance_shrinks_certificate(0.5)("box")(case) == {
        "tier": "float64", "reason": "only 2 converged runs are proven not to shrink"}
    # fraction 0.875: |d∞| = 1.75 is exactly 0.875·|d0|, so all three fail to shrink: share 1/4
    assert S.imbalance_shrinks_certificate(0.5, 0.875)("box")(case)["how"] == (
        "4 runs certified, 1 not (counted as converged and shrunk); 3 of the 3 certified converged runs are proven to "
        "end with |d∞| >= 0.875|d0|, so the shrunk share is at most 0.25 < 0.5")


# --- sentences, constants, small helpers ----------------------------------------------------------------

def test_sentences_and_constants():
    assert S.budget_sentence() == BOX
    assert S.budget_sentence(None) == BOX
    assert S.budget_sentence(0) == "0 steps"
    assert S.budget_sentence(300) == "300 steps"
    assert S.starts_sentence("box") == f"Starts: box ({BOX_STARTS}); {BOX}."
    assert S.starts_sentence("shell", 300) == f"Starts: shell ({SHELL_STARTS}); 300 steps."
    assert S.BUILT_IN_STARTS == ("box", "unbalanced", "shell")
    assert S.Rival("r", counting) == ("r", counting, None, None, None, None)


def test_specs_checks_each_family():
    assert S._specs(st.just("logcosh")) is None
    assert S._specs(["logcosh", "power:b=1"]) == ("logcosh", "power:b=1")
    assert S._specs(iter(["square"])) == ("square",)
    with pytest.raises(SpecError, match="unknown loss family 'nope'"):
        S._specs(["logcosh", "nope"])


def test_statistic_mutants_keeps_conclusions_and_decides_statistics():
    kept = Mutant("kept", "a conclusion", conclusion=lambda case: Check(P, 1.0))
    wrong = Mutant("wrong", "a statistic", statistic=counting, hypotheses=st.just(1), confirm=lambda case: None)
    got = S._statistic_mutants([kept, wrong], lambda s: functools.partial(s, "decided"), "g.e")
    assert got[0] is kept
    assert (got[1].name, got[1].description, got[1].conclusion.func, got[1].conclusion.args, got[1].hypotheses,
            got[1].confirm, got[1].statistic, got[1].certify) == \
        ("wrong", "a statistic", counting, ("decided",), wrong.hypotheses, wrong.confirm, None, None)
    assert S._statistic_mutants((), None, "g.e") == ()
    with pytest.raises(InvalidArgument) as err:
        S._statistic_mutants([kept, "oops"], None, "g.e")
    assert str(err.value) == "entry g.e: a mutant must be an lrbias Mutant, not str"


# --- batch_claim ------------------------------------------------------------------------------------------

def drop_conv(b):
    """A rival / mutant statistic: fails with margin −(converged runs)."""
    conv = np.flatnonzero(b.outcome == C)
    return Check(F, -float(conv.size), {"undecided_can_flip": False}), conv[::-1]


def _rival_cert(starts):
    return lambda case: {"tier": "certified", "starts": starts}


def test_batch_claim_field_by_field(sweeps, tiers):
    wrong = Mutant("wrong", "a statistic", statistic=drop_conv)
    kept = Mutant("kept", "a conclusion", conclusion=lambda case: Check(P, 1.0))
    e = S.batch_claim(id="g.claim", title="T", statement="Runs converge.", families=["logcosh", "power:b=1"],
                      kappa=(1.0, 4.0), statistic=counting, mutants=[wrong, kept],
                      rival=S.Rival("Some diverge.", drop_conv, certify=_rival_cert), fails_if="a divergent run",
                      known_finding="known", figures=["f1", "f2"])
    case = Case("logcosh", 2.0, 3, 4)
    assert (e.id, e.title, e.statement, e.latex, e.provenance, e.engine, e.examples_scale, e.shrink, e.fails_if,
            e.starts, e.rebudget, e.near, e.known_finding, e.figures, e.inconclusive_limit, e.certify) == \
        ("g.claim", "T", f"Runs converge. Starts: box ({BOX_STARTS}); {BOX}.", "", "reconstructed", "float64 batch",
         0.1, False, "a divergent run", "box", None, 0.05, "known", ("f1", "f2"), 0.25, None)
    assert e.assumptions == f"families logcosh, power:b=1; κ in [1, 4]; starts: box; {BOX}"
    assert e.frontier is None
    profile = types.SimpleNamespace(sweep_starts=6)
    assert find(e.hypotheses(profile), lambda c: c.spec == "power:b=1", settings=FIND) == Case("power:b=1", 1.0, 0, 6)
    assert e.conclusion(case) == S.at_convergence(counting, case, "box")
    assert e.confirm(case) == S.confirm(counting, "box")(case)
    assert e.replay(case) == replay(case, starts="box", source=None)
    assert e.mutants[1] is kept
    assert (e.mutants[0].name, e.mutants[0].description) == ("wrong", "a statistic")
    assert e.mutants[0].conclusion(case) == S.at_convergence(drop_conv, case, "box")
    r = e.rival
    assert (r.name, r.description, r.statistic) == ("rival", f"Some diverge. Starts: box ({BOX_STARTS}); {BOX}.", None)
    assert r.conclusion(case) == Check(F, -2.0, {"undecided_can_flip": False, **counted_detail(4, 1, "box", 5000),
                                                 "budget_cap": 100000, "stopped": "decided"})
    assert r.confirm(case) == S.confirm(drop_conv, "box")(case)
    assert r.certify(case) == {"tier": "certified", "starts": "box"}


def test_batch_claim_rival_cases_default_to_the_claims():
    profile = types.SimpleNamespace(sweep_starts=6)
    base = dict(id="g.claim", title="T", statement="S.", families=["logcosh", "power:b=1"], kappa=(1.0, 4.0),
                statistic=counting)
    r = S.batch_claim(**base, rival=S.Rival("R.", drop_conv)).rival
    assert r.certify is None
    assert find(r.hypotheses(profile), lambda c: True, settings=FIND) == Case("logcosh", 1.0, 0, 6)
    assert find(r.hypotheses(profile), lambda c: c.spec != "logcosh", settings=FIND) == Case("power:b=1", 1.0, 0, 6)
    r = S.batch_claim(**base, rival=S.Rival("R.", drop_conv, families=["square", "quartic"], kappa=(2.0, 8.0))).rival
    assert repr(r.hypotheses(profile)).startswith(
        "tuples(sampled_from(['square', 'quartic']), floats(min_value=0.6931471805599453, "
        "max_value=2.0794415416798357)")
    own = lambda profile: st.just(Case("quartic", 3.0, 1, 2))  # noqa: E731
    assert S.batch_claim(**base, rival=S.Rival("R.", drop_conv, families=["square"], hypotheses=own)).rival.hypotheses \
        is own


def test_batch_claim_assumptions_source_and_frontier(sweeps):
    base = dict(id="g.claim", title="T", statement="S.", kappa=(1.5, 4.0), statistic=counting)
    e = S.batch_claim(**base, families=st.just("logcosh"), starts="shell", assumptions="given", latex="L",
                      provenance="paper", near=0.5, source="v.toml")
    assert (e.assumptions, e.latex, e.provenance, e.near, e.starts) == \
        (f"given; starts: shell; {BOX}", "L", "paper", 0.5, "shell")
    assert e.statement == f"S. Starts: shell ({SHELL_STARTS}); {BOX}."
    case = Case("logcosh", 2.0, 3, 4)
    assert e.replay(case) == replay(case, starts="shell", source="v.toml")
    assert e.conclusion(case).detail["starts"] == "shell"
    e = S.batch_claim(**base, families=st.just("logcosh"))
    assert e.assumptions == f"families drawn by the strategy; κ in [1.5, 4]; starts: box; {BOX}"
    assert (e.fails_if, e.known_finding, e.figures, e.mutants, e.rival) == ("", "", (), (), None)
    token = S.VARIANT_SOURCE.set("loading.toml")
    try:
        assert S.batch_claim(**base, families=["logcosh"]).replay(case) == replay(case, source="loading.toml")
        assert S.batch_claim(**base, families=["logcosh"], source="own.toml").replay(case) == \
            replay(case, source="own.toml")
    finally:
        S.VARIANT_SOURCE.reset(token)

    with pytest.raises(InvalidArgument) as err:
        S.batch_claim(**base, families=st.just("logcosh"), frontier=(1.0, 3.0))
    assert str(err.value) == "entry g.claim: a frontier over a strategy of families needs frontier_families"
    e = S.batch_claim(**base, families=st.just("logcosh"), frontier=(1.0, 3.0), frontier_families=["square"],
                      starts="unbalanced", frontier_starts=["box", "unbalanced", "shell"])
    f = e.frontier
    assert (f.families, f.lo, f.hi, f.starts, f.grid, f.log_scale) == \
        (("square",), 1.0, 3.0, ("unbalanced", "box", "shell"), 7, True)
    assert f.predicate("logcosh", 2, 4, 3) == S.at_convergence(counting, case, "box")
    f = S.batch_claim(**base, families=["logcosh", "quartic"], frontier=(1.0, 3.0)).frontier
    assert (f.families, f.starts) == (("logcosh", "quartic"), ("box",))
    with pytest.raises(SpecError):
        S.batch_claim(**base, families=["nope"])
    with pytest.raises(InvalidArgument):
        S.batch_claim(**base, families=["logcosh"], starts="no-such-starts")


def test_batch_claim_restart_rebuilds_from_its_own_arguments(sweeps):
    e = S.batch_claim(id="g.claim", title="T", statement="S.", families=["logcosh"], kappa=(1.0, 4.0),
                      statistic=counting, mutants=[Mutant("wrong", "w", statistic=drop_conv)], latex="L",
                      provenance="paper", frontier=(1.0, 3.0), assumptions="A", frontier_starts=["box"],
                      rival=S.Rival("R.", drop_conv), fails_if="fi", near=0.5, known_finding="k", figures=["f"],
                      source="v.toml")
    again = e.restart("shell")
    assert (again.id, again.title, again.statement, again.latex, again.provenance, again.assumptions, again.fails_if,
            again.near, again.known_finding, again.figures, again.starts) == \
        ("g.claim", "T", f"S. Starts: shell ({SHELL_STARTS}); {BOX}.", "L", "paper", f"A; starts: shell; {BOX}",
         "fi", 0.5, "k", ("f",), "shell")
    assert (again.frontier.families, again.frontier.lo, again.frontier.hi, again.frontier.starts) == \
        (("logcosh",), 1.0, 3.0, ("shell", "box"))
    assert again.rival.description == f"R. Starts: shell ({SHELL_STARTS}); {BOX}."
    assert again.mutants[0].name == "wrong"
    case = Case("logcosh", 2.0, 3, 4)
    assert again.replay(case) == replay(case, starts="shell", source="v.toml")
    assert again.conclusion(case).margin == 3.0
    assert find(again.hypotheses(types.SimpleNamespace(sweep_starts=2)), lambda c: True, settings=FIND) == \
        Case("logcosh", 1.0, 0, 2)
    drawn = S.batch_claim(id="g.claim", title="T", statement="S.", families=st.just("logcosh"), kappa=(1.0, 4.0),
                          statistic=counting, frontier=(1.0, 3.0), frontier_families=["square"])
    assert (drawn.restart("shell").frontier.families, drawn.restart("shell").frontier.starts) == \
        (("square",), ("shell",))


# --- Compared -----------------------------------------------------------------------------------------------

@pytest.fixture
def both(monkeypatch):
    """Scripted ``sweep`` (open run at 5000 steps) and ``fixed_step_sweep`` (never open)."""
    swept = Sweeps(lambda steps: [C, U, D] if steps <= 5000 else [C, C, D])
    fixed = Sweeps(lambda steps: [C, PER])
    monkeypatch.setattr(S, "sweep", swept)
    monkeypatch.setattr(S, "fixed_step_sweep", fixed)
    return swept, fixed


def test_sweep_run_picks_its_engine(both):
    swept, fixed = both
    assert S.Sweep("logcosh", 2, np.int64(3), np.int64(4)).fixed_h is False
    b = S.Sweep("logcosh", 2, np.int64(3), np.int64(4)).run("shell", 300.0)
    assert (len(b), b.settings.max_steps, b.meta["starts"]) == (3, 300, "shell")
    S.Sweep("square", 1, 5, 2, fixed_h=True).run("box", 7)
    assert swept.calls == ["('logcosh', 2.0, 3, 4, 'shell', 300)"]
    assert fixed.calls == ["('square', 1.0, 5, 2, 'box', 7)"]


def sweeps_check(batches):
    """A check over sweeps: pass with margin = converged runs of all; says nothing of open runs."""
    return Check(P, float(sum(int(np.count_nonzero(b.outcome == C)) for b in batches)), {"n": len(batches)})


def test_compared_batches_at_each_budget(both):
    _swept, _ = both
    c = S.one_sweep(sweeps_check)
    case = Case("logcosh", 2.0, 3, 4)
    assert [b.settings.max_steps for b in c.batches(case, "box")] == [5000]
    assert [b.settings.max_steps for b in c.batches(case, "box", 300)] == [300]
    fixed = dataclasses.replace(c, steps=700)
    assert [b.settings.max_steps for b in fixed.batches(case, "box")] == [700]
    assert [b.settings.max_steps for b in fixed.batches(case, "box", 300)] == [300]
    assert c(["x"] * 0) == Check(P, 0.0, {"n": 0})
    other = c.with_check(lambda batches: Check(F, -1.0))
    assert (other.check(()), other.sweeps, other.rows, other.steps, other.confirmed) == \
        (Check(F, -1.0), c.sweeps, c.rows, c.steps, c.confirmed)
    assert c.check is sweeps_check
    assert list(S._all_sweeps([1, 2, 3])) == [0, 1, 2]


def test_compared_at_says_whether_open_runs_can_flip(both):
    case = Case("logcosh", 2.0, 3, 4)
    c = S.one_sweep(sweeps_check)
    assert c._at(case, "box", 5000) == Check(P, 1.0, {"n": 1, **counted_detail(3, 1, "box", 5000),
                                                     "undecided_can_flip": True})
    assert c._at(case, "box", 20000) == Check(P, 2.0, {"n": 1, **counted_detail(3, 0, "box", 20000),
                                                      "undecided_can_flip": False})
    says = c.with_check(lambda batches: Check(P, 1.0, {"undecided_can_flip": False}))
    assert says._at(case, "box", 5000).detail["undecided_can_flip"] is False


def test_compared_decided_at_convergence_and_at_a_fixed_budget(both):
    _swept, fixed = both
    case = Case("logcosh", 2.0, 3, 4)
    c = S.one_sweep(sweeps_check)
    assert c.decided(case) == Check(P, 2.0, {"n": 1, **counted_detail(3, 0, "box", 20000),
                                             "undecided_can_flip": False, "budget_cap": 100000,
                                             "stopped": "decided"})
    assert c.decide("shell")(case).detail["starts"] == "shell"
    assert c.decide()(case) == c.decided(case)
    assert c.rebudget() is None
    f = S.at_fixed_step(sweeps_check, S._default_rows, 5, 300)
    assert f.decided(case) == Check(P, 1.0, {"n": 1, **counted_detail(2, 0, "box", 300)})
    assert f.decide("shell")(case).detail["starts"] == "shell"
    fixed.calls.clear()
    assert f.rebudget()(case, 3.0) == Check(P, 1.0, {"n": 1, **counted_detail(2, 0, "box", 900)})
    assert f.rebudget("shell")(case, 2).detail["steps"] == 600
    assert fixed.calls == ["('logcosh', 2.0, 3, 4, 'box', 900)", "('logcosh', 2.0, 3, 4, 'shell', 600)"]


def test_compared_confirm_re_runs_the_chosen_sweeps(both, tiers):
    case = (2.0, 3, 4)
    c = S.across_families(sweeps_check, ["logcosh", "square"], rows=lambda b: np.array([1, 0]))
    got = c.confirm()(case)
    assert got == Check(P, 2.0, {"n": 2, **counted_detail(6, 0, "box", 20000),
                                 "confirmation": "line precise 20000; line precise 20000"})
    assert tiers == [(3, 20000, [1, 0]), (3, 20000, [1, 0])]
    tiers.clear()
    second = dataclasses.replace(c, confirmed=lambda batches: [1])
    got = second.confirm("shell")(case)
    assert got == Check(P, 3.0, {"n": 2, **counted_detail(6, 0, "shell", 20000), "confirmation": "line None 20000"
                                 .replace("None", "precise")})
    assert tiers == [(3, 20000, [1, 0])]
    tiers.clear()
    reversed_ = dataclasses.replace(c, confirmed=lambda batches: [1, 0],
                                    rows=lambda b: np.array([0]) if b.family == "logcosh" else np.array([2]))
    monkeypatch_lines = reversed_.confirm()(case).detail["confirmation"]
    assert monkeypatch_lines == "line precise 20000; line precise 20000"
    assert tiers == [(3, 20000, [0]), (3, 20000, [2])]


def test_compared_confirm_lines_in_sweep_order(both, monkeypatch):
    monkeypatch.setattr(S, "precise_batch", lambda b, rows: b)
    monkeypatch.setattr(S, "coverage_line", lambda b: b.family)
    c = S.across_families(sweeps_check, ["logcosh", "square", "quartic"])
    got = dataclasses.replace(c, confirmed=lambda batches: [2, 0]).confirm()((2.0, 3, 4))
    assert got.detail["confirmation"] == "logcosh; quartic"


def test_default_rows_are_the_converged_runs():
    assert list(S._default_rows(batch([D, C, U, C]))) == [1, 3]
    assert S.one_sweep(sweeps_check).rows is S._default_rows
    assert S.two_kappas(sweeps_check).rows is S._default_rows
    assert S.against_reference(sweeps_check, "logcosh").rows is S._default_rows
    assert S.across_families(sweeps_check, ["logcosh"]).rows is S._default_rows


def test_layouts():
    rows = lambda b: np.array([0])  # noqa: E731
    case = ("square", 2, 3, 4, "extra")
    one = S.one_sweep(sweeps_check, rows)
    assert (one.sweeps(case), one.check, one.rows, one.steps) == ([S.Sweep("square", 2, 3, 4)], sweeps_check, rows,
                                                                  None)
    two = S.two_kappas(sweeps_check)
    assert two.sweeps(case) == [S.Sweep("square", 2.0, 3, 4), S.Sweep("square", 4.0, 3, 4)]
    assert repr(two.sweeps(case)[0].kappa) == "2.0"
    three = S.two_kappas(sweeps_check, 3.0, rows)
    assert (three.sweeps(case)[1], three.rows) == (S.Sweep("square", 6.0, 3, 4), rows)
    ref = S.against_reference(sweeps_check, "logcosh", rows)
    assert (ref.sweeps(case), ref.rows) == ([S.Sweep("logcosh", 2, 3, 4), S.Sweep("square", 2, 3, 4)], rows)
    with pytest.raises(SpecError):
        S.against_reference(sweeps_check, "nope")
    across = S.across_families(sweeps_check, ["logcosh", "square"], rows)
    assert (across.sweeps((2, 3, 4, "x")), across.rows) == \
        ([S.Sweep("logcosh", 2, 3, 4), S.Sweep("square", 2, 3, 4)], rows)
    assert S.across_families(sweeps_check, st.just("logcosh")).sweeps((2, 3, 4)) == []
    with pytest.raises(SpecError):
        S.across_families(sweeps_check, ["nope"])
    fixed = S.at_fixed_step(sweeps_check, rows, 4, 300)
    assert (fixed.steps, fixed.rows, fixed.check) == (300, rows, sweeps_check)
    assert fixed.sweeps(("square", 1.5, 3, 5, "x")) == [S.Sweep("square", 1.5, 3, 4, fixed_h=True)]
    assert fixed.sweeps(("square", 1.5, 3, np.int64(4))) == [S.Sweep("square", 1.5, 3, 4, fixed_h=True)]
    assert fixed.sweeps(("square", 1.5, 3, 3)) == [S.Sweep("square", 1.5, 3, 3, fixed_h=True)]
    assert fixed.sweeps(("square", 1.5, 3, 3))[0].fixed_h is True


# --- compared_claim -------------------------------------------------------------------------------------------

def test_compared_claim_field_by_field(both, tiers):
    hyp = st.just(Case("logcosh", 2.0, 3, 4))
    c = S.one_sweep(sweeps_check)
    wrong = Mutant("wrong", "w", statistic=lambda batches: Check(F, -1.0))
    whole = Mutant("whole", "w", statistic=S.at_fixed_step(sweeps_check, S._default_rows, 5, 300))
    kept = Mutant("kept", "k", conclusion=lambda case: Check(P, 1.0))
    e = S.compared_claim(id="g.cmp", title="T", statement="S.", latex="L", provenance="paper", hypotheses=hyp,
                         compared=c, mutants=[wrong, whole, kept], assumptions="A", fails_if="fi",
                         rival=S.Rival("R.", lambda batches: Check(F, -2.0), hypotheses=hyp, certify=_rival_cert),
                         known_finding="k", figures=["f"])
    case = Case("logcosh", 2.0, 3, 4)
    assert (e.id, e.title, e.statement, e.latex, e.provenance, e.hypotheses, e.engine, e.examples_scale, e.shrink,
            e.assumptions, e.fails_if, e.starts, e.rebudget, e.near, e.known_finding, e.figures, e.replay,
            e.frontier, e.certify) == \
        ("g.cmp", "T", f"S. Starts: box ({BOX_STARTS}); {BOX}.", "L", "paper", hyp, "float64 batch", 0.1, False,
         f"A; starts: box; {BOX}", "fi", "box", None, 0.05, "k", ("f",), None, None, None)
    assert e.conclusion(case) == c.decided(case, "box")
    assert e.confirm(case) == c.confirm("box")(case)
    assert e.mutants[0].conclusion(case) == Check(F, -1.0, {**counted_detail(3, 0, "box", 20000),
                                                            "undecided_can_flip": False, "budget_cap": 100000,
                                                            "stopped": "decided"})
    assert e.mutants[1].conclusion(case) == Check(P, 1.0, {"n": 1, **counted_detail(2, 0, "box", 300)})
    assert e.mutants[2] is kept
    r = e.rival
    assert (r.name, r.description, r.hypotheses) == ("rival", f"R. Starts: box ({BOX_STARTS}); {BOX}.", hyp)
    assert r.conclusion(case).margin == -2.0
    assert r.confirm(case) == c.with_check(lambda batches: Check(F, -2.0)).confirm("box")(case)
    assert r.certify(case) == {"tier": "certified", "starts": "box"}


def test_compared_claim_fixed_budget_rival_restart_and_defaults(both, tiers):
    hyp = st.just(Case("logcosh", 2.0, 3, 4))
    fixed = S.at_fixed_step(sweeps_check, S._default_rows, 5, 300)
    e = S.compared_claim(id="g.cmp", title="T", statement="S.", latex="L", provenance="paper", hypotheses=hyp,
                         compared=fixed, assumptions="A", fails_if="fi", starts="shell", near=None,
                         examples_scale=0.5, rival=S.Rival("R.", S.one_sweep(sweeps_check)))
    case = Case("logcosh", 2.0, 3, 4)
    assert (e.statement, e.assumptions, e.near, e.examples_scale, e.starts, e.mutants, e.known_finding, e.figures) == \
        (f"S. Starts: shell ({SHELL_STARTS}); 300 steps.", "A; starts: shell; 300 steps", None, 0.5, "shell", (), "",
         ())
    assert e.rebudget(case, 2) == Check(P, 1.0, {"n": 1, **counted_detail(2, 0, "shell", 600)})
    assert e.conclusion(case).detail["starts"] == "shell"
    r = e.rival
    assert (r.description, r.hypotheses, r.certify) == (f"R. Starts: shell ({SHELL_STARTS}); {BOX}.", None, None)
    assert r.conclusion(case) == S.one_sweep(sweeps_check).decided(case, "shell")
    assert r.confirm(case).detail["confirmation"] == "line precise 20000"
    assert S.compared_claim(id="g.cmp", title="T", statement="S.", latex="L", provenance="paper", hypotheses=hyp,
                            compared=fixed, assumptions="A", fails_if="fi").rival is None
    again = e.restart("box")
    assert (again.id, again.title, again.statement, again.latex, again.provenance, again.hypotheses,
            again.assumptions, again.fails_if, again.near, again.examples_scale, again.starts, again.known_finding,
            again.figures, again.mutants) == \
        ("g.cmp", "T", f"S. Starts: box ({BOX_STARTS}); 300 steps.", "L", "paper", hyp, "A; starts: box; 300 steps",
         "fi", None, 0.5, "box", "", (), ())
    assert again.rival.description == f"R. Starts: box ({BOX_STARTS}); {BOX}."
    with pytest.raises(InvalidArgument):
        S.compared_claim(id="g.cmp", title="T", statement="S.", latex="L", provenance="paper", hypotheses=hyp,
                         compared=fixed, assumptions="A", fails_if="fi", starts="no-such-starts")
    kept = S.compared_claim(id="g.cmp", title="T", statement="S.", latex="L", provenance="paper", hypotheses=hyp,
                            compared=fixed, assumptions="A", fails_if="fi", mutants=[
                                Mutant("m", "d", conclusion=lambda case: Check(P, 1.0))], known_finding="k",
                            figures=["f"])
    rebuilt = kept.restart("shell")
    assert (rebuilt.mutants[0].name, rebuilt.known_finding, rebuilt.figures, rebuilt.near, rebuilt.examples_scale,
            rebuilt.starts) == ("m", "k", ("f",), 0.05, 0.1, "shell")


def test_batch_claim_from_other_starts_decides_everything_there(sweeps, tiers):
    e = S.batch_claim(id="g.claim", title="T", statement="S.", families=["logcosh"], kappa=(1.0, 4.0),
                      statistic=counting, starts="shell", mutants=[Mutant("wrong", "w", statistic=drop_conv)],
                      rival=S.Rival("R.", drop_conv))
    case = Case("logcosh", 2.0, 3, 4)
    assert e.confirm(case).detail["starts"] == "shell"
    assert e.rival.conclusion(case).detail["starts"] == "shell"
    assert e.rival.confirm(case).detail["starts"] == "shell"
    assert e.mutants[0].conclusion(case).detail["starts"] == "shell"
    assert {c.split(", ")[4] for c in sweeps.calls} == {"'shell'"}


def test_a_mutant_that_is_not_a_mutant_is_refused_naming_the_entry():
    hyp = st.just(Case("logcosh", 2.0, 3, 4))
    with pytest.raises(InvalidArgument, match=r"^entry g\.claim: a mutant must be an lrbias Mutant, not str$"):
        S.batch_claim(id="g.claim", title="T", statement="S.", families=["logcosh"], kappa=(1.0, 4.0),
                      statistic=counting, mutants=["wrong"])
    with pytest.raises(InvalidArgument, match=r"^entry g\.cmp: a mutant must be an lrbias Mutant, not dict$"):
        S.compared_claim(id="g.cmp", title="T", statement="S.", latex="L", provenance="paper", hypotheses=hyp,
                         compared=S.one_sweep(sweeps_check), assumptions="A", fails_if="fi", mutants=[{}])


def test_layouts_keep_their_check():
    assert S.two_kappas(sweeps_check).check is sweeps_check
    assert S.against_reference(sweeps_check, "logcosh").check is sweeps_check
    assert S.across_families(sweeps_check, ["logcosh"]).check is sweeps_check


def _by_starts(monkeypatch):
    """Sweeps whose runs depend on the start distribution: from "shell" one run stays open until 20,000 steps
    (so a case from "shell" is decided there, from "box" at 5,000)."""
    calls = []

    def fake(spec, kappa, seed, n, starts, steps):
        calls.append((starts, steps))
        return batch([C, U] if starts == "shell" and steps <= 5000 else [C, C], max_steps=steps, starts=starts,
                     family=spec)
    monkeypatch.setattr(S, "sweep", fake)
    monkeypatch.setattr(S, "fixed_step_sweep", fake)
    return calls


def _seen_starts(batches):
    return Check(P, 1.0, {"seen": [b.meta.get("starts") for b in batches], "undecided_can_flip":
                          any(bool(np.any(b.outcome == U)) for b in batches)})


def test_a_fixed_budget_case_is_checked_on_its_own_starts(monkeypatch):
    _by_starts(monkeypatch)
    f = S.at_fixed_step(_seen_starts, S._default_rows, 5, 300)
    assert f.decided(Case("logcosh", 2.0, 3, 4), "shell").detail["seen"] == ["shell"]


def test_confirmation_re_runs_at_the_budget_its_starts_were_decided_at(monkeypatch, tiers):
    calls = _by_starts(monkeypatch)
    c = S.one_sweep(_seen_starts)
    case = Case("logcosh", 2.0, 3, 4)
    assert c.decided(case, "shell").detail["steps"] == 20000
    assert c.decided(case, "box").detail["steps"] == 5000
    calls.clear()
    got = c.confirm("shell")(case)
    assert (got.detail["steps"], got.detail["seen"], calls[-1]) == (20000, ["shell"], ("shell", 20000))


def test_a_whole_compared_rival_states_its_own_budget(both, tiers):
    hyp = st.just(Case("logcosh", 2.0, 3, 4))
    e = S.compared_claim(id="g.cmp", title="T", statement="S.", latex="L", provenance="paper", hypotheses=hyp,
                         compared=S.one_sweep(sweeps_check), assumptions="A", fails_if="fi",
                         rival=S.Rival("R.", S.at_fixed_step(sweeps_check, S._default_rows, 5, 300)))
    assert e.statement == f"S. Starts: box ({BOX_STARTS}); {BOX}."
    assert e.rival.description == f"R. Starts: box ({BOX_STARTS}); 300 steps."
