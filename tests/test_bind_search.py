"""Binding tests of ``lrbias.claims.search`` (issue 27): what a search counts, keeps and steers by, on scripted
conclusions over small deterministic strategies: inconclusive reasons, runs and open runs, the most-undecided
case (strictly the largest share), the worst margin and its case, the failure (shrunk or not), the clamp of
the target, the example database replaying a failure first, and a flaky failure kept as a note."""

from __future__ import annotations

import math

import pytest
from hypothesis import strategies as st

import lrbias.claims.search as search_module
from lrbias.claims.search import TARGET_CLAMP, Search, run_counts, search
from lrbias.verdict import Check, Verdict

P, F, I = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE


def _scripted(table):
    """A conclusion answering ``table[case]`` (a Check), recording the cases it saw."""
    seen = []

    def conclusion(case):
        seen.append(case)
        return table[case]

    conclusion.seen = seen
    return conclusion


def _run(table, cases, **kw):
    conclusion = _scripted(table)
    kw.setdefault("max_examples", 50)
    out = search(st.sampled_from(cases), conclusion, seed=0, label=kw.pop("label", "t"), **kw)
    return out, conclusion.seen


def test_constants_and_defaults():
    assert TARGET_CLAMP == 1e300
    s = Search()
    assert (s.examples, s.inconclusive, s.worst, s.worst_case, s.reasons, s.failure, s.notes, s.worst_detail,
            s.runs, s.undecided_runs, s.most_undecided) == (0, 0, math.inf, None, {}, None, [], {}, 0, 0, None)


def test_run_counts():
    assert run_counts({}) == (0, 0)
    assert run_counts({"runs": 7, "undecided": 2}) == (7, 2)
    assert run_counts({"runs": [{}, {}, {}]}) == (3, 0)
    assert run_counts({"runs": ({},), "undecided": 1.0}) == (1, 1)
    assert run_counts({"runs": None, "undecided": None}) == (0, 0)
    assert run_counts({"runs": 4, "undecided": "some"}) == (4, 0)


def test_counts_reasons_and_the_worst_margin():
    table = {0: Check(I, math.nan, {"reason": "budget"}), 1: Check(I, math.nan, {}),
             2: Check(P, 3.0, {"runs": 10, "undecided": 1}), 3: Check(P, 0.5, {"runs": 10, "undecided": 4, "k": 1}),
             4: Check(P, 0.5, {"runs": 8, "undecided": 2})}
    out, seen = _run(table, [0, 1, 2, 3, 4])
    assert out.failure is None and out.notes == []
    assert out.examples == len(seen) and out.inconclusive == sum(c in (0, 1) for c in seen)
    assert out.reasons == {k: v for k, v in {"budget": seen.count(0), "undecided": seen.count(1)}.items() if v}
    decided = [c for c in seen if c >= 2]
    assert out.runs == sum(table[c].detail["runs"] for c in decided)
    assert out.undecided_runs == sum(table[c].detail["undecided"] for c in decided)
    assert out.worst == 0.5 and out.worst_case == next(c for c in seen if c in (3, 4))  # the first of two equal
    assert out.worst_detail == dict(table[out.worst_case].detail)
    assert out.worst_detail is not table[out.worst_case].detail
    assert out.most_undecided == (0.4, 3) and 3 in seen     # 4/10 beats 2/8 and 1/10


def test_most_undecided_keeps_the_first_of_equal_shares():
    table = {0: Check(P, 1.0, {"runs": 4, "undecided": 2}), 1: Check(P, 1.0, {"runs": 8, "undecided": 4}),
             2: Check(P, 1.0, {"runs": 0, "undecided": 3}), 3: Check(P, 1.0, {"runs": 5})}
    out, seen = _run(table, [0, 1, 2, 3])
    first = next(c for c in seen if c in (0, 1))
    assert out.most_undecided == (0.5, first)


def test_the_first_failure_is_kept_and_shrunk():
    table = {k: Check(F if k >= 10 else P, 10.0 - k, {}) for k in range(40)}
    conclusion = _scripted(table)
    out = search(st.integers(0, 39), conclusion, max_examples=200, seed=0, label="shrink")
    assert out.failure is not None and out.failure[0] == 10 and out.failure[1] == table[10]
    assert out.worst <= 0.0


def test_without_shrinking_the_failure_is_the_one_found():
    table = {k: Check(F if k >= 10 else P, 10.0 - k, {}) for k in range(40)}
    conclusion = _scripted(table)
    out = search(st.integers(0, 39), conclusion, max_examples=200, seed=0, label="noshrink", shrink=False)
    failing = [c for c in conclusion.seen if c >= 10]
    assert out.failure[0] == failing[0] and set(failing) == {failing[0]}   # the first failing case (replayed once)


def test_the_target_is_the_clamped_negative_margin(monkeypatch):
    calls = []
    monkeypatch.setattr(search_module, "target", lambda value, label: calls.append((value, label)))
    table = {0: Check(P, 1e305, {}), 1: Check(P, -1e305, {}), 2: Check(P, 2.5, {}), 3: Check(P, math.inf, {}),
             4: Check(P, math.nan, {})}
    out, seen = _run(table, [0, 1, 2, 3, 4])
    expected = {0: -TARGET_CLAMP, 1: TARGET_CLAMP, 2: -2.5}
    assert calls == [(expected[c], "closeness to failure") for c in seen if c in expected]
    assert out.worst == -1e305


def test_the_database_replays_a_failure_first(tmp_path):
    """`lrbias check --database DIR`: a seeded search still saves its failure and replays it first (hypothesis'
    own seed decorator turns the database off, which once made the option a no-op)."""
    table = {k: Check(F if k == 7 else P, 1.0, {}) for k in range(40)}
    first = _scripted(table)
    search(st.integers(0, 39), first, max_examples=200, seed=1, label="db", database=tmp_path)
    again = _scripted(table)
    out = search(st.integers(0, 39), again, max_examples=200, seed=2, label="db", database=tmp_path)
    assert again.seen[0] == 7 and out.failure[0] == 7
    other = _scripted(table)
    search(st.integers(0, 39), other, max_examples=5, seed=2, label="another", database=tmp_path)
    assert other.seen[0] != 7                   # another label does not replay the failure first


@pytest.mark.parametrize("shrink", [True, False])
def test_max_examples_bounds_the_search(shrink):
    table = {k: Check(P, 1.0, {}) for k in range(1000)}
    conclusion = _scripted(table)
    out = search(st.integers(0, 999), conclusion, max_examples=7, seed=0, label=f"max{shrink}", shrink=shrink)
    assert out.examples == len(conclusion.seen) <= 7


# ---- the survivors of the first mutation run, each killed where it binds ---------------------------------

def test_a_reason_is_counted_once_per_case():
    table = {k: Check(I, math.nan, {"reason": "budget"}) for k in range(10)}
    out, seen = _run(table, list(range(10)))
    assert out.reasons == {"budget": len(seen)} and len(seen) > 1


def test_without_a_database_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = {k: Check(F if k == 3 else P, 1.0, {}) for k in range(10)}
    search(st.integers(0, 9), _scripted(table), max_examples=50, seed=0, label="nodb")
    assert list(tmp_path.iterdir()) == []


def test_the_database_is_the_folder_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "db"
    table = {k: Check(F if k == 3 else P, 1.0, {}) for k in range(10)}
    search(st.integers(0, 9), _scripted(table), max_examples=50, seed=0, label="given", database=db)
    assert any(p.is_file() for p in db.rglob("*")) and sorted(p.name for p in tmp_path.iterdir()) == ["db"]


@pytest.fixture
def hypothesis_defaults():
    """Hypothesis' own default profile for the test (a library user's): the project's test profiles already
    turn off the deadline, the health checks and the blob, which would hide search()'s own settings."""
    from hypothesis import settings

    before = settings.get_current_profile_name()
    settings.load_profile("default")
    yield
    settings.load_profile(before)


def test_a_slow_conclusion_has_no_deadline(hypothesis_defaults):
    import time

    def slow(case):
        time.sleep(0.25)
        return Check(P, 1.0, {})

    out = search(st.integers(0, 9), slow, max_examples=2, seed=0, label="slow")
    assert out.examples >= 1 and out.notes == [] and out.failure is None


def test_health_checks_are_suppressed(hypothesis_defaults):
    """A strategy that filters almost everything: hypothesis' filter_too_much health check would fail it."""
    conclusion = _scripted({k: Check(P, 1.0, {}) for k in range(0, 10**6, 997)})
    out = search(st.integers(0, 10**6 - 1).filter(lambda k: k % 997 == 0), conclusion, max_examples=3, seed=0,
                 label="health")
    assert out.failure is None and out.notes == []


def test_a_failed_health_check_does_not_stop_the_search(hypothesis_defaults):
    """A strategy whose smallest example is large: Hypothesis' large_base_example health check fails it unless
    search() suppresses the health checks (the filter above does not trip one in this Hypothesis version)."""
    big_first = st.one_of(st.lists(st.integers(), min_size=2100, max_size=2100), st.just(0))  # random draws: small
    out = search(big_first, lambda case: Check(P, 1.0, {}), max_examples=2, seed=0, label="large")
    assert out.examples >= 1 and out.failure is None and out.notes == []


def test_no_reproduce_blob_is_printed(capsys, hypothesis_defaults):
    table = {k: Check(F if k >= 5 else P, 1.0, {}) for k in range(10)}
    search(st.integers(0, 9), _scripted(table), max_examples=50, seed=0, label="blob")
    captured = capsys.readouterr()
    assert "reproduce_failure" not in captured.out + captured.err


@pytest.mark.parametrize("with_db", [False, True])
def test_the_seed_makes_the_search_reproducible(tmp_path, with_db):
    table = {k: Check(P, 1.0, {}) for k in range(10**6)}
    runs = []
    for i in range(2):
        conclusion = _scripted(table)
        search(st.integers(0, 10**6 - 1), conclusion, max_examples=10, seed=5, label=f"seeded{with_db}{i}",
               database=(tmp_path / f"db{i}") if with_db else None)
        runs.append(conclusion.seen)
    assert runs[0] == runs[1] and len(set(runs[0])) > 3


def test_a_failure_that_does_not_reproduce_is_a_note_naming_the_exception():
    calls = {"n": 0}

    def conclusion(case):
        calls["n"] += 1
        return Check(F if calls["n"] == 1 else P, -1.0 if calls["n"] == 1 else 1.0, {})

    out = search(st.integers(0, 3), conclusion, max_examples=20, seed=0, label="flaky2")
    assert out.failure is None
    assert out.notes == ["flaky: a failure did not reproduce on replay (FlakyFailure)"]


def test_without_shrinking_examples_are_still_generated():
    import unittest

    conclusion = _scripted({k: Check(P, 1.0, {}) for k in range(100)})
    try:   # hypothesis raises SkipTest when its phases generate nothing, which pytest would report as a skip
        out = search(st.integers(0, 99), conclusion, max_examples=20, seed=0, label="gen", shrink=False)
    except unittest.SkipTest as exc:
        pytest.fail(f"the search generated no example: {exc}")
    assert out.examples == 20
