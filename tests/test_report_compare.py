"""`lrbias report --compare OLD.json`: a default-profile run against a smoke run, as the issue asks.

The old document is a real run's (``lrbias check ... --json``) with its profile set to ``default`` and
a frontier where the smoke run finds none set to hold on [11.6, 18] (what a ``default`` run reported),
so the new smoke run must warn about the profile change and show that frontier as vanished.
"""

from __future__ import annotations

import json

from lrbias.cli import main

CLAIM = "sharpness.edge-of-stability-good-regularity"


def test_report_compare_warns_on_profiles_and_shows_a_vanished_frontier(tmp_path, capsys):
    old_path = tmp_path / "old.json"
    assert main(["check", CLAIM, "--profile", "smoke", "--json", str(old_path), "--quiet"]) == 0
    old = json.loads(old_path.read_text())
    families = old["entries"][0]["frontier"]["families"]
    nowhere = [f for f, info in families.items() if not info["holds_on"]]
    assert nowhere, "precondition: the smoke run finds a family where the claim holds nowhere"
    families[nowhere[0]]["holds_on"] = [[11.6, 18.0]]
    old["profile"] = "default"
    old_path.write_text(json.dumps(old))
    capsys.readouterr()

    out = tmp_path / "report"
    assert main(["report", CLAIM, "--profile", "smoke", "--no-nn", "--out", str(out),
                 "--compare", str(old_path)]) == 0
    captured = capsys.readouterr()
    assert "WARNING: not like for like: profiles differ: default -> smoke" in captured.err
    assert "1 regression(s)" in captured.out
    page = (out / "index.html").read_text(encoding="utf-8")
    section = page[page.index('id="comparison"'):page.index("</section>", page.index('id="comparison"'))]
    assert "Not like for like:" in section and "profiles differ: default -&gt; smoke" in section
    assert "regression: frontier vanished" in section and nowhere[0] in section
    assert "[11.6, 18] → nowhere" in section and "size 6.4 → 0 in κ" in section
    assert "--compare" in page  # the reproduce line keeps it
    doc = json.loads((out / "results.json").read_text())
    assert doc["extras"]["comparison"]["diff"]["regressions"][0]["family"] == nowhere[0]
