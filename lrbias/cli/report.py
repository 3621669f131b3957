"""``lrbias report`` (the HTML compliance report) and ``lrbias diff`` (regressions between runs)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lrbias.claims.profiles import get_profile
from lrbias.errors import LrbiasError

REPORT_PROFILES = ("smoke", "default", "thorough")


def _cmd_report(args: argparse.Namespace) -> int:
    from lrbias.report.job import command_line, run_report

    profile = get_profile(args.profile)
    if args.seed < 0:
        raise LrbiasError(f"--seed {args.seed} is negative; accepted: an integer >= 0")
    argv = [*args.ids, "--out", args.out, "--profile", profile.name, "--seed", str(args.seed)]
    if args.no_nn:
        argv.append("--no-nn")
    for v in args.variants or []:
        argv += ["--variants", v]
    if args.starts:
        argv += ["--starts", args.starts]
    run = run_report(Path(args.out), args.ids, profile, args.seed, command_line(["report", *argv]),
                     include_nn=not args.no_nn, variants=args.variants or (), scheduler=args.scheduler,
                     starts=args.starts,
                     workers=args.workers, progress=sys.stderr)
    counts = run.counts()
    print(f"report written to {run.written} ({counts['pass']} pass, {counts['fail']} fail, "
          f"{counts['inconclusive']} inconclusive)")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from lrbias.claims.results import load_document
    from lrbias.report.diff import diff_documents, format_html, format_text
    from lrbias.serial import dumps, write_atomic

    docs = []
    for path in (args.old, args.new):
        if not Path(path).is_file():
            raise LrbiasError(f"{path}: no such results file")
        try:
            docs.append(load_document(Path(path)))
        except (ValueError, json.JSONDecodeError) as exc:
            raise LrbiasError(str(exc).splitlines()[0]) from None
    d = diff_documents(docs[0], docs[1], rel_noise=args.noise)
    if args.json:
        print(dumps(d.as_dict()))
    else:
        print(format_text(d))
    if args.html:
        Path(args.html).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(Path(args.html), format_html(d, args.old, args.new))
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
                   help="search budget: smoke (about a minute), default, thorough")
    p.add_argument("--seed", type=int, default=0, help="seed recorded in the report (default 0)")
    p.add_argument("--no-nn", action="store_true", help="skip the neural-network section")
    p.add_argument("--variants", action="append", metavar="FILE",
                   help="a variant file (.py or .toml) adding families and entries; repeatable")
    p.add_argument("--starts", metavar="NAME", help="run the batch claims from this start distribution "
                   "(box, unbalanced, shell, or one a variant file registers; default: each claim's own)")
    p.set_defaults(func=_cmd_report)
    report = p

    p = sub.add_parser("diff", help="compare two results documents (exit 1 on a regression)",
                       description="What changed between two catalogue runs: verdict flips, margin "
                       "changes beyond noise, frontier moves. Exit status 1 when a verdict regressed "
                       "(pass -> fail or inconclusive, inconclusive -> fail).")
    p.add_argument("old", help="results JSON of the reference run")
    p.add_argument("new", help="results JSON of the new run")
    p.add_argument("--html", metavar="OUT", help="also write the diff as an HTML page")
    p.add_argument("--json", action="store_true", help="print the diff as JSON")
    p.add_argument("--noise", type=float, default=0.1,
                   help="relative margin change treated as noise (default 0.1)")
    p.set_defaults(func=_cmd_diff)
    return report
