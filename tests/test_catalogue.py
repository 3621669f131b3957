"""The claim catalogue under pytest: one test per entry, one per mutant.

``pytest -k balancing`` runs those claims; ``-m exact`` / ``-m reconstructed`` / ``-m paper``
select by provenance; the Hypothesis profile (``--hypothesis-profile=lrbias-ci|lrbias-default|lrbias-thorough``)
sets the budget.  A failure prints the shrunk counterexample and a one-line replay command.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, settings

from lrbias.claims.catalogue import entry_by_id, load_entries
from lrbias.claims.entry import resolve
from lrbias.claims.profiles import PROFILES, from_hypothesis_profile
from lrbias.claims.runner import run_entry, run_rival
from lrbias.claims.sweeps import precise_batch, sweep

ENTRIES = load_entries()


def _profile():
    return from_hypothesis_profile(settings.get_current_profile_name())


def _marks(entry, with_findings: bool = False):
    marks = [getattr(pytest.mark, entry.provenance)]
    if entry.group == "nn":
        marks += [pytest.mark.nn, pytest.mark.slow]
    if with_findings and entry.known_finding:  # declared by the entry's group; strict for the NN claims, whose
        # findings do not depend on the profile, not for a batch boundary case a small profile may not draw
        marks.append(pytest.mark.xfail(reason=f"known finding: {entry.known_finding}", strict=entry.group == "nn",
                                       raises=AssertionError))
        marks += _non_strict_tier(entry)
    return marks


def _non_strict_tier(entry) -> list:
    """A non-strict expected failure (a batch entry's known finding) passes whatever its verdict, so in the
    fast tier it could only catch a crash, at the price of the costliest searches of the catalogue (measured:
    the ordering finding's entry, mutant and rival 375 + 117 + 69 s of a 12.7 min fast tier): the full tier
    (``--runslow``) runs them."""
    return [pytest.mark.slow] if entry.group != "nn" else []


def _explain(result) -> str:
    lines = [f"{result.id} ({result.provenance}): {result.verdict}"]
    lines += [f"  note: {n}" for n in result.notes]
    ce = result.counterexample
    if ce is not None:
        lines.append(f"  counterexample: {ce.case!r}  margin {ce.margin:.3g}")
        lines.append(f"  high-precision confirmation: {ce.confirmed} {ce.confirmation}")
        if ce.replay:
            lines.append(f"  replay: {ce.replay}")
    return "\n".join(lines)


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.id, marks=_marks(e, with_findings=True))
                                   for e in ENTRIES])
def test_catalogue_entry(entry, lrbias_results):
    """Every entry passes; a pass with a fixed step budget was re-decided at 4x the budget on its deciding cases
    and did not change (a changed verdict is reported inconclusive, which fails here); a batch entry decided at
    convergence records its budget cap and the share of runs it left open."""
    profile = _profile()
    result = run_entry(entry, profile, seed=0)
    lrbias_results.add(entry, result, profile)
    assert result.verdict == "pass", _explain(result)
    if entry.rebudget is not None:
        assert result.budget is not None and result.budget["stable"], result.budget
        assert result.budget["factor"] == 4 and result.budget["cases"]
        assert result.evidence["budget_stable"] is True
    elif entry.engine == "float64 batch":
        assert result.evidence["budget_cap"] >= result.evidence["steps"] > 0, result.evidence
        assert result.evidence["undecided_share"] is not None


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.id, marks=_marks(e)) for e in ENTRIES if e.group == "nn"])
def test_nn_verdicts_are_re_decided_at_4x_the_steps(entry):
    """The NN claims are known findings (their catalogue test above is an expected failure), but their
    verdicts are budget-checked like every other: a pass or fail was re-decided on the grids trained with
    4x the steps and did not change (one that changed would be inconclusive).  The grids of both budgets
    are trained once per process, so this re-run costs no training after the test above."""
    result = run_entry(entry, _profile(), seed=0)
    check_budget_record(result)


def check_budget_record(result) -> None:
    """What a verdict says about its budget check (the NN runs are budget-limited, so every deciding case
    is re-run).  A pass or fail: re-decided at 4x, unchanged.  An inconclusive verdict either came from
    the search (no budget check ran, and the search recorded why) or from the budget check (a deciding
    case changed at 4x, named in a note)."""
    budget = result.budget
    if result.verdict in ("pass", "fail"):
        assert budget is not None and budget["factor"] == 4, budget
        assert budget["cases"] and all(c["at_larger"] is not None for c in budget["cases"]), budget
        assert budget["stable"] and result.evidence["budget_stable"] is True
        return
    assert result.verdict == "inconclusive", result.verdict
    if budget is None:  # undecided by the search itself: it says why, and no budget is claimed
        assert result.evidence["budget_stable"] is None
        assert result.notes, (result.inconclusive, result.inconclusive_reasons)
    else:  # decided, then changed at 4x: the changed case is recorded and named
        assert budget["factor"] == 4 and not budget["stable"] and result.evidence["budget_stable"] is False
        changed = [c for c in budget["cases"]
                   if c["at_larger"] is not None and c["at_larger"]["verdict"] != c["at_budget"]["verdict"]]
        assert changed, budget
        assert any(n.startswith("inconclusive: budget-sensitive: ") and repr(changed[0]["case"]) in n
                   for n in result.notes), result.notes


def _toy_result(verdict, budget, notes=()):
    from lrbias.claims.runner import EntryResult
    return EntryResult("toy", "toy", "paper", verdict, 4, 0, 0.1, None, None, 0, 0.0, notes=list(notes),
                       budget=budget, evidence={"budget_stable": None if budget is None else budget["stable"]})


_ROW = {"case": (1, 2), "at_budget": {"verdict": "pass", "margin": 0.1}}
_CHANGED = {"factor": 4, "stable": False, "cases": [{**_ROW, "at_larger": {"verdict": "fail", "margin": -0.1}}]}
_SAME = {"factor": 4, "stable": True, "cases": [{**_ROW, "at_larger": {"verdict": "pass", "margin": 0.1}}]}


@pytest.mark.parametrize("result, ok", [
    (_toy_result("pass", _SAME), True),
    (_toy_result("inconclusive", None, ["3 of 4 cases undecided (limit 20%)"]), True),
    (_toy_result("inconclusive", _CHANGED, ["inconclusive: budget-sensitive: case (1, 2): pass ..."]), True),
    (_toy_result("pass", None), False),                                    # a pass never re-decided
    (_toy_result("pass", {**_SAME, "factor": 2}), False),                  # ... at the wrong factor
    (_toy_result("pass", _CHANGED), False),                                # ... that changed at 4x
    (_toy_result("inconclusive", None), False),                            # undecided without saying why
    (_toy_result("inconclusive", _SAME, ["budget-sensitive"]), False),     # "budget-sensitive" but stable
    (_toy_result("inconclusive", _CHANGED), False),                        # the changed case not named
])
def test_the_budget_record_check_catches_a_wrong_record(result, ok):
    """check_budget_record (used for the NN verdicts above, inconclusive ones included) is not vacuous."""
    if ok:
        check_budget_record(result)
    else:
        with pytest.raises(AssertionError):
            check_budget_record(result)


def _search_marks(entry):
    """Marks of a mutant's or rival's search: an entry with a known finding outside the NN group is a claim
    the search does not decide (or finds false), so its mutant and rival need not be refuted: not strict."""
    marks = _marks(entry)
    if entry.known_finding and entry.group != "nn":
        marks.append(pytest.mark.xfail(reason=f"known finding: {entry.known_finding}", strict=False,
                                       raises=AssertionError))
        marks += _non_strict_tier(entry)
    return marks


MUTANTS = [pytest.param(e, m, id=f"{e.id}/{m.name}", marks=_search_marks(e)) for e in ENTRIES for m in e.mutants]


@pytest.mark.parametrize(("entry", "mutant"), MUTANTS)
def test_mutant_is_refuted_within_ci(entry, mutant):
    """Every deliberately wrong variant is caught by the search under the ci profile."""
    result = run_entry(entry, PROFILES["ci"], seed=0, mutant=mutant)
    assert result.verdict == "fail", f"mutant {mutant.name} ({mutant.description}) survived: {result}"
    assert result.counterexample is not None


RIVALS = [pytest.param(e, id=e.id, marks=_search_marks(e)) for e in ENTRIES if e.rival is not None]


@pytest.mark.parametrize("entry", RIVALS)
def test_rival_is_refuted_within_ci(entry):
    """Every entry's rival (a nearby plausible but false statement) is refuted under ci, its
    counterexample confirmed at high precision."""
    rival = run_rival(entry, PROFILES["ci"], seed=0)
    assert rival is not None and rival["refuted"], rival
    cert = rival["counterexample"]["certificate"]   # a proof, or the stated reason there is none
    assert cert["how"] if cert["tier"] == "certified" else cert["reason"], cert


def test_every_entry_has_a_mutant_and_a_unique_id():
    ids = [e.id for e in ENTRIES]
    assert len(ids) == len(set(ids))
    assert all(e.mutants for e in ENTRIES), [e.id for e in ENTRIES if not e.mutants]


def test_batch_cases_carry_their_sweep_size_and_sweeps_are_read_only():
    """A batch case is (spec, κ, seed, n) with n from the profile it was drawn under; its replay rebuilds it."""
    entry = entry_by_id("convergence.good-regularity-large-lr", ENTRIES)
    profile = PROFILES["smoke"]
    case = find(resolve(entry.hypotheses, profile), lambda _case: True)
    assert case[-1] == profile.sweep_starts
    assert entry.replay(case).endswith(f"{case[2]}, {profile.sweep_starts}, starts='box'); print(b.shares())\"")
    batch = sweep("logcosh", 2.0, 0, 30)
    with pytest.raises(ValueError, match="read-only"):
        batch.x[0] = 0.0
    batch.meta["mine"] = True
    assert "mine" not in sweep("logcosh", 2.0, 0, 30).meta
    precise = precise_batch(batch, np.array([0]))
    precise.x[0] = 0.0
    assert precise.meta["precise_rows"][0] == 0 and batch.x[0] != 0.0

