"""Loading the catalogue: the ``lrbias.theorems`` entry-point group, then variant files.

Every group of claims, built-in or a user's, is an entry point of the group ``lrbias.theorems``
naming a declared :class:`~lrbias.claims.group.Group` (``NAME = "module:GROUP"``).  The built-in
groups are the entry points ``NAME = "theorems.NAME:GROUP"`` that lrbias itself declares
(pyproject.toml), for NAME in :data:`BUILTIN_GROUPS`; they load first, in that order (``nn`` only
when asked for and torch is importable), then users' entry points by name, then variant files in
the order given.  An entry point may also name a list of entries or a callable returning a Group
or entries (wrapped in a group named after the entry point).  An id defined twice is an error
naming both sources.  The library never imports the ``theorems`` package itself: it only follows
entry points, and reads what the groups declare (entries, figures, known findings, families, NN
claims), never an attribute looked up by name.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import sys
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata

from lrbias.claims.entry import Entry
from lrbias.claims.group import Group
from lrbias.claims.variants import check_entries, load_variant_groups
from lrbias.errors import InvalidArgument, LrbiasError

__all__ = ["BUILTIN_GROUPS", "ENTRY_POINT_GROUP", "GROUP_ALIASES", "Group", "Source", "entry_by_id",
           "known_findings", "load_entries", "load_groups", "select", "sources", "torch_available", "with_starts"]

ENTRY_POINT_GROUP = "lrbias.theorems"
BUILTIN_GROUPS = ("exact", "concentration", "dynamics", "nn")
BUILTIN_LABEL = "the built-in catalogue"


def torch_available() -> bool:
    """Whether the neural-network entries can run (torch importable)."""
    return importlib.util.find_spec("torch") is not None


@dataclass(frozen=True)
class Source:
    """One entry point of ``lrbias.theorems``: its name, a label for messages, and the group it declares."""

    name: str
    source: str
    builtin: bool
    target: metadata.EntryPoint

    def load(self) -> Group:
        """The declared :class:`Group` (see the module docstring); LrbiasError naming the source if it fails."""
        try:
            obj = self.target.load()
            if isinstance(obj, types.ModuleType):  # an entry point written without ":GROUP" (older metadata)
                obj = obj.GROUP if isinstance(getattr(obj, "GROUP", None), Group) else getattr(obj, "ENTRIES", obj)
            if callable(obj) and not isinstance(obj, Group):
                obj = obj()
        except Exception as exc:
            raise InvalidArgument(f"{self.source}: {type(exc).__name__}: {exc}") from None
        if isinstance(obj, Group):
            group = obj
        elif isinstance(obj, list | tuple):
            group = Group(self.name, self.name, tuple(obj))  # type: ignore[arg-type]
        else:
            raise InvalidArgument(f"{self.source}: names a {type(obj).__name__}, not an lrbias Group or a list "
                                  "of entries")
        check_entries(group.entries, self.source, preflight=not self.builtin)
        return group

    def entries(self) -> list[Entry]:
        """The entries of the group the entry point declares."""
        return list(self.load().entries)


def _is_builtin(ep: metadata.EntryPoint) -> bool:
    return ep.name in BUILTIN_GROUPS and ep.value in (f"theorems.{ep.name}", f"theorems.{ep.name}:GROUP")


def sources() -> list[Source]:
    """Every entry point of the group: the built-ins in :data:`BUILTIN_GROUPS` order, then users' by name.

    LrbiasError when a built-in group is missing (lrbias was not installed, so its entry points
    do not exist: ``pip install -e .``).
    """
    found = {(ep.name, ep.value): ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    builtin = {ep.name: ep for ep in found.values() if _is_builtin(ep)}
    missing = [name for name in BUILTIN_GROUPS if name not in builtin]
    if missing:
        raise InvalidArgument(f"the built-in catalogue groups {', '.join(missing)} are not registered in the "
                              f"entry-point group {ENTRY_POINT_GROUP!r}; install lrbias (pip install -e .) so they are")
    out = [Source(name, f"{BUILTIN_LABEL} (entry point {name} = {builtin[name].value})", True, builtin[name])
           for name in BUILTIN_GROUPS]
    users = sorted((ep for ep in found.values() if not _is_builtin(ep)), key=lambda ep: (ep.name, ep.value))
    return out + [Source(ep.name, f"entry point {ep.name} ({ep.value})", False, ep) for ep in users]


def load_groups(include_nn: bool = True, variants: Iterable[str] = ()) -> list[Group]:
    """The catalogue's groups: built-in ones (``nn`` when ``include_nn`` and torch is importable), users' entry
    points, then the groups of each variant file (.py or .toml).  A repeated id is an LrbiasError naming
    both sources.
    """
    found: list[tuple[str, Group]] = []
    for src in sources():
        if src.builtin and src.name == "nn" and not (include_nn and torch_available()):
            continue
        try:
            found.append((src.source, src.load()))
        except LrbiasError as exc:
            if src.builtin:
                raise
            # one broken third-party entry point must not disable every other entry
            print(f"lrbias: warning: {' '.join(str(exc).split())[:300]}; its entries are skipped", file=sys.stderr)
    found += [(str(path), group) for path in variants for group in load_variant_groups(path)]
    seen: dict[str, str] = {}
    for source, group in found:
        for entry in group.entries:
            if entry.id in seen:
                raise InvalidArgument(f"{source}: entry id {entry.id!r} is already defined by {seen[entry.id]}")
            seen[entry.id] = source
    return [group for _, group in found]


def load_entries(include_nn: bool = True, variants: Iterable[str] = ()) -> list[Entry]:
    """The catalogue's entries, group by group (:func:`load_groups`)."""
    return [e for group in load_groups(include_nn, variants) for e in group.entries]


def known_findings(groups: Iterable[Group], entry_ids: Iterable[str] | None = None) -> dict[str, str]:
    """The known findings the groups declare (of the entries among ``entry_ids``, when given)."""
    ran = None if entry_ids is None else set(entry_ids)
    return {k: str(v) for g in groups for k, v in g.known_findings.items() if ran is None or k in ran}


def entry_by_id(entry_id: str, entries: Sequence[Entry] | None = None) -> Entry:
    """The entry with this id among ``entries`` (default: the whole catalogue); KeyError otherwise."""
    for entry in load_entries() if entries is None else entries:
        if entry.id == entry_id:
            return entry
    raise InvalidArgument(entry_id)


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
