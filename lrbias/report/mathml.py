"""Math for the page as MathML (rendered natively by browsers; no JavaScript, no fonts to fetch)."""

from __future__ import annotations

import html

import sympy as sp
from latex2mathml.converter import convert


def latex_to_mathml(latex: str, display: bool = False) -> str:
    """MathML for a LaTeX formula; falls back to the escaped LaTeX in <code> if it cannot convert."""
    try:
        markup = convert(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises assorted errors on unsupported macros
        return f"<code>{html.escape(latex)}</code>"
    return markup


def sympy_to_mathml(expr: sp.Expr, display: bool = False) -> str:
    """Presentation MathML of a sympy expression, wrapped in a <math> element."""
    body = sp.printing.mathml(expr, printer="presentation")
    mode = "block" if display else "inline"
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}">{body}</math>'
