"""Record how long each section of ``lrbias report`` takes, for the estimate it prints before starting.

    python benchmarks/report_timings.py --profile smoke [--no-nn] [--machine "2 cores, loaded"]

Runs the report into a temporary folder and merges the measured wall times (each entry, its frontier
scan included; the extras; the figures and page) into ``lrbias/report/timings.json`` under the profile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from lrbias.claims.profiles import get_profile
from lrbias.report.job import run_report

TIMINGS = Path(__file__).resolve().parent.parent / "lrbias" / "report" / "timings.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--no-nn", action="store_true")
    parser.add_argument("--out", help="keep the report in this folder (default: a temporary one)")
    parser.add_argument("--machine", default=f"{platform.machine()}, {os.cpu_count()} cores",
                        help="how to describe the machine and its load in the record")
    args = parser.parse_args()
    profile = get_profile(args.profile)
    load = round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory() as tmp:
        run = run_report(Path(args.out or Path(tmp) / "report"), [], profile, 0,
                         f"lrbias report --profile {profile.name}" + (" --no-nn" if args.no_nn else ""),
                         include_nn=not args.no_nn, progress=sys.stderr)
    timings = dict(run.timings or {})
    load_after = round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None
    record = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {"profiles": {}}
    record.setdefault("profiles", {})[profile.name] = {
        **timings, "meta": {"machine": f"{args.machine}; 1-min load average {load} before, {load_after} after",
                            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                            "total_s": round(run.elapsed_s + timings.get("extras_s", 0)
                                             + timings.get("figures_s", 0), 1),
                            "nn": not args.no_nn}}
    TIMINGS.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"recorded {profile.name}: {record['profiles'][profile.name]['meta']['total_s']} s -> {TIMINGS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
