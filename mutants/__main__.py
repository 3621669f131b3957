"""``python -m mutants``: run the curated mutants and print the score; exit 1 if any survives."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mutants import LIST, ROOT, Outcome, baseline, load, problems, run, score


def main(argv: list[str] | None = None) -> int:
    """Check the list, run the baseline, then every mutant; print one line each and the score."""
    p = argparse.ArgumentParser(prog="python -m mutants", description=__doc__)
    p.add_argument("ids", nargs="*", help="run only these mutant ids (default: all)")
    p.add_argument("--list", type=Path, default=LIST, help="the mutant list (default mutants/mutants.toml)")
    p.add_argument("--root", type=Path, default=ROOT, help="the repository to copy (default: this checkout)")
    p.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant (default 300)")
    p.add_argument("--no-baseline", action="store_true", help="skip the run of the selections without mutants")
    args = p.parse_args(argv)
    mutants = load(args.list)
    if args.ids:
        unknown = set(args.ids) - {m.id for m in mutants}
        if unknown:
            print(f"mutants: error: unknown mutant ids {sorted(unknown)}", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m.id in args.ids]
    bad = problems(mutants, args.root)
    if bad:
        print("mutants: the list does not match the sources:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    started = time.perf_counter()
    if not args.no_baseline:
        base = baseline(mutants, args.root, timeout=max(args.timeout, 900.0))
        print(f"baseline (the selections without mutants): {base.status} in {base.seconds:.0f} s", flush=True)
        if base.status != "passed":
            print(base.tail, file=sys.stderr)
            return 1
    width = max(len(m.id) for m in mutants)

    def show(o: Outcome) -> None:
        print(f"{o.status:9} {o.id:{width}} {o.seconds:6.1f} s", flush=True)

    outcomes = run(mutants, args.root, args.timeout, args.jobs, on_outcome=show)
    caught, total = score(outcomes)
    bad_ones = [o for o in outcomes if o.status in ("survived", "error")]
    for o in bad_ones:
        m = next(m for m in mutants if m.id == o.id)
        print(f"\n{o.status.upper()}: {o.id} ({m.file}): {m.description}\n  tests: {' '.join(m.tests)}\n"
              + "\n".join("  | " + line for line in o.tail.strip().splitlines()[-8:]))
    timeouts = sum(o.status == "timeout" for o in outcomes)
    print(f"\nmutation score: {caught}/{total} caught ({100 * caught / max(total, 1):.0f}%)"
          + (f", {timeouts} by timeout" if timeouts else "")
          + f"; {time.perf_counter() - started:.0f} s with --jobs {args.jobs}")
    return 1 if bad_ones else 0


if __name__ == "__main__":
    sys.exit(main())
