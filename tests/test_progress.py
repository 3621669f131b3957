"""The report's progress bar: drawn on a terminal only; plain lines otherwise."""

from __future__ import annotations

import io

from lrbias.report.progress import bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_not_a_terminal():
    stream = io.StringIO()
    with bar(stream) as shown:
        assert shown.stream is stream  # the lines go where they always went
        shown.phase("catalogue", total=2)
        shown.advance("a")
        shown.stream.write("[1/2] a ... pass\n")
    assert stream.getvalue() == "[1/2] a ... pass\n"
    with bar(None) as shown:
        assert shown.stream is None
        shown.phase("x", total=1)
        shown.advance()


def test_bar_with_eta_on_a_terminal_and_lines_above_it():
    term = Terminal()
    with bar(term) as shown:
        assert shown.stream is not term
        shown.phase("catalogue", total=2)
        shown.stream.write("[1/2] a ...")
        shown.stream.write(" pass\n")
        shown.advance("a")
        shown.advance("b")
        shown.phase("extras and figures")
        shown.done()
    out = term.getvalue()
    assert "[1/2] a ... pass" in out  # one whole line, printed above the bar
    assert "catalogue" in out and "2/2" in out and "ETA" in out and "extras and figures" in out
