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


def _strict_json(text: str) -> dict:
    def no_constants(name):
        raise AssertionError(f"non-JSON constant {name} in the output")

    return json.loads(text, parse_constant=no_constants)


@pytest.mark.parametrize("precision", ["float64", "mp:30", "auto", "arb:128"])
def test_run_every_precision_as_json(precision, capsys):
    argv = ["run", "--loss", "logcosh", "--x0", "2", "--y0", "0.3", "--h", "0.1", "--json",
            "--precision", precision]
    assert main(argv) == 0
    data = _strict_json(capsys.readouterr().out)
    assert data["outcome"] in ("converged", "precision-lost") and data["loss"] == "logcosh"
    assert data["precision"].split(":")[0] == precision.split(":")[0]


def test_run_reports_arb_blow_up_and_divergence_without_numbers(capsys):
    assert main(["run", "--loss", "softplus-pair:a=1", "--x0", "2", "--y0", "0.3", "--h", "0.9",
                 "--precision", "arb:64"]) == 0
    out = capsys.readouterr().out
    assert "precision-lost" in out and "at step" in out and "final     x" not in out
    assert main(["run", "--loss", "square", "--x0", "3", "--y0", "2", "--C", "20", "--json"]) == 0
    data = _strict_json(capsys.readouterr().out)
    assert data["outcome"] == "diverged" and data["x"] is None


def test_run_records_the_trajectory_on_request(capsys):
    assert main(["run", "--loss", "logcosh", "--x0", "2", "--y0", "0.3", "--h", "0.1", "--json",
                 "--record-every", "10"]) == 0
    data = _strict_json(capsys.readouterr().out)
    assert len(data["trajectory"]) == data["steps"] // 10 + 1


def test_sweep_text_progress_and_artefact_summary(capsys):
    argv = ["sweep", "--loss", "logcosh", "--C", "1:3", "--n", "500", "--seed", "2", "--progress",
            "--steps", "3000", "--artefact-budget", "5", "--random-signs"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "sweep [" in captured.err and "500/500" in captured.err
    for needle in ("outcomes", "converged", "ratio", "f_max/f0", "catapult share", "|x∞²-y∞²|",
                   "float-artefact check", "seed 2"):
        assert needle in captured.out


def test_sweep_is_reproducible_and_records_everything(capsys):
    argv = ["sweep", "--loss", "softplus-pair:a=0.5", "--C", "2:6", "--n", "400", "--seed", "9",
            "--json", "--steps", "2000", "--no-artefact-check"]
    assert main(argv) == 0
    first = _strict_json(capsys.readouterr().out)
    assert main(argv) == 0
    second = _strict_json(capsys.readouterr().out)
    first.pop("elapsed_s"), second.pop("elapsed_s")
    assert first == second
    recorded = first["settings"]
    assert recorded["seed"] == 9 and recorded["n"] == 400 and recorded["C"] == "2:6"
    assert recorded["engine"]["max_steps"] == 2000 and recorded["engine"]["tol"] == 1e-10
    assert recorded["signs"] == "none" and recorded["artefact_check"] is None
    assert not capsys.readouterr().err


@pytest.mark.parametrize(("argv", "needle"), [
    (["run", "--loss", "square", "--x0", "1", "--y0", "1", "--h", "-2"], "--h -2"),
    (["run", "--loss", "square", "--x0", "inf", "--y0", "1", "--h", "0.1"], "--x0 = inf"),
    (["run", "--loss", "square", "--x0", "1", "--y0", "1", "--h", "0.1", "--steps", "-3"], "--steps -3"),
    (["run", "--loss", "square", "--x0", "1", "--y0", "1", "--h", "0.1", "--precision", "mp:5"], "mp:5"),
    (["run", "--loss", "square", "--x0", "1", "--y0", "1", "--h", "0.1", "--precision", "arb:8"], "arb:8"),
    (["run", "--loss", "square", "--x0", "1", "--y0", "1", "--h", "0.1", "--precision", "f32"], "f32"),
    (["run", "--loss", "nope", "--x0", "1", "--y0", "1", "--h", "0.1"], "nope"),
    (["sweep", "--loss", "square", "--C", "1:2", "--x0", "4:1"], "4:1"),
    (["sweep", "--loss", "square", "--C", "1:2", "--y0", "1:2:3"], "1:2:3"),
    (["sweep", "--loss", "square", "--C", "0:2"], "0:2"),
    (["sweep", "--loss", "square", "--C", "1:2", "--seed", "-1"], "--seed -1"),
    (["sweep", "--loss", "square", "--C", "1:2", "--steps", "0"], "--steps 0"),
    (["sweep", "--loss", "square", "--C", "1:2", "--n", "1000000000"], "--n 1000000000"),
    (["sweep", "--loss", "square", "--C", "1:2", "--artefact-budget", "-1"], "--artefact-budget -1"),
    (["sweep", "--loss", "square", "--C", "1:2", "--artefact-limit", "-1"], "--artefact-limit -1"),
    (["run", "--loss", "square", "--x0", "1e308", "--y0", "1", "--C", "1"], "overflows"),
    (["run", "--loss", "square", "--x0", "1", "--y0", "2", "--h", "0.1", "--check-every", "3"],
     "check_every 3"),
    (["run", "--loss", "square", "--x0", "1", "--y0", "2", "--h", "0.1", "--record-every", "-1"],
     "record_every -1"),
    (["sweep", "--loss", "square", "--C", "1:2", "--random-signs", "--common-signs"], "--common-signs"),
    (["sweep", "--loss", "square", "--C", "1:2", "--x0=-4:-1", "--y0=-4:-1", "--x0", "2:1"], "2:1"),
])
def test_bad_input_names_the_value(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and ("accepted" in err or "known" in err), err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--loss" in out and ("--precision" in out or "--seed" in out)
