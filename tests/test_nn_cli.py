"""``lrbias nn`` / ``lrbias nn-grid``: bad input is one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import json

import pytest

from lrbias.cli import main

BASE = ["nn", "--steps", "5", "--lr", "0.1"]


def _one_line_error(capsys, argv: list[str], needle: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("lrbias: error:")
    assert needle in lines[0]
    return lines[0]


@pytest.mark.parametrize(("argv", "needle"), [
    (["nn", "--activation", "swish", "--lr", "0.1", "--steps", "5"], "unknown activation 'swish'"),
    (["nn", "--lr", "0", "--steps", "5"], "--lr must be a finite number > 0, got 0.0"),
    (["nn", "--lr", "-0.5", "--steps", "5"], "got -0.5"),
    (["nn", "--lr", "nan", "--steps", "5"], "--lr"),
    (["nn", "--lr", "0.1", "--steps", "0"], "--steps must be an integer >= 1, got 0"),
    ([*BASE, "--loss", "hinge"], "accepted: mse, huber, ce"),
    ([*BASE, "--norm", "gn"], "unknown norm 'gn'"),
    ([*BASE, "--init-norms", "6"], "bad --init-norms '6'"),
    ([*BASE, "--init-norms", "6,-2"], "bad --init-norms '6,-2'"),
    ([*BASE, "--init-norms", "a,b"], "bad --init-norms 'a,b'"),
    ([*BASE, "--dataset", "mnist"], "--data-root"),
    ([*BASE, "--device", "tpu"], "unknown device 'tpu'"),
    (["nn-grid", "--claims", "nn.nope"], "nn.nope"),
    (["nn-grid", "--steps", "0"], "--steps must be an integer >= 1"),
    (["nn", "--steps", "5"], "give exactly one of --lr H and --lr-multiple M"),
    ([*BASE, "--lr-multiple", "1"], "give exactly one of --lr H and --lr-multiple M"),
    (["nn", "--steps", "5", "--lr-multiple", "-1"], "--lr-multiple must be a finite number > 0, got -1.0"),
    (["nn-grid", "--init", "balanced"], "--init must be 'paper' or 'default', got 'balanced'"),
    (["nn-grid", "--hvp-dtype", "float16"], "unknown hvp dtype 'float16'"),
    ([*BASE, "--hvp-dtype", "half"], "unknown hvp dtype 'half'"),
    ([*BASE, "--json", "/no/such/folder/run.json"], "does not exist"),
])
def test_bad_input(capsys, argv: list[str], needle: str) -> None:
    _one_line_error(capsys, argv, needle)


@pytest.mark.nn
def test_missing_mnist_root_names_the_path(capsys, tmp_path) -> None:
    pytest.importorskip("torch")
    missing = str(tmp_path / "no-mnist-here")
    line = _one_line_error(capsys, [*BASE, "--dataset", "mnist", "--data-root", missing], missing)
    assert "--download" in line


@pytest.mark.nn
@pytest.mark.slow  # measured 15-70 s on a loaded 2-core machine
def test_run_prints_summary_and_writes_json(capsys, tmp_path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "run.json"
    code = main(["nn", "--n", "100", "--width", "10", "--steps", "6", "--lr", "0.2", "--activation", "tanh",
                 "--sharpness-every", "3", "--init-norms", "6,20", "--device", "cpu", "--json", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for label in ("final sharpness S", "ratio S*h/2", "loss max/start", "norm gap", "outcome"):
        assert label in captured.out
    data = json.loads(out.read_text())
    assert data["config"]["init_norms"] == [6.0, 20.0]
    assert len(data["history"]["loss"]) == 7 and data["sharpness_steps"] == [0, 3, 6]
    assert data["summary"]["norm_gap_start"] == pytest.approx(14.0, rel=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]  # no temp file left behind


@pytest.mark.nn
def test_lr_multiple_sets_h_from_s0(capsys, tmp_path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "run.json"
    code = main(["nn", "--n", "100", "--width", "10", "--steps", "4", "--lr-multiple", "0.5", "--activation", "tanh",
                 "--sharpness-every", "2", "--device", "cpu", "--quiet", "--json", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "EoS call" in captured.out and "tail median S*h/2" in captured.out
    summary = json.loads(out.read_text())["summary"]
    assert summary["s0_lr_over_2"] == pytest.approx(0.5)
    assert summary["lr"] == pytest.approx(2 * 0.5 / summary["s0"])
