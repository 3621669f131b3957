"""Issue 26, items 14-18: untrusted text escaped for terminals, one error policy without exception.

14. ids from TOML or JSON reach the terminal with control characters escaped;
15. --compare with a malformed document fails before the run, naming the file;
16. the pytest plugin reports a failed report write in one line and keeps the results;
18. a full disk names the path; NaN literals and 5,000-digit integers in JSON are named as such.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from lrbias.claims.results import build_document
from lrbias.cli import main
from lrbias.errors import LrbiasError
from lrbias.serial import SafeStream, terminal_safe, write_atomic

HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J\u202e"


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _entry(eid: str, verdict: str = "pass") -> dict:
    return {"id": eid, "title": "t", "group": "g", "provenance": "reconstructed", "verdict": verdict,
            "examples": 1, "worst_margin": 1.0, "statement": "s", "inconclusive": 0, "seed": 0,
            "elapsed_s": 0.0, "notes": []}


def _write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


# --- 14 -------------------------------------------------------------------------------------------

def test_terminal_safe_escapes_controls_and_keeps_layout() -> None:
    assert terminal_safe(HOSTILE) == "evil\\x1b]0;pwned\\x07\\x1b[2J\\u202e"
    assert terminal_safe("a\tb\nc\rd é κ") == "a\tb\nc\rd é κ"
    assert terminal_safe("\x7f\x9b") == "\\x7f\\x9b"


def test_item14_diff_prints_hostile_ids_escaped(tmp_path: Path, capsys) -> None:
    old = _write(tmp_path / "old.json", build_document([_entry(HOSTILE, "pass")], "smoke", 0, "c", 0.0))
    new = _write(tmp_path / "new.json", build_document([_entry(HOSTILE, "fail")], "smoke", 0, "c", 0.0))
    code, out, err = _run(["diff", str(old), str(new)], capsys)
    assert code == 1 and "evil\\x1b]0;pwned" in out
    assert "\x1b" not in out + err and "\x07" not in out + err and "\u202e" not in out + err


def test_item14_check_prints_a_hostile_variant_id_escaped(tmp_path: Path, capsys, monkeypatch) -> None:
    """The id travels from TOML through `check`'s table; the run itself is replaced by its record."""
    from lrbias.cli import check

    monkeypatch.setattr("lrbias.report.job.run_check", lambda *a, **k: SimpleNamespace(
        results=[{**_entry(HOSTILE), "frontier": None}], written=None, elapsed_s=0.0))
    _, out, err = _run(["check", "--profile", "smoke", "--no-nn"], capsys)
    assert "evil\\x1b" in out and "\x1b" not in out + err, (out, err)
    del check


def test_item14_error_lines_are_escaped(capsys) -> None:
    code, _, err = _run(["run", "--loss", HOSTILE, "--x0", "1", "--y0", "2", "--C", "1"], capsys)
    assert code == 2 and "\x1b" not in err and "\\x1b" in err, err


def test_safe_stream_delegates() -> None:
    import io

    buf = io.StringIO()
    stream = SafeStream(buf)
    assert stream.write("a\x1bb") == 3 and buf.getvalue() == "a\\x1bb" and stream.getvalue() == "a\\x1bb"


# --- 15 -------------------------------------------------------------------------------------------

def test_item15_compare_with_a_string_versions_fails_before_the_run(tmp_path: Path, capsys, monkeypatch) -> None:
    doc = build_document([_entry("a.b")], "smoke", 0, "c", 0.0)
    doc["environment"]["versions"] = "numpy 2"
    bad = _write(tmp_path / "old.json", doc)
    monkeypatch.setattr("lrbias.report.job.run_report", lambda *a, **k: pytest.fail("ran before the check"))
    code, _, err = _run(["report", "exact", "--profile", "smoke", "--no-nn", "--out", str(tmp_path / "r"),
                         "--compare", str(bad)], capsys)
    assert code == 2 and str(bad) in err and "environment.versions" in err and "internal error" not in err, err


# --- 16 -------------------------------------------------------------------------------------------

def test_item16_plugin_keeps_results_when_the_report_cannot_be_written(tmp_path: Path, monkeypatch) -> None:
    from lrbias import pytest_plugin
    from lrbias.claims.profiles import PROFILES

    out = tmp_path / "rep"
    collector = pytest_plugin.ResultCollector(out)
    collector.records = {"a.b": {**_entry("a.b"), "frontier": None}}
    collector.profile, collector.seed = PROFILES["smoke"], 0
    lines = []
    reporter = SimpleNamespace(write_line=lambda line, **kw: lines.append(line))
    config = SimpleNamespace(stash={pytest_plugin.COLLECTOR: collector}, invocation_params=SimpleNamespace(args=()),
                             pluginmanager=SimpleNamespace(get_plugin=lambda name: reporter))

    def refuse(*args, **kwargs):
        raise LrbiasError(f"--lrbias-report {out} holds paths the report did not write: notes.txt")

    monkeypatch.setattr("lrbias.report.job.report_from_results", refuse)
    pytest_plugin.pytest_sessionfinish(SimpleNamespace(config=config), 0)
    assert len(lines) == 1 and "NOT written" in lines[0] and "notes.txt" in lines[0], lines
    kept = tmp_path / "rep.results.json"
    assert str(kept) in lines[0] and json.loads(kept.read_text())["entries"][0]["id"] == "a.b"
    pytest_plugin.pytest_sessionfinish(SimpleNamespace(config=config), 0)  # never replaces the kept file
    assert (tmp_path / "rep.results-1.json").exists() and "rep.results-1.json" in lines[1]


# --- 18 -------------------------------------------------------------------------------------------

def test_item18_full_disk_names_the_path(tmp_path: Path, monkeypatch) -> None:
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("lrbias.serial.os.fsync", full)
    target = tmp_path / "out.json"
    with pytest.raises(OSError) as info:
        write_atomic(target, "x")
    assert info.value.filename == str(target) and info.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_item18_full_disk_cli_line(tmp_path: Path, monkeypatch, capsys) -> None:
    doc = _write(tmp_path / "a.json", build_document([_entry("a.b")], "smoke", 0, "c", 0.0))

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("lrbias.serial.os.fsync", full)
    code, _, err = _run(["diff", str(doc), str(doc), "--html", str(tmp_path / "d.html")], capsys)
    assert code == 1 and str(tmp_path / "d.html") in err and "No space left" in err, err


@pytest.mark.parametrize(("text", "says"), [
    ('{"schema": NaN}', "NaN is not a JSON number"),
    ('{"schema": Infinity}', "Infinity is not a JSON number"),
    ('{"seed": 1' + "0" * 5000 + "}", "an integer of 5001 digits"),
])
def test_item18_json_literals_named(tmp_path: Path, capsys, text: str, says: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text)
    code, _, err = _run(["diff", str(path), str(path)], capsys)
    assert code == 2 and says in err and str(path) in err and "set_int_max_str_digits" not in err, err
