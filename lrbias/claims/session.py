"""Run a selection of catalogue entries (each with its validity frontier) into result records."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from lrbias import cache
from lrbias.claims.entry import Entry
from lrbias.claims.entry_cache import disk_cached_entry
from lrbias.claims.profiles import Profile
from lrbias.claims.runner import EntryResult, run_entry, run_rival


def describe_entry(entry: Entry) -> dict[str, Any]:
    """The static part of an entry (statement, LaTeX, provenance, assumptions) for results."""
    return {"statement": entry.statement, "latex": entry.latex, "assumptions": entry.assumptions,
            "engine": entry.engine, "group": entry.group, "starts": entry.starts, "fails_if": entry.fails_if,
            "mutants": [{"name": m.name, "description": m.description} for m in entry.mutants],
            "known_finding": entry.known_finding or None, "figures": list(entry.figures)}


def entry_record(entry: Entry, result: EntryResult, profile: Profile, mapper: Callable | None = None) -> dict:
    """One entry's record in the results document: its result, static description, frontier and rival.

    The frontier is scanned with the result's seed, and so is the rival's search (its outcome
    completes the record's ``evidence``); ``mapper(fn, items)`` runs its families in
    parallel (lrbias.gd.scaleout).  Every front end (CLI, pytest plugin) builds records here.
    """
    record = result.as_dict()
    record.update(describe_entry(entry))
    record["frontier"] = entry.frontier.compute(profile, result.seed, mapper) if entry.frontier else None
    record["rival"] = run_rival(entry, profile, result.seed)
    if record.get("evidence") is not None:
        record["evidence"] = {**record["evidence"],
                              "rival_refuted": None if record["rival"] is None else record["rival"]["refuted"]}
    return record


def run_selection(entries: Sequence[Entry], profile: Profile, seed: int = 0,
                  database: Path | None = None, progress: TextIO | None = None,
                  on_result: Callable[[dict], None] | None = None,
                  mapper: Callable | None = None) -> tuple[list[dict], float]:
    """Run each entry (and its validity frontier, when it has one); return result dicts and time.

    ``progress``: a stream for one line per entry (None: silent).

    ``mapper(fn, items)`` runs the frontier scans of the families in parallel (lrbias.gd.scaleout).
    """
    started = time.perf_counter()
    results = []
    for i, entry in enumerate(entries, 1):
        if progress is not None:
            progress.write(f"[{i}/{len(entries)}] {entry.id} ...")
            progress.flush()
        with cache.scope(entry.id):  # disk-cache lookups are recorded under the entry's id
            result = disk_cached_entry(
                lambda e=entry: entry_record(e, run_entry(e, profile, seed=seed, database=database), profile, mapper),
                entry, profile, seed, database)
        results.append(result)
        if progress is not None:
            progress.write(f" {result['verdict']} ({result['elapsed_s']:.1f} s, "
                           f"{result['examples']} examples)\n")
            progress.flush()
        if on_result is not None:
            on_result(result)
    return results, time.perf_counter() - started
