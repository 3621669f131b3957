"""The runner's decisions on toy entries: every path of the tri-state verdict is reached.

pass, fail (confirmed), inconclusive for an unconfirmed or undecided confirmation, for too many
undecided cases (the default 25 % limit), for a flaky search, and for a pass whose margin is
negative; and the linear-stability entry passes with a non-negative margin.
"""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

from lrbias.claims.catalogue import entry_by_id, load_entries
from lrbias.claims.entry import Entry
from lrbias.claims.profiles import PROFILES
from lrbias.claims.runner import run_entry
from lrbias.verdict import fail, holds, inconclusive, passed

SMOKE = PROFILES["smoke"]
CASES = st.integers(0, 999)


def toy(conclusion, confirm=None, cases=CASES, **kw) -> Entry:
    return Entry(id="toy.entry", title="toy", statement="a toy claim", latex="", provenance="exact",
                 hypotheses=cases, conclusion=conclusion, confirm=confirm, **kw)


def test_a_claim_that_holds_passes_with_its_smallest_margin():
    result = run_entry(toy(lambda n: passed(1.0 + n)), SMOKE)
    assert result.verdict == "pass" and result.worst_margin == 1.0 and result.counterexample is None


def test_a_confirmed_failure_fails():
    entry = toy(lambda n: holds(n < 500, 500.0 - n), confirm=lambda n: holds(n < 500, 500.0 - n),
                cases=st.integers(0, 10_000))
    result = run_entry(entry, PROFILES["ci"])
    assert result.verdict == "fail"
    assert result.counterexample.confirmed and result.counterexample.case == 500


def test_an_unconfirmed_counterexample_is_inconclusive():
    """float says fail, high precision says pass: a float artefact, never reported as a failure."""
    result = run_entry(toy(lambda n: fail(-1.0), confirm=lambda n: passed(1.0)), SMOKE)
    assert result.verdict == "inconclusive"
    assert result.counterexample is not None and result.counterexample.confirmed is False
    assert any("not confirmed at high precision" in n for n in result.notes), result.notes


def test_an_undecided_confirmation_is_inconclusive():
    result = run_entry(toy(lambda n: fail(-1.0), confirm=lambda n: inconclusive("precision")), SMOKE)
    assert result.verdict == "inconclusive"
    assert any("confirmation was undecided" in n for n in result.notes), result.notes


def _every_other_undecided(n: int):
    return inconclusive("odd case") if n % 2 else passed(1.0)


def test_too_many_undecided_cases_make_the_verdict_inconclusive_at_the_default_limit():
    """About half the cases undecided: beyond the default 25 % limit (an Entry's default)."""
    result = run_entry(toy(_every_other_undecided, cases=st.integers(0, 10_000)), PROFILES["ci"])
    assert result.inconclusive > 0.25 * result.examples
    assert result.verdict == "inconclusive"
    assert any("cases undecided (limit 25%)" in n for n in result.notes), result.notes
    lenient = run_entry(toy(_every_other_undecided, cases=st.integers(0, 10_000), inconclusive_limit=0.9),
                        PROFILES["ci"])
    assert lenient.verdict == "pass"


def test_a_flaky_failure_is_inconclusive():
    """A conclusion that fails once and then passes on replay: the search cannot be trusted."""
    calls = itertools.count()

    def once(n: int):
        return fail(-1.0) if next(calls) == 0 else passed(1.0)

    result = run_entry(toy(once), SMOKE)
    assert result.verdict == "inconclusive"
    assert len(result.notes) == 1 and result.notes[0].startswith("flaky"), result.notes


def test_a_pass_with_a_negative_margin_contradicts_itself():
    result = run_entry(toy(lambda n: passed(-1.0), confirm=lambda n: passed(-1.0)), SMOKE)
    assert result.verdict == "inconclusive"
    assert any("contradicts its verdict" in n for n in result.notes), result.notes


def test_linear_stability_passes_with_a_non_negative_margin():
    """The margin of stability.linear-criterion is |hS − 2| when the criterion agrees with the Jacobian."""
    entry = entry_by_id("stability.linear-criterion", load_entries())
    result = run_entry(entry, SMOKE)
    assert result.verdict == "pass", result.notes
    assert result.worst_margin is not None and result.worst_margin >= 0


def test_a_near_boundary_pass_is_rechecked_at_high_precision():
    """A float pass within NEAR_BOUNDARY of failing stands only if high precision agrees."""
    close = toy(lambda n: passed(1e-9), confirm=lambda n: fail(-1e-12))
    result = run_entry(close, SMOKE)
    assert result.verdict == "fail" and result.counterexample.confirmed
    assert any("re-checked at high precision" in n for n in result.notes), result.notes
    assert run_entry(toy(lambda n: passed(1e-9), confirm=lambda n: passed(1e-3)), SMOKE).verdict == "pass"
    assert run_entry(toy(lambda n: passed(1e-3), confirm=lambda n: fail(-1.0)), SMOKE).verdict == "pass"


def test_runs_are_counted_whether_a_check_gives_a_count_or_the_run_records():
    """Batch claims give ``runs`` as a count, NN claims as the list of their runs: both are counted
    (the merged main's `lrbias report` crashed on the NN entries' lists before this)."""
    batch = run_entry(toy(lambda n: holds(True, 1.0, runs=50, undecided=5)), SMOKE)
    nn = run_entry(toy(lambda n: holds(True, 1.0, runs=[{"lr": 0.1}, {"lr": 0.2}, {"lr": 0.3}])), SMOKE)
    assert batch.verdict == nn.verdict == "pass"
    assert batch.evidence["runs"] == 50 * batch.examples and batch.evidence["runs_per_case"] == 50
    assert batch.evidence["undecided_share"] == 0.1
    assert nn.evidence["runs"] == 3 * nn.examples and nn.evidence["runs_per_case"] == 3


def test_runs_judged_where_the_budget_stopped_them_are_re_decided_at_a_longer_budget():
    """NN runs are judged from their trace at the last step, so none is "undecided", yet more steps can
    change them: a check that counts them as ``budget_limited`` is re-decided at 4x the budget, and a
    verdict that changes there is inconclusive; a batch case with no undecided run is not re-run."""
    runs = [{"lr": 0.1}, {"lr": 0.2}]
    longer = []

    def rebudget(case, factor):
        longer.append(factor)
        return passed(0.5, runs=runs)

    nn = toy(lambda n: fail(-1.0, runs=runs, budget_limited=2), rebudget=rebudget)
    result = run_entry(nn, SMOKE)
    assert longer == [4]
    assert result.verdict == "inconclusive" and result.budget["stable"] is False
    settled = toy(lambda n: fail(-1.0, runs=50, undecided=0), rebudget=rebudget)
    assert run_entry(settled, SMOKE).verdict == "fail" and longer == [4]
