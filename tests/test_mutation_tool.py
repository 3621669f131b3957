"""The mutation tool's scoring (``python -m mutants.score``) on a scratch tree written by the test: the score
arithmetic, a fresh-interpreter recheck overriding mutmut's code, and the check that flags an equivalent-list
entry whose mutant was killed (a renumbered name) or no longer exists."""

from __future__ import annotations

import importlib
import json
import subprocess
import types
from pathlib import Path

import pytest

score = importlib.import_module("mutants.score")   # the package also exports a function named score
tool = importlib.import_module("mutants.tool")

MODULE = "lrbias/gd/outcome.py"


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    monkeypatch.setattr(score, "SCRATCH", tmp_path)
    monkeypatch.setattr(tool, "SCRATCH", tmp_path)
    monkeypatch.setattr(score, "targets", lambda: {MODULE: []})
    meta = tmp_path / tool.slug(MODULE) / "mutants" / (MODULE + ".meta")
    meta.parent.mkdir(parents=True)
    codes = {f"lrbias.gd.outcome.x_f__mutmut_{i}": c for i, c in enumerate([1, 1, 3, 0, 0, -15, 36, None], 1)}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    return tmp_path


def test_the_score_counts_killed_and_timeouts_over_the_non_equivalent(scratch, monkeypatch, capsys):
    monkeypatch.setattr(score, "equivalent", lambda: {"lrbias.gd.outcome.x_f__mutmut_4": "why"})
    assert score.main([]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    # 8 mutants: 3 killed, 1 timeout, 1 survivor (one more listed equivalent), 1 suspicious, 1 not checked
    assert row == [MODULE, "8", "3", "1", "1", "0", "1", "57.1%"]       # (3 + 1) / (8 - 1)
    assert score.main(["--min", "57.2"]) == 1 and score.main(["--min", "57.1"]) == 0


def test_a_recheck_overrides_mutmuts_code(scratch):
    (scratch / tool.slug(MODULE) / tool.RECHECK).write_text(json.dumps({"lrbias.gd.outcome.x_f__mutmut_6": 1}))
    res = score.module_results(MODULE)
    assert res["lrbias.gd.outcome.x_f__mutmut_6"] == "killed" and res["lrbias.gd.outcome.x_f__mutmut_8"] == \
        "not checked"


def test_recheck_runs_the_suspicious_or_the_named_mutants(scratch, monkeypatch, capsys):
    """Without names: the suspicious mutant (-15) only; with --mutant: those, whatever mutmut recorded (a mutant
    that loops for ever can be recorded as survived), a run past the timeout recorded as 36; an unknown name: 2."""
    ran = []

    def call(command, cwd, env, timeout, stdout, stderr):
        ran.append((env["MUTANT_UNDER_TEST"], timeout))
        if env["MUTANT_UNDER_TEST"].endswith("_4"):
            raise subprocess.TimeoutExpired(command, timeout)
        return 1

    monkeypatch.setattr(subprocess, "call", call)
    monkeypatch.setattr(tool, "targets", lambda: {MODULE: []})
    assert tool.main(["recheck", MODULE, "--timeout", "5"]) == 0
    assert ran == [("lrbias.gd.outcome.x_f__mutmut_6", 5.0)]
    ran.clear()
    assert tool.main(["recheck", MODULE, "--mutant", "lrbias.gd.outcome.x_f__mutmut_4"]) == 0
    assert ran == [("lrbias.gd.outcome.x_f__mutmut_4", 600.0)]
    assert score.module_results(MODULE)["lrbias.gd.outcome.x_f__mutmut_4"] == "timeout"
    assert tool.main(["recheck", MODULE, "--mutant", "lrbias.gd.outcome.x_f__mutmut_99"]) == 2
    assert "x_f__mutmut_99'] are not mutants of lrbias/gd/outcome.py" in capsys.readouterr().err


def test_an_equivalent_entry_that_was_killed_or_is_gone_is_flagged(scratch, monkeypatch, capsys):
    shown = types.SimpleNamespace(stdout="--- a\n+++ b\n-    x = 1\n+    x = 2\n")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: shown)
    ok = {"lrbias.gd.outcome.x_f__mutmut_4": "dead code"}
    assert score.show_equivalents(ok) == 0
    assert capsys.readouterr().out == "lrbias.gd.outcome.x_f__mutmut_4\n    change: x = 2\n    reason: dead code\n"
    assert score.show_equivalents({**ok, "lrbias.gd.outcome.x_f__mutmut_1": "wrong", "lrbias.gd.outcome.x_g__mutmut_9":
                                   "gone", "lrbias.other.x_f__mutmut_1": "another module"}) == 1
    out = capsys.readouterr().out
    assert "x_f__mutmut_1  <-- KILLED: re-check this entry" in out and "x_g__mutmut_9  <-- MISSING" in out
    assert "lrbias.other" not in out


def test_the_equivalent_list_names_each_mutant_once_with_a_reason():
    import tomllib

    entries = tomllib.loads((Path(score.__file__).parent / "equivalent.toml").read_text())["mutant"]
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names))
    assert all(e["reason"].strip() and e["name"].startswith("lrbias.") for e in entries)
