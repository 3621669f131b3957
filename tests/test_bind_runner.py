"""Binding tests of the verdict steps of ``lrbias.claims.runner`` (issue 27), each on scripted inputs: the
counterexample and its tier (certify absent, failing, refusing, proving), the failure and search verdicts at
their limits (the inconclusive share exactly at the limit), the near-boundary re-check for each verdict, the
coverage recording, the budget check's skip rules at their boundaries, its note, and the evidence record."""

from __future__ import annotations

import math
import types

import pytest

from lrbias.claims.runner import (
    BUDGET_FACTOR,
    MARGIN_SLACK,
    NEAR_BOUNDARY,
    UNDECIDED_BOUND,
    Counterexample,
    _budget_note,
    _figures,
    _recording,
    budget_check,
    certificate_of,
    confirm_failure,
    decide_failure,
    decide_search,
    evidence,
    recheck_near_boundary,
)
from lrbias.claims.search import Search
from lrbias.verdict import Check, Verdict

P, F, I = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE


def test_constants():
    assert (NEAR_BOUNDARY, MARGIN_SLACK, BUDGET_FACTOR, UNDECIDED_BOUND) == (1e-6, 1e-9, 4, 0.0)


def test_confirm_failure_without_and_with_a_confirmation():
    check = Check(F, -0.5, {"runs": 3})
    ce = confirm_failure("c", check, None)
    assert ce == Counterexample("c", -0.5, {"runs": 3}, None, None, None,
                                {"tier": "float64", "reason": "no single-run certificate is built for this entry's "
                                                              "cases: the tier stays float64"})
    ce = confirm_failure("c", check, lambda case: Check(F, -0.25, {"k": 1}), replay=lambda case: f"replay {case}",
                         engine="float64 batch")
    assert (ce.confirmed, ce.confirmation, ce.replay) == (True, {"verdict": "fail", "margin": -0.25, "k": 1},
                                                          "replay c")
    assert ce.certificate == {"tier": "mpmath", "reason": "a population statistic over the case's runs: the tier "
                                                          "stays mpmath"}
    assert ce.detail is not check.detail
    assert confirm_failure("c", check, lambda case: Check(P, 1.0, {})).confirmed is False


def test_certificate_of_each_outcome():
    assert certificate_of("c", True, lambda case: {"tier": "certified", "how": "arb"}) == \
        {"tier": "certified", "how": "arb"}
    assert certificate_of("c", True, lambda case: {"tier": "float64", "reason": "r"}) == \
        {"tier": "mpmath", "reason": "r"}
    assert certificate_of("c", None, lambda case: {"tier": "quad"}) == {"tier": "float64", "reason": "not certified"}

    def broken(case):
        raise ValueError("no ball")

    assert certificate_of("c", False, broken) == {"tier": "float64",
                                                  "reason": "certification failed: ValueError: no ball"}


@pytest.mark.parametrize(("confirmation", "verdict", "notes"), [
    (None, F, []),
    ({"verdict": "fail"}, F, []),
    ({"verdict": "pass"}, I, ["float64 counterexample not confirmed at high precision (float artefact)"]),
    ({"verdict": "inconclusive"}, I, ["high-precision confirmation was undecided"]),
])
def test_decide_failure(confirmation, verdict, notes):
    assert decide_failure(Counterexample("c", -1.0, {}, None, confirmation, None)) == (verdict, notes)


def _seen(**kw):
    s = Search()
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def test_decide_search_at_its_limits():
    assert decide_search(_seen(examples=4, inconclusive=1), 0.25) == (P, [])          # 1/4 == the limit
    assert decide_search(_seen(examples=4, inconclusive=2), 0.25) == (I, ["2 of 4 cases undecided (limit 25%)"])
    assert decide_search(_seen(examples=0), 0.25) == (I, ["no example was generated"])
    assert decide_search(_seen(examples=4, notes=["flaky"]), 0.25) == (I, [])
    assert decide_search(_seen(examples=4, inconclusive=4), 1.0) == (P, [])


@pytest.mark.parametrize(("verdict", "expected"), [(F, F), (I, I), (P, P)])
def test_recheck_near_boundary(verdict, expected):
    seen = _seen(worst=5e-7, worst_case="w")
    detail = {"confirmation": "quad 3/3"} if verdict == P else {}
    got, notes, ce = recheck_near_boundary(seen, lambda case: Check(verdict, 2.5e-7, detail),
                                           replay=lambda case: f"r {case}",
                                           certify=lambda case: {"tier": "certified", "how": "h"})
    assert got == expected
    tiers = "; quad 3/3" if verdict == P else ""
    assert notes == [f"worst case (margin 5e-07) re-checked at high precision: {verdict}, margin 2.5e-07{tiers}"]
    if verdict == F:
        assert ce == Counterexample("w", 5e-7, {}, True, {"verdict": "fail", "margin": 2.5e-7}, "r w",
                                    {"tier": "certified", "how": "h"})
    else:
        assert ce is None


def test_recording_keeps_each_coverage_line():
    assert _recording(None, []) is None
    lines = []
    rec = _recording(lambda case: Check(P, 1.0, {"confirmation": f"line {case}"} if case else {}), lines)
    assert rec(1).margin == 1.0 and rec(0).verdict == P and rec(2) is not None
    assert lines == ["line 1", "line 2"]


def test_figures():
    assert _figures(Check(P, 0.5, {"runs": 3, "undecided": 1, "steps": 20, "other": 9})) == \
        {"verdict": "pass", "margin": 0.5, "runs": 3, "undecided": 1, "steps": 20}


def _entry(table, wide=None, rebudget=True):
    calls = []

    def conclusion(case):
        return table[case]

    def again(case, factor):
        calls.append((case, factor))
        return (wide or table)[case]

    return types.SimpleNamespace(conclusion=conclusion, rebudget=again if rebudget else None, calls=calls)


def test_budget_check_skips_what_cannot_change():
    table = {"none_open": Check(P, 1.0, {"runs": 10, "undecided": 0}),
             "settled": Check(P, 1.0, {"runs": 10, "undecided": 5, "undecided_can_flip": False}),
             "open": Check(P, 1.0, {"runs": 10, "undecided": 1}),
             "no_runs": Check(P, 1.0, {}),
             "limited": Check(P, 1.0, {"runs": 10, "undecided": 0, "budget_limited": 10})}
    entry = _entry(table)
    out = budget_check(entry, list(table))
    assert entry.calls == [("open", 4), ("no_runs", 4), ("limited", 4)]
    assert out["factor"] == 4 and out["stable"] is True
    assert [row["at_larger"] is None for row in out["cases"]] == [True, True, False, False, False]
    assert out["cases"][0] == {"case": "none_open", "at_budget": {"verdict": "pass", "margin": 1.0, "runs": 10,
                                                                  "undecided": 0}, "at_larger": None}
    assert budget_check(_entry(table, rebudget=False), ["open"]) is None


def test_budget_check_reports_a_changed_verdict_and_its_note():
    table = {"a": Check(P, 0.5, {"runs": 4, "undecided": 2}), "b": Check(P, 0.25, {"runs": 4, "undecided": 1})}
    wide = {"a": Check(F, -0.125, {"runs": 4, "undecided": 0}), "b": Check(P, 0.25, {"runs": 4})}
    out = budget_check(_entry(table, wide), ["a", "b"], factor=3)
    assert out["stable"] is False and out["factor"] == 3
    assert _budget_note(out) == ("inconclusive: budget-sensitive: case 'a': pass (margin 0.5, 2 undecided) at the "
                                 "budget, fail (margin -0.125, 0 undecided) at 3x")
    only_b_changes = budget_check(_entry(table, {"a": table["a"], "b": Check(I, math.nan, {})}), ["a", "b"])
    assert only_b_changes["stable"] is False
    assert _budget_note(only_b_changes).endswith("case 'b': pass (margin 0.25, 1 undecided) at the budget, "
                                                 "inconclusive (margin inf, ? undecided) at 4x")


def test_evidence_record():
    entry = types.SimpleNamespace(near=0.5, starts="box")
    seen = _seen(worst=0.25, runs=40, undecided_runs=4,
                 worst_detail={"runs": 20, "budget_cap": 100, "steps": 50, "stopped": "decided", "x": 1})
    assert evidence(entry, seen, {"stable": True}) == {
        "closest_margin": 0.25, "near": 0.5, "weakly_tested": False, "runs_per_case": 20, "runs": 40,
        "undecided_share": 0.1, "starts": "box", "budget_stable": True, "budget_cap": 100, "steps": 50,
        "stopped": "decided"}
    at_near = evidence(entry, _seen(worst=0.5), None)
    assert at_near["weakly_tested"] is True and at_near["budget_stable"] is None      # worst >= near
    assert at_near["runs_per_case"] is None and at_near["undecided_share"] is None
    nothing = evidence(entry, _seen(), {"stable": False})
    assert nothing["closest_margin"] is None and nothing["weakly_tested"] is True and nothing["budget_stable"] is False
    no_near = evidence(types.SimpleNamespace(near=None, starts=None), _seen(worst=0.25), None)
    assert no_near["weakly_tested"] is None


# ---- run_entry's record, whole, on toy entries (the fields and branches the integration tests leave open) -----

from hypothesis import strategies as st  # noqa: E402

from lrbias.claims.entry import Entry, Mutant  # noqa: E402
from lrbias.claims.profiles import PROFILES  # noqa: E402
from lrbias.claims.runner import run_entry, run_rival  # noqa: E402

SMOKE = PROFILES["smoke"]


def _toy(conclusion, **kw):
    kw.setdefault("hypotheses", st.integers(0, 999))
    return Entry(id="toy.entry", title="Toy", statement="a toy claim", latex="", provenance="paper",
                 conclusion=conclusion, **kw)


def test_a_confirmed_failure_record_whole():
    certified = []

    def certify(case):
        certified.append(case)
        return {"tier": "certified", "how": "by hand"}

    entry = _toy(lambda k: Check(F if k >= 500 else P, 500.0 - k, {}),
                 confirm=lambda k: Check(F, -1.0, {"confirmation": "mpmath 1/1"}),
                 replay=lambda k: f"replay {k}", certify=certify, engine="toy engine")
    r = run_entry(entry, SMOKE, seed=3)
    assert (r.id, r.title, r.provenance, r.verdict, r.seed, r.mutant) == ("toy.entry", "Toy", "paper", F, 3, None)
    ce = r.counterexample
    assert (ce.case, ce.margin, ce.confirmed, ce.replay, ce.certificate) == \
        (500, 0.0, True, "replay 500", {"tier": "certified", "how": "by hand"})
    assert certified == [500] and r.worst_case >= 500 and r.worst_margin == 500.0 - r.worst_case
    assert r.coverage == ["mpmath 1/1"] and r.inconclusive_reasons == {}
    assert r.examples >= 1 and isinstance(r.elapsed_s, float) and r.elapsed_s == round(r.elapsed_s, 3)
    assert 0 <= r.elapsed_s < 60
    assert r.evidence["closest_margin"] == r.worst_margin and r.evidence["budget_stable"] is None


def test_a_mutant_is_searched_with_its_own_cases_and_reported_as_found():
    entry = _toy(lambda k: Check(P, 1.0, {}), confirm=lambda k: Check(P, 1.0, {}), certify=lambda k: {"tier": "x"})
    mutant = Mutant("wrong", "a wrong bound", conclusion=lambda k: Check(F if k == 7 else P, 1.0, {}),
                    hypotheses=st.just(7), confirm=lambda k: Check(F, -2.0, {}),
                    certify=lambda k: {"tier": "certified", "how": "mutant's"})
    r = run_entry(entry, SMOKE, seed=0, mutant=mutant)
    assert (r.verdict, r.mutant, r.counterexample.case, r.evidence, r.budget) == (F, "wrong", 7, {}, None)
    assert r.counterexample.certificate == {"tier": "certified", "how": "mutant's"}
    assert r.counterexample.confirmation == {"verdict": "fail", "margin": -2.0}
    assert r.coverage == []              # a mutant's confirmation is not the entry's coverage


def test_the_margin_slack_and_the_near_boundary_at_their_ends():
    def at(margin):
        return run_entry(_toy(lambda k: Check(P, margin, {}), confirm=lambda k: Check(F, -1.0, {}),
                              replay=lambda k: f"r {k}", certify=lambda k: {"tier": "certified", "how": "h"},
                              engine="e"), SMOKE)

    assert at(-MARGIN_SLACK).verdict == F                 # −1e-9 is within the slack: re-checked, and it fails
    worse = at(-2 * MARGIN_SLACK)
    assert worse.verdict == I and worse.notes[-1].startswith("every case passed but the worst margin is -2e-09")
    assert at(NEAR_BOUNDARY).verdict == P                 # 1e-6 is not near: no re-check
    near = at(NEAR_BOUNDARY / 2)
    assert near.verdict == F and near.counterexample.replay == f"r {near.counterexample.case}"
    assert near.counterexample.certificate == {"tier": "certified", "how": "h"}


def test_the_budget_check_runs_on_the_deciding_and_most_undecided_cases():
    seen = []

    def again(case, factor):
        seen.append((case, factor))
        return Check(I, math.nan, {})

    entry = _toy(lambda k: Check(P, 1.0 + k, {"runs": 10, "undecided": 1 if k else 5}),
                 hypotheses=st.sampled_from([0, 1]), rebudget=again)
    r = run_entry(entry, SMOKE)
    assert r.verdict == I and r.budget["stable"] is False
    assert sorted(seen) == [(0, 4)]                       # worst case 0 is also the most undecided: once
    assert r.notes[-1].startswith("inconclusive: budget-sensitive: case 0: pass (margin 1, 5 undecided)")
    assert r.evidence["budget_stable"] is False


def test_an_inconclusive_search_has_no_budget_check_and_keeps_its_reasons():
    entry = _toy(lambda k: Check(I, math.nan, {"reason": "open"}), rebudget=lambda c, f: Check(P, 1.0, {}))
    r = run_entry(entry, SMOKE)
    assert r.verdict == I and r.budget is None and r.inconclusive_reasons == {"open": r.examples}
    assert r.worst_margin is None and r.worst_case is None


def test_run_rival_searches_the_rival():
    entry = _toy(lambda k: Check(P, 1.0, {}),
                 rival=Mutant("rival", "a rival", conclusion=lambda k: Check(F if k == 3 else P, 1.0, {}),
                              hypotheses=st.just(3), confirm=lambda k: Check(F, -1.0, {})))
    out = run_rival(entry, SMOKE)
    assert out["refuted"] is True and out["counterexample"]["case"] == 3
    assert run_rival(_toy(lambda k: Check(P, 1.0, {})), SMOKE) is None


def test_run_rival_record_whole(tmp_path):
    """The record of a refuted rival, whole; an unconfirmed counterexample does not refute; the seed and the
    example database reach the rival's search."""
    def entry(confirm_verdict):
        return _toy(lambda k: Check(P, 1.0, {}),
                    rival=Mutant("rival", "a rival statement", conclusion=lambda k: Check(F if k % 2 else P, 1.0, {}),
                                 hypotheses=st.integers(0, 10**6), confirm=lambda k: Check(confirm_verdict, -1.0, {})))

    out = run_rival(entry(F), SMOKE, seed=4)
    assert set(out) == {"statement", "verdict", "refuted", "examples", "elapsed_s", "counterexample"}
    assert (out["statement"], out["verdict"], out["refuted"]) == ("a rival statement", "fail", True)
    assert out["examples"] >= 1 and out["counterexample"]["case"] % 2 == 1 and out["counterexample"]["confirmed"]
    assert run_rival(entry(P), SMOKE)["refuted"] is False            # found but not confirmed
    passing = _toy(lambda k: Check(P, 1.0, {}), rival=Mutant("rival", "true after all",
                                                             conclusion=lambda k: Check(P, 1.0, {}),
                                                             hypotheses=st.just(2)))
    none = run_rival(passing, SMOKE)
    assert (none["refuted"], none["counterexample"], none["verdict"]) == (False, None, "pass")
    # the seed reaches the search: two seeds draw different first cases, one seed the same
    firsts = []
    for seed in (4, 4, 5):
        seen = []
        record = _toy(lambda k: Check(P, 1.0, {}),
                      rival=Mutant("rival", "r", conclusion=lambda k, seen=seen: (seen.append(k), Check(P, 1.0, {}))[1],
                                   hypotheses=st.integers(0, 10**6)))
        run_rival(record, SMOKE, seed=seed)
        firsts.append(seen[:5])
    assert firsts[0] == firsts[1] != firsts[2]
    # the database reaches the search: a failure is saved in the folder given
    run_rival(entry(F), SMOKE, database=tmp_path / "db")
    assert any(p.is_file() for p in (tmp_path / "db").rglob("*"))


def test_recheck_near_boundary_passes_the_worst_case_and_its_tier_on():
    """The worst case itself is re-checked and certified; without a proof a confirmed failure stays mpmath, and
    the engine names why there is no proof."""
    seen = _seen(worst=5e-7, worst_case="w")
    asked = []

    def confirm(case):
        asked.append(case)
        return Check(F, -1.0, {})

    _, _, ce = recheck_near_boundary(seen, confirm, certify=lambda case: {"tier": "float64", "of": case})
    assert asked == ["w"] and ce.certificate == {"tier": "mpmath", "of": "w", "reason": "not certified"}
    _, _, ce = recheck_near_boundary(seen, confirm, engine="float64 batch")
    assert ce.certificate == {"tier": "mpmath", "reason": "a population statistic over the case's runs: the tier "
                                                          "stays mpmath"}
    assert ce.replay is None


def test_budget_note_joins_each_changed_case_and_marks_a_missing_count():
    record = {"factor": 4, "cases": [
        {"case": "a", "at_budget": {"verdict": "pass", "margin": 0.5}, "at_larger": {"verdict": "fail", "margin": -1.0,
                                                                                       "undecided": 0}},
        {"case": "s", "at_budget": {"verdict": "pass", "margin": 0.5}, "at_larger": {"verdict": "pass", "margin": 1.0}},
        {"case": "n", "at_budget": {"verdict": "pass", "margin": 0.5}, "at_larger": None},
        {"case": "b", "at_budget": {"verdict": "fail", "margin": -2.0, "undecided": 3},
         "at_larger": {"verdict": "pass", "margin": 0.125}}]}
    assert _budget_note(record) == (
        "inconclusive: budget-sensitive: case 'a': pass (margin 0.5, ? undecided) at the budget, fail (margin -1, "
        "0 undecided) at 4x; case 'b': fail (margin -2, 3 undecided) at the budget, pass (margin 0.125, ? undecided) "
        "at 4x")


def _drawn(fails=lambda k: False, **kw):
    """A toy entry that records every case its conclusion is asked about."""
    cases: list = []

    def conclusion(k):
        cases.append(k)
        return Check(F if fails(k) else P, 1.0, {})

    return _toy(conclusion, **kw), cases


def test_run_entry_seeds_with_0_by_default():
    entry, default = _drawn(hypotheses=st.integers(0, 10**9))
    r = run_entry(entry, SMOKE)
    entry0, zero = _drawn(hypotheses=st.integers(0, 10**9))
    run_entry(entry0, SMOKE, seed=0)
    entry1, one = _drawn(hypotheses=st.integers(0, 10**9))
    run_entry(entry1, SMOKE, seed=1)
    assert r.seed == 0 and default == zero != one
    rival, by_default = _drawn(hypotheses=st.integers(0, 10**9))
    run_rival(_toy(lambda k: Check(P, 1.0, {}), rival=Mutant("r", "r", conclusion=rival.conclusion,
                                                             hypotheses=st.integers(0, 10**9))), SMOKE)
    assert by_default == zero


def test_run_entry_examples_scale_and_at_least_one():
    for scale, expected in [(0.5, round(SMOKE.max_examples * 0.5)), (1e-9, 1)]:
        entry, cases = _drawn(hypotheses=st.integers(0, 10**9), examples_scale=scale)
        assert run_entry(entry, SMOKE).examples == expected == len(cases)
    assert SMOKE.max_examples * 0.5 >= 2


def test_run_entry_resolves_a_profile_strategy_with_its_profile():
    asked = []

    def hypotheses(profile):
        asked.append(profile)
        return st.just(1)

    run_entry(_toy(lambda k: Check(P, 1.0, {}), hypotheses=hypotheses), SMOKE)
    assert asked == [SMOKE]


def test_run_entry_without_shrinking_reports_the_first_failure_found():
    entry, cases = _drawn(fails=lambda k: k >= 10**5, hypotheses=st.integers(0, 10**9), shrink=False)
    r = run_entry(entry, SMOKE)
    first = next(k for k in cases if k >= 10**5)
    assert r.counterexample.case == first != 10**5
    shrunk, _ = _drawn(fails=lambda k: k >= 10**5, hypotheses=st.integers(0, 10**9))
    assert run_entry(shrunk, SMOKE).counterexample.case == 10**5


def test_a_batch_engine_names_why_there_is_no_proof_on_both_paths():
    reason = {"tier": "mpmath", "reason": "a population statistic over the case's runs: the tier stays mpmath"}
    found = run_entry(_toy(lambda k: Check(F, -1.0, {}), confirm=lambda k: Check(F, -1.0, {}),
                           engine="float64 batch"), SMOKE)
    assert found.counterexample.certificate == reason
    near = run_entry(_toy(lambda k: Check(P, 1e-7, {}), confirm=lambda k: Check(F, -1.0, {}),
                          engine="float64 batch"), SMOKE)
    assert near.verdict == F and near.counterexample.certificate == reason


def test_a_mutant_near_its_boundary_is_certified_by_its_own_certify():
    entry = _toy(lambda k: Check(P, 1.0, {}), certify=lambda k: {"tier": "certified", "how": "entry's"})
    mutant = Mutant("m", "m", conclusion=lambda k: Check(P, 1e-7, {}), hypotheses=st.just(3),
                    confirm=lambda k: Check(F, -1.0, {}), certify=lambda k: {"tier": "certified", "how": "mutant's"})
    r = run_entry(entry, SMOKE, mutant=mutant)
    assert r.verdict == F and r.counterexample.certificate == {"tier": "certified", "how": "mutant's"}


def test_a_flaky_search_keeps_its_note():
    seen = set()

    def conclusion(k):
        first = k not in seen
        seen.add(k)
        return Check(F if first and k >= 10 else P, 1.0, {})

    r = run_entry(_toy(conclusion, hypotheses=st.integers(0, 10**6)), SMOKE)
    assert r.verdict == I and r.notes and r.notes[0].startswith("flaky: a failure did not reproduce on replay")


def test_the_budget_check_reads_the_counterexample_not_the_worst_margin():
    asked = []

    def again(case, factor):
        asked.append(case)
        return Check(F, -1.0, {"runs": 2, "undecided": 0})

    entry = _toy(lambda k: Check(F, -1.0, {"runs": 2, "undecided": 1}) if k == 1 else Check(P, -5.0, {}),
                 hypotheses=st.sampled_from([0, 1]), rebudget=again)
    r = run_entry(entry, SMOKE)
    assert r.worst_case == 0 and r.counterexample.case == 1 and asked == [1]


def test_a_mutant_and_its_entry_keep_apart_in_the_database(tmp_path):
    entry, cases = _drawn(fails=lambda k: k == 10**5, hypotheses=st.integers(0, 10**9))
    mutant = Mutant("m", "m", conclusion=lambda k: Check(F if k >= 10**5 else P, 1.0, {}))
    assert run_entry(entry, SMOKE, mutant=mutant, database=tmp_path).counterexample.case == 10**5
    assert any(tmp_path.iterdir())
    run_entry(entry, SMOKE, database=tmp_path)
    assert cases and cases[0] != 10**5          # the mutant's failure is not replayed for the entry


def test_a_rival_found_but_never_confirmed_is_not_refuted():
    rival = Mutant("r", "r", conclusion=lambda k: Check(F, -1.0, {}), hypotheses=st.just(1))
    out = run_rival(_toy(lambda k: Check(P, 1.0, {}), rival=rival), SMOKE)
    assert out["verdict"] == "fail" and out["counterexample"]["confirmed"] is None and out["refuted"] is False
