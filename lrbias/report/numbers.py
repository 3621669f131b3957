"""Numbers as people read them: rounded, and never rounded into a lie ("3.01–3.01")."""

from __future__ import annotations

from collections.abc import Sequence


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


def format_ranges(ranges: Sequence[Sequence[float]], digits: int = 3) -> str:
    """'[2, 3.5] ∪ [5, 8]' with each range's ends kept apart (see :func:`format_span`), or 'nowhere'."""
    return " ∪ ".join(f"[{format_span(lo, hi, digits, ', ')}]" for lo, hi in ranges) or "nowhere"
