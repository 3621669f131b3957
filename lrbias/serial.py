"""One JSON policy, one atomic writer and one table printer for every output of lrbias.

JSON policy (documented in ``lrbias/claims/results.schema.json``): strict JSON, no NaN or
Infinity tokens.  A NaN means "no value" and becomes ``null``; +∞ and −∞ are meaningful (an
inconclusive check has margin +∞, a rise from a zero start is ∞) and become the strings
``"inf"`` and ``"-inf"``; numpy scalars become Python numbers, tuples lists, other objects their
``str``.  :func:`json_number` reads such a value back.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from lrbias.errors import InvalidArgument, short

__all__ = [
    "SafeStream",
    "current_umask",
    "dumps",
    "format_number",
    "json_number",
    "json_safe",
    "print_table",
    "terminal_safe",
    "write_atomic",
    "write_json",
]


def json_safe(value: Any) -> Any:
    """``value`` as strict-JSON types under the policy above (at any depth of dicts, lists, tuples)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, str | int) or value is None:
        return value
    return str(value)


def json_number(value: Any) -> float | None:
    """A number written under the policy back as a float ("inf" → ∞, null → None)."""
    if value is None:
        return None
    if value == "inf":
        return math.inf
    if value == "-inf":
        return -math.inf
    return float(value)


def format_number(value: Any, digits: int = 4, none: str = "-") -> str:
    """A number read back from JSON for display: ``none`` for null, "inf"/"-inf" as written, else ``digits`` g."""
    if value is None:
        return none
    if isinstance(value, str):
        return value
    return f"{value:.{digits}g}"


def dumps(value: Any, indent: int | None = 1) -> str:
    """``json.dumps`` of :func:`json_safe` (``value``), strict (no NaN/Infinity tokens)."""
    return json.dumps(json_safe(value), indent=indent, allow_nan=False)


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    A crash or a concurrent writer leaves either the old file or the new one whole, never a
    half-written file; the temporary file is removed on any error.  The folder must exist.
    Only a regular file is ever replaced: a symbolic link is followed (the link survives, its
    target is rewritten) and a folder, device, FIFO or socket is refused (LrbiasError).
    An existing file's mode (a 0600 file stays 0600) and, where permitted, owner and group are
    copied onto the replacement; a new file gets 0666 less the umask.  Hard links: the replacement
    is a new file, so the name given gets the new text and other hard links to the old file keep
    the old text.  An OS error (a full disk) names ``path``.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    old = path.stat() if path.exists() else None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise InvalidArgument(f"{short(str(path))} is not a regular file; refusing to replace it")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if old is None:
            os.chmod(tmp, 0o666 & ~current_umask())
        else:
            with contextlib.suppress(OSError):  # only root may give a file away; the group where we belong to it
                os.chown(tmp, old.st_uid, old.st_gid)
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.filename is None:
            raise type(exc)(exc.errno, exc.strerror or str(exc), str(path)) from None  # the same kind, named
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, value: Any) -> None:
    """Atomically write ``value`` as JSON under the policy above."""
    write_atomic(path, dumps(value) + "\n")


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), *range(0x7f, 0xa0)]}
_CONTROL.update({c: f"\\u{c:04x}" for c in [*range(0x202a, 0x202f), *range(0x2066, 0x206a)]})  # bidi overrides


def terminal_safe(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b`` for ESC), newline, tab and carriage return kept.

    Ids and names from a user's TOML or JSON reach the terminal; raw, an escape sequence in them
    could set the window title or clear the screen.  Bidirectional overrides are escaped too.
    """
    return text.translate(_CONTROL)


class SafeStream:
    """A text stream that writes :func:`terminal_safe` text to ``stream`` (everything else delegated)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO | None = None,
                free_last: bool = False) -> None:
    """Left-aligned columns separated by two spaces; ``free_last``: the last column is not padded."""
    out = out or sys.stdout
    fixed = len(header) - 1 if free_last else len(header)
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(fixed)]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row[:fixed], widths, strict=True)]
        if free_last:
            cells.append(str(row[-1]))
        print("  ".join(cells).rstrip(), file=out)
