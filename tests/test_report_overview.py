"""The page as a researcher reads it: overview, explained failures, history, rounding, math that renders.

``tests/data/nn-failure-results.json`` is the results document of a real run (its ``command`` says
which: the NN claim that fails as a known finding, plus two claims with frontiers, smoke profile).
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
import matplotlib
import pytest
from fontTools.ttLib import TTFont

from lrbias.claims.catalogue import load_entries, load_groups
from lrbias.claims.results import environment, git_state
from lrbias.cli import main
from lrbias.losses.families import builtin_specs, get_family
from lrbias.losses.symbolic import to_elementary
from lrbias.report.build import figure_jobs
from lrbias.report.diff import diff_documents, format_text
from lrbias.report.estimate import describe_estimate
from lrbias.report.job import known_findings
from lrbias.report.mathml import latex_to_mathml, sympy_to_mathml
from lrbias.report.numbers import format_ranges, format_span, round_sig
from lrbias.report.overview import evidence_tier, figures_for, overview_rows, start_distribution
from lrbias.report.page import FigureRef, anchor, render

DATA = Path(__file__).parent / "data" / "nn-failure-results.json"
FAILING = "nn.bn-restores-eos"


DECLARED = {e.id: e for g in load_groups() for e in g.entries}


@pytest.fixture
def doc():
    """The stored document, its records given the figures their entries declare now (it predates the field)."""
    d = json.loads(DATA.read_text(encoding="utf-8"))
    d["extras"]["known_findings"] = known_findings(e["id"] for e in d["entries"])
    for e in d["entries"]:
        e["figures"] = list(DECLARED[e["id"]].figures)
    return d


class Rows(HTMLParser):
    """The overview table's rows as lists of (cell text, links in the cell)."""

    def __init__(self):
        super().__init__()
        self.rows, self.inside, self.ids = [], False, set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "table" and a.get("id") == "overview-table":
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.rows[-1].append(["", []])
        elif self.inside and tag == "a" and self.rows and self.rows[-1]:
            self.rows[-1][-1][1].append(a["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.inside and self.rows and self.rows[-1]:
            self.rows[-1][-1][0] += data


def _figures(doc):
    return [FigureRef(name, f"figures/{name}.svg", "alt", caption, 600, 400)
            for name, caption, _ in figure_jobs(doc["extras"])]


def test_spans_are_never_rounded_into_one_number():
    assert format_span(3.0101, 3.0149) == "3.01–3.015"
    assert format_span(3.01000001, 3.01000002) != "3.01–3.01"
    a, b = format_span(3.01000001, 3.01000002).split("–")
    assert a != b
    assert format_span(2.0, 2.0) == "2"
    assert format_ranges([[0.5, 15.999999999999998]]) == "[0.5, 16]"
    assert format_ranges([]) == "nowhere"
    assert round_sig(7.999999999999998) == 8


def test_overview_puts_failures_first_and_says_where_each_claim_holds(doc):
    page = render(doc, _figures(doc))
    parser = Rows()
    parser.feed(page)
    header, *rows = parser.rows
    assert [c[0].strip() for c in header][:4] == ["claim", "provenance", "verdict", "evidence tier"]
    assert len(rows) == len(doc["entries"])
    first = rows[0]
    assert first[0][0].strip() == FAILING and first[2][0].strip() == "fail"
    assert "known finding" in first[4][0] and f"#explain-{anchor(FAILING)}" in first[4][1]
    for row in rows:
        target = row[0][1][0]
        assert target.startswith("#") and target[1:] in parser.ids
        for href in row[-1][1]:
            assert href[1:] in parser.ids, href
    eos = next(r for r in rows if r[0][0].strip() == "sharpness.edge-of-stability-good-regularity")
    holds = eos[4][0]
    assert "[3.07, 17.9]" in holds and "nowhere" in holds and "logcosh" in holds
    assert ">start distribution</th>" not in page  # no entry records one: no empty column


def test_overview_reads_start_distributions_and_tiers_when_recorded(doc):
    doc = copy.deepcopy(doc)
    doc["entries"][1]["start_distribution"] = {"label": "uniform box [0.5, 4]², common signs"}
    doc["entries"][2]["tier"] = "quad"
    page = render(doc, _figures(doc))
    assert ">start distribution</th>" in page and "uniform box [0.5, 4]², common signs" in page
    rows = {r["id"]: r for r in overview_rows(doc, {e["id"]: anchor(e["id"]) for e in doc["entries"]}, set())}
    assert rows[doc["entries"][2]["id"]]["tier"] == "quad"
    assert start_distribution({"starts": "gaussian"}) == "gaussian" and start_distribution({}) == "–"
    assert evidence_tier({"counterexample": {"confirmed": True}})[0] == "confirmed"
    assert evidence_tier({"certificate": {"verdict": "pass"}})[0] == "certified"
    assert evidence_tier({"evidence_tier": {"name": "mpmath"}})[0] == "mpmath"
    assert evidence_tier({"counterexample": {"confirmed": None}}) == ("float", "no higher tier recorded")


def test_failure_is_explained_with_its_deciding_runs(doc):
    page = render(doc, _figures(doc))
    start = page.index(f'id="explain-{anchor(FAILING)}"')
    section = page[start:page.index("</article>", start)]
    assert "Known finding:" in section and str(markupsafe.escape(known_findings([FAILING])[FAILING])) in section
    assert "ratio_median" in section and "loss_fell" in section and "share_in_band" in section
    assert section.count("<polyline") == len(doc["extras"]["nn"]["grids"]["cubic-bn-mse"])
    assert "drawn at the top edge" in section  # the early sharpness spike is said to be clipped
    assert "lrbias check nn.bn-restores-eos --profile smoke --seed 0" in section


def test_replay_command_and_per_claim_reproduce(doc):
    doc = copy.deepcopy(doc)
    e = doc["entries"][1]
    e["verdict"], e["counterexample"] = "fail", {
        "case": ["square", [1.5, 0.5], 0.25], "margin": -2.5, "detail": {"residual": 1e-3},
        "confirmed": True, "confirmation": {"verdict": "fail"},
        "replay": "lrbias run --loss square --x0 1.5 --y0 0.5 --h 0.25 --steps 1"}
    page = render(doc, _figures(doc))
    assert "Replay the deciding case: <code>lrbias run --loss square" in page
    assert f"lrbias check {e['id']} --profile smoke --seed {e['seed']}" in page
    assert page.count('class="failure"') == 2


def test_every_figure_is_referenced_from_a_claim(doc):
    names = {n for n, _, _ in figure_jobs({"nn": {"grids": {}}, "phase_diagram": {"rows": []}}) }
    declared = [{"figures": list(e.figures)} for e in DECLARED.values()]
    assert names <= {f for e in declared for f in figures_for(e, names)}
    page = render(doc, _figures(doc))
    for f in _figures(doc):
        caption = re.search(rf'<figure id="fig-{f.name}">.*?</figure>', page, re.S).group(0)
        if any(figures_for(e, {f.name}) for e in doc["entries"]):
            assert 'href="#claim-' in caption, f.name


def test_environment_records_the_git_commit_and_dirty_flag(doc):
    state = git_state()
    if state is None:
        pytest.skip("not a git checkout")
    assert re.fullmatch(r"[0-9a-f]{40}", state["commit"]) and isinstance(state["dirty"], bool)
    assert environment()["git"] == state
    doc = copy.deepcopy(doc)
    doc["environment"]["git"] = {"commit": "a" * 40, "dirty": True}
    assert "with uncommitted changes" in render(doc, [])


def _old_default(doc):
    old = copy.deepcopy(doc)
    old["profile"] = "default"
    entry = next(e for e in old["entries"] if e["id"] == "sharpness.edge-of-stability-good-regularity")
    nowhere = [f for f, info in entry["frontier"]["families"].items() if not info["holds_on"]]
    assert nowhere, "the smoke run has a family where the claim holds nowhere"
    entry["frontier"]["families"][nowhere[0]]["holds_on"] = [[11.6, 18.0]]
    return old, nowhere[0]


def test_diff_counts_a_vanished_frontier_and_warns_on_profiles(doc, tmp_path, capsys):
    old, family = _old_default(doc)
    d = diff_documents(old, doc)
    vanished = [r for r in d.regressions if r.get("family") == family]
    assert vanished and vanished[0]["vanished"] and vanished[0]["old_size"] == pytest.approx(6.4)
    assert any("profiles differ: default -> smoke" in w for w in d.warnings)
    text = format_text(d)
    assert "VANISHED" in text and "1 regression(s)" in text and "NOT like for like" in text
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert main(["diff", str(tmp_path / "old.json"), str(DATA)]) == 1
    err = capsys.readouterr().err
    assert "WARNING: profiles differ" in err
    assert main(["diff", str(DATA), str(DATA)]) == 0


def test_diff_tolerance_on_a_shrinking_frontier(doc):
    old = copy.deepcopy(doc)
    entry = next(e for e in old["entries"] if e["frontier"])
    _family, info = next((f, i) for f, i in entry["frontier"]["families"].items() if i["holds_on"])
    lo, hi = info["holds_on"][0]
    info["holds_on"] = [[lo, hi + 0.05 * (hi - lo)]]  # the new run holds on 1/1.05 of it: within 10 %
    assert not diff_documents(old, doc, frontier_tol=0.1).regressions
    assert diff_documents(old, doc, frontier_tol=0.01).regressions
    info["holds_on"] = [[lo, hi + 7.999999999999998]]
    text = format_text(diff_documents(old, doc))
    assert "7.999999999999998" not in text and "REGRESSION: frontier" in text


def _glyphs() -> set[int]:
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")
    return set(TTFont(path).getBestCmap())


def _missing(markup: str, covered: set[int]) -> set[str]:
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return {c for c in text if ord(c) > 127 and ord(c) not in covered and not c.isspace()}


def test_every_formula_uses_only_characters_common_fonts_have():
    """Glyph coverage: DejaVu Sans (matplotlib's font, the usual Linux default) has every character."""
    covered = _glyphs()
    from latex2mathml.converter import convert

    assert _missing(convert(r"a \not\to b"), covered) == {"\u29f8"}  # the check sees the original bug
    for entry in load_entries(include_nn=False):
        if entry.latex:
            assert not _missing(latex_to_mathml(entry.latex), covered), entry.id
    for spec in builtin_specs():
        assert not _missing(sympy_to_mathml(to_elementary(get_family(spec).display_expr)), covered), spec


def test_negations_render_as_precomposed_symbols():
    assert "↛" in latex_to_mathml(r"(x_k, y_k) \not\to \{xy = 1\}")
    assert "≠" in html.unescape(latex_to_mathml(r"a \not= b"))
    for entry in load_entries(include_nn=False):  # no catalogue formula keeps the glyph that read as "□→"
        assert "29F8" not in latex_to_mathml(entry.latex).upper() and "\u29f8" not in latex_to_mathml(entry.latex)


def test_piecewise_losses_print_as_cases():
    markup = sympy_to_mathml(to_elementary(get_family("huber:delta=1").display_expr))
    assert "<mtable" in markup and "otherwise" in markup and markup.count("<mtr>") == 2
    assert "True" not in markup and "piecewise" not in markup.lower().replace("mtable", "")


def test_report_estimate_is_labelled_and_per_section():
    record = {"meta": {"machine": "2 cores, loaded"},
              "profiles": {"smoke": {"entries": {"exact.cone": 0.5, "nn.bn-restores-eos": 100.0},
                                     "extras_s": 20.0, "figures_s": 10.0}}}
    text = describe_estimate(["exact.cone", "nn.bn-restores-eos", "mine.new"], "smoke", record)
    assert "ESTIMATE" in text and "2 cores, loaded" in text
    assert "claims: nn" in text and "~1.7 min" in text and "~20 s" in text and "figures and page" in text
    assert "1 entry without a measurement: mine.new" in text and "2.2 min" in text
    assert "no recorded measurement for profile 'thorough'" in describe_estimate(["exact.cone"], "thorough", record)


def test_each_claim_shows_the_precision_tiers_coverage(doc):
    """A confirmation's coverage line (quad / mpmath tiers) reaches the claim's evidence table."""
    doc = copy.deepcopy(doc)
    line = "coverage 100% of 7 runs: 7 by quad, 0 escalated to mpmath (0 confirmed), 0 flips"
    doc["entries"][0]["coverage"] = [line]
    page = render(doc, _figures(doc))
    first, second = (anchor(e["id"]) for e in doc["entries"][:2])
    section = page[page.index(f'<article class="claim {doc["entries"][0]["verdict"]}" id="{first}"'):]
    assert line in section[:section.index("</article>")]
    other = page[page.index(f'id="{second}"'):]
    assert "no high-precision confirmation was needed" in other[:other.index("</article>")]


def test_an_nn_entry_s_budget_check_and_rival_render_as_json_writes_them(doc):
    """An NN failure caused by a diverged run has margin -inf, which JSON writes as "-inf": the budget row
    renders it (the merged main's report crashed here), and the rival names its refuting runs and tier."""
    doc = copy.deepcopy(doc)
    entry = next(e for e in doc["entries"] if e["id"] == FAILING)
    entry["budget"] = {"factor": 4, "stable": True, "cases": [{
        "case": ["cubic-bn-mse@digits"], "at_budget": {"verdict": "fail", "margin": "-inf"},
        "at_larger": {"verdict": "fail", "margin": "-inf"}}]}
    how = "float64 GD and HVPs re-trained 2 deciding run(s): a@digits at 2·2/S0, b@digits at 2·2/S0"
    entry["rival"] = {"statement": "BatchNorm changes nothing", "refuted": True, "verdict": "fail",
                      "counterexample": {"case": ["a@digits", "b@digits"],
                                         "detail": {"deciding": [["a@digits", 2.0], ["b@digits", 2.0]]},
                                         "confirmation": {"verdict": "fail", "confirmation": how}}}
    page = render(doc, _figures(doc))
    assert "fail (margin -inf) → fail (margin -inf)" in page
    assert "a@digits at 2·2/S0; b@digits at 2·2/S0</code>, confirmed " + how in page
