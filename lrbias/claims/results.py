"""The results document of one catalogue run: schema-versioned JSON, written atomically.

Schema ``lrbias.results/1`` (documented in ``docs/results-schema.md`` and checked by
:func:`validate`): ``schema``, ``created`` (UTC ISO time), ``command`` (the one line that
reproduces the run), ``profile``, ``seed``, ``environment`` (versions), ``elapsed_s``,
``summary`` (counts by verdict and by provenance × verdict), ``entries`` (one object per entry:
id, title, provenance, verdict, examples, inconclusive, worst_margin, worst_case,
counterexample, seed, elapsed_s, notes, statement, latex, assumptions, frontier), and
optional ``extras`` (phase diagram, figures) that the report adds.  Values follow the one JSON
policy of :mod:`lrbias.serial` (NaN → ``null``, ±∞ → ``"inf"``/``"-inf"``), also stated in
``results.schema.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

from lrbias.errors import InvalidArgument
from lrbias.serial import json_safe, write_atomic

SCHEMA = "lrbias.results/1"
VERDICTS = ("pass", "fail", "inconclusive")
REQUIRED_TOP_KEYS: dict[str, type] = {"created": str, "command": str, "profile": str, "seed": int,
                                     "environment": dict, "summary": dict, "entries": list}
REQUIRED_ENTRY_KEYS: dict[str, type] = {"id": str, "title": str, "provenance": str, "verdict": str, "examples": int,
                       "inconclusive": int, "seed": int, "elapsed_s": float, "notes": list}


def environment() -> dict[str, Any]:
    """Versions of Python, the platform and every library a verdict depends on."""
    versions: dict[str, str | None] = {}
    for dist in ("lrbias", "numpy", "scipy", "mpmath", "gmpy2", "sympy", "hypothesis",
                 "python-flint", "torch", "matplotlib"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    import mpmath.libmp

    from lrbias.gd.device import torch_threads_in_force

    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "machine": platform.machine(), "mpmath_backend": mpmath.libmp.BACKEND,
            "torch_threads": torch_threads_in_force(), "versions": versions, "git": git_state()}


def git_state() -> dict[str, Any] | None:
    """The commit of the lrbias checkout that ran and whether it had uncommitted changes (None if not a checkout)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent.parent
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def summarise(entries: list[dict]) -> dict[str, Any]:
    """Counts by verdict, and by provenance then verdict."""
    by_verdict = Counter(e["verdict"] for e in entries)
    by_prov: dict[str, dict[str, int]] = {}
    for e in entries:
        by_prov.setdefault(e["provenance"], dict.fromkeys(VERDICTS, 0))[e["verdict"]] += 1
    return {"total": len(entries), "by_verdict": {v: by_verdict.get(v, 0) for v in VERDICTS},
            "by_provenance": by_prov}


def build_document(entries: list[dict], profile: str, seed: int, command: str, elapsed_s: float,
                   extras: dict | None = None) -> dict[str, Any]:
    """Assemble the results document (entries already JSON-safe dictionaries)."""
    return json_safe({
        "schema": SCHEMA,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "profile": profile,
        "seed": seed,
        "environment": environment(),
        "elapsed_s": round(elapsed_s, 3),
        "summary": summarise(entries),
        "entries": entries,
        "extras": extras or {},
    })


def _is_number(value: Any) -> bool:
    """A number under the JSON policy: int/float (not bool), null, or "inf"/"-inf"."""
    return value is None or value in ("inf", "-inf") or (isinstance(value, int | float) and not isinstance(value, bool))


def _shape_problems(entry: dict, where: str) -> list[str]:
    """Problems with the parts of an entry that readers compute with: margins and frontiers."""
    problems = []
    if not _is_number(entry.get("worst_margin")):
        problems.append(f"{where}.worst_margin is not a number")
    frontier = entry.get("frontier")
    if frontier is None:
        return problems
    families = frontier.get("families") if isinstance(frontier, dict) else None
    if not isinstance(families, dict):
        return [*problems, f"{where}.frontier is not an object with a 'families' object"]
    for name, info in families.items():
        ranges = info.get("holds_on") if isinstance(info, dict) else None
        if not isinstance(ranges, list) or not all(
                isinstance(r, list) and len(r) == 2 and all(_is_number(v) and v is not None for v in r)
                for r in ranges):
            problems.append(f"{where}.frontier.families[{name!r}].holds_on is not a list of [lo, hi] pairs")
    return problems


def validate(doc: Any) -> list[str]:
    """Problems with a results document (empty when it conforms to the schema)."""
    problems = []
    if not isinstance(doc, dict):
        return ["document is not a JSON object"]
    if doc.get("schema") != SCHEMA:
        problems.append(f"schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
    for key, top in REQUIRED_TOP_KEYS.items():
        if not isinstance(doc.get(key), top):
            problems.append(f"top-level {key!r} missing or not {top.__name__}")
    seen = set()
    for i, entry in enumerate(doc.get("entries") or []):
        if not isinstance(entry, dict):
            problems.append(f"entries[{i}] is not an object")
            continue
        for key, kind in REQUIRED_ENTRY_KEYS.items():
            value = entry.get(key)
            ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
            if not ok:
                problems.append(f"entries[{i}].{key} missing or not {kind.__name__}")
        if entry.get("verdict") not in VERDICTS:
            problems.append(f"entries[{i}].verdict {entry.get('verdict')!r} not in {VERDICTS}")
        if entry.get("provenance") not in ("exact", "paper", "reconstructed"):
            problems.append(f"entries[{i}].provenance {entry.get('provenance')!r} unknown")
        if entry.get("id") in seen:
            problems.append(f"entries[{i}].id {entry.get('id')!r} repeated")
        if isinstance(entry.get("id"), str):
            seen.add(entry["id"])
        problems += _shape_problems(entry, f"entries[{i}]")
    text = json.dumps(doc, allow_nan=False, default=lambda o: None)
    if "NaN" in text and '"NaN"' not in text:
        problems.append("document contains NaN")
    return problems


def write_document(path: Path, doc: dict) -> None:
    """Validate and atomically write a results document as JSON."""
    problems = validate(doc)
    if problems:
        raise InvalidArgument("refusing to write an invalid results document: " + "; ".join(problems))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")


def load_document(path: Path) -> dict:
    """Read a results document; ValueError naming the problems if it does not conform."""
    from lrbias.inputs import read_json

    doc = read_json(path)  # a regular file of bounded size, strict JSON (LrbiasError naming it otherwise)
    problems = validate(doc)
    if problems:
        raise InvalidArgument(f"{path}: not a lrbias results document: " + "; ".join(problems[:5]))
    return doc
