"""Where lrbias may write, checked once for every command: output targets, report folders, the swap.

The rule (DESIGN.md, "Nothing lost"): a file option (``--json``, ``--html``) writes only to a
regular file or a new name in a writable folder, ``-`` meaning stdout; a report folder
(``--out``) is new, empty, or holds a previous lrbias report (the marker file :data:`MARKER`,
written into every report folder).  Anything else is refused with a one-line
:class:`~lrbias.errors.LrbiasError` *before* any work is done.

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
import os
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from lrbias.errors import InvalidArgument, short

__all__ = ["MARKER", "REPORT_FILES", "check_file_target", "check_report_folder", "cleanup_leftovers",
           "folder_lock", "staging_folder", "swap_folder"]

MARKER = ".lrbias-report"
"""The file every report folder holds: a folder with it may be replaced by a new report."""

REPORT_FILES = frozenset({"index.html", "results.json", "figures", MARKER})
"""What a report folder holds (one written before the marker existed is recognised by these alone)."""

LOCK_WAIT_S = 600.0
"""How long a run waits for another run's swap into the same folder before giving up."""


def _show(path: object) -> str:
    """A path as quoted in messages: whole unless absurdly long."""
    return short(str(path), 240)


def _kind(mode: int) -> str:
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


def check_file_target(path: str | Path | None, flag: str) -> Path | None:
    """The file ``flag`` may write, checked before any work: None for None or ``-`` (stdout).

    Accepted: an existing regular file (a symbolic link to one is followed, so the link
    survives), or a new name in an existing folder.  Refused: a folder, a
    device, a FIFO, a socket, a broken link, an unwritable file or folder.
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
            raise InvalidArgument(f"{flag} {shown} is {_kind(mode)}; accepted: a regular file, or - for stdout")
        if not os.access(target, os.W_OK):
            raise InvalidArgument(f"{flag} {shown} is not writable")
    _writable_folder(target.parent, flag, shown, create=False)
    return Path(path)


def check_report_folder(out: str | Path, flag: str = "--out") -> Path:
    """``out`` as a Path if a report may be written there; LrbiasError otherwise (before any work).

    Accepted: a path that does not exist (its folders are created), an empty folder, or a folder
    holding a previous lrbias report (:data:`MARKER`, or only what a report holds), which the new
    report then replaces.  Refused: a file, a symbolic link, the current folder or one above it,
    a folder holding anything else.  ``flag`` names the option in the message.
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
    if out.exists():
        mode = out.stat().st_mode
        if not stat.S_ISDIR(mode):
            raise InvalidArgument(f"{flag} {shown} is {_kind(mode)}, not a folder; accepted: a new, empty or "
                              "report folder")
        names = os.listdir(out)
        if names and MARKER not in names and not ("index.html" in names and set(names) <= REPORT_FILES):
            foreign = sorted(names)
            raise InvalidArgument(f"{flag} {shown} is a folder that does not hold an lrbias report (it has "
                              f"{', '.join(short(n, 30) for n in foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
                              "refusing to replace it: choose a new or empty folder")
        if not os.access(out, os.W_OK | os.X_OK):
            raise InvalidArgument(f"{flag} {shown} is not writable")
    _writable_folder(resolved.parent, flag, shown, create=True)
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(name: str) -> int | None:
    """The pid in a leftover's name ``.NAME.tmp-PID-RAND`` (None when it has none)."""
    try:
        return int(name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return None


def staging_folder(target: Path) -> Path:
    """A new private folder beside ``target`` (``.NAME.tmp-PID-RAND``) to build the next report in."""
    target = Path(target)
    staging = target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o777)
    return staging


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
    olds = sorted(parent.glob(f".{name}.old-*"))
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
    for staging in parent.glob(f".{name}.tmp-*"):
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
