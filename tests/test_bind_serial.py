"""Bindings for lrbias/serial.py from the survivors of mutmut on it (``python -m mutants.tool run
lrbias/serial.py``): the exact default JSON layout, the temporary file's name and folder, the mode
under a umask, the error a failed write re-raises, and the table's columns.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import pytest

from lrbias import serial


def test_json_round_trip_of_both_infinities_and_the_default_layout():
    assert serial.json_safe(-math.inf) == "-inf" and serial.json_safe(math.inf) == "inf"
    assert serial.json_number("-inf") == -math.inf and serial.json_number("inf") == math.inf
    assert serial.dumps({"a": [1, math.nan]}) == '{\n "a": [\n  1,\n  null\n ]\n}'
    assert serial.dumps({"a": 1}, indent=None) == '{"a": 1}'


def test_write_atomic_writes_through_a_hidden_temporary_file_beside_the_target(tmp_path: Path, monkeypatch):
    seen = []
    real = os.replace

    def replace(src, dst):
        seen.append(Path(src))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "out.json"
    serial.write_atomic(target, "é\n")
    (tmp,) = seen
    assert tmp.parent == tmp_path and tmp.name.startswith(".out.json.") and tmp.name.endswith(".tmp")
    assert target.read_bytes() == "é\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_write_atomic_mode_follows_the_umask(tmp_path: Path):
    old = os.umask(0o022)
    try:
        serial.write_atomic(tmp_path / "a", "x")
        os.umask(0o027)
        serial.write_atomic(tmp_path / "b", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o640
    assert serial.current_umask() == old


def test_a_failed_write_re_raises_its_own_error_even_when_the_temporary_file_is_gone(tmp_path: Path, monkeypatch):
    def replace(src, dst):
        os.unlink(src)
        raise PermissionError("refused")

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError, match="refused"):
        serial.write_atomic(tmp_path / "out", "x")
    assert list(tmp_path.iterdir()) == []


def test_print_table_shows_the_header_columns_only():
    out = io.StringIO()
    serial.print_table(["a", "bb"], [["1", "2", "extra"]], out=out)  # a longer row: its extra cells are not shown
    assert out.getvalue() == "a  bb\n1  2\n"
    out = io.StringIO()
    serial.print_table(["a", "b"], [["1", "2", "free"]], out=out, free_last=True)
    assert out.getvalue() == "a  b\n1  free\n"


def test_write_atomic_writes_utf8_whatever_the_locale(tmp_path: Path):
    """Under a C locale without UTF-8 mode or coercion the default text encoding is ASCII: the writer
    must still write UTF-8 (a report's text holds ℓ, κ, ≥)."""
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
           "PYTHONPATH": str(root)}
    target = tmp_path / "t.txt"
    serial.write_atomic(target, "")  # in-process too, so that per-function test selection (mutmut) picks this test
    code = ("import sys, locale; from lrbias import serial; "
            "serial.write_atomic(sys.argv[1], '\\u2113 \\u03ba \\u2265'); print(locale.getpreferredencoding(False))")
    done = subprocess.run([sys.executable, "-c", code, str(target)], env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().lower() in ("ansi_x3.4-1968", "ascii", "us-ascii"), done.stdout  # the locale binds
    assert target.read_text(encoding="utf-8") == "ℓ κ ≥"
