"""A declared group of claims: its entries and what the report shows beside them.

A :class:`Group` is data, found as an object (an entry point ``NAME = "module:GROUP"``, a variant
file's ``GROUP``), never by looking attributes up by name: its ``entries``; the ``figures`` that
illustrate entries declaring none of their own; its ``known_findings`` (entry id → why the claim
is expected to fail or stay inconclusive: the report shows them, the checks exit 0 on them); the
loss families its family-indexed figures add (``phase_families``: rows of the (κ, dor) phase
diagram, ``map_families``: one start-imbalance heat map ``start-map-SPEC`` each); and the
neural-network claims behind its entries (``nn_claims``, whose grids ``lrbias nn-grid`` trains).
So a user's variant group gets figures exactly as a built-in one does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lrbias.claims.entry import Entry
from lrbias.errors import InvalidArgument

__all__ = ["Group"]


@dataclass(frozen=True)
class Group:
    """A declared group of claims (see the module docstring); ``entries`` is stored as a tuple, with
    ``figures`` filled into every entry that declares none."""

    name: str
    title: str
    entries: tuple[Entry, ...]
    figures: tuple[str, ...] = ()
    known_findings: Mapping[str, str] = field(default_factory=dict)
    phase_families: tuple[str, ...] = ()
    map_families: tuple[str, ...] = ()
    nn_claims: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        entries = tuple(self.entries)
        for i, entry in enumerate(entries):
            if not isinstance(entry, Entry):
                raise InvalidArgument(f"group {self.name}: entries[{i}] is a {type(entry).__name__}, not an Entry")
        if self.figures:
            entries = tuple(e if e.figures else dataclasses.replace(e, figures=self.figures) for e in entries)
        entries = tuple(dataclasses.replace(e, known_finding=str(self.known_findings[e.id]))
                        if self.known_findings.get(e.id) and not e.known_finding else e for e in entries)
        object.__setattr__(self, "entries", entries)
        object.__setattr__(self, "figures", tuple(self.figures))
        object.__setattr__(self, "phase_families", tuple(self.phase_families))
        object.__setattr__(self, "map_families", tuple(self.map_families))
        object.__setattr__(self, "nn_claims", tuple(self.nn_claims))
        ids = {e.id for e in entries}
        unknown = [k for k in self.known_findings if k not in ids]
        if unknown:
            raise InvalidArgument(f"group {self.name}: known findings for ids not in the group: {', '.join(unknown)}")
