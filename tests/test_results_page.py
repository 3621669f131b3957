"""The results document and the page on a hand-made selection with one verdict of each kind.

Fast (no sweep, no figure): three toy entries run through the real runner and record builder,
then summarised and rendered.  The counts must include every verdict and each claim's badge
must show its own verdict.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import strategies as st

from lrbias.claims.entry import Entry
from lrbias.claims.profiles import PROFILES
from lrbias.claims.results import VERDICTS, build_document, summarise
from lrbias.claims.runner import run_entry
from lrbias.claims.session import entry_record
from lrbias.report.diff import diff_documents, format_text
from lrbias.report.page import render
from lrbias.verdict import fail, inconclusive, passed

PROFILE = PROFILES["smoke"]
CONCLUSIONS = {"pass": lambda n: passed(1.0), "fail": lambda n: fail(-1.0),
               "inconclusive": lambda n: inconclusive("never decided")}
PROVENANCE = {"pass": "exact", "fail": "exact", "inconclusive": "paper"}


def toy(verdict: str) -> Entry:
    return Entry(id=f"toy.{verdict}", title=f"a claim that ends {verdict}", statement="toy", latex="",
                 provenance=PROVENANCE[verdict], hypotheses=st.integers(0, 9), conclusion=CONCLUSIONS[verdict])


@pytest.fixture(scope="module")
def records() -> list[dict]:
    out = []
    for verdict in ("pass", "fail", "fail", "inconclusive"):
        entry = toy(verdict)
        result = run_entry(entry, PROFILE)
        assert result.verdict == verdict
        out.append(entry_record(entry, result, PROFILE))
    return out


def test_summary_counts_every_verdict(records):
    summary = summarise(records)
    assert summary["total"] == 4
    assert summary["by_verdict"] == {"pass": 1, "fail": 2, "inconclusive": 1}
    assert summary["by_provenance"] == {"exact": {"pass": 1, "fail": 2, "inconclusive": 0},
                                        "paper": {"pass": 0, "fail": 0, "inconclusive": 1}}
    # a verdict no record has is counted as 0 (every verdict is a key), and a provenance seen only with
    # one verdict still lists the others at 0
    part = summarise(records[1:3])
    assert part["total"] == 2
    assert part["by_verdict"] == {"pass": 0, "fail": 2, "inconclusive": 0}
    assert part["by_provenance"] == {"exact": {"pass": 0, "fail": 2, "inconclusive": 0}}


def _article(page: str, entry_id: str) -> str:
    anchor = "claim-" + entry_id.replace(".", "-")
    match = re.search(rf'<article[^>]*id="{anchor}".*?</article>', page, re.S)
    assert match, f"no article for {entry_id}"
    return match.group(0)


def _verdict_labels(html: str) -> list[str]:
    """The texts of the elements styled as a verdict (class verdict-…) in ``html``."""
    return [text.strip() for text in re.findall(r'class="[^"]*\bverdict-\w+[^"]*"[^>]*>([^<]*)<', html)]


def test_each_claim_shows_its_own_verdict_and_the_summary_its_counts(records):
    doc = build_document(records, PROFILE.name, 0, "lrbias check toy", 1.0)
    page = render(doc, [])
    for verdict in ("pass", "fail", "inconclusive"):
        labels = _verdict_labels(_article(page, f"toy.{verdict}"))
        assert labels and set(labels) == {verdict}, (verdict, labels)
    summary_html = page[page.index('id="summary"'):page.index('id="claims"')]
    for verdict in VERDICTS:
        cells = re.findall(rf'class="verdict-{verdict}"[^>]*>(?:<strong>)?(\d+)<', summary_html)
        assert str(doc["summary"]["by_verdict"][verdict]) in cells, (verdict, cells)


def test_diff_tells_a_regression_from_an_improvement(records):
    old = build_document(records, PROFILE.name, 0, "old", 1.0)
    new = json.loads(json.dumps(old))
    by_id = {e["id"]: e for e in new["entries"]}
    by_id["toy.pass"]["verdict"] = "fail"           # regression
    by_id["toy.inconclusive"]["verdict"] = "pass"   # improvement
    d = diff_documents(old, new)
    assert {f["id"]: f["regression"] for f in d.flips} == {"toy.pass": True, "toy.inconclusive": False}
    assert [f["id"] for f in d.regressions] == ["toy.pass"]
    assert format_text(d).splitlines()[-1].startswith("1 regression(s)")
