"""Record one timed run of a command into ``benchmarks/recordings/NAME.json``.

    python benchmarks/record_timing.py NAME -- CMD [ARG ...]
    python benchmarks/record_timing.py report-cold -- lrbias report --out /tmp/rep
    python benchmarks/record_timing.py tests-full -- bash -c 'python -m pytest'

Every timing figure in README.md and docs/ is rendered from such a recording by
``benchmarks/render_timings.py`` (a test checks that each figure matches its recording).  The record
holds the command, its exit status, wall time, CPU time (user + sys of all its waited-for
processes), the peak resident memory of its largest process, the machine (cores, CPU model,
memory), the 1/5/15-minute load averages just before and just after (and the 1-minute load
sampled every 5 s during the run: mean and max), the git commit (and whether
the tree had uncommitted changes), the date, and the last lines of the command's output (its
tables, for the benchmark pages).  A command that fails is recorded only with ``--keep-failed``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "benchmarks" / "recordings"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
OUTPUT_LINES = 200  # the tail of the command's stdout kept in the record


def cpu_model() -> str:
    """The CPU model line of /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine() -> dict:
    return {"cores": os.cpu_count(), "cpu_model": cpu_model(), "memory_gib": memory_gib(),
            "system": f"{platform.system()} {platform.machine()}", "python": platform.python_version()}


def git(*args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def loadavg() -> list[float] | None:
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None


def record(name: str, command: list[str], note: str = "") -> dict:
    """Run ``command`` (stdout shown and kept, stderr passed through) and return its record."""
    commit, status = git("rev-parse", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
    load_before = loadavg()
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    samples: list[float] = []
    done = threading.Event()

    def sample_load() -> None:  # the 1-minute load every 5 s while the command runs
        while not done.wait(5.0):
            if hasattr(os, "getloadavg"):
                samples.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample_load, daemon=True)
    sampler.start()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, errors="replace")
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        sys.stdout.write(line)
        tail.append(line.rstrip("\n"))
        del tail[:-OUTPUT_LINES]
    returncode = proc.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = loadavg()
    return {
        "schema": "lrbias.timing/1",
        "name": name,
        "command": command,
        "returncode": returncode,
        "wall_s": round(wall, 2),
        "cpu_s": round((usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime), 2),
        "peak_rss_mib": round(usage1.ru_maxrss / 1024, 1),  # Linux: KiB, the largest waited-for process
        "machine": machine(),
        "nice": os.nice(0),
        "load_before": load_before,
        "load_after": load_after,
        "load_during": ({"mean": round(statistics.fmean(samples), 2), "max": round(max(samples), 2),
                         "samples": len(samples)} if samples else None),
        "git_commit": commit,  # taken before the run: the code that ran
        "git_dirty": bool(status) if status is not None else None,
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "note": note,
        "output_tail": tail,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print("usage: python benchmarks/record_timing.py NAME [--note TEXT] [--keep-failed] -- CMD [ARG ...]",
              file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="recording name: lower case, digits, '.', '_', '-'")
    parser.add_argument("--note", default="", help="one line saying what the run was (shown nowhere else)")
    parser.add_argument("--keep-failed", action="store_true", help="write the record even if the command failed")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    if not NAME_RE.match(args.name):
        print(f"record_timing: error: name {args.name!r}: accepted: lower case letters, digits, '.', '_', '-'",
              file=sys.stderr)
        return 2
    if not command:
        print("record_timing: error: no command after '--'", file=sys.stderr)
        return 2
    rec = record(args.name, command, args.note)
    target = RECORDINGS / f"{args.name}.json"
    if rec["returncode"] != 0 and not args.keep_failed:
        print(f"record_timing: the command exited {rec['returncode']}; nothing recorded (--keep-failed to keep it)",
              file=sys.stderr)
        return 1
    RECORDINGS.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(rec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(target)
    shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
    print(f"record_timing: wrote {shown}: wall {rec['wall_s']} s, cpu {rec['cpu_s']} s, "
          f"peak {rec['peak_rss_mib']} MiB, load {rec['load_before']} -> {rec['load_after']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
