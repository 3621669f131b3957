"""The one JSON policy, the atomic writer and the table printer (lrbias.serial)."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from lrbias.serial import dumps, format_number, json_number, json_safe, print_table, write_atomic


def test_json_policy_nan_null_infinities_strings_numpy_plain():
    value = {"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "np": np.float64(0.5), "i": np.int64(3),
             "b": np.bool_(True), "t": (1, 2.5), 7: "key", "obj": Path("a")}
    safe = json_safe(value)
    assert safe == {"nan": None, "inf": "inf", "ninf": "-inf", "np": 0.5, "i": 3, "b": True, "t": [1, 2.5],
                    "7": "key", "obj": "a"}
    assert type(safe["np"]) is float and type(safe["i"]) is int and type(safe["b"]) is bool
    assert json.loads(dumps(value)) == safe


def test_numbers_read_back():
    for v in (0.25, math.inf, -math.inf, None):
        assert json_number(json_safe(v)) == v
    assert json_number("-inf") < 0 < json_number("inf")


def test_format_number():
    assert format_number(None) == "-" and format_number(None, none="n/a") == "n/a"
    assert format_number("-inf") == "-inf"
    assert format_number(3.14159265, 3) == "3.14" and format_number(12345.678) == "1.235e+04"


def test_table_columns_fit_header_and_rows():
    out = io.StringIO()
    print_table(("id", "verdict"), [("a.long-name", "pass"), ("b", "fail")], out)
    lines = out.getvalue().splitlines()
    assert lines == ["id           verdict", "a.long-name  pass", "b            fail"]
    out = io.StringIO()
    print_table(("name", "x", "free"), [("ab", "1", "a very long last cell")], out, free_last=True)
    assert out.getvalue().splitlines() == ["name  x  free", "ab    1  a very long last cell"]


def test_atomic_write_replaces_whole_and_leaves_nothing_on_error(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    write_atomic(path, "old\n")
    write_atomic(path, "new\n")
    assert path.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("lrbias.serial.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "half\n")
    assert path.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
