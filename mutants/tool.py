"""``python -m mutants.tool run MODULE``: mutmut 3 on one module of the verdict path, in a scratch copy.

mutmut writes its mutated tree to ``./mutants/`` of the folder it runs in, which in this repository is
the curated list's package; so each module runs in ``.mutation/<slug>/`` (ignored by git), a copy of
``lrbias``, ``theorems``, ``tests`` and a pyproject whose ``[tool.mutmut]`` names the module and the
test files of :file:`mutants/targets.toml`.  Coverage-based selection: ``mutate_only_covered_lines``
(lines those tests never reach are not mutated) and mutmut's per-function test map (each mutant runs
only the tests that called its function).  Runs niced, ``--max-children`` 1 by default (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "mutants" / "targets.toml"
SCRATCH = ROOT / ".mutation"


DEFAULT_MARKERS = "not nn and not browser"
"""The tests a target runs unless it names its own ``markers`` (the NN targets need torch's ``nn`` tests)."""


def targets() -> dict[str, list[str]]:
    """Module path → its test files (mutants/targets.toml)."""
    data = tomllib.loads(TARGETS.read_text(encoding="utf-8"))
    return {t["module"]: list(t["tests"]) for t in data["target"]}


def markers(module: str) -> str:
    """The pytest marker expression of ``module``'s target (its ``markers``, else DEFAULT_MARKERS)."""
    data = tomllib.loads(TARGETS.read_text(encoding="utf-8"))
    return next((t.get("markers", DEFAULT_MARKERS) for t in data["target"] if t["module"] == module),
                DEFAULT_MARKERS)


def slug(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def prepare(module: str, tests: list[str], fresh: bool) -> Path:
    """The scratch folder of ``module``: sources, tests and a pyproject configured for mutmut."""
    work = SCRATCH / slug(module)
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    for folder in ("lrbias", "theorems", "tests"):
        if (work / folder).exists():
            shutil.rmtree(work / folder)
        shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = project.split("\n[tool.mutmut]")[0]
    quoted = ", ".join(f'"{t}"' for t in tests if (ROOT / t).exists())
    project += ("\n[tool.mutmut]\n"
                'source_paths = ["lrbias"]\n'
                'also_copy = ["theorems"]\n'
                f'only_mutate = ["{module}"]\n'
                f"pytest_add_cli_args_test_selection = [{quoted}]\n"
                'pytest_add_cli_args = ["-p", "no:cacheprovider", "-n", "0", "-x", "-q", '
                f'"-m", "{markers(module)}"]\n'
                "mutate_only_covered_lines = true\n"
                'process_isolation = "fork"\n')
    (work / "pyproject.toml").write_text(project, encoding="utf-8")
    return work


def run(module: str, jobs: int, fresh: bool) -> int:
    tests = targets()[module]
    work = prepare(module, tests, fresh)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    mutmut = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)]
    started = time.perf_counter()
    rc = subprocess.call(["nice", "-n", "10", *mutmut], cwd=work, env=env)
    (work / "elapsed_s").write_text(f"{time.perf_counter() - started:.0f}\n")
    print(f"mutmut on {module}: exit {rc}, {time.perf_counter() - started:.0f} s; results in {work}")
    return rc


RECHECK = "recheck.json"
"""Per module: the exit code of each re-checked mutant's tests in a fresh interpreter (``recheck``)."""


def recheck(module: str, timeout_s: float, names: list[str] | None = None) -> int:
    """Re-run each *suspicious* mutant of ``module`` (an exit code mutmut does not know: -15 when a forked
    child hung, as numba's parallel threads do after a fork) in a fresh interpreter, not a fork; or the
    mutants ``names`` whatever mutmut recorded (a mutant that loops for ever can be recorded as survived).

    Its target's test files run with ``MUTANT_UNDER_TEST`` set, in mutmut's tree; a run past ``timeout_s``
    counts as a timeout (36).  The codes go to ``.mutation/<slug>/recheck.json``, which
    :mod:`mutants.score` reads over mutmut's own.
    """
    import json

    from mutants.score import module_results

    work = SCRATCH / slug(module)
    results = module_results(module)
    if results is None:
        print(f"mutants.tool: error: {module} has not been run; run it first", file=sys.stderr)
        return 2
    store = work / RECHECK
    codes: dict[str, int] = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    tests = [t for t in targets()[module] if (ROOT / t).exists()]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    missing = sorted(set(names or ()) - set(results))
    if missing:
        print(f"mutants.tool: error: {missing} are not mutants of {module}", file=sys.stderr)
        return 2
    chosen = names if names else [n for n, status in results.items() if status == "suspicious"]
    for name in sorted(chosen):
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-x", "-q",
                   "-m", markers(module), *tests]
        try:
            codes[name] = subprocess.call(["nice", "-n", "10", *command], cwd=work / "mutants",
                                          env={**env, "MUTANT_UNDER_TEST": name}, timeout=timeout_s,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            codes[name] = 36
        print(f"{name}: exit {codes[name]}")
        store.write_text(json.dumps(codes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mutants.tool", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run mutmut on modules (default: every module of targets.toml)")
    r.add_argument("modules", nargs="*")
    r.add_argument("--jobs", type=int, default=1, help="mutmut --max-children (default 1)")
    r.add_argument("--fresh", action="store_true", help="discard earlier results of these modules")
    c = sub.add_parser("recheck", help="re-run the suspicious mutants of modules in a fresh interpreter")
    c.add_argument("modules", nargs="+")
    c.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant before it counts as a timeout")
    c.add_argument("--mutant", action="append", dest="names", metavar="NAME",
                   help="re-run this mutant (repeatable) instead of the suspicious ones")
    args = p.parse_args(argv)
    known = targets()
    modules = args.modules or list(known)
    unknown = [m for m in modules if m not in known]
    if unknown:
        print(f"mutants.tool: error: {unknown} not in {TARGETS.name}; accepted: {sorted(known)}", file=sys.stderr)
        return 2
    if args.command == "recheck":
        return max(recheck(m, args.timeout, args.names) for m in modules)
    return max(run(m, args.jobs, args.fresh) for m in modules)


if __name__ == "__main__":
    sys.exit(main())
