"""Numbers as people read them: rounded, and never rounded into a lie ("3.01–3.01")."""

from __future__ import annotations

from lrbias.claims.frontier import merge_ranges


def round_sig(value: float, digits: int = 4) -> float:
    """``value`` rounded to ``digits`` significant digits (7.999999999999998 → 8)."""
    return float(f"{value:.{digits}g}")


def format_span(lo: float, hi: float, digits: int = 3, sep: str = "–") -> str:
    """'lo–hi' with the fewest significant digits (at least ``digits``) that keep lo and hi apart.

    Two equal numbers print once; two that differ print with as many digits (up to 17) as it takes.
    """
    if lo == hi:
        return f"{lo:.{digits}g}"
    for d in range(digits, 18):
        a, b = f"{lo:.{d}g}", f"{hi:.{d}g}"
        if a != b:
            return f"{a}{sep}{b}"
    return f"{lo!r}{sep}{hi!r}"


format_ranges = merge_ranges
"""'[2.01, 3.5] ∪ [5, 8]' or 'nowhere': the frontier's own rule (:func:`lrbias.claims.frontier.merge_ranges`)."""
