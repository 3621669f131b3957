"""Bad input: every kind of bad spec gets its documented error; the CLI exits 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lrbias.cli import main
from lrbias.errors import ExpressionError, MinimiserError, ParameterError, SpecError
from lrbias.losses.families import get_family

BAD_SPECS = [
    ("", SpecError, "empty loss spec"),
    ("nosuch", SpecError, "unknown loss family 'nosuch'"),
    ("Power!", SpecError, "malformed loss spec"),
    ("power:", SpecError, "nothing after ':'"),
    ("power:b", SpecError, "expected k=v"),
    ("power:b=3,b=5", SpecError, "given twice"),
    ("power:c=1", SpecError, "unknown parameter 'c'; accepted parameters: b"),
    ("square:a=1", SpecError, "accepted parameters: none"),
    ("power:b=2", ParameterError, "b=2 is out of range; accepted: b an odd integer"),
    ("power:b=1.5", ParameterError, "out of range"),
    ("power:b=53", ParameterError, "1 <= b <= 51"),
    ("softplus-pair:a=0", ParameterError, "a=0 is out of range; accepted: 0 < a <= 1"),
    ("softplus-pair:a=1.5", ParameterError, "0 < a <= 1"),
    ("softplus-pair:a=-0.5", ParameterError, "0 < a <= 1"),
    ("softplus-pair:a=nan", ParameterError, "is not a number"),
    ("huber:delta=0", ParameterError, "delta > 0"),
    ("expr:", ExpressionError, "empty expression"),
    ("expr:(s-2)**2", MinimiserError, "l'(1) = -2.0"),
    ("expr:(s-1)**4", MinimiserError, "l''(1) = 0"),
    ("expr:(s-1)**2 - (s-1)**4", MinimiserError, "global minimiser is not at s = 1"),
    ("expr:__import__('os').system('true')", ExpressionError, "not allowed"),
    ("expr:s.real", ExpressionError, "not allowed"),
    ("expr:(lambda: 1)()", ExpressionError, "not allowed"),
    ("expr:exec('1')", ExpressionError, "function 'exec' is not allowed"),
    ("expr:x**2", ExpressionError, "unknown name 'x'"),
    ("expr:'s'", ExpressionError, "only numbers"),
    ("expr:log(s, 2)", ExpressionError, "exactly one positional argument"),
    ("expr:10**10**10", ExpressionError, "exponent"),
    ("expr:(s-1)**2/0", ExpressionError, "division by zero"),
    ("expr:(s-1)**2 +", ExpressionError, "cannot parse"),
    ("expr:log(s)", MinimiserError, "l'(1) = 1.0"),
    ("expr:(s-1)**2 + log(s) - s + 1", ExpressionError, "not real and finite at s = -20"),
    ("expr:" + "-(" * 45 + "s" + ")" * 45, ExpressionError, "nested deeper"),
    ("expr:" + "+".join(["(s-1)**2"] * 60), ExpressionError, "characters long"),
    ("expr:3", ExpressionError, "does not depend on s"),
]


@pytest.mark.parametrize(("spec", "error", "message"), BAD_SPECS)
def test_bad_specs_raise_documented_errors(spec, error, message):
    with pytest.raises(error) as info:
        get_family(spec)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("spec", "error", "message"), BAD_SPECS[:12])
def test_cli_exits_2_with_one_line(capsys, spec, error, message):
    assert main(["dor", spec]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["dor"], ["nosuch"], ["families", "--bogus"],
                                  ["dor", "square", "--method", "x"]])
def test_cli_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_console_script_exit_code_and_message():
    """The real process: exit status 2, one line on stderr, nothing on stdout."""
    proc = subprocess.run([sys.executable, "-m", "lrbias.cli", "dor", "power:b=2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("lrbias: error: power: b=2 is out of range; accepted: "
                                   "b an odd integer, 1 <= b <= 51")
    assert proc.stdout == ""


# --- one error hierarchy (issue 21) ------------------------------------------------------------

def test_the_error_hierarchy_separates_bad_input_from_a_failed_run():
    from lrbias.errors import (
        ExpressionError,
        InvalidArgument,
        LrbiasError,
        MinimiserError,
        NumberRangeError,
        ParameterError,
        RunError,
        SpecError,
    )

    for bad_input in (SpecError, ParameterError, ExpressionError, MinimiserError, NumberRangeError):
        assert issubclass(bad_input, InvalidArgument)
    assert issubclass(InvalidArgument, LrbiasError) and issubclass(RunError, LrbiasError)
    assert not issubclass(RunError, InvalidArgument) and not issubclass(LrbiasError, ValueError)


@pytest.mark.parametrize("call", [
    lambda: __import__("lrbias").entry_by_id("no.such-entry", []),
    lambda: __import__("lrbias").objective.loss(__import__("lrbias").get_family("square"), 1.0, 1.0, backend="fortran"),
    lambda: __import__("lrbias").Frontier(("square",), 3.0, 1.0, lambda *a: None),
])
def test_the_public_api_raises_invalid_argument_for_bad_input(call):
    from lrbias.errors import InvalidArgument

    with pytest.raises(InvalidArgument):
        call()
