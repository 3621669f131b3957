"""The ``lrbias`` command line.  Bad input exits 2 with a one-line message, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

from lrbias._version import __version__
from lrbias.errors import LrbiasError, RunError, short
from lrbias.serial import SafeStream, dumps, print_table

INTERNAL_ERROR = 3   # pytest's exit code for an internal error


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line error message (exit code 2) instead of the usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def _get_value(self, action: argparse.Action, arg_string: str) -> object:
        """Numbers in ASCII only: Python's int/float also read Arabic-Indic or fullwidth digits."""
        if action.type in (int, float) and not arg_string.isascii():
            name = "/".join(action.option_strings) or action.dest
            raise argparse.ArgumentError(action, f"{name} {arg_string!r} is not a number written in ASCII digits; "
                                         "accepted: e.g. 12, 0.5, 1e-3")
        return super()._get_value(action, arg_string)


def _cmd_families(args: argparse.Namespace) -> int:
    from lrbias.losses.families import builtin_specs, get_family
    from lrbias.losses.regularity import degree_of_regularity

    rows = []
    for spec in builtin_specs():
        fam = get_family(spec)
        dor = degree_of_regularity(fam)
        rows.append({
            "spec": fam.spec,
            "formula": fam.formula,
            "parameters": {k: str(v) for k, v in fam.params.items()},
            "curvature": fam.curvature,
            "curvature_exact": str(fam.curvature_exact),
            "dor": dor.value,
            "dor_exact": dor.exact,
            "dor_method": dor.method,
            "smoothness": fam.smoothness,
            "description": fam.description,
        })
    if args.json:
        print(dumps({"families": rows}, indent=2))
        return 0
    print_table(("spec", "l''(1)", "dor", "smooth", "formula"),
                [(str(r["spec"]), f"{r['curvature']:.6g}", str(r["dor_exact"] or f"{r['dor']:.4g}"),
                  str(r["smoothness"]), str(r["formula"])) for r in rows], free_last=True)
    print("\ndor = growth exponent of l(s) - l(1) as |s| -> oo (larger tail); small dor = good "
          "regularity.\nAny other loss: expr:<formula in s>, e.g. lrbias dor 'expr:(s-1)**2/2'.")
    return 0


def _cmd_dor(args: argparse.Namespace) -> int:
    from lrbias.losses.families import get_family
    from lrbias.losses.regularity import degree_of_regularity

    fam = get_family(args.spec)
    dor = degree_of_regularity(fam, method=args.method)
    if args.json:
        print(dumps({"spec": fam.spec, **dor.as_dict()}, indent=2))
    else:
        print(dor.describe(fam.spec))
    return 0


def build_parser() -> ArgumentParser:
    """The argument parser for every subcommand."""
    parser = ArgumentParser(
        prog="lrbias",
        description="Theory checks for large-learning-rate implicit biases of gradient descent "
        "on f(x, y) = l(xy) (arXiv 2310.17087).",
    )
    parser.add_argument("--version", action="version", version=f"lrbias {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the traceback of an error (also: {DEBUG_ENV}=1)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    p = sub.add_parser("families", help="table of the built-in loss families",
                       description="List the built-in loss families: formula, parameters, "
                       "l''(1), degree of regularity (dor) and smoothness.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_cmd_families)

    p = sub.add_parser("dor", help="degree of regularity of one loss",
                       description="Print the degree of regularity dor(l) = lim log(l(s) - l(1)) / "
                       "log|s| over both tails (the larger), and how it was obtained: a sympy "
                       "limit, or a log-log fit far out with its error estimate.")
    p.add_argument("spec", help="loss spec NAME[:k=v,...], e.g. softplus-pair:a=0.5, power:b=3, "
                   "'expr:(s-1)**2/2'")
    p.add_argument("--method", choices=("auto", "symbolic", "numeric"), default="auto",
                   help="auto: symbolic, falling back to numeric (default)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_dor)

    from lrbias.cli import certify, check, engines, nn, report

    engines.register(sub)
    certify.register(sub)
    _add_executor_options(check.register(sub))
    _add_executor_options(report.register(sub))
    nn.register(sub)
    return parser


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    """--scheduler / --workers: run the frontier scans on Dask (identical results)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the validity-frontier scans on this Dask scheduler (needs lrbias[dask])")
    group.add_argument("--workers", type=int, metavar="N",
                       help="run the validity-frontier scans on a local Dask cluster of N worker processes")


DEBUG_ENV = "LRBIAS_DEBUG"


def _debugging(argv: Sequence[str]) -> bool:
    return "--debug" in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def _fail(message: str, code: int, debug: bool) -> int:
    """Print the one-line error (and the traceback under --debug); returns ``code``."""
    if debug:
        traceback.print_exc(file=sys.stderr)
    line = " ".join(message.split()) or "unknown error"
    print(f"lrbias: error: {short(line, 400)}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lrbias`` console script; returns the exit code.

    The one error policy: every failure is one line ``lrbias: error: ...`` on stderr, exit 2 for
    bad input (:class:`~lrbias.errors.InvalidArgument`), 1 for a run that failed (a
    :class:`~lrbias.errors.RunError` or an OS error) or, for ``check``, a claim that failed, and 3
    for an unexpected exception (an internal error, named as such, as pytest's exit code 3);
    ``--debug`` or ``LRBIAS_DEBUG=1`` adds the traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)  # untrusted ids: no raw escapes
    try:
        with _hypothesis_storage():
            return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


@contextlib.contextmanager
def _hypothesis_storage() -> Iterator[None]:
    """Hypothesis's cache (``.hypothesis/``) in the user's cache folder, not in the current folder.

    Hypothesis writes a constants cache under its home folder, by default ``./.hypothesis``; a
    report must not leave that in whatever folder it was started from.  HYPOTHESIS_STORAGE_DIRECTORY,
    when set, is respected; the previous setting is restored afterwards (for in-process calls).
    """
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    from hypothesis import configuration

    before = getattr(configuration, "__hypothesis_home_directory", None)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lrbias" / "hypothesis"
    configuration.set_hypothesis_home_dir(cache)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(before)


def _main(argv: list[str]) -> int:
    debug = _debugging(argv)
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except RunError as exc:
        return _fail(str(exc), 1, debug)
    except LrbiasError as exc:
        return _fail(str(exc), 2, debug)
    except KeyboardInterrupt:
        print("lrbias: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `lrbias sweep ... | head`): stop quietly, like other tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        where = f"{short(str(exc.filename), 240)}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}", 1, debug)
    except RecursionError:
        return _fail("the input is nested too deeply to process", 2, debug)
    except MemoryError:
        return _fail("out of memory; try a smaller input or budget", 1, debug)
    except Exception as exc:  # the last line of the policy: never a traceback without --debug
        return _fail(f"internal error ({type(exc).__name__}: {short(str(exc), 200)}); "
                     "rerun with --debug for the traceback and report it", INTERNAL_ERROR, debug)
