"""Loading the catalogue: the ``lrbias.theorems`` entry-point group, then variant files.

Every group of claims, built-in or a user's, is an entry point of the group ``lrbias.theorems``
naming a module with an ``ENTRIES`` list (or a callable returning entries).  The built-in groups
are the entry points ``NAME = "theorems.NAME"`` that lrbias itself declares (pyproject.toml), for
NAME in :data:`BUILTIN_GROUPS`; they load first, in that order (``nn`` only when asked for and
torch is importable), then users' entry points by name, then variant files in the order given.
An id defined twice is an error naming both sources.  The library never imports the
``theorems`` package itself: it only follows entry points.
"""

from __future__ import annotations

import fnmatch
import importlib.util
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from lrbias.claims.entry import Entry
from lrbias.claims.variants import check_entries, load_variant_file
from lrbias.errors import InvalidArgument, short

__all__ = ["BUILTIN_GROUPS", "ENTRY_POINT_GROUP", "GROUP_ALIASES", "Group", "entry_by_id", "groups", "load_entries",
           "module_attribute", "select", "torch_available", "with_starts"]

ENTRY_POINT_GROUP = "lrbias.theorems"
BUILTIN_GROUPS = ("exact", "concentration", "dynamics", "nn")
BUILTIN_LABEL = "the built-in catalogue"


def torch_available() -> bool:
    """Whether the neural-network entries can run (torch importable)."""
    return importlib.util.find_spec("torch") is not None


@dataclass(frozen=True)
class Group:
    """One entry point of ``lrbias.theorems``: its name, a label for messages, and what it loads."""

    name: str
    source: str
    builtin: bool
    target: metadata.EntryPoint

    def load(self) -> Any:
        """The module (or callable) the entry point names; LrbiasError naming the source if it fails."""
        try:
            return self.target.load()
        except Exception as exc:
            raise InvalidArgument(f"{self.source}: {type(exc).__name__}: {exc}") from None

    def entries(self) -> list[Entry]:
        """The group's entries (a module's ``ENTRIES``, or what a callable returns), checked."""
        obj = self.load()
        try:
            found = obj() if callable(obj) else getattr(obj, "ENTRIES", None)
        except Exception as exc:
            raise InvalidArgument(f"{self.source}: {type(exc).__name__}: {exc}") from None
        if found is None:
            raise InvalidArgument(f"{self.source}: has no ENTRIES list and is not callable")
        return check_entries(found, self.source, preflight=not self.builtin)


def _is_builtin(ep: metadata.EntryPoint) -> bool:
    return ep.name in BUILTIN_GROUPS and ep.value == f"theorems.{ep.name}"


def groups() -> list[Group]:
    """Every group of the entry-point group: the built-ins in :data:`BUILTIN_GROUPS` order, then users' by name.

    LrbiasError when a built-in group is missing (lrbias was not installed, so its entry points
    do not exist: ``pip install -e .``).
    """
    found = {(ep.name, ep.value): ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    builtin = {ep.name: ep for ep in found.values() if _is_builtin(ep)}
    missing = [name for name in BUILTIN_GROUPS if name not in builtin]
    if missing:
        raise InvalidArgument(f"the built-in catalogue groups {', '.join(missing)} are not registered in the "
                              "entry-point "
                          f"group {ENTRY_POINT_GROUP!r}; install lrbias (pip install -e .) so they are")
    out = [Group(name, f"{BUILTIN_LABEL} (entry point {name} = {builtin[name].value})", True, builtin[name])
           for name in BUILTIN_GROUPS]
    users = sorted((ep for ep in found.values() if not _is_builtin(ep)), key=lambda ep: (ep.name, ep.value))
    return out + [Group(ep.name, f"entry point {ep.name} ({ep.value})", False, ep) for ep in users]


def module_attribute(name: str) -> Iterator[Any]:
    """``name`` of every group whose module defines it, in catalogue order (e.g. ``NN_CLAIMS``)."""
    for group in groups():
        obj = group.load()
        if hasattr(obj, name):
            yield getattr(obj, name)


def load_entries(include_nn: bool = True, variants: Iterable[str] = ()) -> list[Entry]:
    """The catalogue: built-in groups (``nn`` when ``include_nn`` and torch is importable), users' entry
    points, then the entries of each variant file (.py or .toml).  A repeated id is an LrbiasError
    naming both sources.
    """
    sources: list[tuple[str, list[Entry]]] = []
    for group in groups():
        if group.builtin and group.name == "nn" and not (include_nn and torch_available()):
            continue
        sources.append((group.source, group.entries()))
    sources += [(str(path), load_variant_file(path)) for path in variants]
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for source, extra in sources:
        for entry in extra:
            if entry.id in seen:
                raise InvalidArgument(f"{source}: entry id {entry.id!r} is already defined by {seen[entry.id]}")
            seen[entry.id] = source
            entries.append(entry)
    return entries


def entry_by_id(entry_id: str, entries: Sequence[Entry] | None = None) -> Entry:
    """The entry with this id among ``entries`` (default: the whole catalogue); InvalidArgument otherwise."""
    pool = load_entries() if entries is None else entries
    for entry in pool:
        if entry.id == entry_id:
            return entry
    ids = sorted(e.id for e in pool)
    raise InvalidArgument(f"no entry {short(entry_id)}; accepted: one of {len(ids)} ids ({', '.join(ids[:3])}, ...; "
                          "`lrbias check --help` lists the groups)")


GROUP_ALIASES = {"eos": "sharpness", "edge-of-stability": "sharpness"}
"""Other names of groups, as people say them (``lrbias check eos`` runs the ``sharpness`` group)."""


def select(entries: Sequence[Entry], patterns: Sequence[str]) -> list[Entry]:
    """Entries whose id equals, starts with (``group``/``group.``), or glob-matches a pattern (all if none).

    A pattern that is a group alias (:data:`GROUP_ALIASES`) or starts with one (``eos.*``) means that group.
    """
    if not patterns:
        return list(entries)
    chosen: list[Entry] = []
    for pattern in patterns:
        head, dot, tail = pattern.partition(".")
        if head in GROUP_ALIASES:
            pattern = GROUP_ALIASES[head] + dot + tail
        hits = [e for e in entries if e.id == pattern or e.id.startswith(pattern.rstrip(".") + ".")
                or fnmatch.fnmatchcase(e.id, pattern)]
        if not hits:
            raise InvalidArgument(f"no catalogue entry matches {pattern!r}; known groups: "
                              + ", ".join(sorted({e.group for e in entries})))
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def with_starts(entries: Sequence[Entry], name: str | None) -> list[Entry]:
    """``entries`` with every restartable one rebuilt for the start distribution ``name`` (None: unchanged).

    Entries that run no GD from drawn starts, or draw their own (the catapult's near-minimiser
    starts), are kept as they are; their records say which starts they used.
    """
    if name is None:
        return list(entries)
    from lrbias.claims.starts import get_starts

    get_starts(name)
    return [e.restart(name) if e.restart is not None and e.starts != name else e for e in entries]
