"""Reading what users hand to lrbias: one size cap, one kind check and one JSON policy for every input file.

An input file (``--from-json``, a results document for ``diff`` or ``--compare``, a variant TOML)
must be a regular file no larger than :data:`MAX_INPUT_BYTES`: a FIFO would block forever and a
huge file would exhaust memory, so both are refused with one line before reading.  JSON is read
strictly: NaN/Infinity tokens (which Python's json accepts) and integers longer than
:data:`MAX_INT_DIGITS` digits are refused naming the file, as is nesting too deep.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from lrbias.errors import InvalidArgument, short
from lrbias.outputs import file_kind

__all__ = ["MAX_INPUT_BYTES", "MAX_INT_DIGITS", "check_database", "read_json", "read_text"]

MAX_INPUT_BYTES = 32 << 20
"""The largest input file read (32 MiB; a full results document with NN series is a few MB)."""

MAX_INT_DIGITS = 300
"""The longest integer literal accepted in a JSON input (every number lrbias writes is far shorter)."""


def read_text(path: str | Path, what: str, limit: int | None = None) -> str:
    """The UTF-8 text of the regular file ``path`` (at most ``limit`` bytes); LrbiasError naming it otherwise.

    ``what`` names the input in messages (e.g. "--from-json FILE" or "FILE"); ``limit`` defaults to
    :data:`MAX_INPUT_BYTES`.
    """
    limit = MAX_INPUT_BYTES if limit is None else limit
    shown = f"{what} {short(str(path), 240)}" if what else short(str(path), 240)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InvalidArgument(f"{shown}: no such file") from None
    except OSError as exc:
        raise InvalidArgument(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InvalidArgument(f"{shown} is {file_kind(st.st_mode)}; accepted: a regular file")
    if st.st_size > limit:
        raise InvalidArgument(f"{shown} is {st.st_size / 2**20:.1f} MiB; accepted: at most {limit / 2**20:g} MiB")
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidArgument(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise InvalidArgument(f"{shown} grew past {limit / 2**20:g} MiB while being read; accepted: a file that size")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"{shown}: not UTF-8 text (byte {exc.start})") from None


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number (write null for no value, \"inf\" for infinity)")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits; accepted: at most {MAX_INT_DIGITS} digits")
    return int(text)


def parse_json(text: str, shown: str) -> Any:
    """``text`` parsed as strict JSON (the policy above); LrbiasError starting with ``shown`` otherwise."""
    try:
        return json.loads(text, parse_constant=_no_constant, parse_int=_int)
    except RecursionError:
        raise InvalidArgument(f"{shown}: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"{shown}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:
        raise InvalidArgument(f"{shown}: not valid JSON: {short(str(exc), 160)}") from None


def read_json(path: str | Path, what: str = "", limit: int | None = None) -> Any:
    """The JSON value in the file ``path`` (:func:`read_text`, then :func:`parse_json`)."""
    shown = f"{what} {short(str(path), 240)}" if what else short(str(path), 240)
    return parse_json(read_text(path, what, limit), shown)


def check_database(path: str | Path | None, flag: str = "--database") -> Path | None:
    """A Hypothesis example database folder: an existing writable folder or a new name; None for None."""
    if path is None:
        return None
    shown = f"{flag} {short(str(path), 240)}"
    target = Path(path)
    if not str(path).strip():
        raise InvalidArgument(f"{flag} is empty; accepted: a folder")
    if target.exists() or target.is_symlink():
        try:
            mode = target.stat().st_mode
        except OSError:
            raise InvalidArgument(f"{shown} is a broken symbolic link; accepted: a folder") from None
        if not stat.S_ISDIR(mode):
            kind = "a file" if stat.S_ISREG(mode) else file_kind(mode)
            raise InvalidArgument(f"{shown} is {kind}; accepted: a folder (new or holding a Hypothesis database)")
        if not os.access(target, os.W_OK | os.X_OK):
            raise InvalidArgument(f"{shown} is not writable")
        return target
    probe = target.absolute().parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InvalidArgument(f"{shown}: cannot create it in {short(str(probe), 120)}")
    return target
