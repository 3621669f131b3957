"""`lrbias check` exit status end to end: 1 when a claim fails that is no known finding (or a finding passes).

The claims are a user's variant file (the documented route for a failing claim): one exact
identity that is false, one paper claim that is false, one exact claim that holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lrbias.cli import main

VARIANTS = '''
from hypothesis import strategies as st
from lrbias.api import Entry, holds

def _doubling(n):
    return holds(2 * n == n + n + (n > 5), -1.0 if n > 5 else 1.0, n=n)

ENTRIES = [
    Entry(id="mine.wrong-identity", title="a false exact identity", statement="2n = n + n + [n > 5]",
          latex="", provenance="exact", hypotheses=st.integers(0, 100), conclusion=_doubling,
          confirm=_doubling),
    Entry(id="mine.wrong-paper-claim", title="a false paper claim", statement="n < 50", latex="",
          provenance="paper", hypotheses=st.integers(0, 100),
          conclusion=lambda n: holds(n < 50, 50.0 - n)),
    Entry(id="mine.true-identity", title="a true identity", statement="2n = n + n", latex="",
          provenance="exact", hypotheses=st.integers(0, 100),
          conclusion=lambda n: holds(2 * n == n + n, 1.0)),
    Entry(id="mine.recorded-finding", title="a false paper claim, recorded", statement="n < 50", latex="",
          provenance="paper", hypotheses=st.integers(0, 100),
          conclusion=lambda n: holds(n < 50, 50.0 - n), known_finding="n reaches 100"),
    Entry(id="mine.stale-finding", title="a true claim recorded as a finding", statement="n <= 100",
          latex="", provenance="paper", hypotheses=st.integers(0, 100),
          conclusion=lambda n: holds(n <= 100, 100.0 - n), known_finding="thought false"),
]
'''


@pytest.fixture
def variant_file(tmp_path: Path) -> Path:
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(VARIANTS))
    return path


def _check(path: Path, *ids: str) -> list[str]:
    return ["check", "--variants", str(path), *ids, "--profile", "smoke", "--no-nn", "--quiet"]


def test_a_failing_exact_claim_exits_1(variant_file, capsys):
    assert main(_check(variant_file, "mine.wrong-identity", "mine.true-identity")) == 1
    out = capsys.readouterr().out
    assert "mine.wrong-identity" in out and "FAIL" in out and "confirmed at high precision" in out


def test_a_failing_paper_claim_recorded_as_a_known_finding_exits_0(variant_file, capsys):
    assert main(_check(variant_file, "mine.recorded-finding", "mine.true-identity")) == 0
    assert "FAIL" in capsys.readouterr().out


def test_a_known_finding_that_passes_exits_1(variant_file, capsys):
    """Strict, like pytest's xfail_strict: a finding that no longer fails is stale."""
    assert main(_check(variant_file, "mine.stale-finding")) == 1
    assert "now passes (strict)" in capsys.readouterr().err


def test_the_console_entry_point_returns_1(variant_file):
    """The process exit status, through ``python -m lrbias.cli`` (what CI scripts see)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run([sys.executable, "-m", "lrbias.cli", *_check(variant_file, "mine.wrong-identity")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


# --- exit codes for regression runs (issue 21): pytest's convention, strict known findings --------

from lrbias.cli.check import exit_status  # noqa: E402
from lrbias.errors import InvalidArgument  # noqa: E402


def _r(rid: str, verdict: str) -> dict:
    return {"id": rid, "verdict": verdict}


@pytest.mark.parametrize(("results", "known", "fail_on", "status"), [
    ([_r("a.x", "pass")], {}, "fail", 0),
    ([_r("a.x", "fail")], {}, "fail", 1),                       # a failure that is no finding
    ([_r("a.x", "fail")], {"a.x": "why"}, "fail", 0),           # a recorded known finding
    ([_r("a.x", "pass")], {"a.x": "why"}, "fail", 1),           # a finding that passes: strict
    ([_r("a.x", "inconclusive")], {}, "fail", 0),
    ([_r("a.x", "inconclusive")], {}, "inconclusive", 1),
    ([_r("a.x", "inconclusive")], {"a.x": "why"}, "inconclusive", 0),
    ([_r("a.x", "pass"), _r("a.y", "fail")], {"a.x": "why"}, "fail", 1),  # both reasons at once
])
def test_exit_status_table(results, known, fail_on, status):
    got, why = exit_status(results, known, fail_on)
    assert got == status
    assert bool(why) == bool(status)


def test_exit_status_refuses_an_unknown_fail_on():
    with pytest.raises(InvalidArgument, match="accepted: fail, inconclusive"):
        exit_status([], {}, "error")


def test_a_failing_reconstructed_variant_claim_exits_1(variant_file, capsys):
    """A user's own claim that fails (not a known finding) fails the regression run."""
    assert main(_check(variant_file, "mine.wrong-paper-claim")) == 1
    assert "fails and is not a recorded known finding" in capsys.readouterr().err


def test_fail_on_is_checked_by_the_parser(variant_file, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*_check(variant_file, "mine.true-identity"), "--fail-on", "sometimes"])
    assert exc.value.code == 2
    assert "invalid choice: 'sometimes'" in capsys.readouterr().err


@pytest.mark.slow
def test_the_built_in_catalogue_with_its_known_findings_exits_0(smoke_report):
    """The session's smoke report (the whole catalogue but the NN entries): every failing claim is a
    recorded known finding and no finding passes, so a regression run of the catalogue exits 0."""
    import json

    from lrbias.report.job import known_findings

    entries = json.loads((smoke_report / "results.json").read_text(encoding="utf-8"))["entries"]
    status, why = exit_status(entries, known_findings((e["id"] for e in entries), entries))
    assert status == 0, why
