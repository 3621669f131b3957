"""``python -m mutants.score``: the mutation score per module from mutmut's results in ``.mutation/``.

Reads each module's ``mutants/<module>.meta`` (mutmut's exit code per mutant: 1 or 3 killed, 0
survived, 36/24/... timeout, 33 no tests; a mutant re-run in a fresh interpreter by
``python -m mutants.tool recheck`` has that run's code instead, kept in
``.mutation/<module>/recheck.json``), drops the mutants listed as equivalent in
:file:`mutants/equivalent.toml` (each with a one-line reason), and prints one row per module:
mutants, killed, timeouts, survivors, no tests, equivalent, and the score = (killed + timeout) /
(all − equivalent).  Exit 1 when a module is below ``--min`` (default 0: report only).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

from mutants.tool import RECHECK, SCRATCH, slug, targets

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "mutants" / "equivalent.toml"
STATUS = {0: "survived", 1: "killed", 3: "killed", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}


def equivalent() -> dict[str, str]:
    """Mutant name → why it cannot change behaviour."""
    if not EQUIVALENT.exists():
        return {}
    data = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8"))
    return {m["name"]: m["reason"] for m in data.get("mutant", [])}


def module_results(module: str) -> dict[str, str] | None:
    meta = SCRATCH / slug(module) / "mutants" / (module + ".meta")
    if not meta.exists():
        return None
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    rechecked = SCRATCH / slug(module) / RECHECK
    if rechecked.exists():
        codes.update(json.loads(rechecked.read_text(encoding="utf-8")))
    return {name: STATUS.get(code, "suspicious") if code is not None else "not checked"
            for name, code in codes.items()}


def show_equivalents(eq: dict[str, str]) -> int:
    """Each listed equivalent mutant of a module that has results: its change (``mutmut show``) and its reason.

    mutmut renumbers a function's mutants when a new test covers more of it, so after a rerun a name may
    point at another mutant.  An entry whose mutant was *killed* cannot be equivalent and one whose name no
    longer exists is stale: both are flagged, and the exit status is 1 when there is any.
    """
    import subprocess

    stale = 0
    for module in targets():
        res = module_results(module)
        if res is None:
            continue
        prefix = slug(module).removesuffix(".__init__") + "."
        for name, reason in sorted(eq.items()):
            if not name.startswith(prefix) or "." in name[len(prefix):]:
                continue
            status = res.get(name, "missing")
            shown = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=SCRATCH / slug(module),
                                   capture_output=True, text=True).stdout
            change = [line[1:].strip() for line in shown.splitlines()
                      if line.startswith("+") and not line.startswith("+++")]
            flag = "" if status in ("survived", "suspicious") else f"  <-- {status.upper()}: re-check this entry"
            stale += bool(flag)
            print(f"{name}{flag}\n    change: {change[-1] if change else '?'}\n    reason: {reason}")
    return 1 if stale else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mutants.score", description=__doc__)
    p.add_argument("--min", type=float, default=0.0, help="fail below this score in percent (default 0)")
    p.add_argument("--survivors", action="store_true", help="list the surviving, non-equivalent mutants")
    p.add_argument("--equivalents", action="store_true",
                   help="show each listed equivalent mutant's change beside its reason (to re-check after a rerun)")
    args = p.parse_args(argv)
    eq = equivalent()
    if args.equivalents:
        return show_equivalents(eq)
    rows, low = [], []
    print(f"{'module':34} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8} {'no tests':>8} "
          f"{'equiv':>5} {'score':>6}")
    for module in targets():
        res = module_results(module)
        if res is None:
            print(f"{module:34} {'(not run: python -m mutants.tool run ' + module + ')'}")
            continue
        counts = Counter(s for n, s in res.items() if n not in eq)
        n_eq = sum(n in eq for n in res)
        scored = len(res) - n_eq
        score = 100 * (counts["killed"] + counts["timeout"]) / max(scored, 1)
        print(f"{module:34} {len(res):7} {counts['killed']:6} {counts['timeout']:7} {counts['survived']:8} "
              f"{counts['no tests']:8} {n_eq:5} {score:5.1f}%")
        rows.append(score)
        if score < args.min:
            low.append(module)
        if args.survivors:
            for name, status in sorted(res.items()):
                if status in ("survived", "no tests", "suspicious") and name not in eq:
                    print(f"    {status}: {name}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
