"""Binding tests of ``lrbias nn`` and ``lrbias nn-grid`` (lrbias/cli/nn.py) on stand-ins for the training: each
bound at both sides with its whole message, the configuration built from the defaults, the printed table and
JSON compared whole, the saved-run checks of ``--from-json`` one by one, and the figures column of the
verdict table.  Fast: nothing is trained (torch is imported, so the torch-needing tests carry the ``nn``
marker)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import types

import pytest

from lrbias.cli import build_parser
from lrbias.cli import nn as nn_cli
from lrbias.errors import LrbiasError, short
from lrbias.nn.config import RunConfig
from tests.test_bind_cli_commands import _bad, _run


def _error(func, *args):
    with pytest.raises(LrbiasError) as exc:
        func(*args)
    return str(exc.value)


def test_constants():
    assert (nn_cli.MAX_N, nn_cli.MAX_WIDTH, nn_cli.MAX_SEED, nn_cli.MAX_STEPS, nn_cli.MAX_THREADS,
            nn_cli.MAX_GRID_JSON, nn_cli.DEFAULT_SEEDS, nn_cli.MAX_SEEDS, nn_cli.PROTOCOLS) == (
        1_000_000, 65_536, 4_294_967_295, 10_000_000, 256, 268_435_456, (0, 1, 2), 32, ("full", "catalogue"))
    assert nn_cli.DATASET_IMAGES == {"digits": 1797, "mnist1d": 4000, "mnist": 60_000, "cifar10": 50_000}


def test_require_torch(monkeypatch):
    pytest.importorskip("torch")
    assert nn_cli._require_torch() is None
    monkeypatch.setitem(sys.modules, "torch", None)
    assert _error(nn_cli._require_torch) == "the nn subcommands need torch: pip install 'lrbias[nn]'"


def test_json_target_and_emit(tmp_path, capsys):
    assert nn_cli._json_target(None) is None
    assert nn_cli._json_target("-") is None
    assert nn_cli._json_target(str(tmp_path / "a.json")) == tmp_path / "a.json"
    message = _error(nn_cli._json_target, "")
    assert message == "--json is empty; accepted: a file name, or - for stdout"
    nn_cli._emit_json("-", None, {"a": [1, math.inf]}, "what")
    assert capsys.readouterr() == ('{\n "a": [\n  1,\n  "inf"\n ]\n}\n', "")
    nn_cli._emit_json(str(tmp_path / "a.json"), tmp_path / "a.json", {"b": 2}, "curves")
    assert capsys.readouterr() == (f"curves written to {tmp_path / 'a.json'}\n", "")
    assert json.loads((tmp_path / "a.json").read_text()) == {"b": 2}
    nn_cli._emit_json(None, None, {"c": 3}, "x")
    assert capsys.readouterr() == ("", "")


def test_bounded_and_threads():
    assert nn_cli._bounded("--k", 2, 2, 5) is None
    assert nn_cli._bounded("--k", 5, 2, 5) is None
    assert _error(nn_cli._bounded, "--k", 1, 2, 5) == "--k must be an integer >= 2, got 1; accepted: 2 <= k <= 5"
    assert _error(nn_cli._bounded, "--k", 6, 2, 5) == "--k must be an integer <= 5, got 6; accepted: 2 <= k <= 5"
    big = 10**70
    assert _error(nn_cli._bounded, "--k", big, 2, 5) == \
        f"--k must be an integer <= 5, got {short(big)}; accepted: 2 <= k <= 5"
    assert nn_cli._check_threads(1) is None and nn_cli._check_threads(256) is None
    assert _error(nn_cli._check_threads, 0) == \
        "--threads must be an integer >= 1, got 0; accepted: 1 <= threads <= 256"
    assert _error(nn_cli._check_threads, 257) == \
        "--threads must be an integer <= 256, got 257; accepted: 1 <= threads <= 256"


def test_progress(capsys):
    assert nn_cli._progress(argparse.Namespace(quiet=True)) is None
    nn_cli._progress(argparse.Namespace(quiet=False))("step 3")
    assert capsys.readouterr() == ("", "lrbias nn: step 3\n")


def test_fmt():
    assert [nn_cli._fmt(v) for v in (1.23456789, 2.0, 3, "s", None, math.nan)] == \
        ["1.23457", "2", "3", "s", "None", "nan"]


def _args(*argv):
    return build_parser().parse_args(["nn", "--steps", "5", *argv])


def test_config_from_the_defaults():
    config = nn_cli._config_from_args(_args("--lr", "0.1"))
    assert config == RunConfig(dataset="digits", n=1000, activation="relu", loss="mse", norm="none", width=200,
                               lr=0.1, steps=5, init_norms=None, sharpness_every=20, seed=0, device="auto",
                               dtype="float32", data_root=None, download=False, loss_bound=1e6, eig_tol=1e-3,
                               hvp_dtype=None)


def test_config_every_option():
    args = _args("--dataset", "mnist1d", "--n", "4000", "--width", "65536", "--activation", "tanh", "--loss", "ce",
                 "--norm", "bn", "--lr-multiple", "0.5", "--init-norms", "6,20", "--sharpness-every", "0",
                 "--eig-tol", "0.01", "--loss-bound", "10", "--seed", "4294967295", "--data-root", "/d",
                 "--download", "--device", "cpu", "--dtype", "float64", "--hvp-dtype", "float64", "--threads", "256")
    assert nn_cli._config_from_args(args) == RunConfig(
        dataset="mnist1d", n=4000, activation="tanh", loss="ce", norm="bn", width=65536, lr=1.0, steps=5,
        init_norms=(6.0, 20.0), sharpness_every=0, seed=4_294_967_295, device="cpu", dtype="float64",
        data_root="/d", download=True, loss_bound=10.0, eig_tol=0.01, hvp_dtype="float64")
    assert args.lr == 1.0
    ns = argparse.Namespace(**{k: v for k, v in vars(_args("--lr", "0.5")).items() if k != "lr_multiple"})
    assert nn_cli._config_from_args(ns).lr == 0.5
    assert nn_cli._config_from_args(_args("--lr", "0.1", "--n", "2", "--width", "1", "--threads", "1")).n == 2
    assert nn_cli._config_from_args(_args("--lr", "0.1", "--n", "1797")).n == 1797
    assert nn_cli._config_from_args(_args("--lr", "0.1", "--dataset", "mnist", "--n", "60000")).n == 60_000


@pytest.mark.parametrize(("argv", "message"), [
    (["--lr", "0.1", "--n", "1"], "--n must be an integer >= 2, got 1; accepted: 2 <= n <= 1797"),
    (["--lr", "0.1", "--n", "1798"], "--n must be an integer <= 1797, got 1798; accepted: 2 <= n <= 1797"),
    (["--lr", "0.1", "--n", "4001", "--dataset", "mnist1d"],
     "--n must be an integer <= 4000, got 4001; accepted: 2 <= n <= 4000"),
    (["--lr", "0.1", "--n", "1000001", "--dataset", "other"],
     "--n must be an integer <= 1000000, got 1000001; accepted: 2 <= n <= 1000000"),
    (["--lr", "0.1", "--n", "1000000", "--dataset", "other"],
     "unknown dataset 'other'; accepted: digits, mnist1d, mnist, cifar10"),
    (["--lr", "0.1", "--width", "0"], "--width must be an integer >= 1, got 0; accepted: 1 <= width <= 65536"),
    (["--lr", "0.1", "--width", "65537"],
     "--width must be an integer <= 65536, got 65537; accepted: 1 <= width <= 65536"),
    (["--lr", "0.1", "--seed", "-1"], "--seed must be an integer >= 0, got -1; accepted: 0 <= seed <= 4294967295"),
    (["--lr", "0.1", "--seed", "4294967296"],
     "--seed must be an integer <= 4294967295, got 4294967296; accepted: 0 <= seed <= 4294967295"),
    (["--lr", "0.1", "--threads", "0"], "--threads must be an integer >= 1, got 0; accepted: 1 <= threads <= 256"),
    ([], "give exactly one of --lr H and --lr-multiple M (h = M*2/S0)"),
    (["--lr", "1", "--lr-multiple", "1"], "give exactly one of --lr H and --lr-multiple M (h = M*2/S0)"),
    (["--lr-multiple", "0"], "--lr-multiple must be a finite number > 0, got 0.0"),
    (["--lr-multiple", "inf"], "--lr-multiple must be a finite number > 0, got inf"),
    (["--lr-multiple", "nan"], "--lr-multiple must be a finite number > 0, got nan"),
    (["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
    (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    (["--lr", "0.1", "--sharpness-every", "-1"], "--sharpness-every must be >= 0, got -1"),
])
def test_config_bad_input(argv, message):
    assert _error(nn_cli._config_from_args, _args(*argv)) == message


def test_config_steps_bounds():
    args = build_parser().parse_args(["nn", "--steps", "0", "--lr", "1"])
    assert _error(nn_cli._config_from_args, args) == \
        "--steps must be an integer >= 1, got 0; accepted: 1 <= steps <= 10000000"
    args = build_parser().parse_args(["nn", "--steps", "10000001", "--lr", "1"])
    assert _error(nn_cli._config_from_args, args) == \
        "--steps must be an integer <= 10000000, got 10000001; accepted: 1 <= steps <= 10000000"
    args = build_parser().parse_args(["nn", "--steps", "10000000", "--lr", "1"])
    assert nn_cli._config_from_args(args).steps == 10_000_000


# ---- nn: the command on a stand-in trainer ----------------------------------------------------------------

class _Result:
    device = "cpu"

    def __init__(self, config, lr):
        self.config, self.lr = config, lr

    def summary(self):
        return {"outcome": "completed", "reason": "budget", "steps_run": 5, "sharpness_final": 12.3456789,
                "two_over_lr": 20.0, "ratio_final": 0.617283945, "s0": 9.87654321, "s0_lr_over_2": 0.5,
                "loss_start": 1.0, "loss_final": 0.25, "loss_max_over_start": 1.5, "accuracy_final": 0.875,
                "norm_gap_start": 14.0, "norm_gap_final": 1.23e-5, "seconds": 0.123456}

    def as_dict(self):
        return {"lr": self.lr, "nan": math.nan}


@pytest.fixture
def stand_in_trainer(monkeypatch):
    pytest.importorskip("torch")
    from lrbias.nn import device, phenomena, trainer

    calls = []
    state = {"eos": ("EoS", {"why": "tail median in band", "ratio_median": 0.987654321})}
    monkeypatch.setattr(device, "configure_threads", lambda n: calls.append(("threads", n)))
    monkeypatch.setattr(trainer, "prepare", lambda config: calls.append(("prepare", config)) or "PREP")
    monkeypatch.setattr(trainer, "initial_sharpness", lambda prep: calls.append(("s0", prep)) or 8.0)

    def train(prep, lr, progress):
        calls.append(("train", prep, lr, progress is None))
        if progress is not None:
            progress("halfway")
        return _Result(None, lr)

    monkeypatch.setattr(trainer, "train", train)
    monkeypatch.setattr(phenomena, "classify_eos", lambda result: state["eos"])
    state["calls"] = calls
    return state


HEADER = ("nn run: digits n=1000 width=200 activation=relu loss=mse norm=none lr=0.1 init_norms=None seed=0 "
          "device=cpu dtype=float32\n")
TABLE = ("quantity                  value\n"
         "outcome                   completed (budget)\n"
         "steps run                 5\n"
         "final sharpness S         12.3457\n"
         "2/h                       20\n"
         "ratio S*h/2               0.617284\n"
         "S0                        9.87654\n"
         "S0*h/2                    0.5\n"
         "tail median S*h/2         0.987654\n"
         "EoS call                  EoS (tail median in band)\n"
         "loss start                1\n"
         "loss final                0.25\n"
         "loss max/start            1.5\n"
         "accuracy final            0.875\n"
         "norm gap |W1|-|W2| start  14\n"
         "norm gap end              1.23e-05\n"
         "seconds                   0.123456\n")


@pytest.mark.nn
def test_nn_defaults(stand_in_trainer, capsys):
    assert _run(capsys, ["nn", "--steps", "5", "--lr", "0.1"]) == (0, HEADER + TABLE, "lrbias nn: halfway\n")
    config = RunConfig(lr=0.1, steps=5)
    assert stand_in_trainer["calls"] == [("threads", 1), ("prepare", config), ("s0", "PREP"),
                                         ("train", "PREP", 0.1, False)]


@pytest.mark.nn
def test_nn_lr_multiple_json_file_and_quiet(stand_in_trainer, capsys, tmp_path):
    out = tmp_path / "run.json"
    stand_in_trainer["eos"] = ("no EoS", {"why": "below"})
    code, text, err = _run(capsys, ["nn", "--steps", "5", "--lr-multiple", "0.5", "--quiet", "--threads", "3",
                                    "--init-norms", "6,20", "--json", str(out)])
    assert (code, err) == (0, "")
    assert text == (HEADER.replace("lr=0.1 init_norms=None", "lr=0.125 init_norms=(6.0, 20.0)")
                    + TABLE.replace("tail median S*h/2         0.987654", "tail median S*h/2         nan")
                    .replace("EoS (tail median in band)", "no EoS (below)") + f"curves written to {out}\n")
    assert json.loads(out.read_text()) == {"lr": 0.125, "nan": None}
    calls = stand_in_trainer["calls"]
    assert calls[0] == ("threads", 3) and calls[1][1].lr == 1.0 and calls[3] == ("train", "PREP", 0.125, True)


@pytest.mark.nn
def test_nn_json_on_stdout(stand_in_trainer, capsys):
    assert _run(capsys, ["nn", "--steps", "5", "--lr", "0.1", "--json", "-", "--quiet"]) == (
        0, '{\n "lr": 0.1,\n "nan": null\n}\n', HEADER + TABLE)


@pytest.mark.nn
def test_nn_datasets_that_need_a_root(stand_in_trainer, capsys, tmp_path):
    for dataset in ("mnist", "cifar10"):
        _bad(capsys, ["nn", "--steps", "5", "--lr", "0.1", "--dataset", dataset],
             f"--dataset {dataset} needs --data-root DIR (torchvision's layout; add --download to fetch it), or use "
             "--dataset digits (offline)")
    _bad(capsys, ["nn", "--steps", "5", "--lr", "0.1", "--json", ""],
         "--json is empty; accepted: a file name, or - for stdout")
    assert stand_in_trainer["calls"] == []
    assert _run(capsys, ["nn", "--steps", "5", "--lr", "0.1", "--dataset", "mnist", "--data-root", str(tmp_path),
                         "--quiet"])[0] == 0
    assert stand_in_trainer["calls"][1][1].data_root == str(tmp_path)


# ---- nn-grid: saved runs ----------------------------------------------------------------------------------

def _record(**changes):
    history = {"loss": [1.0, 0.5], "accuracy": [0.1, 0.2], "w1": [6.0, 6.5], "w2": [20.0, 19.0]}
    record = {"config": RunConfig(lr=0.5, steps=1, init_norms=(6.0, 20.0)).as_dict(),
              "meta": {"s0": 2.0, "device": "cpu", "lr_multiple": 0.5},
              "summary": {"outcome": "completed", "reason": "budget", "steps_run": 1, "seconds": 0.5},
              "history": history, "sharpness_steps": [0, 1], "sharpness": [[2.0], [2.5]]}
    record.update(changes)
    return record


def _claim(cid, *grids):
    return types.SimpleNamespace(id=cid, grids=[types.SimpleNamespace(name=g) for g in grids], title=f"T {cid}",
                                 statement=f"S {cid}", provenance="paper", thresholds={"band": [0.9, 1.1]})


@pytest.mark.nn
def test_saved_runs_reads_the_runs(tmp_path):
    pytest.importorskip("torch")
    doc = {"runs": {"g": [_record()], "h#seed1": [_record(), _record()]}}
    runs = nn_cli._saved_runs("unused", [_claim("c", "g", "h")], doc)
    assert sorted(runs) == ["g", "h#seed1"] and len(runs["h#seed1"]) == 2
    run = runs["g"][0]
    assert (run.lr, run.history["loss"], run.sharpness_steps, run.outcome) == (0.5, [1.0, 0.5], [0, 1], "completed")
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(doc))
    assert sorted(nn_cli._saved_runs(str(path), [_claim("c", "g")])) == ["g", "h#seed1"]


@pytest.mark.nn
@pytest.mark.parametrize(("doc", "message"), [
    (5, "--from-json P: not an nn-grid JSON output ('runs' must be an object of grids, not NoneType)"),
    ([], "--from-json P: not an nn-grid JSON output ('runs' must be an object of grids, not NoneType)"),
    ({"runs": [1]}, "--from-json P: not an nn-grid JSON output ('runs' must be an object of grids, not list)"),
    ({"runs": {"a": [1]}}, "--from-json P lacks the grid(s) b, g"),
    ({"runs": {"g": [], "b": [1]}}, "--from-json P: grid 'g' holds no runs (a non-empty list of run records)"),
    ({"runs": {"g": {"x": 1}, "b": [1]}}, "--from-json P: grid 'g' holds no runs (a non-empty list of run records)"),
    ({"runs": {"g": [_record()], "b": [{}]}}, "--from-json P: grid 'b', run 0: not a run record (KeyError: 'config')"),
    ({"runs": {"g": [_record(), _record(meta=None)], "b": [_record()]}},
     "--from-json P: grid 'g', run 1: not a run record (TypeError: 'NoneType' object is not iterable)"),
    ({"runs": {"g": [_record(summary={"outcome": "x", "reason": "r", "steps_run": "z", "seconds": 1})],
               "b": [_record()]}},
     "--from-json P: grid 'g', run 0: not a run record (ValueError: invalid literal for int() with base 10: 'z')"),
    ({"runs": {"g": [_record(config={**_record()["config"], "lr": -1})], "b": [_record()]}},
     "learning rate must be a finite number > 0, got -1"),  # NNConfigError: an LrbiasError, not caught
    ({"runs": {"g": [_record(history={"loss": [1, "x"]})], "b": [_record()]}},
     "--from-json P: grid 'g', run 0: history 'loss' holds a value that is not a number"),
    ({"runs": {"g": [_record(history={"loss": [True]})], "b": [_record()]}},
     "--from-json P: grid 'g', run 0: history 'loss' holds a value that is not a number"),
    ({"runs": {"g": [_record(history={"loss": [1.0], "w1": [1.0, 2.0]})], "b": [_record()]}},
     "--from-json P: grid 'g', run 0: the history series have different lengths ([1, 2])"),
    ({"runs": {"g": [_record(sharpness=[[1.0]])], "b": [_record()]}},
     "--from-json P: grid 'g', run 0: 1 sharpness rows for 2 steps"),
    ({"runs": {"g": [_record(sharpness_steps=[0, 1.0])], "b": [_record()]}},
     "--from-json P: grid 'g', run 0: sharpness_steps must be integers"),
    ({"runs": {"g": [_record(sharpness_steps=[0, True])], "b": [_record()]}},
     "--from-json P: grid 'g', run 0: sharpness_steps must be integers"),
])
def test_saved_runs_refused(doc, message):
    pytest.importorskip("torch")
    assert _error(nn_cli._saved_runs, "P", [_claim("c", "g"), _claim("d", "b", "g")], doc) == message


@pytest.mark.nn
def test_saved_runs_names_are_shortened():
    pytest.importorskip("torch")
    long = "n" * 100
    assert _error(nn_cli._saved_runs, "p" * 300, [], {"runs": {long: []}}) == (
        f"--from-json {short('p' * 300, 240)}: grid {short(long)!r} holds no runs (a non-empty list of run records)")


@pytest.mark.nn
def test_check_saved_run_values():
    pytest.importorskip("torch")
    from lrbias.nn.trainer import RunResult

    run = RunResult.from_dict(_record(history={"loss": [None, "inf", "-inf", 2], "w1": [1, 2, 3, 4.5]},
                                      sharpness_steps=[], sharpness=[]))
    assert nn_cli._check_saved_run(run, "W") is None
    assert run.history["w1"] == [1, 2, 3, 4.5]
    loss = run.history["loss"]
    assert math.isnan(loss[0]) and loss[1:] == [math.inf, -math.inf, 2]
    run = RunResult.from_dict(_record(history={"loss": "12"}))
    assert _error(nn_cli._check_saved_run, run, "W") == "W: history 'loss' holds a value that is not a number"
    run = RunResult.from_dict(_record(history={"k" * 100: [[1]]}))
    assert _error(nn_cli._check_saved_run, run, "W") == \
        f"W: history {short('k' * 100)!r} holds a value that is not a number"


def test_parse_seeds():
    assert nn_cli._parse_seeds("0,1,2") == (0, 1, 2)
    assert nn_cli._parse_seeds(" 7") == (7,)
    assert nn_cli._parse_seeds("4294967295,0") == (4_294_967_295, 0)
    assert nn_cli._parse_seeds(",".join(map(str, range(32)))) == tuple(range(32))
    for text in ("a", "1,,2", "", "1.5"):
        assert _error(nn_cli._parse_seeds, text) == \
            f"bad --seeds {text!r}: expected comma-separated integers, e.g. 0,1,2"
    for text in ("1,1", "-1", "4294967296", ",".join(map(str, range(33)))):
        assert _error(nn_cli._parse_seeds, text) == \
            f"bad --seeds {short(text)!r}: accepted: 1 to 32 distinct integers in 0..4294967295"
    long = "x" * 100
    assert _error(nn_cli._parse_seeds, long) == \
        f"bad --seeds {short(long)!r}: expected comma-separated integers, e.g. 0,1,2"


def _bracket_meta(m):
    return {"lr_multiple": m, "bracket": {"s0": 2.5, "divergence": [1.5, "inf"], "catapult": [0.5, 0.75]},
            "window": {"kind": "eos", "ends": [0.6, 1.2]}}


def test_bracket_lines():
    run = types.SimpleNamespace
    results = {"a": [run(meta=_bracket_meta(0.123456)), run(meta={"bracket": None})],
               "b": [run(meta={})], "c": [], "d": [run(meta=_bracket_meta(None) | {"lr_multiple": 1.0}),
                                                    run(meta={})]}
    assert nn_cli._bracket_lines(results) == [
        ("bracket", "", "a", "S0 2.5; m_c in (0.5, 0.75]; m* in (1.5, inf]; window eos (0.6, 1.2); runs at m = 0.1235, "
                             "nan"),
        ("bracket", "", "d", "S0 2.5; m_c in (0.5, 0.75]; m* in (1.5, inf]; window eos (0.6, 1.2); runs at m = 1, nan")]


# ---- nn-grid: the command on stand-in claims --------------------------------------------------------------

class _Check:
    def __init__(self, verdict, margin, detail):
        self.verdict, self.margin, self.detail = verdict, margin, detail


DETAIL = {
    "runs": [
        {"lr": 0.25, "grid": "relu@digits", "s0_lr_over_2": 0.5, "ratio_median": 0.987654321, "call": "EoS",
         "loss_max_over_start": None, "verdict": "pass"},
        {"lr": 0.125, "grid": "plain", "outcome": "diverged", "gap_final_over_start": 2},
        {"verdict": "pass", "margin": 0.5, "trend": 0.123456789, "n": 3},   # figures without a run, then more runs
        {"lr": 1.5, "outcome": "completed", "loss_max_over_start": 3.5},
        {"lr": 2.0, "series": [1]},   # skipped: a record with series is a trend check's, printed per grid
        {"series": [1, 2]},
        {"lr": 3.0, "outcome": "completed"},
    ],
    "grids": {
        "g1": {"series": [{"s0_lr_over_2": 0.5, "sharpness_tail": 3.14159}, {"s0_lr_over_2": 1.25,
                                                                            "sharpness_tail": 2.5}],
               "slope": -0.123456, "verdict": "pass"},
        "g2": {"series": [{"s0_lr_over_2": 0.5, "gap": 0.123456}, {"s0_lr_over_2": 1.0}], "verdict": "fail"},
        "g3": {"slope": 1.0},
    },
}


@pytest.fixture
def stand_in_grid(monkeypatch):
    from lrbias.claims import nn as claims_nn
    from lrbias.nn import device

    state = {"calls": [], "claims": [_claim("c.one", "g", "h"), _claim("c.two", "g")], "error": None,
             "results": {"g": [types.SimpleNamespace(meta=_bracket_meta(0.5), as_dict=lambda: {"r": 1})], "h": []}}
    monkeypatch.setattr(claims_nn, "get_claims", lambda selector: state["calls"].append(("get", selector))
                        or state["claims"])

    def run_grids(claims, overrides, progress, seeds, full):
        state["calls"].append(("run_grids", [c.id for c in claims], overrides, progress is None, seeds, full))
        return state["results"]

    def check_claims(claims, results):
        state["calls"].append(("check", [c.id for c in claims], results is state["results"]))
        if state["error"] is not None:
            raise state["error"]
        return {"c.one": _Check("pass", 0.5, DETAIL), "c.two": _Check("inconclusive", None, {})}

    monkeypatch.setattr(claims_nn, "run_grids", run_grids)
    monkeypatch.setattr(claims_nn, "check_claims", check_claims)
    monkeypatch.setattr(device, "configure_threads", lambda n: state["calls"].append(("threads", n)))
    monkeypatch.setattr(nn_cli, "_saved_runs", lambda path, claims, saved: state["calls"].append(
        ("saved", path, [c.id for c in claims], saved)) or state["results"])
    return state


GRID_TABLE = (
    "claim    verdict       grid  figures\n"
    "c.one    pass          g+h   digits h=0.25:s0_lr_over_2=0.5,ratio_median=0.987654,call=EoS; "
    "plain h=0.125:gap_final_over_start=2,outcome=diverged; trend=0.123457,n=3; h=1.5:loss_max_over_start=3.5; "
    "h=3:; "
    "g1: tail S by h 0.5->3.142, 1.25->2.5, slope -0.123 (pass); g2: tail gap by h 0.5->0.1235, 1->nan (fail)\n"
    "c.two    inconclusive  g\n"
    "bracket                g     S0 2.5; m_c in (0.5, 0.75]; m* in (1.5, inf]; window eos (0.6, 1.2); "
    "runs at m = 0.5\n")


@pytest.mark.nn
def test_nn_grid_defaults(stand_in_grid, capsys):
    pytest.importorskip("torch")
    assert _run(capsys, ["nn-grid"]) == (0, GRID_TABLE, "")
    assert stand_in_grid["calls"] == [
        ("get", "all"), ("threads", 1),
        ("run_grids", ["c.one", "c.two"], {"device": "auto", "dtype": "float32", "hvp_dtype": None}, False,
         (0, 1, 2), True),
        ("check", ["c.one", "c.two"], True)]


@pytest.mark.nn
def test_nn_grid_table_and_json(stand_in_grid, capsys, tmp_path):
    pytest.importorskip("torch")
    code, out, err = _run(capsys, ["nn-grid", "--quiet"])
    assert (code, out, err) == (0, GRID_TABLE, "")
    code, out, err = _run(capsys, ["nn-grid", "--quiet", "--json", "-", "--protocol", "catalogue"])
    assert (code, err) == (0, GRID_TABLE)
    doc = json.loads(out)
    assert doc == {
        "claims": [{"id": "c.one", "title": "T c.one", "statement": "S c.one", "provenance": "paper",
                    "thresholds": {"band": [0.9, 1.1]}, "verdict": "pass", "margin": 0.5,
                    "detail": json.loads(json.dumps(DETAIL)), "grids": ["g", "h"]},
                   {"id": "c.two", "title": "T c.two", "statement": "S c.two", "provenance": "paper",
                    "thresholds": {"band": [0.9, 1.1]}, "verdict": "inconclusive", "margin": None, "detail": {},
                    "grids": ["g"]}],
        "protocol": "catalogue", "seeds": [0], "runs": {"g": [{"r": 1}], "h": []}}
    target = tmp_path / "grid.json"
    code, out, err = _run(capsys, ["nn-grid", "--quiet", "--json", str(target), "--seeds", "5,6"])
    assert (code, out, err) == (0, GRID_TABLE + f"results written to {target}\n", "")
    assert json.loads(target.read_text())["seeds"] == [5, 6]
    assert stand_in_grid["calls"][-2][4] == (5, 6)


@pytest.mark.nn
def test_nn_grid_every_option(stand_in_grid, capsys):
    pytest.importorskip("torch")
    assert _run(capsys, ["nn-grid", "--claims", "c.one", "--steps", "10000000", "--init", "default", "--protocol",
                         "catalogue", "--seeds", "bad", "--device", "cpu", "--dtype", "float64", "--hvp-dtype",
                         "float64", "--threads", "256", "--quiet"])[0] == 0
    assert stand_in_grid["calls"] == [
        ("get", "c.one"), ("threads", 256),
        ("run_grids", ["c.one", "c.two"], {"device": "cpu", "dtype": "float64", "hvp_dtype": "float64",
                                           "init_norms": None, "steps": 10_000_000}, True, None, False),
        ("check", ["c.one", "c.two"], True)]


@pytest.mark.nn
def test_nn_grid_from_json(stand_in_grid, capsys, tmp_path):
    pytest.importorskip("torch")
    saved = tmp_path / "saved.json"
    saved.write_text('{"runs": {}}')
    assert _run(capsys, ["nn-grid", "--from-json", str(saved), "--quiet"]) == (0, GRID_TABLE, "")
    assert stand_in_grid["calls"] == [("get", "all"), ("threads", 1),
                                      ("saved", str(saved), ["c.one", "c.two"], {"runs": {}}),
                                      ("check", ["c.one", "c.two"], True)]
    for error in (KeyError("k"), TypeError("t"), ValueError("v"), IndexError("i"), AttributeError("a"),
                  ZeroDivisionError("z")):
        stand_in_grid["error"] = error
        _bad(capsys, ["nn-grid", "--from-json", str(saved), "--quiet"],
             f"--from-json {saved}: the saved runs do not fit the claims ({type(error).__name__}: {short(str(error))})")
    stand_in_grid["error"] = KeyError("q" * 100)
    long = str(tmp_path) + "/." * 150 + "/saved.json"
    _bad(capsys, ["nn-grid", "--from-json", long, "--quiet"],
         f"--from-json {short(long, 240)}: the saved runs do not fit the claims (KeyError: {short(repr('q' * 100))})")
    stand_in_grid["error"] = KeyError("trained")
    code, _, err = _run(capsys, ["nn-grid", "--quiet"])
    assert code == 3 and err.startswith("lrbias: error: internal error (KeyError: 'trained')")


@pytest.mark.parametrize(("argv", "message"), [
    (["--init", "paperx"], "--init must be 'paper' or 'default', got 'paperx'"),
    (["--steps", "0"], "--steps must be an integer >= 1, got 0; accepted: 1 <= steps <= 10000000"),
    (["--steps", "10000001"], "--steps must be an integer <= 10000000, got 10000001; accepted: 1 <= steps <= 10000000"),
    (["--protocol", "fast"], "--protocol must be one of full, catalogue, got 'fast'"),
    (["--protocol", "p" * 100], f"--protocol must be one of full, catalogue, got {short('p' * 100)!r}"),
    (["--seeds", "1,1"], "bad --seeds '1,1': accepted: 1 to 32 distinct integers in 0..4294967295"),
    (["--threads", "0"], "--threads must be an integer >= 1, got 0; accepted: 1 <= threads <= 256"),
    (["--device", "tpu"], "unknown device 'tpu'; accepted: auto, cpu, cuda"),
    (["--dtype", "half"], "unknown dtype 'half'; accepted: float32, float64"),
    (["--json", ""], "--json is empty; accepted: a file name, or - for stdout"),
])
def test_nn_grid_bad_input(stand_in_grid_light, capsys, argv, message):
    _bad(capsys, ["nn-grid", *argv], message)
    assert stand_in_grid_light == [("get", "all")]


@pytest.fixture
def stand_in_grid_light(monkeypatch):
    """Only ``get_claims`` replaced (the bad input is refused before anything else is called)."""
    from lrbias.claims import nn as claims_nn

    calls = []
    monkeypatch.setattr(claims_nn, "get_claims", lambda selector: calls.append(("get", selector)) or [])
    return calls


def test_nn_grid_from_json_is_read_before_torch(stand_in_grid_light, capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, out, err = _run(capsys, ["nn-grid", "--from-json", str(bad)])
    assert (code, out) == (2, "") and err.startswith(f"lrbias: error: --from-json {bad}")
    good = tmp_path / "good.json"
    good.write_text("{}")
    _bad(capsys, ["nn-grid", "--from-json", str(good)], "the nn subcommands need torch: pip install 'lrbias[nn]'")
    _bad(capsys, ["nn-grid"], "the nn subcommands need torch: pip install 'lrbias[nn]'")
    _bad(capsys, ["nn", "--steps", "1", "--lr", "1"], "the nn subcommands need torch: pip install 'lrbias[nn]'")


def test_from_json_size_limit(stand_in_grid_light, capsys, tmp_path, monkeypatch):
    from lrbias import inputs

    seen = []
    real = inputs.read_json
    monkeypatch.setattr(inputs, "read_json", lambda path, what="", limit=None: seen.append((path, what, limit))
                        or real(path, what, limit))
    monkeypatch.setitem(sys.modules, "torch", None)
    good = tmp_path / "good.json"
    good.write_text("{}")
    assert _run(capsys, ["nn-grid", "--from-json", str(good)])[0] == 2
    assert seen == [(str(good), "--from-json", 256 * 2**20)]


def test_saved_runs_reads_the_file_with_its_flag_and_limit(tmp_path, monkeypatch):
    from lrbias import inputs

    seen = []
    real = inputs.read_json
    monkeypatch.setattr(inputs, "read_json", lambda path, what="", limit=None: seen.append((path, what, limit))
                        or real(path, what, limit))
    path = tmp_path / "saved.json"
    path.write_text('{"runs": 1}')
    assert _error(nn_cli._saved_runs, str(path), []) == \
        f"--from-json {path}: not an nn-grid JSON output ('runs' must be an object of grids, not int)"
    assert seen == [(str(path), "--from-json", 256 * 2**20)]
