"""Math for the page as MathML (rendered natively by browsers; no JavaScript, no fonts to fetch)."""

from __future__ import annotations

import html
import re

import sympy as sp
from latex2mathml.converter import convert
from sympy.printing.mathml import MathMLPresentationPrinter


def latex_to_mathml(latex: str, display: bool = False) -> str:
    """MathML for a LaTeX formula; falls back to the escaped LaTeX in <code> if it cannot convert."""
    try:
        markup = convert(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises assorted errors on unsupported macros
        return f"<code>{html.escape(latex)}</code>"
    return renderable_glyphs(markup)


def sympy_to_mathml(expr: sp.Expr, display: bool = False) -> str:
    """Presentation MathML of a sympy expression, wrapped in a <math> element (piecewise as cases)."""
    body = CasesPrinter({}).doprint(expr)
    mode = "block" if display else "inline"
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}">{body}</math>'


NEGATED = {"→": "↛", "=": "≠", "∈": "∉", "<": "≮", ">": "≯", "≤": "≰", "≥": "≱", "⊂": "⊄", "⊆": "⊈",
           "∼": "≁", "≡": "≢", "⇒": "⇏", "↔": "↮", "∃": "∄", "∋": "∌", "⇔": "⇎", "←": "↚"}
"""``\\not`` + operator → the precomposed negated operator (every one has a glyph in common fonts)."""

# latex2mathml writes \not X as a zero-width U+29F8 (a glyph few fonts have, shown as "□") before X
_NOT = re.compile(r'<mpadded width="0"><mtext>(?:&#x029F8;|\u29F8)</mtext></mpadded>\s*<mo([^>]*)>([^<]*)</mo>')


def renderable_glyphs(markup: str) -> str:
    """MathML with ``\\not X`` written as the precomposed negation of X (``\\not\\to`` → ↛).

    An operator without a precomposed negation is written as the word "not" before it, never as a
    glyph that may be missing (the bug this fixes: "□→" read as the opposite claim).
    """
    def repl(m: re.Match[str]) -> str:
        attrs, op = m.group(1), html.unescape(m.group(2)).strip()
        if op in NEGATED:
            return f"<mo{attrs}>{NEGATED[op]}</mo>"
        return f"<mtext>not&#xA0;</mtext><mo{attrs}>{m.group(2)}</mo>"

    return _NOT.sub(repl, markup)


class CasesPrinter(MathMLPresentationPrinter):
    """sympy's presentation printer, with ``Piecewise`` as cases: a brace and one 'value if condition' row each."""

    def _print_Piecewise(self, expr: sp.Piecewise):
        dom = self.dom
        row = dom.createElement("mrow")
        brace = dom.createElement("mo")
        brace.appendChild(dom.createTextNode("{"))
        row.appendChild(brace)
        table = dom.createElement("mtable")
        table.setAttribute("columnalign", "left left")
        for value, cond in expr.args:
            tr = dom.createElement("mtr")
            left = dom.createElement("mtd")
            left.appendChild(self._print(value))
            right = dom.createElement("mtd")
            word = dom.createElement("mtext")
            if cond == sp.true:
                word.appendChild(dom.createTextNode("otherwise"))
                right.appendChild(word)
            else:
                word.appendChild(dom.createTextNode("if\u00a0"))
                inner = dom.createElement("mrow")
                inner.appendChild(word)
                inner.appendChild(self._print(cond))
                right.appendChild(inner)
            tr.appendChild(left)
            tr.appendChild(right)
            table.appendChild(tr)
        row.appendChild(table)
        return row
