"""``lrbias check``: run the claim catalogue and print a summary table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TextIO

from lrbias.claims.profiles import PROFILES, get_profile
from lrbias.errors import InvalidArgument
from lrbias.inputs import check_database
from lrbias.outputs import check_file_target
from lrbias.serial import format_number, print_table

EPILOG = """exit status (as pytest's, for regression runs): 0 when every claim passes or fails as a
recorded known finding; 1 when a claim fails that is not a known finding, or a known finding
unexpectedly passes (strict, like pytest's xfail_strict); 2 on bad input; 3 on an internal error.
Inconclusive verdicts exit 0 unless --fail-on inconclusive."""

FAIL_ON = ("fail", "inconclusive")


def exit_status(results: list[dict], known: Mapping[str, str], fail_on: str = "fail") -> tuple[int, list[str]]:
    """The exit status of a check run and the lines that explain a non-zero one.

    A claim that fails and is not in ``known`` (id → the known finding's text) is a regression; so
    is a known finding that passes (the finding is stale: remove it).  With ``fail_on`` =
    ``inconclusive``, an inconclusive claim that is not a known finding counts as a failure too.
    """
    if fail_on not in FAIL_ON:
        raise InvalidArgument(f"--fail-on {fail_on!r} is invalid; accepted: {', '.join(FAIL_ON)}")
    why: list[str] = []
    for r in results:
        verdict, rid = r["verdict"], r["id"]
        if verdict == "fail" and rid not in known:
            why.append(f"{rid}: fails and is not a recorded known finding")
        elif verdict == "pass" and rid in known:
            why.append(f"{rid}: a recorded known finding now passes (strict): remove the finding")
        elif verdict == "inconclusive" and fail_on == "inconclusive" and rid not in known:
            why.append(f"{rid}: inconclusive (--fail-on inconclusive)")
    return (1 if why else 0), why


def format_frontier(frontier: dict | None) -> str:
    """One-line summary of a validity frontier."""
    if not frontier:
        return "-"
    parts = []
    for family, info in frontier.get("families", {}).items():
        ranges = info.get("holds_on") or []
        text = ",".join(f"[{lo:g},{hi:g}]" for lo, hi in ranges) or "nowhere"
        parts.append(f"{family}: {frontier.get('parameter', 'kappa')} in {text}")
    return "; ".join(parts)


def print_results(results: list[dict], out: TextIO | None = None) -> None:
    """The summary table (id, provenance, verdict, examples, worst margin, frontier), then the findings."""
    out = out or sys.stdout
    header = ("id", "provenance", "verdict", "examples", "worst margin", "frontier")
    rows = [(r["id"], r["provenance"], r["verdict"].upper() if r["verdict"] == "fail" else r["verdict"],
             str(r["examples"]), format_number(r["worst_margin"], 3), format_frontier(r.get("frontier")))
            for r in results]
    print_table(header, rows, out, free_last=True)
    with_coverage = [r for r in results if r.get("coverage")]
    if with_coverage:
        print("\nhigh-precision confirmations (tiers: float64 -> quad -> mpmath):", file=out)
        for r in with_coverage:
            for line in r["coverage"]:
                print(f"  {r['id']}: {line}", file=out)
    for r in results:
        ce = r.get("counterexample")
        if r["verdict"] != "pass" and (ce or r.get("notes")):
            print(f"\n{r['id']}: {r['verdict']}", file=out)
            for note in r.get("notes") or []:
                print(f"  note: {note}", file=out)
            if ce:
                confirmed = {True: "confirmed at high precision", False: "NOT confirmed at high precision",
                             None: "no high-precision confirmation"}[ce.get("confirmed")]
                print(f"  counterexample ({confirmed}): {ce['case']}", file=out)
                print(f"  margin {format_number(ce['margin'], 3)}; detail {ce['detail']}", file=out)
                if ce.get("replay"):
                    print(f"  replay: {ce['replay']}", file=out)


def _cmd_check(args: argparse.Namespace) -> int:
    from lrbias.report.job import command_line, run_check

    profile = get_profile(args.profile)
    if args.seed < 0:
        raise InvalidArgument(f"--seed {args.seed} is negative; accepted: an integer >= 0")
    words = [*args.ids, "--profile", args.profile, "--seed", str(args.seed)] + (["--no-nn"] if args.no_nn else [])
    for v in args.variants or []:
        words += ["--variants", v]
    if args.starts:
        words += ["--starts", args.starts]
    to_stdout = args.json == "-"
    json_out = check_file_target(args.json, "--json")
    check_database(args.database)
    command = command_line(["check", *words])
    run = run_check(args.ids, profile, args.seed, command, include_nn=not args.no_nn, starts=args.starts,
                    variants=args.variants or (), json_out=json_out,
                    database=check_database(args.database), scheduler=args.scheduler,
                    workers=args.workers, progress=None if args.quiet else sys.stderr)
    if to_stdout:  # --json -: the document on stdout, the table on stderr
        from lrbias.claims.results import build_document
        from lrbias.serial import dumps

        print_results(run.results, sys.stderr)
        print(dumps(build_document(run.results, profile.name, args.seed, command, run.elapsed_s)))
    else:
        print_results(run.results)
    if run.written is not None:
        print(f"\nresults written to {run.written}")
    from lrbias.report.job import known_findings

    status, why = exit_status(run.results, known_findings((r["id"] for r in run.results), run.results),
                               args.fail_on)
    for line in why:
        print(f"lrbias check: {line}", file=sys.stderr)
    return status


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``lrbias check`` to the parser; returns its parser (the caller adds the executor options)."""
    p = sub.add_parser("check", help="run the claim catalogue and print a verdict table",
                       description="Run catalogue entries: an adversarial Hypothesis search per "
                       "claim (target() on the margin), counterexamples shrunk and confirmed at "
                       "high precision, validity frontiers for reconstructed claims.",
                       epilog=EPILOG)
    p.add_argument("ids", nargs="*", help="entry ids, groups (e.g. 'exact', 'balancing') or globs; "
                   "default: all")
    p.add_argument("--profile", default="default", choices=tuple(PROFILES),
                   help="search budget (default: default)")
    p.add_argument("--seed", type=int, default=0, help="Hypothesis seed, recorded in the results (default 0)")
    p.add_argument("--json", metavar="OUT", help="write the results document (JSON) to OUT (- for stdout)")
    p.add_argument("--database", metavar="DIR", help="Hypothesis example database folder, so a "
                   "failure replays first next time (default: none)")
    p.add_argument("--no-nn", action="store_true", help="skip the neural-network entries (they need "
                   "torch and about two minutes)")
    p.add_argument("--variants", action="append", metavar="FILE", help="a variant file (.py or .toml) "
                   "adding families and entries; repeatable (see examples/)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--fail-on", choices=FAIL_ON, default="fail",
                   help="exit 1 on a failing claim (fail, the default) or also on an inconclusive one "
                   "(inconclusive); known findings never count, unless they unexpectedly pass")
    p.add_argument("--starts", metavar="NAME", help="run the batch claims from this start distribution "
                   "(box, unbalanced, shell, or one a variant file registers; default: each claim's own)")
    p.set_defaults(func=_cmd_check)
    return p
