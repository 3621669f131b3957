"""The claim catalogue of lrbias: one module per group of claims, declarative entries.

``all_entries()`` collects every built-in entry (and, from issue 7 on, entries contributed
through the ``lrbias.theorems`` entry-point group).  Ids are stable: reports and diffs key on them.
"""

from __future__ import annotations

from importlib import import_module

from lrbias.claims.core import Entry

GROUP_MODULES = ("exact", "concentration", "dynamics")


def torch_available() -> bool:
    """Whether the neural-network entries can run (torch importable)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def all_entries(include_nn: bool = True) -> list[Entry]:
    """Every entry of the built-in catalogue, in catalogue order; ids are unique.

    The neural-network entries (group ``nn``) are included when ``include_nn`` and torch is
    installed.
    """
    entries: list[Entry] = []
    for name in GROUP_MODULES:
        entries.extend(import_module(f"theorems.{name}").ENTRIES)
    if include_nn and torch_available():
        entries.extend(import_module("theorems.nn").ENTRIES)
    ids = [e.id for e in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate catalogue ids: {sorted(duplicates)}")
    return entries


def entry_by_id(entry_id: str) -> Entry:
    """The entry with this id (KeyError naming the known ids otherwise)."""
    for entry in all_entries():
        if entry.id == entry_id:
            return entry
    raise KeyError(entry_id)
