"""Run a selection of catalogue entries (each with its validity frontier) into result records."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from lrbias.claims.entry import Entry
from lrbias.claims.profiles import Profile
from lrbias.claims.runner import run_entry


def describe_entry(entry: Entry) -> dict[str, Any]:
    """The static part of an entry (statement, LaTeX, provenance, assumptions) for results."""
    return {"statement": entry.statement, "latex": entry.latex, "assumptions": entry.assumptions,
            "engine": entry.engine, "group": entry.group,
            "mutants": [{"name": m.name, "description": m.description} for m in entry.mutants]}


def run_selection(entries: Sequence[Entry], profile: Profile, seed: int = 0,
                  database: Path | None = None, progress: TextIO | None = sys.stderr,
                  on_result: Callable[[dict], None] | None = None,
                  mapper: Callable | None = None) -> tuple[list[dict], float]:
    """Run each entry (and its validity frontier, when it has one); return result dicts and time.

    ``mapper(fn, items)`` runs the frontier scans of the families in parallel (lrbias.gd.scaleout).
    """
    started = time.perf_counter()
    results = []
    for i, entry in enumerate(entries, 1):
        if progress is not None:
            progress.write(f"[{i}/{len(entries)}] {entry.id} ...")
            progress.flush()
        result = run_entry(entry, profile, seed=seed, database=database).as_dict()
        result.update(describe_entry(entry))
        result["frontier"] = None
        if entry.frontier is not None:
            result["frontier"] = entry.frontier.compute(profile, seed, mapper)
        results.append(result)
        if progress is not None:
            progress.write(f" {result['verdict']} ({result['elapsed_s']:.1f} s, "
                           f"{result['examples']} examples)\n")
            progress.flush()
        if on_result is not None:
            on_result(result)
    return results, time.perf_counter() - started
