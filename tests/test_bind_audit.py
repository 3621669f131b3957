"""Binding tests of ``lrbias.report.audit`` (issue 27): the audit view of a claim compared whole, for every
value each branch reads (no evidence, weakly tested True/False/None, budget stable True/False/None, a rival
with and without a counterexample, deciding NN runs or a plain case, a certified or float64 tier)."""

from __future__ import annotations

import pytest

from lrbias.report.audit import _figures_view, _frontiers_by_starts, _rival_view, audit_view, tier_text


def test_tier_text_for_each_kind_of_certificate():
    assert tier_text(None) == "" and tier_text({}) == ""
    assert tier_text({"tier": "certified", "how": "arb, 128 bits"}) == "certified (arb, 128 bits)"
    assert tier_text({"tier": "certified"}) == "certified ()"
    assert tier_text({"tier": "float64", "reason": "no converged run"}) == "float64: no converged run"
    assert tier_text({"tier": "quad"}) == "quad: "


def test_figures_view_writes_the_margin_with_three_digits():
    assert _figures_view(None) is None
    assert _figures_view({"margin": 0.123456, "ratio": 2}) == {"margin": 0.123456, "ratio": 2,
                                                                "margin_text": "0.123"}
    assert _figures_view({"margin": "-inf"})["margin_text"] == "-inf"
    assert _figures_view({})["margin_text"] == "-"


def test_rival_view_without_a_counterexample_is_the_record_itself():
    assert _rival_view(None) is None
    assert _rival_view({}) == {}
    rival = {"statement": "s", "counterexample": None}
    assert _rival_view(rival) is rival


def test_rival_view_of_a_case_and_of_deciding_runs():
    plain = {"statement": "s", "counterexample": {"case": ("logcosh", 2.5), "certificate": {"tier": "certified",
                                                                                           "how": "h"}}}
    assert _rival_view(plain) == {**plain, "case_text": "('logcosh', 2.5)", "confirmed_how": "at high precision",
                                  "tier_text": "certified (h)"}
    nn = {"statement": "s", "counterexample": {
        "case": ["g@digits"], "detail": {"deciding": [["g@digits", 0.5], ["h@mnist1d", 1.25]]},
        "confirmation": {"confirmation": "re-trained in float64"}}}
    assert _rival_view(nn) == {**nn, "case_text": "g@digits at 0.5·2/S0; h@mnist1d at 1.25·2/S0",
                               "confirmed_how": "re-trained in float64", "tier_text": ""}
    empty_deciding = {"counterexample": {"case": 3, "detail": {"deciding": []}, "confirmation": {}}}
    assert _rival_view(empty_deciding)["case_text"] == "3"
    assert _rival_view(empty_deciding)["confirmed_how"] == "at high precision"


def test_frontiers_by_starts_rows():
    assert _frontiers_by_starts(None) == [] and _frontiers_by_starts({}) == []
    assert _frontiers_by_starts({"by_starts": {}}) == []
    frontier = {"by_starts": {
        "box": {"logcosh": {"holds_on": [[0.5, 2.0], [3.0, 4.0]],
                            "boundaries": [{"between": [2.0, 2.12345]}, {"between": [2.98765, 3.0]}]},
                "square": {"holds_on": [], "boundaries": []}},
        "shell": {"logcosh": {}}}}
    assert _frontiers_by_starts(frontier) == [
        {"starts": "box", "family": "logcosh", "holds_text": "[0.5, 2] ∪ [3, 4]",
         "boundary_text": "2–2.12; 2.99–3"},
        {"starts": "box", "family": "square", "holds_text": "nowhere in range", "boundary_text": "none in range"},
        {"starts": "shell", "family": "logcosh", "holds_text": "nowhere in range",
         "boundary_text": "none in range"},
    ]


def test_audit_view_of_an_entry_without_evidence():
    assert audit_view({}) == {"rows": [], "rival": None, "fails_if": "", "budget_rows": [], "budget_factor": None,
                              "frontiers": []}


@pytest.mark.parametrize(("weak", "text"), [
    (None, "0.25"),
    (True, "0.25 (weakly tested: never within 0.125 of failing)"),
    (False, "0.25 (came within 0.125 of failing)"),
])
def test_closest_margin_row_for_each_weakness(weak, text):
    view = audit_view({"evidence": {"closest_margin": 0.25, "weakly_tested": weak, "near": 0.125}})
    assert view["rows"] == [("closest margin reached", text)]


def test_closest_margin_none_reads_none():
    assert audit_view({"evidence": {"starts": "box"}})["rows"] == [("closest margin reached", "none"),
                                                                   ("start distribution", "box")]


def test_every_evidence_row():
    entry = {"evidence": {"closest_margin": 0.5, "runs": 600, "runs_per_case": 200, "undecided_share": 0.01234,
                          "starts": "unbalanced", "budget_stable": True},
             "fails_if": "a run ends off the line",
             "budget": {"factor": 4, "cases": [{"case": ("square", 1.5), "at_budget": {"margin": 0.5},
                                                "at_larger": {"margin": "-inf"}}]}}
    assert audit_view(entry) == {
        "rows": [("closest margin reached", "0.5"),
                 ("GD runs behind the statistics", "600 (200 per case), 0.0123 of them undecided"),
                 ("start distribution", "unbalanced"),
                 ("same verdict at 4× the step budget", "yes")],
        "rival": None, "fails_if": "a run ends off the line",
        "budget_rows": [{"case": "('square', 1.5)", "at_budget": {"margin": 0.5, "margin_text": "0.5"},
                         "at_larger": {"margin": "-inf", "margin_text": "-inf"}}],
        "budget_factor": 4, "frontiers": []}


def test_budget_instability_and_no_runs():
    rows = audit_view({"evidence": {"closest_margin": 1.0, "runs": 0, "budget_stable": False}})["rows"]
    assert rows == [("closest margin reached", "1"),
                    ("same verdict at 4× the step budget", "no: inconclusive (budget-sensitive)")]
