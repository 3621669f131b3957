"""`lrbias check` exit status end to end: 1 when an exact claim fails, 0 for a failing paper claim.

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


def test_a_failing_paper_claim_is_a_finding_exit_0(variant_file, capsys):
    assert main(_check(variant_file, "mine.wrong-paper-claim", "mine.true-identity")) == 0
    assert "FAIL" in capsys.readouterr().out


def test_the_console_entry_point_returns_1(variant_file):
    """The process exit status, through ``python -m lrbias.cli`` (what CI scripts see)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run([sys.executable, "-m", "lrbias.cli", *_check(variant_file, "mine.wrong-identity")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
