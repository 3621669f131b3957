"""The curated mutant list and its runner (``python -m mutants``).

Fast checks of the list (every snippet occurs exactly once, so a refactor that moves code makes
this test fail instead of leaving a mutant that silently no longer applies), and a small run of
the runner itself: a harmless "mutant" (a docstring edit) must be reported as surviving, a real
one as killed, the run must exit 1, and the working tree must be left as it was.
"""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import mutants
from mutants.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
THE_TEN = {"objective-sharpness-2xy", "arb-diverged-reported-converged", "linear-criterion-margin-sign",
           "median-ratio-as-mean", "summary-drops-fail", "badge-pass-for-fail", "check-never-exits-1",
           "cross-entropy-summed", "inconclusive-limit-100", "agree-ignores-final-point"}


def test_the_list_matches_the_sources():
    listed = mutants.load()
    assert mutants.problems(listed) == []


def test_the_list_is_large_spread_and_holds_the_ten():
    listed = mutants.load()
    assert len(listed) >= 40
    assert THE_TEN <= {m.id for m in listed}
    by_module = {m.module for m in listed}
    assert set(mutants.MODULES) <= by_module, set(mutants.MODULES) - by_module
    assert all(m.description and m.tests for m in listed)


def test_problems_names_a_rotten_snippet(tmp_path):
    (tmp_path / "mod.py").write_text("x = 1\nx = 1\n")
    (tmp_path / "test_mod.py").write_text("")
    rotten = [mutants.Mutant("twice", "mod.py", "x = 1", "x = 2", ("test_mod.py",), "d"),
              mutants.Mutant("gone", "mod.py", "y = 1", "y = 2", ("test_mod.py",), "d"),
              mutants.Mutant("noop", "mod.py", "x = 1\nx", "x = 1\nx", ("missing.py",), "d")]
    found = "\n".join(mutants.problems(rotten, tmp_path))
    assert "twice: the original snippet occurs 2 times" in found
    assert "gone: the original snippet occurs 0 times" in found
    assert "noop: the replacement equals the original" in found and "noop: no test file missing.py" in found


LIST = '''
[[mutant]]
id = "harmless-docstring"
file = "lrbias/serial.py"
original = """    \\"\\"\\"A number read back from JSON for display"""
replacement = """    \\"\\"\\"A number, read back from JSON, for display"""
tests = ["tests/test_serial.py::test_format_number"]
description = "a docstring edit: no test can see it, so it must survive"

[[mutant]]
id = "format-drops-none-text"
file = "lrbias/serial.py"
original = """    if value is None:
        return none"""
replacement = """    if value is None:
        return "-\""""
tests = ["tests/test_serial.py::test_format_number"]
description = "format_number ignores its none= text"
'''


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "lrbias").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_the_runner_reports_a_survivor_and_a_kill_and_leaves_the_tree_alone(tmp_path, capsys):
    listing = tmp_path / "mutants.toml"
    listing.write_text(textwrap.dedent(LIST))
    assert [m.id for m in mutants.load(listing)] == ["harmless-docstring", "format-drops-none-text"]
    before = _tree_digest(ROOT)
    code = main(["--list", str(listing), "--jobs", "2", "--timeout", "240"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "baseline (the selections without mutants): passed" in out
    assert "survived  harmless-docstring" in out and "killed    format-drops-none-text" in out
    assert "SURVIVED: harmless-docstring" in out
    assert "mutation score: 1/2 caught (50%)" in out
    assert _tree_digest(ROOT) == before, "the runner wrote into the working tree"
