"""`lrbias run` and `lrbias sweep` as a user runs them."""

from __future__ import annotations

import json

import pytest

from lrbias.cli import main


def test_run_text_and_json(capsys):
    assert main(["run", "--loss", "softplus-pair:a=0.5", "--x0", "3", "--y0", "0.4", "--C", "37.7"]) == 0
    out = capsys.readouterr().out
    assert "converged" in out and "ratio" in out and "f_max/f0" in out
    assert main(["run", "--loss", "square", "--x0", "2", "--y0", "0.3", "--h", "0.05", "--json",
                 "--precision", "auto"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "converged" and data["precision"].startswith("auto")


def test_sweep_json_records_seed(capsys):
    assert main(["sweep", "--loss", "logcosh", "--C", "1:3", "--n", "300", "--seed", "4", "--json",
                 "--steps", "3000", "--artefact-budget", "5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings"]["seed"] == 4
    assert abs(sum(data["shares"].values()) - 1) < 1e-12
    assert data["ratio_quantiles"]["q05"] <= data["ratio_quantiles"]["q95"] <= 1
    assert data["float_artefact_check"] is not None


@pytest.mark.parametrize("argv", [
    ["run", "--loss", "square", "--x0", "1", "--y0", "1", "--h", "0"],
    ["run", "--loss", "square", "--x0", "nan", "--y0", "1", "--h", "0.1"],
    ["run", "--loss", "square", "--x0", "1", "--y0", "1", "--h", "0.1", "--steps", "0"],
    ["run", "--loss", "square", "--x0", "1", "--y0", "1", "--h", "0.1", "--precision", "mp:x"],
    ["run", "--loss", "square", "--x0", "0", "--y0", "0", "--C", "1"],
    ["sweep", "--loss", "square", "--C", "3:2"],
    ["sweep", "--loss", "square", "--C", "1:2", "--n", "0"],
    ["sweep", "--loss", "square", "--C", "1:2", "--x0", "oops"],
])
def test_bad_input_exits_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lrbias: error:") and "Traceback" not in err


def test_missing_knob_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--loss", "square", "--x0", "1", "--y0", "1"])
    assert info.value.code == 2
