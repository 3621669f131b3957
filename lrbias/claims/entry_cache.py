"""The disk cache of a catalogue entry's record: keyed by its id, start distribution, profile and
seed, the source trees of the catalogue's entry-point groups and the versions of every library a
verdict depends on (besides lrbias's own code, which :func:`lrbias.cache.content_key` hashes).
Variant files' entries are not stored (their source is not hashed): they are computed every time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrbias import cache

__all__ = ["disk_cached_entry", "entry_parts"]
if TYPE_CHECKING:
    from lrbias.claims.entry import Entry
    from lrbias.claims.profiles import Profile


@functools.lru_cache(maxsize=1)
def _catalogue_sources() -> tuple[frozenset[str], str]:
    """(ids of the entries the catalogue's entry-point groups define, a hash of those groups' source trees).

    Variant files are not among them: their entries are computed every time (their source is not hashed).
    """
    import hashlib
    import importlib

    from lrbias.claims.catalogue import sources, torch_available

    ids: set[str] = set()
    roots: set[Path] = set()
    for src in sources():
        if src.builtin and src.name == "nn" and not torch_available():
            continue
        ids.update(e.id for e in src.entries())
        top = importlib.import_module(src.target.value.split(":")[0].split(".")[0])
        if getattr(top, "__file__", None) is None:
            return frozenset(), ""
        root = Path(top.__file__).resolve()
        roots.add(root.parent if root.name == "__init__.py" else root)
    digest = hashlib.sha256()
    for root in sorted(roots):
        digest.update(str(root.name).encode())
        tree = cache.tree_hash(root) if root.is_dir() else hashlib.sha256(root.read_bytes()).hexdigest()
        digest.update(tree.encode())
    return frozenset(ids), digest.hexdigest()


def entry_parts(entry: Entry, profile: Profile, seed: int) -> dict[str, Any] | None:
    """What a catalogue entry's record depends on besides lrbias's code: the entry's id and start
    distribution, the profile, the seed, the catalogue groups' sources and the libraries' versions;
    None for an entry that no entry-point group defines (a variant file's: not stored)."""
    from lrbias.claims.results import environment

    ids, sources = _catalogue_sources()
    if entry.id not in ids or not sources:
        return None
    env = environment()
    return {"entry": entry.id, "starts": entry.starts, "profile": repr(profile), "seed": int(seed),
            "catalogue": sources, "versions": env["versions"], "mpmath_backend": env["mpmath_backend"],
            "torch_threads": env["torch_threads"]}


def disk_cached_entry(compute: Callable[[], dict], entry: Entry, profile: Profile, seed: int,
                      database: Any = None) -> dict:
    """``compute()`` (the entry's result record, frontier and rival included), through the disk cache;
    computed every time with a Hypothesis example database (it steers the search) or for a variant's entry."""
    parts = None if database is not None else entry_parts(entry, profile, seed)
    if parts is None:
        return compute()
    return cache.cached("entry", parts, compute, label=entry.id)
