"""Exception types: every user-facing failure is an ``LrbiasError`` with a one-line message."""

from __future__ import annotations


class LrbiasError(ValueError):
    """Base class for errors caused by bad input; the CLI prints the message and exits 2."""


class SpecError(LrbiasError):
    """A loss spec (``NAME[:k=v,...]``) is malformed or names an unknown family."""


class ParameterError(LrbiasError):
    """A family parameter lies outside its accepted range."""


class ExpressionError(LrbiasError):
    """A user expression uses something outside the whitelist or is not a valid loss."""


class MinimiserError(LrbiasError):
    """A loss is not minimised at s = 1 (the paper's normalisation)."""


class RunError(LrbiasError):
    """A run failed or ran out of its budget (not bad input): the CLI prints the message and exits 1."""

    exit_code = 1


def short(value: object, limit: int = 60) -> str:
    """``value`` as text of at most ``limit`` characters (the middle elided), for quoting in messages."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    keep = max(limit - 5, 2)
    return f"{text[:keep // 2]} ... {text[-(keep - keep // 2):]}" if keep > 10 else text[:limit]


class NumberRangeError(LrbiasError, OverflowError):
    """A number too large to evaluate safely (an mpmath argument beyond the cap): exit 2 on the CLI.

    Also an OverflowError, so numeric code that treats overflow as "diverged" keeps doing so.
    """
