"""A curated mutation run: realistic bugs, each applied to a temporary copy of the repository.

``mutants/mutants.toml`` lists the mutants: a file, an exact original snippet (it must occur
exactly once in that file, so the list cannot rot silently), its replacement, the narrow test
selection expected to catch it, and a one-line description.  :func:`run` copies the repository
into a fresh temporary folder per mutant (the working tree is never written), applies the
mutant, runs ``pytest -x`` on its selection with a per-mutant timeout, and classifies it:

- ``killed``   the selection failed (pytest exit 1): the tests see the bug;
- ``timeout``  the selection ran past the timeout (counted as killed, listed apart);
- ``survived`` the selection passed: no named test sees the bug;
- ``error``    pytest could not run the selection (usage error, nothing collected, crash).

Before any mutant, the union of the selections runs once on an unmutated copy (the baseline):
a kill only means something if the same tests pass without the mutant.  The run fails (exit 1)
if the baseline fails, or any mutant survives or errs.  Usage: ``python -m mutants`` (see
``--help``); ``tox -e mutants``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = Path(__file__).resolve().parent / "mutants.toml"
MODULES = ("losses", "gd", "nn", "claims", "report", "cli", "serial")
"""Every one of these must have at least one mutant (``serial`` is lrbias/serial.py; the
catalogue in theorems/ counts as claims)."""
IGNORE = shutil.ignore_patterns(".git", ".hypothesis", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".tox",
                                ".venv", "venv", "__pycache__", "*.egg-info", "build", "dist", "reports")
# one process (-n 0), so -x exits 1; the slow tier too (--runslow): a mutant's tests may be slow ones
PYTEST = ("-x", "-q", "-p", "no:cacheprovider", "-n", "0", "--runslow", "--hypothesis-seed=0")


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One realistic bug: ``original`` replaced by ``replacement`` in ``file``; ``tests`` should see it."""

    id: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    description: str

    @property
    def module(self) -> str:
        """The layer the mutant lives in (one of :data:`MODULES`, or 'other')."""
        parts = Path(self.file).parts
        if parts[0] == "theorems":
            return "claims"
        if parts[:1] == ("lrbias",) and len(parts) > 2 and parts[1] in MODULES:
            return parts[1]
        if parts == ("lrbias", "serial.py"):
            return "serial"
        return "other"


@dataclasses.dataclass
class Outcome:
    """How one mutant (or the baseline) ended: status, seconds, and the tail of pytest's output."""

    id: str
    status: str
    seconds: float
    tail: str = ""


def load(path: Path = LIST) -> list[Mutant]:
    """The mutants of a TOML list (``[[mutant]]`` tables with the fields of :class:`Mutant`)."""
    with open(path, "rb") as handle:
        doc = tomllib.load(handle)
    out = []
    for i, row in enumerate(doc.get("mutant", [])):
        try:
            tests = row["tests"]
            out.append(Mutant(id=row["id"], file=row["file"], original=row["original"],
                              replacement=row["replacement"],
                              tests=tuple(tests.split() if isinstance(tests, str) else tests),
                              description=row["description"]))
        except KeyError as exc:
            raise ValueError(f"{path}: mutant {i} ({row.get('id', '?')}): missing key {exc}") from None
    return out


def problems(mutants: Sequence[Mutant], root: Path = ROOT) -> list[str]:
    """What is wrong with a list: unknown files or tests, a snippet that does not occur exactly once,
    a no-op replacement, duplicate ids, an empty selection or description."""
    found = []
    seen: set[str] = set()
    for m in mutants:
        if m.id in seen:
            found.append(f"{m.id}: duplicate id")
        seen.add(m.id)
        path = root / m.file
        if not path.is_file():
            found.append(f"{m.id}: no file {m.file}")
            continue
        count = path.read_text(encoding="utf-8").count(m.original)
        if count != 1:
            found.append(f"{m.id}: the original snippet occurs {count} times in {m.file} (must be exactly once)")
        if m.original == m.replacement:
            found.append(f"{m.id}: the replacement equals the original")
        if not m.tests:
            found.append(f"{m.id}: no tests named")
        for test in m.tests:
            if not test.startswith("-") and not (root / test.split("::")[0]).exists():
                found.append(f"{m.id}: no test file {test.split('::')[0]}")
        if not m.description.strip():
            found.append(f"{m.id}: no description")
    return found


def copy_repo(root: Path, dest: Path) -> Path:
    """A copy of the repository's sources at ``dest`` (no VCS data, caches or reports)."""
    shutil.copytree(root, dest, ignore=IGNORE, symlinks=True)
    return dest


def apply(mutant: Mutant, tree: Path) -> None:
    """Write the mutant into the copy at ``tree`` (never into the working tree)."""
    path = tree / mutant.file
    text = path.read_text(encoding="utf-8")
    if text.count(mutant.original) != 1:
        raise ValueError(f"{mutant.id}: the original snippet does not occur exactly once in {mutant.file}")
    path.write_text(text.replace(mutant.original, mutant.replacement), encoding="utf-8")


def _pytest(tree: Path, tests: Sequence[str], timeout: float) -> tuple[int | None, str]:
    """Run pytest on ``tests`` in ``tree`` with its sources first on the path; (exit code or None on timeout, tail)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", *PYTEST, *tests], cwd=tree, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return None, out[-1500:]
    return proc.returncode, (proc.stdout + proc.stderr)[-1500:]


def _status(code: int | None) -> str:
    if code is None:
        return "timeout"
    return {0: "survived", 1: "killed"}.get(code, "error")


def run_mutant(mutant: Mutant, root: Path = ROOT, timeout: float = 300.0) -> Outcome:
    """Apply ``mutant`` to a fresh copy of ``root``, run its tests, classify; the copy is always removed."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lrbias-mutant-") as tmp:
        tree = copy_repo(root, Path(tmp) / "repo")
        apply(mutant, tree)
        code, tail = _pytest(tree, mutant.tests, timeout)
    return Outcome(mutant.id, _status(code), round(time.perf_counter() - started, 1), tail)


def baseline(mutants: Sequence[Mutant], root: Path = ROOT, timeout: float = 900.0) -> Outcome:
    """The union of the selections on an unmutated copy: must pass for any kill to mean something."""
    tests = list(dict.fromkeys(t for m in mutants for t in m.tests))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lrbias-mutant-") as tmp:
        tree = copy_repo(root, Path(tmp) / "repo")
        code, tail = _pytest(tree, tests, timeout)
    status = "passed" if code == 0 else ("timeout" if code is None else "failed")
    return Outcome("baseline", status, round(time.perf_counter() - started, 1), tail)


def run(mutants: Sequence[Mutant], root: Path = ROOT, timeout: float = 300.0, jobs: int = 2,
        on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Every mutant, ``jobs`` at a time; ``on_outcome`` sees each as it finishes."""
    def one(m: Mutant) -> Outcome:
        outcome = run_mutant(m, root, timeout)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, mutants))


def score(outcomes: Iterable[Outcome]) -> tuple[int, int]:
    """(caught, total): killed and timed-out mutants count as caught."""
    outcomes = list(outcomes)
    return sum(o.status in ("killed", "timeout") for o in outcomes), len(outcomes)
