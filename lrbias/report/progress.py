"""A progress bar with an ETA for the long phases of a report (the catalogue, then extras and figures).

Shown only when the progress stream is a terminal (rich draws it); otherwise the stream gets the
plain lines it always got, so logs and CI output are unchanged.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any, TextIO, cast

__all__ = ["Bar", "bar"]


class _Lines(io.TextIOBase):
    """A text stream printing whole lines above the bar (partial writes are buffered until their newline)."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
        return len(text)


class Bar:
    """The phases of one report: :meth:`phase` starts one (with a total, or open-ended), :meth:`advance` moves it."""

    def __init__(self, stream: TextIO | None, progress: Any = None) -> None:
        self._progress = progress
        self._task: Any = None
        self._total: int | None = None
        self.stream: TextIO | None = cast(TextIO, _Lines(progress.console)) if progress is not None else stream

    def phase(self, description: str, total: int | None = None) -> None:
        if self._progress is None:
            return
        self.done()
        self._task = self._progress.add_task(description, total=total, status="")
        self._total = total

    def done(self) -> None:
        """Mark the current phase complete."""
        if self._progress is not None and self._task is not None:
            total = self._total or 1
            self._progress.update(self._task, total=total, completed=total, status="")
            self._task = None

    def advance(self, label: str = "") -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, status=label)


@contextlib.contextmanager
def bar(stream: TextIO | None) -> Iterator[Bar]:
    """A :class:`Bar` drawing on ``stream`` when it is a terminal and rich is importable; else a silent one
    whose ``stream`` is ``stream`` itself."""
    isatty = getattr(stream, "isatty", None)
    if stream is None or not (callable(isatty) and isatty()):
        yield Bar(stream)
        return
    try:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
    except ImportError:
        yield Bar(stream)
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
               TextColumn("{task.fields[status]}"))
    with Progress(*columns, console=Console(file=stream), transient=False) as progress:
        yield Bar(stream, progress)
