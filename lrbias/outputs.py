"""Where lrbias may write, checked once for every command: output targets, report folders, the swap.

The rule (DESIGN.md, "Nothing lost"): a file option (``--json``, ``--html``) writes only to a
regular file or a new name in a writable folder, ``-`` meaning stdout; a report folder
(``--out``) is new, empty, or holds a previous lrbias report *and nothing else*: the marker file
:data:`MARKER` is a manifest of every path the report wrote (files with size and SHA-256), and a
folder is replaced only when everything in it is a recorded path, unchanged.  A folder holding
anything else (a user's notes, a site with its own ``index.html``, a report written inside the
report) is refused with one line naming the foreign paths, and no report is written inside
another report.  Anything else is refused with a one-line :class:`~lrbias.errors.LrbiasError`
*before* any work is done (and checked again under the lock just before the swap).

A report folder is replaced by :func:`swap_folder`: under a lock (:func:`folder_lock`, so two
runs into one folder take turns), leftovers of a killed run are recovered or removed first, then
the complete staging folder is exchanged with the old one in one ``renameat2(RENAME_EXCHANGE)``
where the kernel has it (else two renames, which the next run repairs if killed in between).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lrbias.errors import InvalidArgument, short
from lrbias.serial import current_umask

__all__ = ["MARKER", "REPORT_FILES", "check_file_target", "check_name_length", "check_report_folder",
           "cleanup_leftovers", "folder_lock", "foreign_paths", "staging_folder", "swap_folder", "write_manifest"]

MARKER = ".lrbias-report"
"""The file every report folder holds: a folder with it may be replaced by a new report."""

REPORT_FILES = frozenset({"index.html", "results.json", "figures", MARKER})
"""What a report folder holds at its top level (a marker without a manifest, from an older lrbias,
is trusted only for these names and ``figures/*.svg``)."""

MANIFEST_FORMAT = "lrbias-report-manifest/1"
"""The ``format`` field of the marker's manifest."""

MANIFEST_MAX_BYTES = 1 << 20
"""The largest marker read (a manifest of a report is a few kB)."""

LEFTOVER_SUFFIX = 22
"""Bytes the longest name beside ``--out`` adds to its name: ``.NAME.tmp-PID-RAND`` (pid up to 7 digits)."""

ATOMIC_SUFFIX = 14
"""Bytes :func:`lrbias.serial.write_atomic`'s temporary name adds to a file name: ``.NAME.XXXXXXXX.tmp``."""

LOCK_WAIT_S = 600.0
"""How long a run waits for another run's swap into the same folder before giving up."""


def _show(path: object) -> str:
    """A path as quoted in messages: whole unless absurdly long."""
    return short(str(path), 240)


def file_kind(mode: int) -> str:
    """What a stat mode names, for messages ('a file', 'a folder', 'a FIFO', ...)."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _writable_folder(folder: Path, flag: str, shown: str, create: bool) -> None:
    """``folder`` (or, with ``create``, its nearest existing ancestor) is a writable folder."""
    if not create and not folder.is_dir():
        raise InvalidArgument(f"{flag} {shown}: folder {_show(folder)} does not exist")
    probe = folder
    while not probe.exists():
        if probe.is_symlink():
            raise InvalidArgument(f"{flag} {shown}: {_show(probe)} is a broken symbolic link")
        probe = probe.parent
    if not probe.is_dir():
        raise InvalidArgument(f"{flag} {shown}: {_show(probe)} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InvalidArgument(f"{flag} {shown}: folder {_show(probe)} is not writable")


def check_name_length(path: Path, flag: str, shown: str, extra: int) -> None:
    """Every component of ``path`` fits the file system's name limit with ``extra`` bytes to spare.

    The temporary names beside an output (``extra`` bytes longer) must fit too, so a name that would
    fail only at the final write ("File name too long") is refused before any work.
    """
    probe = Path(path).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        name_max = os.pathconf(probe, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    parts = [p for p in Path(path).parts if p not in ("/", ".", "..")]
    for i, part in enumerate(parts):
        room = name_max - (extra if i == len(parts) - 1 else 0)
        if len(os.fsencode(part)) > room:
            raise InvalidArgument(f"{flag} {shown}: the name {short(part, 40)!r} is {len(os.fsencode(part))} bytes; "
                              f"accepted: at most {room} bytes (the file system allows {name_max}, and the "
                              "temporary name beside it needs the rest)")


def check_file_target(path: str | Path | None, flag: str) -> Path | None:
    """The file ``flag`` may write, checked before any work: None for None or ``-`` (stdout).

    Accepted: an existing regular file (a symbolic link to one is followed, so the link
    survives), or a new name in an existing folder whose name leaves room for the temporary file.
    Refused: a folder, a device, a FIFO, a socket, a broken link, an unwritable file or folder.
    """
    if path is None or str(path) == "-":
        return None
    shown = _show(path)
    if not str(path).strip():
        raise InvalidArgument(f"{flag} is empty; accepted: a file name, or - for stdout")
    target = Path(path)
    if target.is_symlink():
        if not target.exists():
            raise InvalidArgument(f"{flag} {shown} is a broken symbolic link; accepted: a regular file, "
                                  "or - for stdout")
        target = target.resolve()
    if target.exists():
        mode = target.stat().st_mode
        if not stat.S_ISREG(mode):
            raise InvalidArgument(f"{flag} {shown} is {file_kind(mode)}; accepted: a regular file, or - for stdout")
        if not os.access(target, os.W_OK):
            raise InvalidArgument(f"{flag} {shown} is not writable")
    _writable_folder(target.parent, flag, shown, create=False)
    check_name_length(target, flag, shown, ATOMIC_SUFFIX)
    return Path(path)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _entries(folder: Path, recorded: dict | None = None) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of everything under ``folder``, folders as ``NAME/``; links not followed.

    With ``recorded``, only recorded folders are entered (an unrecorded folder is one foreign path).
    """
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(folder / rel if rel else folder) as it:
            for entry in sorted(it, key=lambda e: e.name):
                st = entry.stat(follow_symlinks=False)
                path = f"{rel}{entry.name}"
                if stat.S_ISDIR(st.st_mode):
                    yield f"{path}/", st
                    if recorded is None or f"{path}/" in recorded:
                        stack.append(f"{path}/")
                else:
                    yield path, st


def write_manifest(folder: Path) -> dict:
    """Write :data:`MARKER` into the finished report ``folder``: every path in it with its size and hash.

    Called last, on the staging folder, so the manifest is exactly the set of paths the report wrote.
    """
    folder = Path(folder)
    paths: dict[str, Any] = {}
    for rel, st in _entries(folder):
        if rel == MARKER:
            continue
        if rel.endswith("/"):
            paths[rel] = {"kind": "folder"}
        elif stat.S_ISREG(st.st_mode):
            paths[rel] = {"kind": "file", "size": st.st_size, "sha256": _digest(folder / rel)}
        else:
            raise InvalidArgument(f"{_show(folder / rel)}: a report folder holds only files and folders")
    manifest = {"format": MANIFEST_FORMAT,
                "note": "an lrbias report: `lrbias report --out` replaces this folder only while it holds "
                        "exactly these paths, unchanged",
                "paths": paths}
    (folder / MARKER).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def _read_manifest(folder: Path) -> dict | None:
    """The recorded paths of ``folder``'s marker; None when it has a marker without a manifest (older lrbias)."""
    marker = folder / MARKER
    st = marker.lstat()
    if not stat.S_ISREG(st.st_mode) or st.st_size > MANIFEST_MAX_BYTES:
        return {}
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT or not isinstance(doc.get("paths"), dict):
        return None
    return doc["paths"]


_LEGACY = re.compile(r"(index\.html|results\.json|figures/|figures/[\w.-]+\.svg)")


def foreign_paths(folder: Path, limit: int = 50) -> list[str]:
    """What in the report folder ``folder`` the report did not write (or was changed since): [] if it is ours.

    A path is foreign when its manifest does not record it, it is of another kind (a link, a folder
    for a file), or a recorded file's size or SHA-256 differs ("NAME (changed)").  A marker without
    a manifest (an older lrbias) vouches only for index.html, results.json and figures/*.svg.
    At most ``limit`` paths are returned; an unrecorded folder counts once (``NAME/``).
    """
    folder = Path(folder)
    recorded = _read_manifest(folder)
    legacy = recorded is None
    recorded = recorded or {}
    foreign: list[str] = []
    for rel, st in _entries(folder, None if legacy else recorded):
        if rel == MARKER:
            continue
        if legacy:
            ok = bool(_LEGACY.fullmatch(rel)) and (rel.endswith("/") == stat.S_ISDIR(st.st_mode)) and (
                rel.endswith("/") or stat.S_ISREG(st.st_mode))
            if not ok:
                foreign.append(rel)
        else:
            info = recorded.get(rel)
            if not isinstance(info, dict):
                foreign.append(rel)
            elif rel.endswith("/"):
                pass
            elif info.get("kind") != "file" or not stat.S_ISREG(st.st_mode):
                foreign.append(rel)
            elif st.st_size != info.get("size") or _digest(folder / rel) != info.get("sha256"):
                foreign.append(f"{rel} (changed)")
        if len(foreign) >= limit:
            break
    return foreign


def _enclosing_report(path: Path) -> Path | None:
    """The nearest folder above ``path`` that holds a report (its marker), or None."""
    for above in path.parents:
        if (above / MARKER).exists():
            return above
    return None


def _list(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(short(n, 40) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_report_folder(out: str | Path, flag: str = "--out") -> Path:
    """``out`` as a Path if a report may be written there; LrbiasError otherwise (before any work).

    Accepted: a path that does not exist (its folders are created), an empty folder, or a folder
    holding a previous lrbias report and nothing else (:func:`foreign_paths` is empty), which the
    new report then replaces.  Refused: a file, a symbolic link, the current folder or one above
    it, a folder inside another report, a folder holding anything the report did not write (the
    message names those paths), a name too long for the temporary names beside it.
    ``flag`` names the option in the message.
    """
    shown = _show(out)
    if str(out) in ("", "-"):
        raise InvalidArgument(f"{flag} {shown!r}: a report is a folder; accepted: a new, empty or report folder")
    out = Path(out)
    if out.is_symlink():
        raise InvalidArgument(f"{flag} {shown} is a symbolic link; give the folder it points to")
    resolved = out.resolve()
    if resolved == Path(resolved.anchor) or Path.cwd().resolve().is_relative_to(resolved):
        raise InvalidArgument(f"{flag} {shown} is the current folder or holds it; accepted: a new, empty or "
                          "report folder below it, e.g. reports/latest")
    check_name_length(resolved, flag, shown, LEFTOVER_SUFFIX)
    outer = _enclosing_report(resolved)
    if outer is not None:
        raise InvalidArgument(f"{flag} {shown} lies inside the report folder {_show(outer)}, which the next report "
                          "there would replace; choose a folder outside it")
    if out.exists():
        mode = out.stat().st_mode
        if not stat.S_ISDIR(mode):
            raise InvalidArgument(f"{flag} {shown} is {file_kind(mode)}, not a folder; accepted: a new, empty or "
                              "report folder")
        names = sorted(os.listdir(out))
        if names and MARKER not in names:
            raise InvalidArgument(f"{flag} {shown} is a folder that does not hold an lrbias report (it has "
                              f"{_list(names)}); refusing to replace it: choose a new or empty folder")
        if names:
            foreign = foreign_paths(out)
            if foreign:
                raise InvalidArgument(f"{flag} {shown} holds paths the report did not write: {_list(foreign)}; "
                                  "refusing to replace it: move them out or choose another folder")
        if not os.access(out, os.W_OK | os.X_OK):
            raise InvalidArgument(f"{flag} {shown} is not writable")
    _writable_folder(resolved.parent, flag, shown, create=True)
    return out


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs.  A zombie (killed, not yet reaped by its parent) is dead: it holds no
    lock and will write nothing, yet ``kill(pid, 0)`` still finds it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:  # gone since the kill (where there is a procfs at all)
        return not Path("/proc/self/stat").is_file()
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _owner_pid(name: str) -> int | None:
    """The pid in a leftover's name ``.NAME.tmp-PID-RAND`` (None when it has none)."""
    try:
        return int(name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return None


def staging_folder(target: Path) -> Path:
    """A new private folder beside ``target`` (``.NAME.tmp-PID-RAND``) to build the next report in.

    It gets the mode of the folder it will replace (a 0700 report stays 0700), else 0777 less the umask.
    """
    target = Path(target)
    staging = target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if target.is_dir() else 0o777 & ~current_umask()
        os.chmod(staging, mode)
    except BaseException:
        staging.rmdir()
        raise
    return staging


def _leftover(name: str, target_name: str, kind: str) -> bool:
    """Whether ``name`` is exactly ``.TARGET.KIND-PID-RAND`` (no glob: ``[`` or ``*`` in TARGET match literally)."""
    prefix = f".{target_name}.{kind}-"
    return name.startswith(prefix) and re.fullmatch(r"\d+-[0-9a-f]{8}", name[len(prefix):]) is not None


def cleanup_leftovers(target: Path) -> list[Path]:
    """Repair what a killed run left beside ``target``; returns what was removed or restored.

    Call under :func:`folder_lock`.  A run killed between the two renames of a swap left
    ``target`` missing and the old report in ``.NAME.old-*``: it is put back.  Other ``.old-*``
    folders and the staging folders of runs that are no longer alive are removed; a live run's
    staging folder is left alone.
    """
    target = Path(target)
    parent, name = target.parent, target.name
    if not parent.is_dir():
        return []
    touched: list[Path] = []
    beside = sorted(os.listdir(parent))
    olds = [parent / n for n in beside if _leftover(n, name, "old")]
    if not target.exists() and not target.is_symlink():
        for old in olds:
            if old.is_dir():
                old.rename(target)
                touched.append(old)
                olds.remove(old)
                break
    for leftover in olds:
        shutil.rmtree(leftover, ignore_errors=True)
        touched.append(leftover)
    for staging in (parent / n for n in beside if _leftover(n, name, "tmp")):
        pid = _owner_pid(staging.name)
        if pid is None or not _pid_alive(pid):
            shutil.rmtree(staging, ignore_errors=True)
            touched.append(staging)
    return touched


@contextlib.contextmanager
def folder_lock(target: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the lock of ``target`` (the file ``.NAME.lock`` beside it), waiting up to ``wait_s``.

    The lock is ``flock`` on that file, released by the kernel when its holder dies; the file is
    removed on release (and a waiter that locked a removed file retries), so none is left behind.
    """
    target = Path(target)
    lock = target.parent / f".{target.name}.lock"
    started = time.monotonic()
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() - started > wait_s:
                raise InvalidArgument(f"another lrbias run is writing {_show(target)} (lock {_show(lock)}); "
                                  f"waited {wait_s:g} s") from None
            time.sleep(0.05)
            continue
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_folder(staging: Path, target: Path, flag: str = "--out") -> None:
    """Put the complete folder ``staging`` at ``target``, which always holds one whole report.

    Under :func:`folder_lock`: leftovers are repaired (:func:`cleanup_leftovers`), ``target`` is
    checked again (something may have appeared there during the run), then swapped.
    """
    staging, target = Path(staging), Path(target)
    with folder_lock(target):
        cleanup_leftovers(target)
        check_report_folder(target, flag)
        if not target.exists():
            staging.rename(target)
            return
        if _exchange(staging, target):
            shutil.rmtree(staging, ignore_errors=True)  # now the old report; a kill here leaves a dead .tmp-
            return
        old = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        target.rename(old)
        try:
            staging.rename(target)
        except BaseException:
            old.rename(target)
            raise
        shutil.rmtree(old, ignore_errors=True)
