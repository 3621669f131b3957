"""Bindings for lrbias/report/overview.py: each field a record may hold read in its order of precedence
(falsy values skipped, the fallbacks when none is there), the star patterns of declared figures, the
certificate verdicts that count, a counterexample confirmed only by ``True``, the reasons and commands
word for word, and the overview's row order (fail, inconclusive, pass, anything else; run order
within a group).

Written against the survivors of mutmut on this module (``python -m mutants.tool run
lrbias/report/overview.py``); every record is a small hand-made dict, no results document is read.
"""

from __future__ import annotations

import pytest

from lrbias.report import overview as ov

# --- figures ----------------------------------------------------------------------------------------


def test_figures_for_expands_stars_keeps_declared_order_and_drops_duplicates():
    """figures_for: a trailing '*' matches by prefix (sorted), a plain name only if available, none twice."""
    available = {"heat-b", "heat-a", "heap", "hx", "xheat-c", "a", "b", "other"}
    entry = {"figures": ["b", "heat*", "a", "a", "missing", "heat-a", "b"]}
    assert ov.figures_for(entry, available) == ["b", "heat-a", "heat-b", "a"]


def test_a_star_after_its_names_adds_only_the_rest():
    """figures_for: a star pattern skips figures already listed; a bare '*' matches everything."""
    assert ov.figures_for({"figures": ["a", "a*"]}, {"a", "ab", "b"}) == ["a", "ab"]
    assert ov.figures_for({"figures": ["*"]}, {"b", "a"}) == ["a", "b"]
    assert ov.figures_for({"figures": ["ab*"]}, {"a", "ab", "abc", "b"}) == ["ab", "abc"]


def test_a_record_without_figures_links_none():
    """figures_for: a missing or null 'figures' field gives []."""
    assert ov.figures_for({}, {"a"}) == []
    assert ov.figures_for({"figures": None}, {"a"}) == []


def test_claims_for_figure_in_run_order():
    """claims_for_figure: the ids whose declared figures (names or stars) include the figure, in run order."""
    entries = [{"id": "z", "figures": ["heat*"]}, {"id": "y", "figures": ["other"]}, {"id": "x", "figures": ["heat-1"]},
               {"id": "w"}]
    assert ov.claims_for_figure("heat-1", entries) == ["z", "x"]
    assert ov.claims_for_figure("nothing", entries) == []


# --- start distribution ---------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "text"), [
    ({}, "–"),
    ({"start_distribution": "", "starts": None, "distribution": {}}, "–"),
    ({"start_distribution": "sd", "starts": "s", "distribution": "d"}, "sd"),
    ({"starts": "s", "distribution": "d"}, "s"),
    ({"start_distribution": "", "starts": "s"}, "s"),
    ({"distribution": "d"}, "d"),
    ({"starts": 3}, "3"),
    ({"starts": {"label": "L", "name": "N", "description": "D", "text": "T"}}, "L"),
    ({"starts": {"label": "", "name": "N", "description": "D", "text": "T"}}, "N"),
    ({"starts": {"description": "D", "text": "T"}}, "D"),
    ({"starts": {"text": "T"}}, "T"),
    ({"starts": {"name": 5}}, "5"),
    ({"starts": {"kind": "box", "n": 4}}, "kind box, n 4"),
    ({"starts": {"label": None, "kind": "box"}}, "label None, kind box"),
])
def test_start_distribution_reads_the_first_recorded_form(entry, text):
    """start_distribution: keys start_distribution > starts > distribution (falsy skipped); a dict's label >
    name > description > text, else its items; '–' when nothing is recorded."""
    assert ov.start_distribution(entry) == text


# --- evidence tier --------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "tier"), [
    ({"tier": "quad"}, ("quad", "recorded")),
    ({"evidence_tier": "quad"}, ("quad", "recorded")),
    ({"tier": "mp", "evidence_tier": "quad"}, ("mp", "recorded")),
    ({"tier": "", "evidence_tier": "quad"}, ("quad", "recorded")),
    ({"tier": {"name": "certified", "how": "by arb"}}, ("certified", "by arb")),
    ({"tier": {"tier": "quad"}}, ("quad", "recorded")),
    ({"tier": {"name": "", "tier": "quad", "how": ""}}, ("quad", "recorded")),
    ({"tier": {"name": "n", "tier": "t"}}, ("n", "recorded")),
    ({"tier": {"how": "h"}, "evidence_tier": "quad"}, ("quad", "recorded")),
    ({"tier": {"name": 2, "how": 3}}, ("2", "3")),
    ({"tier": {"how": "h"}}, ("float", "no higher tier recorded")),
])
def test_a_recorded_tier_wins(entry, tier):
    """evidence_tier: 'tier' then 'evidence_tier'; a dict gives name (or tier) and how (else 'recorded')."""
    assert ov.evidence_tier(entry) == tier


@pytest.mark.parametrize("verdict", ["pass", "certified", "proved", True])
def test_a_holding_certificate_means_certified(verdict):
    """evidence_tier: a certificate whose verdict is pass, certified, proved or True → certified."""
    entry = {"certificate": {"verdict": verdict}, "counterexample": {"confirmed": True}}
    assert ov.evidence_tier(entry) == ("certified", "recorded certificate")


@pytest.mark.parametrize("cert", [{"verdict": "fail"}, {"verdict": False}, {"verdict": None}, {}, "pass", None,
                                  {"verdict": "PASS"}, {"verdict": "inconclusive"}])
def test_a_certificate_that_does_not_hold_is_no_tier(cert):
    """evidence_tier: any other certificate verdict (or a certificate that is not a dict) is not certified."""
    assert ov.evidence_tier({"certificate": cert}) == ("float", "no higher tier recorded")
    assert ov.evidence_tier({"certificate": cert, "counterexample": {"confirmed": True}}) == (
        "confirmed", "counterexample re-decided at high precision")


@pytest.mark.parametrize("confirmed", [False, 1, "true", None])
def test_only_a_counterexample_confirmed_true_is_confirmed(confirmed):
    """evidence_tier: confirmed must be exactly True; 1, 'true', False and None fall back to float."""
    assert ov.evidence_tier({"counterexample": {"confirmed": confirmed}}) == ("float", "no higher tier recorded")


def test_no_counterexample_is_float():
    """evidence_tier: a null or missing counterexample gives float."""
    assert ov.evidence_tier({"counterexample": None}) == ("float", "no higher tier recorded")
    assert ov.evidence_tier({}) == ("float", "no higher tier recorded")


# --- frontier text ----------------------------------------------------------------------------------


def test_where_it_holds_groups_families_by_their_ranges():
    """where_it_holds: families with the same ranges share a line, in first-seen order; none → 'nowhere'."""
    entry = {"frontier": {"families": {"a": {"holds_on": [[1.0, 2.0]]}, "c": {}, "b": {"holds_on": [[1.0, 2.0]]},
                                       "d": {"holds_on": None}, "e": {"holds_on": [[3.0, 3.5], [5.0, 8.0]]}}}}
    assert ov.where_it_holds(entry) == [("a, b", "[1, 2]"), ("c, d", "nowhere"), ("e", "[3, 3.5] ∪ [5, 8]")]


def test_no_frontier_holds_nowhere_listed():
    """where_it_holds: no frontier, a null one, or one without families gives []."""
    assert ov.where_it_holds({}) == []
    assert ov.where_it_holds({"frontier": None}) == []
    assert ov.where_it_holds({"frontier": {"families": None}}) == []


def test_boundary_text_lists_each_transition():
    """boundary_text: 'lo–hi (from→to)' joined by '; ', or 'no transition in range'."""
    info = {"boundaries": [{"between": [3.011, 3.019], "from": "pass", "to": "fail"},
                           {"between": [5.0, 6.0], "from": "fail", "to": "pass"}]}
    assert ov.boundary_text(info) == "3.01–3.02 (pass→fail); 5–6 (fail→pass)"
    assert ov.boundary_text({"boundaries": []}) == "no transition in range"
    assert ov.boundary_text({}) == "no transition in range"


# --- reasons and commands ---------------------------------------------------------------------------


def test_reason_of_each_kind():
    """reason: '' for a pass; a known finding first; then the counterexample, the first note, the undecided count."""
    known = {"k": "the paper is wrong"}
    assert ov.reason({"id": "k", "verdict": "pass"}, known) == ""
    assert ov.reason({"id": "k", "verdict": "fail", "notes": ["n"], "counterexample": {"margin": 1}}, known) == (
        "known finding: the paper is wrong")
    ce = {"id": "c", "verdict": "fail", "counterexample": {"margin": -0.123456, "confirmed": True}}
    assert ov.reason(ce, known) == "counterexample with margin -0.123 (confirmed at high precision)"
    ce["counterexample"]["confirmed"] = False
    assert ov.reason(ce, known) == "counterexample with margin -0.123 (not confirmed at high precision)"
    ce["counterexample"] = {"margin": None}
    ce["notes"] = ["first note", "second"]
    assert ov.reason(ce, known) == "counterexample with margin - (no high-precision confirmation); first note"
    ce["counterexample"] = {"margin": "inf", "confirmed": "yes"}
    assert ov.reason(ce, known) == "counterexample with margin inf (no high-precision confirmation); first note"
    assert ov.reason({"id": "n", "verdict": "inconclusive", "notes": [7, "x"], "counterexample": {}}, known) == "7"
    assert ov.reason({"id": "n", "verdict": "inconclusive", "inconclusive": 3, "examples": 10, "notes": []}, {}) == (
        "3 of 10 cases undecided")
    assert ov.reason({"id": "n", "verdict": "fail"}, {}) == "0 of 0 cases undecided"


def test_reproduce_command_quotes_each_word():
    """reproduce_command: 'lrbias check ID --profile P --seed S' (seed 0 by default) plus each --variants file."""
    assert ov.reproduce_command({"id": "a.b"}, "ci") == "lrbias check a.b --profile ci --seed 0"
    assert ov.reproduce_command({"id": "a b", "seed": 7}, "smoke", ["v.py", "my v.py"]) == (
        "lrbias check 'a b' --profile smoke --seed 7 --variants v.py --variants 'my v.py'")
    assert ov.reproduce_command({"id": "x", "seed": 1}, "ci", []) == "lrbias check x --profile ci --seed 1"


def test_variants_of_reads_each_variants_argument():
    """variants_of: the word after each --variants (quoted words kept whole); a trailing flag or bad quoting → none."""
    assert ov.variants_of("lrbias check x --variants a.py --seed 1 --variants 'b c.py'") == ["a.py", "b c.py"]
    assert ov.variants_of("lrbias check --variants a.py --variants") == ["a.py"]
    assert ov.variants_of("--variants a --variants b") == ["a", "b"]
    assert ov.variants_of("lrbias check x") == []
    assert ov.variants_of("lrbias check 'x --variants a.py") == []
    assert ov.variants_of("") == []


# --- rows -------------------------------------------------------------------------------------------


def test_overview_rows_order_and_fields():
    """overview_rows: fail, inconclusive, pass, then any other verdict, each in run order; every field filled."""
    doc = {"extras": {"known_findings": {"f2": "known"}}, "entries": [
        {"id": "p1", "provenance": "paper", "verdict": "pass", "title": "P1", "starts": "box", "tier": "quad",
         "frontier": {"families": {"sq": {"holds_on": [[1.0, 2.0]]}}}, "figures": ["fig*"]},
        {"id": "x1", "provenance": "exact", "verdict": "error"},
        {"id": "f1", "provenance": "paper", "verdict": "fail", "notes": ["why"]},
        {"id": "i1", "provenance": "reconstructed", "verdict": "inconclusive", "inconclusive": 2, "examples": 5},
        {"id": "f2", "provenance": "paper", "verdict": "fail"},
        {"id": "p2", "provenance": "paper", "verdict": "pass"},
    ]}
    anchors = {e["id"]: "#" + e["id"] for e in doc["entries"]}
    rows = ov.overview_rows(doc, anchors, {"fig-1", "other"})
    assert [r["id"] for r in rows] == ["f1", "f2", "i1", "p1", "p2", "x1"]
    assert rows[3] == {"id": "p1", "anchor": "#p1", "title": "P1", "provenance": "paper", "verdict": "pass",
                       "order": 0, "starts": "box", "tier": "quad", "tier_how": "recorded",
                       "holds": [("sq", "[1, 2]")], "reason": "", "figures": ["fig-1"]}
    assert rows[0] == {"id": "f1", "anchor": "#f1", "title": "", "provenance": "paper", "verdict": "fail",
                       "order": 2, "starts": "–", "tier": "float", "tier_how": "no higher tier recorded",
                       "holds": [], "reason": "why", "figures": []}
    assert rows[1]["reason"] == "known finding: known"
    assert rows[2]["reason"] == "2 of 5 cases undecided"
    assert rows[5]["reason"] == "0 of 0 cases undecided" and rows[5]["order"] == 1


def test_overview_rows_without_known_findings():
    """overview_rows: no extras, null extras or null known_findings mean no known finding."""
    entry = {"id": "f", "provenance": "paper", "verdict": "fail", "notes": ["n"]}
    for doc in ({"entries": [entry]}, {"extras": None, "entries": [entry]},
                {"extras": {"known_findings": None}, "entries": [entry]}):
        (row,) = ov.overview_rows(doc, {"f": "a"}, set())
        assert row["reason"] == "n"


def test_verdict_order_constant():
    """ORDER: fail before inconclusive before pass."""
    assert ov.ORDER == {"fail": 0, "inconclusive": 1, "pass": 2}
