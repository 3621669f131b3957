"""What the pytest plugin costs a project that never asks for it: import time of the plugin.

Baseline, measured in the same run: a fresh interpreter importing pytest (and hypothesis, as
every pytest start with Hypothesis installed does); against it, the same plus
``lrbias.pytest_plugin``.  Printed: the median of ``--repeat`` fresh-process pairs, the
overhead in milliseconds and the ratio, with the machine and load, and the plugin's own cumulative
import time by ``-X importtime`` (less sensitive to load than the wall-clock difference).

    python benchmarks/bench_plugin_import.py [--repeat 21]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys

BASE = "import time; t = time.perf_counter(); import pytest, hypothesis; {extra}print(time.perf_counter() - t)"


def one(extra: str) -> float:
    out = subprocess.run([sys.executable, "-c", BASE.format(extra=extra)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def importtime_us() -> int:
    """The plugin's cumulative import time (µs) by ``python -X importtime``, pytest and hypothesis loaded first."""
    code = "import pytest, hypothesis; import lrbias.pytest_plugin"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                         capture_output=True, text=True, check=True)
    line = [ln for ln in out.stderr.splitlines() if ln.rstrip().endswith("| lrbias.pytest_plugin")][-1]
    return int(line.split("|")[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=21)
    args = ap.parse_args()
    base, plug = [], []
    for _ in range(args.repeat):  # interleaved, so load changes hit both alike
        base.append(one(""))
        plug.append(one("import lrbias.pytest_plugin; "))
    b, p = statistics.median(base), statistics.median(plug)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
          f"python {platform.python_version()}; {args.repeat} fresh processes each")
    print(f"baseline (pytest + hypothesis): {b * 1e3:.1f} ms")
    print(f"with lrbias.pytest_plugin:      {p * 1e3:.1f} ms")
    print(f"plugin overhead: {(p - b) * 1e3:.1f} ms (ratio {p / b:.3f})")
    cum = statistics.median(importtime_us() for _ in range(args.repeat))
    print(f"plugin import by -X importtime (cumulative, median): {cum / 1e3:.1f} ms")


if __name__ == "__main__":
    main()
