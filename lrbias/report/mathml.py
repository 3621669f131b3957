"""Math for the page as MathML (rendered natively by browsers; no JavaScript, no fonts to fetch).

A variant's LaTeX is user input and the page shows the MathML unescaped, so every fragment
passes :func:`sanitise_mathml`: it is parsed as XML and rebuilt from an allow-list of
presentation-MathML elements and attributes, every text and attribute value escaped.  Anything
else (``script``, ``href``/``xlink:href`` with a ``javascript:`` URL, event handlers, ``style``,
foreign elements) is dropped; markup that does not parse becomes escaped LaTeX in ``<code>``.
"""

from __future__ import annotations

import html
import html.entities
import re
import xml.etree.ElementTree as ET

import sympy as sp
from latex2mathml.converter import convert
from sympy.printing.mathml import MathMLPresentationPrinter

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_ELEMENTS", "latex_to_mathml", "sanitise_mathml", "sympy_to_mathml"]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

ALLOWED_ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt",
    "mroot", "mstyle", "mtable", "mtr", "mtd", "mover", "munder", "munderover", "mpadded", "mphantom",
    "menclose", "mfenced", "merror", "semantics", "mlabeledtr", "mprescripts", "mmultiscripts", "none",
})
"""Presentation-MathML elements that may reach the page."""

ALLOWED_ATTRIBUTES = frozenset({
    "display", "mathvariant", "stretchy", "fence", "separator", "separators", "open", "close", "lspace",
    "rspace", "form", "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines",
    "frame", "linethickness", "accent", "accentunder", "movablelimits", "largeop", "symmetric", "minsize",
    "maxsize", "width", "height", "depth", "notation", "displaystyle", "scriptlevel", "align", "mathsize",
    "bevelled", "numalign", "denomalign", "voffset", "equalrows", "equalcolumns", "columnspan", "rowspan",
})
"""Attributes kept on those elements (no URLs, no event handlers, no style): values are escaped."""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1] if name.startswith("{") else name


def _rebuild(node: ET.Element, out: list[str]) -> None:
    tag = _local(node.tag)
    if tag not in ALLOWED_ELEMENTS:
        text = "".join(node.itertext()).strip()
        if text:  # what a dropped element said is shown as plain text, never as markup
            out.append(f"<mtext>{html.escape(text)}</mtext>")
        return
    attrs = []
    for key, value in node.attrib.items():
        name = _local(key)
        if name in ALLOWED_ATTRIBUTES and ":" not in value:
            attrs.append(f' {name}="{html.escape(value, quote=True)}"')
    if tag == "math":
        attrs.insert(0, f' xmlns="{MATHML_NS}"')
    out.append(f"<{tag}{''.join(attrs)}>")
    if node.text:
        out.append(html.escape(node.text))
    for child in node:
        _rebuild(child, out)
        if child.tail:
            out.append(html.escape(child.tail))
    out.append(f"</{tag}>")


def _numeric_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in ("lt", "gt", "amp", "quot", "apos"):
        return match.group(0)
    chars = html.entities.html5.get(f"{name};")
    return "".join(f"&#{ord(c)};" for c in chars) if chars else f"&amp;{name};"


def sanitise_mathml(markup: str) -> str | None:
    """``markup`` rebuilt from the allow-lists (one ``<math>`` element); None if it is not such XML.

    HTML's named entities (sympy writes ``&ExponentialE;``) become character references first.
    """
    try:
        root = ET.fromstring(re.sub(r"&([A-Za-z][A-Za-z0-9]*);", _numeric_entity, markup))
    except ET.ParseError:
        return None
    if _local(root.tag) != "math":
        return None
    out: list[str] = []
    _rebuild(root, out)
    return "".join(out)


def latex_to_mathml(latex: str, display: bool = False) -> str:
    """Sanitised MathML for a LaTeX formula; the escaped LaTeX in <code> if it cannot convert."""
    try:
        markup = convert(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises assorted errors on unsupported macros
        return f"<code>{html.escape(latex)}</code>"
    clean = sanitise_mathml(renderable_glyphs(markup))
    return clean if clean is not None else f"<code>{html.escape(latex)}</code>"


def sympy_to_mathml(expr: sp.Expr, display: bool = False) -> str:
    """Presentation MathML of a sympy expression, wrapped in a <math> element (piecewise as cases), sanitised."""
    body = CasesPrinter({}).doprint(expr)
    mode = "block" if display else "inline"
    markup = f'<math xmlns="{MATHML_NS}" display="{mode}">{body}</math>'
    clean = sanitise_mathml(markup)
    return clean if clean is not None else f"<code>{html.escape(str(expr))}</code>"


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
