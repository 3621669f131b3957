"""The README and the documentation site: built strictly, complete, tested, and every timing figure recorded.

- ``mkdocs build --strict`` succeeds (broken links, missing API references fail it) and its API
  pages carry an anchor for every name of ``lrbias.__all__``;
- the README stays short, starts each command with a virtual environment, carries the exact test
  command of ``.ci/run`` and no machine-specific path or session history;
- the tutorial's Python code runs as written in a fresh process;
- every timing figure between markers equals what ``benchmarks/render_timings.py`` renders from its
  recording, every marker names a recording, and no timing figure stands outside the markers.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import lrbias

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
API_PAGES = sorted((DOCS / "api").glob("*.md"))
README_MAX_BYTES = 12_000
VENV = "python3 -m venv .venv && . .venv/bin/activate && "


def _renderer():
    spec = importlib.util.spec_from_file_location("render_timings", ROOT / "benchmarks" / "render_timings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RT = _renderer()


# --- the API pages --------------------------------------------------------------------------------

def directives(pages: list[Path]) -> set[str]:
    """The names that ``::: lrbias.NAME`` directives of the pages document."""
    found = set()
    for page in pages:
        found |= set(re.findall(r"^::: lrbias\.([A-Za-z_]\w*)\s*$", page.read_text(encoding="utf-8"), flags=re.M))
    return found


def missing_from(documented: set[str], front: list[str]) -> list[str]:
    return sorted(set(front) - documented)


def test_api_pages_name_every_public_name_and_nothing_else():
    documented = directives(API_PAGES)
    assert missing_from(documented, lrbias.__all__) == [], "add the names to a page under docs/api/"
    assert documented - set(lrbias.__all__) == set(), "docs/api/ documents names that are not on the front"


def test_the_completeness_check_catches_a_missing_name():
    documented = directives(API_PAGES)
    assert missing_from(documented, [*lrbias.__all__, "a_new_public_name"]) == ["a_new_public_name"]
    assert missing_from(documented - {"certify"}, lrbias.__all__) == ["certify"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    for module in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python", "material"):
        pytest.importorskip(module, reason="the docs extra is not installed: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr[-6000:]
    return out


def test_mkdocs_build_strict_passes(site):
    assert (site / "index.html").is_file()
    for page in ("catalogue", "variants", "engines", "certificates", "nn", "report", "scaleout", "benchmarks",
                 "design", "testing"):
        assert (site / page / "index.html").is_file(), page


def test_built_api_pages_show_every_public_name(site):
    html = "".join(p.read_text(encoding="utf-8") for p in (site / "api").rglob("index.html"))
    anchors = set(re.findall(r'id="lrbias\.([A-Za-z_]\w*)"', html))
    assert missing_from(anchors, lrbias.__all__) == []


def test_built_api_pages_list_enum_members_and_module_functions_and_hide_private_fields(site):
    html = "".join(p.read_text(encoding="utf-8") for p in (site / "api").rglob("index.html"))
    for member in ("Verdict.PASS", "Verdict.INCONCLUSIVE", "Outcome.CONVERGED", "Outcome.PRECISION_LOST"):
        assert f'id="lrbias.{member}"' in html, member
    assert 'id="lrbias.objective.hessian"' in html and 'id="lrbias.strategies.points"' in html
    assert not re.search(r'id="lrbias\.[\w.]*\._[a-z]', html), "a private member is shown"
    assert not re.search(r":(?:class|func|data|mod|meth):<code>", html), "a reST role is shown as text"


def test_design_page_includes_design_md(site):
    text = (site / "design" / "index.html").read_text(encoding="utf-8")
    first_heading = next(line for line in (ROOT / "DESIGN.md").read_text(encoding="utf-8").splitlines()
                         if line.startswith("## "))
    assert first_heading[3:].split("(")[0].strip()[:30] in text


# --- the README -----------------------------------------------------------------------------------

def ci_test_command() -> str:
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines[-1]


def test_readme_is_short():
    assert len(README.read_bytes()) <= README_MAX_BYTES


def test_readme_test_command_is_exactly_the_last_line_of_ci_run():
    command = ci_test_command()
    assert command.startswith(VENV)
    assert command in README.read_text(encoding="utf-8").splitlines()


def test_readme_commands_start_with_a_venv():
    text = README.read_text(encoding="utf-8")
    installs = [ln for ln in text.splitlines() if "pip install" in ln and not ln.startswith(("|", "-", "  "))]
    assert installs, "the README shows no install command"
    code = [ln for ln in installs if not re.search(r"`[^`]*pip install", ln)]
    assert code and all(ln.startswith(VENV) for ln in code), code
    assert any("lrbias report" in ln for ln in code)


@pytest.mark.parametrize("pattern", [r"/opt/", r"/work/", r"/home/", r"\.whl\b", r"shared environment",
                                     r"\bthis round\b", r"earlier round", r"final main", r"this session"])
def test_readme_and_docs_have_no_machine_paths_or_history(pattern):
    for path in [README, ROOT / "DESIGN.md", *sorted(DOCS.rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(pattern, text, flags=re.I), f"{path.relative_to(ROOT)}: {pattern}"


def test_readme_links_resolve():
    text = README.read_text(encoding="utf-8")
    targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t]
    assert targets
    for target in targets:
        assert (ROOT / target).exists(), target


# --- the tutorial ---------------------------------------------------------------------------------

def python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_tutorial_code_runs_as_written_in_a_fresh_process(tmp_path):
    blocks = python_blocks(DOCS / "variants.md")
    assert blocks, "docs/variants.md has no python code block"
    variant = tmp_path / "variant.py"
    variant.write_text("\n".join(blocks), encoding="utf-8")
    probe = ("import json, runpy, sys; ns = runpy.run_path(sys.argv[1]); "
             "from lrbias import get_family; "
             "print(json.dumps({'ids': [e.id for e in ns['ENTRIES']], "
             "'family': get_family('soft-huber:delta=0.5') is not None}))")
    proc = subprocess.run([sys.executable, "-c", probe, str(variant)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "variant.soft-huber-eos" in result["ids"] and result["family"]


def test_tutorial_replay_runs_as_written_in_a_fresh_process():
    """The replay line the tutorial shows (what `lrbias check` prints for the variant's counterexample)
    rebuilds the variant family's sweep in a new process from the repository root: the variant file
    is loaded first, so the family it registers exists there."""
    text = (DOCS / "variants.md").read_text(encoding="utf-8")
    replay = next(line.split("replay: ", 1)[1] for line in text.splitlines() if "replay: python -c" in line)
    proc = subprocess.run(shlex.split(replay), cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-4000:]
    shares = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    assert abs(sum(shares.values()) - 1) < 1e-9 and "converged" in shares


# --- timing figures -------------------------------------------------------------------------------

def doc_texts() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in RT.doc_files(ROOT)}


def test_every_timing_figure_matches_its_recording():
    stale = [str(p.relative_to(ROOT)) for p, text in doc_texts().items() if RT.render(text) != text]
    assert stale == [], "run python benchmarks/render_timings.py"


def test_the_readme_shows_recorded_figures():
    names = RT.markers(README.read_text(encoding="utf-8"))
    assert "report-cold" in names and "tests-full" in names  # the main job and the test command, both recorded
    for name in names:
        assert (RT.RECORDINGS / f"{name}.json").is_file(), name


def test_a_marker_without_recording_or_a_changed_figure_is_caught():
    with pytest.raises(RT.RenderError, match="no-such-run"):
        RT.render("x <!-- timing:no-such-run -->1 s<!-- /timing --> y")
    with pytest.raises(RT.RenderError, match="closing"):
        RT.render("x <!-- timing:report-cold -->1 s")
    text = README.read_text(encoding="utf-8")
    good = RT.render(text)
    m = re.search(r"(<!-- timing:report-cold -->)(.*?)(<!-- /timing -->)", good, flags=re.S)
    assert m is not None
    tampered = good.replace(m[0], m[1] + m[2].replace(" wall", " wall (idle)", 1) + m[3])
    assert RT.render(tampered) != tampered


def test_recordings_are_complete():
    for path in sorted(RT.RECORDINGS.glob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        assert rec["name"] == path.stem and rec["returncode"] == 0
        assert rec["machine"]["cores"] and rec["machine"]["cpu_model"]
        assert rec["load_before"] and rec["load_after"] and rec["git_commit"] and rec["date"]
        assert rec["wall_s"] > 0 and rec["cpu_s"] >= 0 and rec["command"]


# A duration such as "12 s", "4 min", "0.5 ms" is a timing figure unless it states a limit or a target.
DURATION = re.compile(r"\b\d+(?:[.,]\d+)? (?:ms|s|min|h)\b")
LIMIT_BEFORE = re.compile(r"(?:within|≤|<|limit|up to|at most|after|timeout|every)\s*$")
LIMIT_AFTER = re.compile(r"^\s*(?:budget|timeout|limit)")


def unrecorded_durations(text: str) -> list[str]:
    stripped = RT.INLINE.sub("", RT.BLOCK.sub("", text))
    return [stripped[max(0, m.start() - 30):m.end() + 10] for m in DURATION.finditer(stripped)
            if not LIMIT_BEFORE.search(stripped[max(0, m.start() - 12):m.start()])
            and not LIMIT_AFTER.match(stripped[m.end():m.end() + 12])]


def test_no_timing_figure_outside_the_markers():
    pages = [README, *(p for p in sorted(DOCS.rglob("*.md")) if p.name != "design.md")]
    found = {str(p.relative_to(ROOT)): unrecorded_durations(p.read_text(encoding="utf-8")) for p in pages}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_duration_scan_can_fail():
    assert unrecorded_durations("the report took 4 min 27 s on a quiet machine") != []
    assert unrecorded_durations("probed within 10 s; a 30 s budget") == []
    assert unrecorded_durations("<!-- timing:x -->4 min 27 s<!-- /timing -->") == []


def _recorder():
    spec = importlib.util.spec_from_file_location("record_timing", ROOT / "benchmarks" / "record_timing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_record_timing_records_a_run_and_refuses_a_failed_one(tmp_path, monkeypatch, capsys):
    rec_mod = _recorder()
    monkeypatch.setattr(rec_mod, "RECORDINGS", tmp_path)
    code = "import time; t = time.process_time(); print('table line')\nwhile time.process_time() - t < 0.2: pass"
    assert rec_mod.main(["tiny", "--", sys.executable, "-c", code]) == 0
    rec = json.loads((tmp_path / "tiny.json").read_text(encoding="utf-8"))
    assert rec["returncode"] == 0 and rec["output_tail"] == ["table line"]
    assert rec["cpu_s"] >= 0.2 and rec["wall_s"] >= rec["cpu_s"] * 0.5
    assert rec["machine"]["cores"] >= 1 and len(rec["load_before"]) == 3
    figure = RT.figure(rec)
    assert RT.duration(rec["wall_s"]) in figure and "cores" in figure and "load" in figure
    assert rec_mod.main(["broken", "--", sys.executable, "-c", "raise SystemExit(3)"]) == 1
    assert not (tmp_path / "broken.json").exists()
    assert rec_mod.main(["Bad Name", "--", "true"]) == 2


def test_durations_render_as_people_read_them():
    assert [RT.duration(s) for s in (3.04, 42.4, 267.0, 3725.0)] == ["3.0 s", "42 s", "4 min 27 s", "1 h 02 min"]


def test_readme_claim_count_is_the_catalogue_size():
    stated = re.search(r"A catalogue of (\d+) claims", README.read_text(encoding="utf-8"))
    assert stated is not None
    assert int(stated[1]) == len(lrbias.load_entries())
