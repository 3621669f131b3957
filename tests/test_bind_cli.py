"""Binding tests of the ``lrbias`` command line's core (lrbias/cli/__init__.py, start.py, check.py): the error
policy of ``main`` (each exception's exit code and whole one-line message, --debug, the restored streams and
Hypothesis folder), the argparse overrides, ``families``/``dor`` on stand-in families, the start and step-size
rule at each boundary, and ``check``'s exit status, table and command on a stand-in run.  Fast: nothing is
trained or searched."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pytest

import lrbias.cli as cli
from lrbias._version import __version__
from lrbias.cli import DEBUG_ENV, INTERNAL_ERROR, ArgumentParser, _debugging, _fail, _hypothesis_storage, main, start
from lrbias.cli.check import EPILOG, FAIL_ON, exit_status, format_frontier, print_results
from lrbias.cli.start import MAX_STEPS, add_start_arguments, finite, step_size
from lrbias.errors import InvalidArgument, LrbiasError, RunError


def _raising(exc: BaseException):
    def func(args):
        raise exc
    return func


def _main_with(monkeypatch, capsys, func, argv=("families",)):
    """``main(argv)`` with ``families`` replaced by ``func``: (exit code, stdout, stderr)."""
    monkeypatch.setattr(cli, "_cmd_families", func)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- lrbias/cli/__init__.py ---------------------------------------------------------------------------------

def test_constants():
    assert (INTERNAL_ERROR, DEBUG_ENV) == (3, "LRBIAS_DEBUG")


def test_argument_parser_error_is_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        ArgumentParser(prog="prog").error("it broke")
    assert exc.value.code == 2
    assert capsys.readouterr() == ("", "prog: error: it broke (see 'prog --help')\n")


def test_main_bad_subcommand_exits_2_with_the_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["nope"])
    assert exc.value.code == 2
    assert capsys.readouterr() == ("", "lrbias: error: argument command: invalid choice: 'nope' (choose from "
                                       "'families', 'dor', 'run', 'sweep', 'certify', 'check', 'report', 'diff', "
                                       "'nn', 'nn-grid') (see 'lrbias --help')\n")


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr() == (f"lrbias {__version__}\n", "")


def test_get_value_ascii_numbers_only(capsys):
    p = ArgumentParser(prog="p")
    p.add_argument("-x", "--ex", type=float)
    p.add_argument("--k", type=int)
    p.add_argument("--s")
    p.add_argument("n", type=int, nargs="?")
    assert vars(p.parse_args(["--ex", "0.5", "--k", "12", "--s", "é", "7"])) == {"ex": 0.5, "k": 12, "s": "é", "n": 7}
    for argv, line in [
        (["--ex", "١"], "p: error: argument -x/--ex: -x/--ex '١' is not a number written in ASCII digits; accepted: "
                        "e.g. 12, 0.5, 1e-3 (see 'p --help')\n"),
        (["--k", "１２"], "p: error: argument --k: --k '１２' is not a number written in ASCII digits; accepted: "
                         "e.g. 12, 0.5, 1e-3 (see 'p --help')\n"),
        (["٣"], "p: error: argument n: n '٣' is not a number written in ASCII digits; accepted: e.g. 12, 0.5, "
                "1e-3 (see 'p --help')\n"),
        (["--k", "x"], "p: error: argument --k: invalid int value: 'x' (see 'p --help')\n"),
    ]:
        with pytest.raises(SystemExit) as exc:
            p.parse_args(argv)
        assert exc.value.code == 2
        assert capsys.readouterr() == ("", line)


class _Family:
    def __init__(self, spec):
        self.spec = spec
        self.formula = f"l_{spec}(s)"
        self.params = {"a": 0.5, "b": 3} if spec == "one" else {}
        self.curvature = 1.23456789 if spec == "one" else 2.0
        self.curvature_exact = "1.2" if spec == "one" else 2
        self.smoothness = "C1" if spec == "one" else "analytic"
        self.description = f"family {spec}"


class _Dor:
    def __init__(self, fam, method):
        self.value = 0.123456 if fam.spec == "one" else 2.0
        self.exact = None if fam.spec == "one" else "2"
        self.method = method

    def as_dict(self):
        return {"value": self.value, "exact": self.exact, "method": self.method}

    def describe(self, spec):
        return f"dor({spec}) = {self.value} by {self.method}"


@pytest.fixture
def stand_in_families(monkeypatch):
    from lrbias.losses import families, regularity

    calls = []

    def dor(fam, method="default-of-the-stand-in"):
        calls.append((fam.spec, method))
        return _Dor(fam, method)

    monkeypatch.setattr(families, "builtin_specs", lambda: ["one", "two"])
    monkeypatch.setattr(families, "get_family", _Family)
    monkeypatch.setattr(regularity, "degree_of_regularity", dor)
    return calls


def test_families_json_and_table(stand_in_families, capsys):
    assert main(["families", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out) == {"families": [
        {"spec": "one", "formula": "l_one(s)", "parameters": {"a": "0.5", "b": "3"}, "curvature": 1.23456789,
         "curvature_exact": "1.2", "dor": 0.123456, "dor_exact": None, "dor_method": "default-of-the-stand-in",
         "smoothness": "C1", "description": "family one"},
        {"spec": "two", "formula": "l_two(s)", "parameters": {}, "curvature": 2.0, "curvature_exact": "2",
         "dor": 2.0, "dor_exact": "2", "dor_method": "default-of-the-stand-in", "smoothness": "analytic",
         "description": "family two"}]}
    assert out.startswith('{\n  "families": [\n    {\n      "spec": "one",')
    assert stand_in_families == [("one", "default-of-the-stand-in"), ("two", "default-of-the-stand-in")]
    assert main(["families"]) == 0
    assert capsys.readouterr() == (
        "spec  l''(1)   dor     smooth    formula\n"
        "one   1.23457  0.1235  C1        l_one(s)\n"
        "two   2        2       analytic  l_two(s)\n"
        "\ndor = growth exponent of l(s) - l(1) as |s| -> oo (larger tail); small dor = good regularity.\n"
        "Any other loss: expr:<formula in s>, e.g. lrbias dor 'expr:(s-1)**2/2'.\n", "")


def test_dor_text_and_json(stand_in_families, capsys):
    assert main(["dor", "one"]) == 0
    assert capsys.readouterr() == ("dor(one) = 0.123456 by auto\n", "")
    assert main(["dor", "two", "--method", "numeric", "--json"]) == 0
    assert capsys.readouterr() == ('{\n  "spec": "two",\n  "value": 2.0,\n  "exact": "2",\n  "method": "numeric"\n}\n',
                                   "")
    assert stand_in_families == [("one", "auto"), ("two", "numeric")]


def test_debugging(monkeypatch):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    assert _debugging(["--debug"]) is True
    assert _debugging(["x", "--debug"]) is True
    assert _debugging(["--debugx"]) is False
    assert _debugging([]) is False
    for value, expected in [("", False), ("0", False), ("1", True), ("yes", True), ("00", True)]:
        monkeypatch.setenv(DEBUG_ENV, value)
        assert _debugging([]) is expected, value


def test_fail(capsys):
    assert _fail("a  b\n\tc ", 7, False) == 7
    assert capsys.readouterr() == ("", "lrbias: error: a b c\n")
    assert _fail(" \n ", 1, False) == 1
    assert capsys.readouterr() == ("", "lrbias: error: unknown error\n")
    assert _fail("x" * 400, 2, False) == 2
    assert capsys.readouterr().err == "lrbias: error: " + "x" * 400 + "\n"
    assert _fail("y" * 401, 2, False) == 2
    assert capsys.readouterr().err == "lrbias: error: " + "y" * 197 + " ... " + "y" * 198 + "\n"
    try:
        raise ValueError("inner")
    except ValueError:
        assert _fail("m", 4, True) == 4
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n") and err.endswith(
        "ValueError: inner\nlrbias: error: m\n")


@pytest.mark.parametrize(("exc", "code", "line"), [
    (RunError("the run  failed"), 1, "lrbias: error: the run failed\n"),
    (InvalidArgument("bad\ninput"), 2, "lrbias: error: bad input\n"),
    (LrbiasError("plain"), 2, "lrbias: error: plain\n"),
    (KeyboardInterrupt(), 130, "lrbias: interrupted\n"),
    (OSError(2, "No such file or directory", "/x/y"), 1, "lrbias: error: /x/y: No such file or directory\n"),
    (OSError(28, "No space left on device"), 1, "lrbias: error: No space left on device\n"),
    (OSError("no strerror"), 1, "lrbias: error: no strerror\n"),
    (OSError(13, "Permission denied", "p" * 241), 1,
     "lrbias: error: " + "p" * 117 + " ... " + "p" * 118 + ": Permission denied\n"),
    (OSError(13, "Permission denied", "q" * 240), 1, "lrbias: error: " + "q" * 240 + ": Permission denied\n"),
    (RecursionError("deep"), 2, "lrbias: error: the input is nested too deeply to process\n"),
    (MemoryError(), 1, "lrbias: error: out of memory; try a smaller input or budget\n"),
    (ValueError("odd"), 3, "lrbias: error: internal error (ValueError: odd); rerun with --debug for the traceback "
                           "and report it\n"),
    (KeyError("z" * 200), 3, "lrbias: error: internal error (KeyError: '" + "z" * 96 + " ... " + "z" * 97
     + "'); rerun with --debug for the traceback and report it\n"),
    (TypeError("t" * 200), 3, "lrbias: error: internal error (TypeError: " + "t" * 200 + "); rerun with --debug "
                              "for the traceback and report it\n"),
])
def test_main_error_policy(monkeypatch, capsys, exc, code, line):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    assert _main_with(monkeypatch, capsys, _raising(exc)) == (code, "", line)


def test_main_debug_adds_the_traceback(monkeypatch, capsys):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    for argv in (["families", "--debug"], ["--debug", "families"]):
        code, out, err = _main_with(monkeypatch, capsys, _raising(RunError("boom")), argv)
        assert (code, out) == (1, "")
        assert err.startswith("Traceback (most recent call last):\n")
        assert err.endswith("lrbias.errors.RunError: boom\nlrbias: error: boom\n")
    monkeypatch.setenv(DEBUG_ENV, "1")
    code, out, err = _main_with(monkeypatch, capsys, _raising(ValueError("v")))
    assert code == 3 and err.startswith("Traceback") and "ValueError: v\n" in err


@pytest.mark.parametrize(("exc", "code"), [(LrbiasError("l"), 2), (OSError(5, "I/O error"), 1),
                                         (RecursionError("r"), 2), (MemoryError(), 1)])
def test_main_debug_on_each_branch(monkeypatch, capsys, exc, code):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    got, out, err = _main_with(monkeypatch, capsys, _raising(exc), ["--debug", "families"])
    assert (got, out) == (code, "") and err.startswith("Traceback (most recent call last):\n")


def test_main_exit_code_of_the_command(monkeypatch, capsys):
    assert _main_with(monkeypatch, capsys, lambda args: None) == (0, "", "")
    assert _main_with(monkeypatch, capsys, lambda args: 5) == (5, "", "")
    assert _main_with(monkeypatch, capsys, lambda args: print(args.json) or 0, ["families", "--json"]) == \
        (0, "True\n", "")


def test_main_broken_pipe_points_stdout_at_devnull(monkeypatch):
    import os

    calls = []

    class Out:
        def write(self, text):
            return len(text)

        def flush(self):
            pass

        def fileno(self):
            return 99

    monkeypatch.setattr(os, "open", lambda path, flags: calls.append(("open", path, flags)) or 42)
    monkeypatch.setattr(os, "dup2", lambda a, b: calls.append(("dup2", a, b)))
    monkeypatch.setattr(sys, "stdout", Out())
    monkeypatch.setattr(cli, "_cmd_families", _raising(BrokenPipeError()))
    assert main(["families"]) == 141
    assert calls == [("open", os.devnull, os.O_WRONLY), ("dup2", 42, 99)]


def test_main_reads_sys_argv_and_restores_the_streams(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["lrbias", "families", "--json"])
    seen = []

    def func(args):
        seen.append((args.json, type(sys.stdout).__name__, type(sys.stderr).__name__))
        print("esc \x1b[2J")
        print("err \x07", file=sys.stderr)
        return 0

    monkeypatch.setattr(cli, "_cmd_families", func)
    before = sys.stdout, sys.stderr
    assert main() == 0
    assert (sys.stdout, sys.stderr) == before
    assert seen == [(True, "SafeStream", "SafeStream")]
    assert capsys.readouterr() == ("esc \\x1b[2J\n", "err \\x07\n")
    monkeypatch.setattr(cli, "_cmd_families", _raising(KeyError("k")))
    assert main(["families"]) == 3
    assert (sys.stdout, sys.stderr) == before


def _home_dir():
    from hypothesis import configuration

    return getattr(configuration, "__hypothesis_home_directory", "unset")


def test_hypothesis_storage(monkeypatch, tmp_path):
    from hypothesis import configuration

    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    outside = _home_dir()
    configuration.set_hypothesis_home_dir(tmp_path / "before")
    try:
        with _hypothesis_storage():
            assert _home_dir() == tmp_path / "xdg" / "lrbias" / "hypothesis"
        assert _home_dir() == tmp_path / "before"
        monkeypatch.setenv("XDG_CACHE_HOME", "")
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        with _hypothesis_storage():
            assert _home_dir() == tmp_path / "home" / ".cache" / "lrbias" / "hypothesis"
        assert _home_dir() == tmp_path / "before"
        with pytest.raises(KeyError), _hypothesis_storage():
            raise KeyError("x")
        assert _home_dir() == tmp_path / "before"
        monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "own"))
        with _hypothesis_storage():
            assert _home_dir() == tmp_path / "before"
        monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", "")
        with _hypothesis_storage():
            assert _home_dir() == tmp_path / "home" / ".cache" / "lrbias" / "hypothesis"
        monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY")
        seen = []
        monkeypatch.setattr(cli, "_cmd_families", lambda args: seen.append(_home_dir()) or 0)
        assert main(["families"]) == 0
        assert seen == [tmp_path / "home" / ".cache" / "lrbias" / "hypothesis"]
        assert _home_dir() == tmp_path / "before"
    finally:
        configuration.set_hypothesis_home_dir(outside)


def test_executor_options_are_exclusive(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--scheduler", "tcp://h:1", "--workers", "2"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == ("lrbias check: error: argument --workers: not allowed with argument "
                                       "--scheduler (see 'lrbias check --help')\n")


# ---- lrbias/cli/start.py ------------------------------------------------------------------------------------

def test_start_constants():
    assert (MAX_STEPS, start.__all__) == (10_000_000, ["MAX_STEPS", "add_start_arguments", "finite", "step_size"])


def test_add_start_arguments(capsys):
    p = ArgumentParser(prog="p")
    add_start_arguments(p, "EXAMPLE")
    assert [(a.option_strings, a.type, a.required, a.help) for a in p._actions[1:]] == [
        (["--loss"], None, True, "loss spec, e.g. EXAMPLE"),
        (["--x0"], float, True, "initial x"),
        (["--y0"], float, True, "initial y"),
        (["--C"], float, False, "learning-rate knob: h = C / (x0² + y0²)"),
        (["--h"], float, False, "learning rate h > 0"),
        (["--kappa"], float, False, "the claims' knob: h = κ / (l''(1)(x0² + y0²)), κ = C·l''(1); κ > 2 is past 2/L "
                                    "at the start")]
    assert vars(p.parse_args(["--loss", "l", "--x0", "1", "--y0", "-2", "--kappa", "3"])) == \
        {"loss": "l", "x0": 1.0, "y0": -2.0, "C": None, "h": None, "kappa": 3.0}
    for argv, err in [
        (["--loss", "l", "--x0", "1", "--y0", "2"], "p: error: one of the arguments --C --h --kappa is required "
                                                   "(see 'p --help')\n"),
        (["--loss", "l", "--x0", "1", "--y0", "2", "--C", "1", "--h", "1"],
         "p: error: argument --h: not allowed with argument --C (see 'p --help')\n"),
        (["--x0", "1", "--y0", "2", "--C", "1"], "p: error: the following arguments are required: --loss "
                                                 "(see 'p --help')\n"),
        (["--loss", "l", "--y0", "2", "--C", "1"], "p: error: the following arguments are required: --x0 "
                                                   "(see 'p --help')\n"),
        (["--loss", "l", "--x0", "2", "--C", "1"], "p: error: the following arguments are required: --y0 "
                                                   "(see 'p --help')\n"),
    ]:
        with pytest.raises(SystemExit):
            p.parse_args(argv)
        assert capsys.readouterr().err == err


def test_finite():
    assert finite("--a", -1.5) == -1.5
    assert finite("--a", 1e308) == 1e308
    for value in (math.inf, -math.inf, math.nan):
        with pytest.raises(InvalidArgument) as exc:
            finite("--b", value)
        assert str(exc.value) == f"--b = {value} is not finite; accepted: a finite real number"


def _knobs(x0=1.0, y0=1.0, h=None, C=None, kappa=None):
    return argparse.Namespace(x0=x0, y0=y0, h=h, C=C, kappa=kappa)


def _step_error(args, curvature=1.0):
    with pytest.raises(InvalidArgument) as exc:
        step_size(args, curvature)
    return str(exc.value)


def test_step_size_values():
    h = step_size(_knobs(h=2), 5.0)
    assert h == 2.0 and type(h) is float
    assert step_size(_knobs(h=5e-324), 1.0) == 5e-324
    assert step_size(_knobs(x0=0.0, y0=0.0, h=0.5), 1.0) == 0.5  # --h needs no start other than the saddle
    assert step_size(_knobs(x0=1.0, y0=1.0, C=1.0), 9.0) == 0.5
    assert step_size(_knobs(x0=3.0, y0=-4.0, C=5.0), 9.0) == 0.2
    assert step_size(_knobs(x0=1.0, y0=0.0, C=3.0), 9.0) == 3.0  # q0 = 1
    assert step_size(_knobs(x0=0.0, y0=1.0, kappa=3.0), 2.0) == 1.5
    assert step_size(_knobs(x0=1.0, y0=1.0, kappa=2.0), 4.0) == 0.25
    assert step_size(_knobs(x0=1.0, y0=1.0, C=1e-323), 1.0) == 5e-324


def test_step_size_errors():
    assert _step_error(_knobs(x0=math.inf, C=1.0)) == "--x0 = inf is not finite; accepted: a finite real number"
    assert _step_error(_knobs(y0=math.nan, h=1.0)) == "--y0 = nan is not finite; accepted: a finite real number"
    for name in ("h", "C", "kappa"):
        for value in (0.0, -1.0, math.inf, math.nan):
            assert _step_error(_knobs(**{name: value})) == \
                f"--{name} {value} is invalid; accepted: a finite number > 0"
    assert _step_error(_knobs(x0=1e155, y0=0.0, h=1.0)) == \
        "--x0 1e+155 --y0 0: x0² + y0² overflows; accepted: |x0|, |y0| < 1e154"
    assert _step_error(_knobs(x0=0.0, y0=-2e154, C=1.0)) == \
        "--x0 0 --y0 -2e+154: x0² + y0² overflows; accepted: |x0|, |y0| < 1e154"
    assert step_size(_knobs(x0=1e153, y0=1e153, C=1.0), 1.0) == 1 / 2e306
    assert _step_error(_knobs(x0=0.0, y0=0.0, C=1.0)) == \
        "--x0 0 --y0 0 with --C: h is undefined at the saddle; accepted: a start other than (0, 0), or --h"
    assert _step_error(_knobs(x0=0.0, y0=0.0, kappa=1.0)) == \
        "--x0 0 --y0 0 with --kappa: h is undefined at the saddle; accepted: a start other than (0, 0), or --h"
    assert _step_error(_knobs(x0=1e-160, y0=0.0, C=1e308)) == \
        ("--C gives the step size h = inf, which is not a finite number > 0; accepted: a start and knob with "
         "0 < h < inf")
    assert _step_error(_knobs(x0=2.0, y0=0.0, C=5e-324)) == \
        ("--C gives the step size h = 0, which is not a finite number > 0; accepted: a start and knob with "
         "0 < h < inf")
    assert _step_error(_knobs(kappa=1.0), -1.0) == \
        ("--kappa gives the step size h = -0.5, which is not a finite number > 0; accepted: a start and knob with "
         "0 < h < inf")
    assert _step_error(_knobs(kappa=1.0), math.inf) == \
        ("--kappa gives the step size h = 0, which is not a finite number > 0; accepted: a start and knob with "
         "0 < h < inf")


# ---- lrbias/cli/check.py ------------------------------------------------------------------------------------

def test_check_constants():
    assert FAIL_ON == ("fail", "inconclusive")
    assert EPILOG.startswith("exit status (as pytest's, for regression runs): 0 when every claim passes")


def _r(rid, verdict, **kw):
    return {"id": rid, "verdict": verdict, **kw}


def test_exit_status():
    results = [_r("a", "pass"), _r("b", "fail"), _r("c", "inconclusive"), _r("d", "fail"), _r("e", "pass"),
               _r("f", "inconclusive")]
    known = {"d": "known d", "e": "known e", "f": "known f"}
    assert exit_status(results, known) == (1, ["b: fails and is not a recorded known finding",
                                               "e: a recorded known finding now passes (strict): remove the finding"])
    assert exit_status(results, known, "inconclusive") == (1, [
        "b: fails and is not a recorded known finding",
        "c: inconclusive (--fail-on inconclusive)",
        "e: a recorded known finding now passes (strict): remove the finding"])
    assert exit_status([_r("a", "pass"), _r("c", "inconclusive"), _r("d", "fail")], {"d": ""}) == (0, [])
    assert exit_status([], {}, "inconclusive") == (0, [])
    assert exit_status([_r("x", "other")], {}, "inconclusive") == (0, [])
    with pytest.raises(InvalidArgument) as exc:
        exit_status([], {}, "error")
    assert str(exc.value) == "--fail-on 'error' is invalid; accepted: fail, inconclusive"


def test_format_frontier():
    assert format_frontier(None) == "-"
    assert format_frontier({}) == "-"
    assert format_frontier({"parameter": "C"}) == ""
    assert format_frontier({"families": {
        "sq": {"holds_on": [[0.5, 2.0], [3.25, 1e-7]]},
        "pw": {"holds_on": []},
        "hb": {}}}) == "sq: kappa in [0.5,2],[3.25,1e-07]; pw: kappa in nowhere; hb: kappa in nowhere"
    assert format_frontier({"parameter": "C", "families": {"sq": {"holds_on": [(1, 2)]}}}) == "sq: C in [1,2]"


def test_print_results_whole(capsys):
    results = [
        _r("a.one", "pass", provenance="exact", examples=10, worst_margin=0.123456, notes=["not shown"],
           frontier={"families": {"sq": {"holds_on": [[0, 2]]}}}, coverage=["float64 10/10", "quad 2/2"]),
        _r("b", "fail", provenance="paper", examples=3, worst_margin=-1.5, notes=["n1", "n2"],
           counterexample={"case": "x=1", "margin": -1.23456, "detail": {"k": 1}, "confirmed": True,
                           "replay": "lrbias run --h 1", "certificate": {"tier": "certified", "how": "arb",
                                                                         "reason": "r"}}),
        _r("c", "inconclusive", provenance="reconstructed", examples=0, worst_margin=None, coverage=[],
           counterexample={"case": "y=2", "margin": "inf", "detail": "d", "confirmed": False, "replay": "",
                           "certificate": {"tier": "float64", "reason": "why not"}}),
        _r("d", "fail", provenance="paper", examples=1, worst_margin=0.0,
           counterexample={"case": "z", "margin": 0.5, "detail": None, "confirmed": None, "certificate": {}}),
        _r("e", "fail", provenance="paper", examples=1, worst_margin=1.0, notes=[], counterexample=None),
        _r("f", "inconclusive", provenance="paper", examples=2, worst_margin=2.0, notes=["only a note"]),
    ]
    print_results(results)
    first = capsys.readouterr()
    assert first == (
        "id     provenance     verdict       examples  worst margin  frontier\n"
        "a.one  exact          pass          10        0.123         sq: kappa in [0,2]\n"
        "b      paper          FAIL          3         -1.5          -\n"
        "c      reconstructed  inconclusive  0         -             -\n"
        "d      paper          FAIL          1         0             -\n"
        "e      paper          FAIL          1         1             -\n"
        "f      paper          inconclusive  2         2             -\n"
        "\nhigh-precision confirmations (tiers: float64 -> quad -> mpmath):\n"
        "  a.one: float64 10/10\n"
        "  a.one: quad 2/2\n"
        "\nb: fail\n"
        "  note: n1\n"
        "  note: n2\n"
        "  counterexample (confirmed at high precision): x=1\n"
        "  margin -1.23; detail {'k': 1}\n"
        "  replay: lrbias run --h 1\n"
        "  tier: certified (arb)\n"
        "\nc: inconclusive\n"
        "  counterexample (NOT confirmed at high precision): y=2\n"
        "  margin inf; detail d\n"
        "  tier: float64 (why not)\n"
        "\nd: fail\n"
        "  counterexample (no high-precision confirmation): z\n"
        "  margin 0.5; detail None\n"
        "\nf: inconclusive\n"
        "  note: only a note\n", "")
    import io

    stream = io.StringIO()
    print_results(results, stream)
    assert capsys.readouterr() == ("", "")
    assert stream.getvalue() == first.out


def test_print_results_to_a_stream_and_without_coverage(capsys):
    import io

    out = io.StringIO()
    print_results([_r("a", "pass", provenance="p", examples=1, worst_margin=1.0)], out)
    assert out.getvalue() == ("id  provenance  verdict  examples  worst margin  frontier\n"
                              "a   p           pass     1         1             -\n")
    assert capsys.readouterr() == ("", "")


class _Run:
    def __init__(self, results, written=None):
        self.results, self.written, self.elapsed_s = results, written, 1.5


@pytest.fixture
def stand_in_check(monkeypatch):
    """``run_check``, ``known_findings`` and ``build_document`` replaced; returns the recorded calls and the
    results the run gives (mutable)."""
    from lrbias.claims import results as results_mod
    from lrbias.report import job

    state = {"calls": [], "results": [_r("a", "pass", provenance="p", examples=1, worst_margin=1.0)],
             "written": None, "known": {}}

    def run_check(ids, profile, seed, command, **kw):
        kw["progress"] = "stderr" if kw["progress"] is sys.stderr else kw["progress"]
        state["calls"].append(("run_check", ids, profile.name, seed, command, kw))
        return _Run(state["results"], state["written"])

    def known_findings(ids, results):
        state["calls"].append(("known_findings", list(ids), results))
        return state["known"]

    def build_document(results, profile, seed, command, elapsed_s):
        return {"results": results, "profile": profile, "seed": seed, "command": command, "elapsed_s": elapsed_s}

    monkeypatch.setattr(job, "run_check", run_check)
    monkeypatch.setattr(job, "known_findings", known_findings)
    monkeypatch.setattr(results_mod, "build_document", build_document)
    return state


TABLE_A = ("id  provenance  verdict  examples  worst margin  frontier\n"
           "a   p           pass     1         1             -\n")


def test_check_defaults(stand_in_check, capsys):
    assert main(["check"]) == 0
    assert capsys.readouterr() == (TABLE_A, "")
    results = stand_in_check["results"]
    assert stand_in_check["calls"] == [
        ("run_check", [], "default", 0, "lrbias check --profile default --seed 0",
         {"include_nn": True, "starts": None, "variants": (), "json_out": None, "database": None, "scheduler": None,
          "workers": None, "progress": "stderr"}),
        ("known_findings", ["a"], results)]


def test_check_every_option(stand_in_check, capsys, tmp_path):
    out = tmp_path / "r.json"
    db = tmp_path / "db"
    stand_in_check["written"] = out
    stand_in_check["results"] = [_r("a", "fail", provenance="p", examples=1, worst_margin=-1.0),
                                 _r("b", "inconclusive", provenance="p", examples=1, worst_margin=0.5)]
    code = main(["check", "a", "b", "--profile", "smoke", "--seed", "7", "--no-nn", "--variants", "v1.toml",
                 "--variants", "v 2.py", "--starts", "box", "--json", str(out), "--database", str(db), "--quiet",
                 "--workers", "2", "--fail-on", "inconclusive"])
    assert code == 1
    assert capsys.readouterr() == (
        "id  provenance  verdict       examples  worst margin  frontier\n"
        "a   p           FAIL          1         -1            -\n"
        "b   p           inconclusive  1         0.5           -\n"
        f"\nresults written to {out}\n",
        "lrbias check: a: fails and is not a recorded known finding\n"
        "lrbias check: b: inconclusive (--fail-on inconclusive)\n")
    assert stand_in_check["calls"][0] == (
        "run_check", ["a", "b"], "smoke", 7,
        "lrbias check a b --profile smoke --seed 7 --no-nn --variants v1.toml --variants 'v 2.py' --starts box",
        {"include_nn": False, "starts": "box", "variants": ["v1.toml", "v 2.py"], "json_out": out, "database": db,
         "scheduler": None, "workers": 2, "progress": None})
    stand_in_check["known"] = {"a": "known"}
    assert main(["check", "a", "b", "--scheduler", "tcp://h:1"]) == 0
    assert stand_in_check["calls"][-2][5]["scheduler"] == "tcp://h:1"
    capsys.readouterr()


def test_check_json_on_stdout(stand_in_check, capsys):
    assert main(["check", "--json", "-", "--seed", "3"]) == 0
    out, err = capsys.readouterr()
    assert err == TABLE_A
    assert json.loads(out) == {"results": stand_in_check["results"], "profile": "default", "seed": 3,
                               "command": "lrbias check --profile default --seed 3", "elapsed_s": 1.5}
    assert out.startswith('{\n "results": [')
    assert stand_in_check["calls"][0][5]["json_out"] is None


def test_check_bad_seed_and_profile(stand_in_check, capsys):
    assert main(["check", "--seed", "-1"]) == 2
    assert capsys.readouterr() == ("", "lrbias: error: --seed -1 is negative; accepted: an integer >= 0\n")
    assert stand_in_check["calls"] == []
    assert main(["check", "--seed", "0"]) == 0
    capsys.readouterr()
    assert main(["check", "--json", str(Path("/no/such/folder/x.json"))]) == 2
    assert capsys.readouterr().err.startswith("lrbias: error: --json /no/such/folder/x.json")
