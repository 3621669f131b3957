"""`pytest --lrbias-report` and `lrbias report` write the same report for the same selection.

Both go through :mod:`lrbias.report.job`; on the same profile and seed their results documents
agree on verdicts, frontiers and extras (only times, dates and the command differ) and their
figures are byte-identical.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENTRY = "convergence.good-regularity-large-lr"  # a batch claim with a validity frontier
VOLATILE = {"elapsed_s", "seconds", "quad_s", "mpmath_s", "time_s", "cache"}
"""Wall times, at any depth (an entry's, its rival's, a certificate's, a precision tier's), and what the
disk cache served (the two runs share the session's cache: whichever looks a sweep up second reads it)."""


def _stable(value):
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _comparable(doc: dict) -> dict:
    return _stable({"profile": doc["profile"], "seed": doc["seed"], "summary": doc["summary"],
                    "extras": doc["extras"], "entries": sorted(doc["entries"], key=lambda e: e["id"])})


@pytest.mark.slow
def test_pytest_plugin_and_cli_write_the_same_report(tmp_path):
    from_pytest, from_cli = tmp_path / "from-pytest", tmp_path / "from-cli"
    commands = [
        [sys.executable, "-m", "pytest", "tests/test_catalogue.py", "-q", "-p", "no:cacheprovider", "-k",
         f"test_catalogue_entry and {ENTRY}", "--hypothesis-profile=lrbias-smoke", f"--lrbias-report={from_pytest}"],
        [sys.executable, "-m", "lrbias.cli", "report", ENTRY, "--profile", "smoke", "--seed", "0", "--no-nn",
         "--out", str(from_cli)],
    ]
    procs = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for c in commands]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]

    docs = [json.loads((d / "results.json").read_text()) for d in (from_pytest, from_cli)]
    assert [e["id"] for e in docs[0]["entries"]] == [ENTRY]
    assert docs[0]["entries"][0]["frontier"], "the plugin's record has no frontier"
    assert docs[0]["extras"].get("phase_diagram"), "the plugin's report has no phase diagram"
    assert _comparable(docs[0]) == _comparable(docs[1])
    assert docs[0]["command"].startswith("pytest ") and "--hypothesis-profile=lrbias-smoke" in docs[0]["command"]

    figures = [sorted(p.name for p in (d / "figures").iterdir()) for d in (from_pytest, from_cli)]
    assert figures[0] == figures[1] and "phase.svg" in figures[0]
    for name in figures[0]:
        assert (from_pytest / "figures" / name).read_bytes() == (from_cli / "figures" / name).read_bytes(), name
