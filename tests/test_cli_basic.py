"""`lrbias families` and `lrbias dor`: tables and JSON."""

from __future__ import annotations

import json

from lrbias.cli import main


def test_families_table(capsys):
    assert main(["families"]) == 0
    out = capsys.readouterr().out
    for needle in ["softplus-pair:a=0.5", "power:b=3", "huber:delta=1", "C1", "1/2"]:
        assert needle in out


def test_families_json(capsys):
    assert main(["families", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["families"]
    by_spec = {r["spec"]: r for r in rows}
    assert by_spec["power:b=3"]["dor_exact"] == "6"
    assert by_spec["power:b=3"]["curvature"] == 18.0
    assert by_spec["huber:delta=1"]["smoothness"] == "C1"
    assert by_spec["softplus-pair:a=0.5"]["dor"] == 0.5


def test_dor_text_and_json(capsys):
    assert main(["dor", "softplus-pair:a=0.25"]) == 0
    assert "= 1/4" in capsys.readouterr().out
    assert main(["dor", "expr:(s-1)^2/2", "--method", "numeric", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["method"] == "numeric" and abs(data["value"] - 2) < 1e-6 and data["spec"] == "expr:(s-1)^2/2"


def test_help_exits_0(capsys):
    try:
        code = main(["dor", "--help"])
    except SystemExit as exc:  # argparse exits after printing help
        code = exc.code
    assert code == 0
    assert "degree of regularity" in capsys.readouterr().out
