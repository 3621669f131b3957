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
    from lrbias.claims.session import run_selection, select
    from lrbias.cli.check import frontier_mapper, load_entries
    from lrbias.report.build import build_report, command_line

    profile = get_profile(args.profile)
    if args.seed < 0:
        raise LrbiasError(f"--seed {args.seed} is negative; accepted: an integer >= 0")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise LrbiasError(f"--out {out} exists and is not a folder")
    entries = select(load_entries(include_nn=not args.no_nn, variants=args.variants), args.ids)
    with frontier_mapper(args.scheduler, args.workers) as mapper:
        results, elapsed = run_selection(entries, profile, seed=args.seed, mapper=mapper)
    extras: dict = {}
    if any(e.group == "nn" for e in entries):
        extras["nn"] = nn_extras()
    extras["phase_diagram"] = phase_diagram(profile)
    argv = [*args.ids, "--out", str(out), "--profile", profile.name, "--seed", str(args.seed)]
    if args.no_nn:
        argv.append("--no-nn")
    for v in args.variants or []:
        argv += ["--variants", v]
    index = build_report(out, results, profile.name, args.seed, command_line(["report", *argv]),
                         elapsed, extras)
    counts = {v: sum(r["verdict"] == v for r in results) for v in ("pass", "fail", "inconclusive")}
    print(f"report written to {index} ({counts['pass']} pass, {counts['fail']} fail, "
          f"{counts['inconclusive']} inconclusive)")
    return 0


def nn_extras() -> dict:
    """The trained NN grids' series (from the catalogue run's cache) for the report's NN figure."""
    from lrbias.claims.nn import CLAIMS
    from theorems.nn import grid_results

    grids = {}
    for name in sorted({g.name for c in CLAIMS for g in c.grids}):
        runs = grid_results(name)
        grids[name] = [{"lr": r.lr, "summary": r.summary(), "sharpness_steps": r.sharpness_steps,
                        "top_sharpness": r.top_sharpness, "loss": r.history["loss"]} for r in runs]
    return {"dataset": "digits", "grids": grids}


def phase_diagram(profile) -> dict:
    """The (κ, dor) phase diagram from batched sweeps (lrbias.claims.batch.sweep, shared with the claims)."""
    from lrbias.claims.phase import compute_phase_diagram

    return compute_phase_diagram(n=profile.frontier_starts)


def _cmd_diff(args: argparse.Namespace) -> int:
    from lrbias.claims.results import load_document, write_atomic
    from lrbias.report.diff import diff_documents, format_html, format_text

    docs = []
    for path in (args.old, args.new):
        if not Path(path).is_file():
            raise LrbiasError(f"{path}: no such results file")
        try:
            docs.append(load_document(Path(path)))
        except (ValueError, json.JSONDecodeError) as exc:
            raise LrbiasError(str(exc).splitlines()[0]) from None
    d = diff_documents(*docs, rel_noise=args.noise)
    if args.json:
        print(json.dumps(d.as_dict(), indent=1))
    else:
        print(format_text(d))
    if args.html:
        write_atomic(Path(args.html), format_html(d, args.old, args.new))
        print(f"HTML diff written to {args.html}", file=sys.stderr)
    return 1 if d.regressions else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``diff``."""
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
    from lrbias.cli.check import add_executor_options

    add_executor_options(p)
    p.set_defaults(func=_cmd_report)

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
