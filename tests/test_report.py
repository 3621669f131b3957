"""The HTML report: valid page, resolving links and images, schema, atomic writing, diff."""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from lrbias.claims.profiles import PROFILES
from lrbias.claims.results import load_document, validate
from lrbias.cli import main
from lrbias.outputs import write_manifest
from lrbias.report import build as report_build
from lrbias.report import job
from lrbias.report.diff import diff_documents
from lrbias.report.page import nn_rows, render


class PageParser(HTMLParser):
    """Collects ids, links, images and checks that tags nest."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "mspace", "col", "area", "base", "source"})

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.images, self.stack, self.errors = set(), [], [], [], []
        self.math = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            if a["id"] in self.ids:
                self.errors.append(f"duplicate id {a['id']}")
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "img":
            self.images.append(a)
        if tag == "math":
            self.math += 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()


@pytest.fixture
def report_dir(page_report):
    """The session's page report (tests/conftest.py: built once per test session, read-only)."""
    return page_report


def test_page_is_well_formed_and_links_resolve(report_dir):
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    parser = PageParser()
    parser.feed(page)
    assert not parser.errors, parser.errors[:5]
    assert not parser.stack, f"unclosed tags {parser.stack}"
    for href in parser.hrefs:
        if href.startswith("#"):
            assert href[1:] in parser.ids, f"anchor {href} does not resolve"
        else:
            assert not href.startswith(("http:", "https:", "//")), f"network link {href}"
            assert (report_dir / href).exists(), f"link {href} does not resolve"
    assert parser.images, "no figures"
    for img in parser.images:
        assert img.get("alt"), f"image without alt text {img}"
        path = report_dir / img["src"]
        assert path.exists() and path.stat().st_size > 1000 and path.read_text().lstrip().startswith("<svg")
    assert parser.math >= 5, "math not rendered as MathML"
    # one small inline script (the overview's optional sorting, tested without JavaScript too): nothing fetched
    assert re.findall(r"<script[^>]*>", page) == ["<script>"]
    assert "https://" not in page.replace("https://json-schema.org", "")


def test_page_shows_the_summary_and_every_claim(report_dir):
    doc = load_document(report_dir / "results.json")
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    assert doc["command"] in page.replace("&#39;", "'")
    for entry in doc["entries"]:
        assert f'id="claim-{entry["id"].replace(".", "-")}"' in page
    assert "constants of reconstructed claims are ours" in page
    counted = {v: sum(e["verdict"] == v for e in doc["entries"]) for v in ("pass", "fail", "inconclusive")}
    assert doc["summary"]["by_verdict"] == counted and doc["summary"]["total"] == len(doc["entries"])
    by_prov = {}
    for e in doc["entries"]:
        by_prov.setdefault(e["provenance"], dict.fromkeys(counted, 0))[e["verdict"]] += 1
    assert doc["summary"]["by_provenance"] == by_prov
    summary = page[page.index('id="summary"'):page.index('id="claims"')]
    for verdict, n in counted.items():
        shown = re.findall(rf'class="verdict-{verdict}"[^>]*>(?:<strong>)?(\d+)<', summary)
        assert str(n) in shown, f"summary shows {shown} for {verdict}, the entries count {n}"


def test_results_match_the_json_schema(report_dir):
    schema = json.loads(resources.files("lrbias.claims").joinpath("results.schema.json").read_text())
    doc = json.loads((report_dir / "results.json").read_text())
    jsonschema.validate(doc, schema)
    broken = copy.deepcopy(doc)
    broken["entries"][0]["verdict"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    assert validate(broken)


def test_crash_mid_run_leaves_old_report_intact(report_dir, tmp_path, monkeypatch):
    out = tmp_path / "latest"
    out.mkdir()
    (out / "index.html").write_text("OLD REPORT")
    write_manifest(out)  # a report folder (issue 26: index.html alone no longer makes one)

    def boom():
        raise RuntimeError("crash while drawing")

    real = report_build.figure_jobs
    monkeypatch.setattr(report_build, "figure_jobs", lambda extras: [*real(extras)[:1], ("x", "x", boom)])
    with pytest.raises(RuntimeError):
        report_build.build_report(out, [], "smoke", 0, "lrbias report", 0.0, progress=None)
    assert (out / "index.html").read_text() == "OLD REPORT"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest"], "staging folder left behind"


@pytest.mark.slow
def test_kill_mid_run_leaves_old_report_intact(tmp_path):
    out = tmp_path / "latest"
    out.mkdir()
    (out / "index.html").write_text("OLD REPORT")
    write_manifest(out)
    # one entry (the extras and figures are what a kill while writing must not tear); --no-cache: figures
    # read from the session's disk cache would be written faster than this loop looks
    proc = subprocess.Popen([sys.executable, "-m", "lrbias.cli", "report", "exact.product-update", "--out", str(out),
                             "--profile", "smoke", "--no-nn", "--no-cache"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 600  # a loaded 2-core machine took 142 s to reach it
    while time.time() < deadline and not list(tmp_path.glob(".latest.tmp-*/figures")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".latest.tmp-*/figures")), "the run never reached the writing stage"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (out / "index.html").read_text() == "OLD REPORT"
    assert sorted(p.name for p in out.iterdir()) == [".lrbias-report", "index.html"]


@pytest.mark.parametrize("kind", ["file", "foreign folder"])
def test_report_refuses_an_output_that_is_not_a_report_before_any_work(tmp_path, capsys, monkeypatch, kind):
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("mine")
    else:
        out.mkdir()
        (out / "thesis.tex").write_text("mine")
    monkeypatch.setattr(job, "run_selection", lambda *a, **k: pytest.fail("ran before checking --out"))
    assert main(["report", "--out", str(out), "--profile", "smoke", "--no-nn"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--out {out}" in err and "Traceback" not in err
    assert (out.read_text() if kind == "file" else (out / "thesis.tex").read_text()) == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_pytest_plugin_refuses_a_foreign_folder_at_startup(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/test_catalogue.py", "-q", "-p", "no:cacheprovider",
                           "-k", "exact.invariant-lines", f"--lrbias-report={out}"],
                          capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent.parent)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout[-2000:]
    assert "--lrbias-report" in proc.stderr and "does not hold an lrbias report" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_report_extras_follow_the_run(monkeypatch):
    calls = []
    monkeypatch.setattr(job, "nn_extras", lambda ids: {"grids": {i: [] for i in ids}})
    monkeypatch.setattr("lrbias.claims.phase.compute_phase_diagram",
                        lambda families, n, seed: calls.append((n, seed)) or {"rows": []})
    monkeypatch.setattr("lrbias.claims.phasemap.compute_start_phase_map",
                        lambda families, n, seed: calls.append((n, seed)) or {"families": []})
    monkeypatch.setattr("lrbias.report.certified.certified_samples", lambda: [{"certified": "stub"}])
    assert job.report_extras([{"id": "exact.y", "group": "exact"}], PROFILES["smoke"], 3) == {
        "phase_diagram": {"rows": []}, "start_phase_map": {"families": []},
        "certified": [{"certified": "stub"}]}
    extras = job.report_extras([{"id": "nn.x", "group": "nn"}, {"id": "exact.y", "group": "exact"}],
                               PROFILES["smoke"], 3)
    assert extras == {"nn": {"grids": {"nn.x": []}}, "phase_diagram": {"rows": []},
                      "start_phase_map": {"families": []}, "certified": [{"certified": "stub"}]}
    assert calls == [(PROFILES["smoke"].frontier_starts, 3)] * 4


def test_a_variant_group_gets_its_figures(monkeypatch):
    """The phase diagram and the start-imbalance maps cover the families the loaded groups declare: the
    built-in ones (theorems/dynamics.py) and a TOML variant's, whose claims link to those figures."""
    from lrbias.claims.catalogue import load_groups
    from lrbias.report.overview import figures_for
    from theorems.dynamics import MAP_FAMILIES, PHASE_FAMILIES

    asked = {}
    monkeypatch.setattr("lrbias.claims.phase.compute_phase_diagram",
                        lambda families, n, seed: asked.setdefault("phase", families) and {"rows": []})
    monkeypatch.setattr("lrbias.claims.phasemap.compute_start_phase_map",
                        lambda families, n, seed: asked.setdefault("map", families) and {"families": []})
    variant = Path(__file__).resolve().parents[1] / "examples" / "huber_like_eos.toml"
    soft = ("soft-huber:delta=0.5", "soft-huber:delta=1")
    job.report_extras([], PROFILES["smoke"], 0, load_groups(include_nn=False))
    assert asked == {"phase": PHASE_FAMILIES, "map": MAP_FAMILIES}
    asked.clear()
    groups = load_groups(include_nn=False, variants=[str(variant)])
    job.report_extras([], PROFILES["smoke"], 0, groups)
    assert asked == {"phase": PHASE_FAMILIES + soft, "map": MAP_FAMILIES + soft}
    entry = groups[-1].entries[0]
    available = {"phase", "eos", *(f"start-map-{i}" for i in range(len(MAP_FAMILIES) + 2))}
    record = {"id": entry.id, "figures": list(entry.figures)}
    assert figures_for(record, available)[0] == "phase" and "start-map-6" in figures_for(record, available)


def test_nn_section_is_rendered_from_the_extras(report_dir):
    doc = load_document(report_dir / "results.json")
    nn = {"grids": {"tanh-mse": [{"lr": 0.2, "summary": {
        "outcome": "completed", "steps_run": 1000, "sharpness_final": 9.5, "two_over_lr": 10.0, "ratio_final": 0.95,
        "loss_max_over_start": 1.7, "norm_gap_start": 14.0, "norm_gap_final": None}}]}}
    page = render(doc, [], [], nn_rows(nn))
    parser = PageParser()
    parser.feed(page)
    assert not parser.errors and "nn" in parser.ids and "#nn" in parser.hrefs
    assert "tanh-mse" in page and "0.95" in page and "14 → –" in page
    assert 'id="nn"' not in render(doc, [], [], nn_rows(None))


def _doc_with(report_dir, verdict, margin):
    doc = json.loads((report_dir / "results.json").read_text())
    doc["entries"][0]["verdict"] = verdict
    doc["entries"][0]["worst_margin"] = margin
    return doc


def test_diff_detects_a_known_flip(report_dir, tmp_path, capsys):
    old = _doc_with(report_dir, "pass", 10.0)
    new = _doc_with(report_dir, "fail", -1.0)
    d = diff_documents(old, new)
    assert [f["id"] for f in d.regressions] == [old["entries"][0]["id"]]
    assert d.margins and d.margins[0]["change"] == -11.0
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    html_out = tmp_path / "diff.html"
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--html", str(html_out)]) == 1
    assert "REGRESSION" in capsys.readouterr().out
    assert "regression" in html_out.read_text()
    assert main(["diff", str(tmp_path / "new.json"), str(tmp_path / "old.json")]) == 0
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "old.json")]) == 0
    assert "no changes" in capsys.readouterr().out


def test_diff_bad_input(tmp_path, capsys):
    (tmp_path / "bad.json").write_text('{"schema": "other"}')
    assert main(["diff", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")]) == 2
    assert main(["diff", str(tmp_path / "missing.json"), str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "not a lrbias results document" in err and "no such results file" in err


@pytest.mark.slow
def test_pytest_lrbias_report_option(tmp_path):
    """`pytest --lrbias-report DIR` writes the report of the catalogue entries it ran."""
    out = tmp_path / "from-pytest"
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/test_catalogue.py", "-q", "-p",
                           "no:cacheprovider", "-k", "test_catalogue_entry and exact.",
                           "--hypothesis-profile=lrbias-ci", f"--lrbias-report={out}"],
                          capture_output=True, text=True, timeout=600, cwd=Path(__file__).parent.parent)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "lrbias report written to" in proc.stdout
    doc = load_document(out / "results.json")
    assert {e["id"] for e in doc["entries"]} >= {"exact.balancing-identity", "exact.invariant-lines"}
    assert "-k 'test_catalogue_entry and exact.'" in doc["command"]  # the Reproduce line keeps the selection
    assert (out / "index.html").exists()


def test_report_extras_without_python_flint_leave_the_certified_tier_out(monkeypatch):
    """`pip install -e .` (no flint extra) + `lrbias report --no-nn` must not fail at the end of the run."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "flint" else real(name, *a))
    monkeypatch.setattr("lrbias.claims.phase.compute_phase_diagram", lambda families, n, seed: {"rows": []})
    monkeypatch.setattr("lrbias.claims.phasemap.compute_start_phase_map", lambda families, n, seed: {"families": []})
    monkeypatch.setattr("lrbias.report.certified.certified_samples", lambda: pytest.fail("certify was called"))
    extras = job.report_extras([{"id": "exact.y", "group": "exact"}], PROFILES["smoke"], 3)
    assert "certified" not in extras and extras["phase_diagram"] == {"rows": []}
