"""Print the catalogue table per start distribution (markdown), from a fresh run.

    python tools/catalogue_table.py --profile ci                                # print it
    python tools/catalogue_table.py --profile ci --out docs/catalogue_table.md  # write the docs page

For every entry that runs GD from drawn starts: its verdict, closest margin and share of runs left
open (batch claims are decided at convergence, with the budget cap) under each built-in start
distribution (``lrbias check --starts NAME`` runs the same entries), then the validity
frontier of the batch claims per start distribution.  ``--out`` writes the page
docs/catalogue_table.md (with the command, profile, seed and commit it was run with),
atomically and only once the whole table is done; rerun it after changing an entry.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from lrbias.claims.catalogue import load_entries, with_starts
from lrbias.claims.frontier import merge_ranges
from lrbias.claims.profiles import PROFILES
from lrbias.claims.runner import run_entry
from lrbias.claims.statistical import BUILT_IN_STARTS
from lrbias.serial import write_atomic


def _cell(result) -> str:
    """Verdict (closest margin; share of runs left open, and the largest budget reached, of the cap)."""
    margin = "–" if result.worst_margin is None else f"{result.worst_margin:.3g}"
    ev = result.evidence or {}
    left = ev.get("undecided_share")
    counts = "" if left is None else f"; open {left:.1%}"
    if ev.get("budget_cap"):
        counts += f", ≤ {ev['budget_cap']:,} steps"
    return f"{result.verdict} ({margin}{counts})"


def table(profile_name: str, seed: int) -> list[str]:
    """The table's markdown lines: verdicts per entry and start distribution, then the frontiers."""
    profile = PROFILES[profile_name]
    started = time.perf_counter()
    entries = [e for e in load_entries(include_nn=False) if e.restart is not None]
    lines = [f"| entry | {' | '.join(BUILT_IN_STARTS)} |", "|---|" + "---|" * len(BUILT_IN_STARTS)]
    frontiers = {}
    for entry in entries:
        cells = []
        for starts in BUILT_IN_STARTS:
            chosen = with_starts([entry], starts)[0]
            cells.append(_cell(run_entry(chosen, profile, seed=seed)))
            print(f"  {entry.id} [{starts}] done after {time.perf_counter() - started:.0f} s", file=sys.stderr)
        lines.append(f"| `{entry.id}` | {' | '.join(cells)} |")
        if entry.frontier is not None:
            frontiers[entry.id] = entry.frontier.compute(profile, seed)
    lines += ["", f"| frontier (κ where the claim holds) | family | {' | '.join(BUILT_IN_STARTS)} |",
              "|---|---|" + "---|" * len(BUILT_IN_STARTS)]
    for entry_id, frontier in frontiers.items():
        for spec in frontier["families"]:
            cells = [merge_ranges(frontier["by_starts"][s][spec].get("holds_on") or [])
                     for s in BUILT_IN_STARTS if s in frontier["by_starts"]]
            lines.append(f"| `{entry_id}` | `{spec}` | {' | '.join(cells)} |")
    return lines


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run the table; print it, or write the docs page to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", choices=tuple(PROFILES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the docs page here (atomically, once the table is done)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    lines = table(args.profile, args.seed)
    minutes = (time.perf_counter() - started) / 60
    print(f"\nprofile {args.profile}, seed {args.seed}, {minutes:.1f} min", file=sys.stderr)
    if args.out is None:
        print("\n".join(lines))
        return 0
    flags = f" --profile {args.profile}" + (f" --seed {args.seed}" if args.seed else "")
    head = ["# Catalogue verdicts per start distribution", "",
            f"Written by `python tools/catalogue_table.py{flags} --out {args.out}` (profile {args.profile}, seed "
            f"{args.seed}, commit {_commit()}).  Each cell: verdict (closest margin; share of runs left open, "
            "budget cap); batch claims are decided at convergence and κ ≤ 2 never counts for the edge.  The "
            "frontiers give the κ where each claim holds, per family and start distribution.", ""]
    write_atomic(args.out, "\n".join(head + lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
