"""A content-addressed disk cache for expensive results (float64 sweeps, trained NN grids).

An entry's key is a SHA-256 over what produced it: the caller's configuration and seed, the
lrbias version, and a hash of lrbias's own source files (any code change is a new key), plus
what else the caller names (numpy or torch version, a loss formula).  Entries live in the user
cache folder (``~/.cache/lrbias`` or the platform's equivalent), overridden by
``LRBIAS_CACHE_DIR`` or :func:`configure` (``lrbias report --cache-dir``); ``LRBIAS_NO_CACHE=1``
or ``configure(enabled=False)`` (``--no-cache``) turns the disk cache off.

Writing is atomic (a temporary file in the same folder, then ``os.replace``) and every file
carries a SHA-256 of its payload: a truncated or corrupt entry is ignored and recomputed.  A
per-key lock file serialises concurrent writers of the same key (processes, pytest-xdist
workers): the second one waits, then reads what the first wrote instead of recomputing.

Every lookup is recorded (:func:`events`, :func:`summary`) under the current :func:`scope`
(a catalogue entry's id), so a report says which of its results came from the cache.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["CacheEvent", "cache_dir", "cached", "code_hash", "configure", "configured", "content_key", "enabled",
           "events", "locked", "scope", "summary", "tree_hash"]

T = TypeVar("T")

MAGIC = b"lrbias-cache 1\n"
"""First line of every entry file; then the payload's SHA-256 (hex) on one line, then the pickled payload."""

_SETTINGS: dict[str, Any] = {"dir": None, "enabled": None}
_SCOPE: contextvars.ContextVar[str | None] = contextvars.ContextVar("lrbias_cache_scope", default=None)


@dataclass(frozen=True)
class CacheEvent:
    """One lookup: its kind ('sweep', 'nn-grid'), a human label, whether it was a hit, and its scope."""

    kind: str
    label: str
    hit: bool
    scope: str | None


_EVENTS: list[CacheEvent] = []


def configure(directory: str | os.PathLike[str] | None = None, enabled: bool | None = None) -> None:
    """Set this process's cache folder and/or switch the disk cache on or off (None: leave as is)."""
    if directory is not None:
        _SETTINGS["dir"] = Path(directory).expanduser()
    if enabled is not None:
        _SETTINGS["enabled"] = bool(enabled)


@contextlib.contextmanager
def configured(directory: str | os.PathLike[str] | None = None, enabled: bool | None = None) -> Iterator[None]:
    """:func:`configure` for the block only (the previous settings are restored after it)."""
    before = dict(_SETTINGS)
    configure(directory, enabled)
    try:
        yield
    finally:
        _SETTINGS.update(before)


def enabled() -> bool:
    """Whether lookups use the disk (:func:`configure` first, then ``LRBIAS_NO_CACHE``)."""
    if _SETTINGS["enabled"] is not None:
        return bool(_SETTINGS["enabled"])
    return os.environ.get("LRBIAS_NO_CACHE", "").strip().lower() in ("", "0", "false", "no")


def cache_dir() -> Path:
    """The cache folder: :func:`configure`, else ``LRBIAS_CACHE_DIR``, else the user cache folder."""
    if _SETTINGS["dir"] is not None:
        return Path(_SETTINGS["dir"])
    env = os.environ.get("LRBIAS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("lrbias", appauthor=False))
    except ImportError:  # platformdirs is optional: the XDG convention
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "lrbias"


def tree_hash(root: Path) -> str:
    """SHA-256 over the Python sources under ``root`` (the relative path and bytes of each, in path order)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """:func:`tree_hash` of the lrbias package, computed once per process."""
    return tree_hash(Path(__file__).resolve().parent)


def content_key(kind: str, parts: Mapping[str, Any]) -> str:
    """The key of a result of ``kind`` produced from ``parts`` (JSON-able, or repr-able) by this code."""
    from lrbias._version import __version__

    text = json.dumps({"kind": kind, "parts": dict(parts), "version": __version__, "code": code_hash(),
                       "python": sys.version_info[:2]}, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """An exclusive advisory lock on the file ``path`` (created if needed) for the block; a no-op without fcntl."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _entry_path(kind: str, key: str) -> Path:
    return cache_dir() / kind / key[:2] / f"{key}.pkl"


def _read(path: Path) -> tuple[bool, Any]:
    """(True, value) for a whole entry at ``path``; (False, None) when missing, truncated or corrupt."""
    try:
        data = path.read_bytes()
    except OSError:
        return False, None
    if not data.startswith(MAGIC):
        return False, None
    digest, _, payload = data[len(MAGIC):].partition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        return False, None
    try:
        return True, pickle.loads(payload)
    except Exception:  # an entry pickled by other code: recompute
        return False, None


def _write(path: Path, value: Any) -> None:
    """Write ``value`` to ``path`` atomically (temporary file in the same folder, fsync, os.replace)."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached(kind: str, parts: Mapping[str, Any], compute: Callable[[], T], label: str = "") -> T:
    """``compute()``'s value, read from the disk cache when an entry for (kind, parts, this code) exists.

    A miss computes under the key's lock and writes the entry atomically; a cache folder that cannot
    be written is not an error (the value is returned, nothing is stored).  With the cache off the
    value is computed and nothing is recorded.
    """
    if not enabled():
        return compute()
    key = content_key(kind, parts)
    path = _entry_path(kind, key)
    found, value = _read(path)
    if not found:
        try:
            lock = contextlib.ExitStack()
            lock.enter_context(locked(path.with_suffix(".lock")))
        except OSError:
            lock = contextlib.ExitStack()
        with lock:
            found, value = _read(path)  # another writer may have finished while we waited
            if not found:
                value = compute()
                with contextlib.suppress(OSError):
                    _write(path, value)
    _EVENTS.append(CacheEvent(kind, label or key[:12], found, _SCOPE.get()))
    return value


@contextlib.contextmanager
def scope(name: str | None) -> Iterator[None]:
    """Record the lookups of the block under ``name`` (a catalogue entry's id, 'extras')."""
    token = _SCOPE.set(name)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def events() -> list[CacheEvent]:
    """Every disk-cache lookup of this process so far, in order."""
    return list(_EVENTS)


def summary(since: int = 0) -> dict[str, Any]:
    """What the lookups from ``events()[since:]`` did: the folder, totals, and per scope (entry id) the
    hits and computed results, in all and per kind."""
    chosen = _EVENTS[since:]
    scopes: dict[str, dict[str, Any]] = {}
    for e in chosen:
        s = scopes.setdefault(e.scope or "(none)", {"hits": 0, "computed": 0, "kinds": {}})
        s["hits" if e.hit else "computed"] += 1
        per_kind = s["kinds"].setdefault(e.kind, {"hits": 0, "computed": 0})
        per_kind["hits" if e.hit else "computed"] += 1
    return {"enabled": enabled(), "dir": str(cache_dir()), "hits": sum(e.hit for e in chosen),
            "computed": sum(not e.hit for e in chosen), "scopes": scopes}
