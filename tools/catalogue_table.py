"""Print the catalogue table of docs/catalogue.md per start distribution (markdown), from a fresh run.

    python tools/catalogue_table.py --profile ci

For every entry that runs GD from drawn starts: its verdict, closest margin and share of runs left
open (batch claims are decided at convergence, with the budget cap) under each built-in start
distribution (``lrbias check --starts NAME`` runs the same entries), then the validity
frontier of the sharpness, convergence and balancing claims per start distribution.  The figures
in docs/catalogue.md were printed by this script; rerun it after changing an entry.
"""

from __future__ import annotations

import argparse
import sys
import time

from lrbias.claims.catalogue import load_entries, with_starts
from lrbias.claims.frontier import merge_ranges
from lrbias.claims.profiles import PROFILES
from lrbias.claims.runner import run_entry
from lrbias.claims.statistical import BUILT_IN_STARTS


def _cell(result) -> str:
    """Verdict (closest margin; share of runs left open, and the largest budget reached, of the cap)."""
    margin = "–" if result.worst_margin is None else f"{result.worst_margin:.3g}"
    ev = result.evidence or {}
    left = ev.get("undecided_share")
    counts = "" if left is None else f"; open {left:.1%}"
    if ev.get("budget_cap"):
        counts += f", ≤ {ev['budget_cap']:,} steps"
    return f"{result.verdict} ({margin}{counts})"


def main(argv: list[str] | None = None) -> int:
    """Run the table and print it as markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", choices=tuple(PROFILES))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    started = time.perf_counter()
    entries = [e for e in load_entries(include_nn=False) if e.restart is not None]
    print(f"| entry | {' | '.join(BUILT_IN_STARTS)} |")
    print("|---|" + "---|" * len(BUILT_IN_STARTS))
    frontiers = {}
    for entry in entries:
        cells = []
        for starts in BUILT_IN_STARTS:
            chosen = with_starts([entry], starts)[0]
            cells.append(_cell(run_entry(chosen, profile, seed=args.seed)))
            print(f"  {entry.id} [{starts}] done after {time.perf_counter() - started:.0f} s", file=sys.stderr)
        print(f"| `{entry.id}` | {' | '.join(cells)} |", flush=True)
        if entry.frontier is not None:
            frontiers[entry.id] = entry.frontier.compute(profile, args.seed)
    print()
    print(f"| frontier (κ where the claim holds) | family | {' | '.join(BUILT_IN_STARTS)} |")
    print("|---|---|" + "---|" * len(BUILT_IN_STARTS))
    for entry_id, frontier in frontiers.items():
        for spec in frontier["families"]:
            cells = [merge_ranges(frontier["by_starts"][s][spec].get("holds_on") or [])
                     for s in BUILT_IN_STARTS if s in frontier["by_starts"]]
            print(f"| `{entry_id}` | `{spec}` | {' | '.join(cells)} |")
    print(f"\nprofile {profile.name}, seed {args.seed}, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
