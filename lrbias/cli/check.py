"""``lrbias check``: run the claim catalogue and print a summary table."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from pathlib import Path

from lrbias.claims.profiles import PROFILES, get_profile
from lrbias.errors import LrbiasError

EPILOG = """exit status: 1 if an exact entry fails, 0 otherwise (a failing paper or
reconstructed entry is a finding, shown in the table, not an error); 2 on bad input."""


def format_margin(value) -> str:
    """A margin for the table: '-' when none was measured."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.3g}"


def format_frontier(frontier) -> str:
    """One-line summary of a validity frontier."""
    if not frontier:
        return "-"
    parts = []
    for family, info in frontier.get("families", {}).items():
        ranges = info.get("holds_on") or []
        text = ",".join(f"[{lo:g},{hi:g}]" for lo, hi in ranges) or "nowhere"
        parts.append(f"{family}: {frontier.get('parameter', 'kappa')} in {text}")
    return "; ".join(parts)


def print_table(results: list[dict], out=None) -> None:
    """The summary table: id, provenance, verdict, examples, worst margin, frontier."""
    out = out or sys.stdout
    header = ("id", "provenance", "verdict", "examples", "worst margin", "frontier")
    rows = [(r["id"], r["provenance"], r["verdict"].upper() if r["verdict"] == "fail" else r["verdict"],
             str(r["examples"]), format_margin(r["worst_margin"]), format_frontier(r.get("frontier")))
            for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row[:5], widths, strict=True)) + "  " + row[5],
              file=out)
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
                print(f"  margin {format_margin(ce['margin'])}; detail {ce['detail']}", file=out)
                if ce.get("replay"):
                    print(f"  replay: {ce['replay']}", file=out)


def load_entries(include_nn: bool = True, variants: list[str] | None = None):
    """The built-in catalogue (the nn group only with torch and include_nn), entry points, variants."""
    from lrbias.claims.variants import with_variants
    from theorems import all_entries

    return with_variants(all_entries(include_nn=include_nn), variants or [])


@contextlib.contextmanager
def frontier_mapper(scheduler: str | None, workers: int | None):
    """None (serial), or a mapper running frontier scans on Dask (a scheduler address or N local workers)."""
    if scheduler is None and workers is None:
        yield None
        return
    from lrbias.gd.scaleout import check_executor, dask_client, map_on

    check_executor(scheduler, workers)
    with dask_client(scheduler, workers) as client:
        yield lambda fn, items: map_on(client, fn, items)


def _cmd_check(args: argparse.Namespace) -> int:
    from lrbias.claims.results import build_document, write_document
    from lrbias.claims.session import run_selection, select

    profile = get_profile(args.profile)
    if args.seed < 0:
        raise LrbiasError(f"--seed {args.seed} is negative; accepted: an integer >= 0")
    entries = select(load_entries(include_nn=not args.no_nn, variants=args.variants), args.ids)
    with frontier_mapper(args.scheduler, args.workers) as mapper:
        results, elapsed = run_selection(entries, profile, seed=args.seed,
                                         database=Path(args.database) if args.database else None,
                                         progress=sys.stderr if not args.quiet else None, mapper=mapper)
    print_table(results)
    words = [*args.ids, "--profile", args.profile, "--seed", str(args.seed)] + (["--no-nn"] if args.no_nn else [])
    for v in args.variants or []:
        words += ["--variants", v]
    command = "lrbias check " + " ".join(shlex.quote(a) for a in words)
    if args.json:
        write_document(Path(args.json), build_document(results, profile.name, args.seed, command, elapsed))
        print(f"\nresults written to {args.json}")
    exact_failed = [r["id"] for r in results if r["provenance"] == "exact" and r["verdict"] == "fail"]
    return 1 if exact_failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``lrbias check`` to the parser."""
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
    p.add_argument("--json", metavar="OUT", help="write the results document (JSON) to OUT")
    p.add_argument("--database", metavar="DIR", help="Hypothesis example database folder, so a "
                   "failure replays first next time (default: none)")
    p.add_argument("--no-nn", action="store_true", help="skip the neural-network entries (they need "
                   "torch and about two minutes)")
    p.add_argument("--variants", action="append", metavar="FILE", help="a variant file (.py or .toml) "
                   "adding families and entries; repeatable (see examples/)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_executor_options(p)
    p.set_defaults(func=_cmd_check)


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """--scheduler / --workers: run the frontier scans on Dask (identical results)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the validity-frontier scans on this Dask scheduler (needs lrbias[dask])")
    group.add_argument("--workers", type=int, metavar="N",
                       help="run the validity-frontier scans on a local Dask cluster of N worker processes")
