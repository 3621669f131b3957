"""``lrbias report`` (the HTML compliance report) and ``lrbias diff`` (regressions between runs)."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from pathlib import Path

from lrbias.claims.profiles import PROFILES, Profile, get_profile
from lrbias.errors import InvalidArgument, short
from lrbias.outputs import check_file_target
from lrbias.report.diff import FRONTIER_TOL

REPORT_PROFILES = tuple(PROFILES)  # every profile `check` accepts


def _cmd_report(args: argparse.Namespace) -> int:
    profile = get_profile(args.profile)
    if args.seed < 0:
        raise InvalidArgument(f"--seed {args.seed} is negative; accepted: an integer >= 0")
    with cache_options(args):
        return _report(args, profile)


def _report(args: argparse.Namespace, profile: Profile) -> int:
    from lrbias.report.job import command_line, run_report

    argv = [*args.ids, "--out", args.out, "--profile", profile.name, "--seed", str(args.seed)]
    if args.no_nn:
        argv.append("--no-nn")
    for v in args.variants or []:
        argv += ["--variants", v]
    if args.starts:
        argv += ["--starts", args.starts]
    compare = None
    if args.compare:
        argv += ["--compare", args.compare]
        compare = (_load_results(args.compare), args.compare)
        _check_comparable(compare[0], args.compare)  # before the run: a bad document must not fail at the end
    run = run_report(Path(args.out), args.ids, profile, args.seed, command_line(["report", *argv]),
                     include_nn=not args.no_nn, variants=args.variants or (), scheduler=args.scheduler,
                     workers=args.workers, progress=sys.stderr, compare=compare, starts=args.starts)
    counts = run.counts()
    print(f"report written to {run.written} ({counts['pass']} pass, {counts['fail']} fail, "
          f"{counts['inconclusive']} inconclusive)")
    if run.comparison:
        diff = run.comparison["diff"]
        for w in diff["warnings"]:
            print(f"lrbias report: WARNING: not like for like: {w}", file=sys.stderr)
        print(f"compared with {args.compare}: {len(diff['regressions'])} regression(s), "
              f"{len(diff['flips'])} verdict change(s), {len(diff['frontiers'])} frontier change(s) "
              "(in the page's 'Changes since the compared run')")
    return 0


def add_cache_options(p: argparse.ArgumentParser) -> None:
    """``--cache-dir DIR`` and ``--no-cache`` (the disk cache of sweeps and NN grids, :mod:`lrbias.cache`)."""
    p.add_argument("--cache-dir", metavar="DIR", help="disk cache of sweeps and NN grids (default: $LRBIAS_CACHE_DIR, "
                   "else the user cache folder, e.g. ~/.cache/lrbias)")
    p.add_argument("--no-cache", action="store_true", help="compute everything; read and write no disk cache")


def cache_options(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """:mod:`lrbias.cache` configured from ``--cache-dir`` / ``--no-cache`` for the command (restored after it);
    a DIR that is not a folder is refused."""
    from lrbias import cache

    folder = None
    if args.cache_dir is not None:
        folder = Path(args.cache_dir).expanduser()
        if folder.exists() and not folder.is_dir():
            raise InvalidArgument(f"--cache-dir {short(args.cache_dir)} is not a folder; accepted: a folder "
                              "(created when missing)")
    return cache.configured(folder, False if args.no_cache else None)


def _load_results(path: str) -> dict:
    """A results document read from ``path``; LrbiasError naming the file on any problem."""
    from lrbias.claims.results import load_document

    shown = short(path, 240)
    if not Path(path).exists():
        raise InvalidArgument(f"{shown}: no such results file")
    try:
        return load_document(Path(path))
    except OSError as exc:
        raise InvalidArgument(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    except RecursionError:
        raise InvalidArgument(f"{shown}: JSON nested too deeply; not a results document") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidArgument(short(text if text.startswith(path) else f"{path}: {text}", 300)) from None


def _check_comparable(doc: dict, path: str) -> None:
    """Diff ``doc`` against itself, so a document the diff cannot read fails now, naming the file."""
    from lrbias.report.diff import diff_documents

    try:
        diff_documents(doc, doc)
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
        raise InvalidArgument(f"--compare {short(path, 240)}: a results document with an unexpected shape "
                          f"({type(exc).__name__}: {short(str(exc), 160)})") from None


def _cmd_diff(args: argparse.Namespace) -> int:
    from lrbias.report.diff import diff_documents, format_html, format_text
    from lrbias.serial import dumps, write_atomic

    html_out = check_file_target(args.html, "--html")
    if not (math.isfinite(args.noise) and args.noise >= 0):
        raise InvalidArgument(f"--noise {args.noise} is invalid; accepted: a finite number >= 0")
    if not 0 <= args.frontier_tol < 1:
        raise InvalidArgument(f"--frontier-tol {args.frontier_tol} is invalid; accepted: 0 <= TOL < 1")
    docs = [_load_results(path) for path in (args.old, args.new)]
    try:
        d = diff_documents(docs[0], docs[1], rel_noise=args.noise, frontier_tol=args.frontier_tol)
        text = dumps(d.as_dict()) if args.json else format_text(d)
        page = format_html(d, args.old, args.new) if args.html else None
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
        raise InvalidArgument(f"{short(args.old)} / {short(args.new)}: a results document has an unexpected shape "
                          f"({type(exc).__name__}: {short(str(exc))})") from None
    for w in d.warnings:
        print(f"lrbias diff: WARNING: {w}", file=sys.stderr)
    if page is not None and html_out is None:  # --html -: the page on stdout, the account on stderr
        print(text, file=sys.stderr)
        sys.stdout.write(page)
        return 1 if d.regressions else 0
    print(text)
    if page is not None and html_out is not None:
        write_atomic(html_out, page)
        print(f"HTML diff written to {args.html}", file=sys.stderr)
    return 1 if d.regressions else 0


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``report`` and ``diff``; returns the ``report`` parser (the caller adds the executor options)."""
    p = sub.add_parser("report", help="run the catalogue and write the HTML compliance report",
                       description="Run the claim catalogue and write DIR/index.html with the "
                       "results JSON and figure files. Writing is atomic: an interrupted run "
                       "leaves the previous report intact.")
    p.add_argument("ids", nargs="*", help="entry ids or groups to include (default: all)")
    p.add_argument("--out", default="reports/latest", help="output folder (default reports/latest)")
    p.add_argument("--profile", default="default", choices=REPORT_PROFILES,
                   help="search budget: " + ", ".join(REPORT_PROFILES) + " (default: default)")
    p.add_argument("--seed", type=int, default=0, help="seed recorded in the report (default 0)")
    p.add_argument("--no-nn", action="store_true", help="skip the neural-network section")
    p.add_argument("--variants", action="append", metavar="FILE",
                   help="a variant file (.py or .toml) adding families and entries; repeatable")
    p.add_argument("--compare", metavar="OLD.json", help="an older results document: the page embeds what "
                   "changed (verdicts, frontiers with their size, entries added or removed) and warns when the "
                   "profiles, seeds or versions differ")
    p.add_argument("--starts", metavar="NAME", help="run the batch claims from this start distribution "
                   "(box, unbalanced, shell, or one a variant file registers; default: each claim's own)")
    add_cache_options(p)
    p.set_defaults(func=_cmd_report)
    report = p

    p = sub.add_parser("diff", help="compare two results documents (exit 1 on a regression)",
                       description="What changed between two catalogue runs: verdict flips, margin "
                       "changes beyond noise, frontier moves with their size in κ. Exit status 1 on a regression: a "
                       "verdict that got worse (pass -> fail or inconclusive, inconclusive -> fail) or a "
                       "frontier that shrank beyond --frontier-tol or vanished. Warns when the two runs' "
                       "profiles, seeds or versions differ.")
    p.add_argument("old", help="results JSON of the reference run")
    p.add_argument("new", help="results JSON of the new run")
    p.add_argument("--html", metavar="OUT", help="also write the diff as an HTML page (- for stdout)")
    p.add_argument("--json", action="store_true", help="print the diff as JSON")
    p.add_argument("--noise", type=float, default=0.1,
                   help="relative margin change treated as noise (default 0.1)")
    p.add_argument("--frontier-tol", type=float, default=FRONTIER_TOL, metavar="TOL",
                   help="a frontier losing more than this share of its size in κ (or vanishing) is a "
                   f"regression (default {FRONTIER_TOL})")
    p.set_defaults(func=_cmd_diff)
    return report
