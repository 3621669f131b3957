"""Static checks run as tests, so the README's test command covers them: mypy and ruff are clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_is_clean_on_the_library_and_the_catalogue():
    proc = subprocess.run([sys.executable, "-m", "mypy", "lrbias", "theorems"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "lrbias", "theorems", "tests", "benchmarks",
                           "examples", "tools"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:]
