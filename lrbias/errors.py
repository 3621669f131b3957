"""Exception types: every user-facing failure is an ``LrbiasError`` with a one-line message.

One hierarchy (as Hypothesis has one error type):

    LrbiasError                  every failure lrbias reports (never raised itself)
    ├── InvalidArgument          bad input: the CLI prints the message and exits 2 (also a ValueError)
    │   ├── SpecError, ParameterError, ExpressionError, MinimiserError, NumberRangeError
    └── RunError                 a run that failed or ran out of its budget: the CLI exits 1
"""

from __future__ import annotations


class LrbiasError(Exception):
    """Base class of every error lrbias reports; catch this one to catch them all."""


class InvalidArgument(LrbiasError, ValueError):
    """Bad input (a value outside its accepted range, a malformed spec or file): the CLI exits 2.

    Also a ValueError, so code that validates with ``except ValueError`` keeps working.
    """


class SpecError(InvalidArgument):
    """A loss spec (``NAME[:k=v,...]``) is malformed or names an unknown family."""


class ParameterError(InvalidArgument):
    """A family parameter lies outside its accepted range."""


class ExpressionError(InvalidArgument):
    """A user expression uses something outside the whitelist or is not a valid loss."""


class MinimiserError(InvalidArgument):
    """A loss is not minimised at s = 1 (the paper's normalisation)."""


class RunError(LrbiasError):
    """A run failed or ran out of its budget (not bad input): the CLI prints the message and exits 1.

    Not an InvalidArgument: a caller can tell "fix your input" from "the run did not finish"."""

    exit_code = 1


def short(value: object, limit: int = 60) -> str:
    """``value`` as text of at most ``limit`` characters (the middle elided), for quoting in messages."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    keep = max(limit - 5, 2)
    return f"{text[:keep // 2]} ... {text[-(keep - keep // 2):]}" if keep > 10 else text[:limit]


class NumberRangeError(InvalidArgument, OverflowError):
    """A number too large to evaluate safely (an mpmath argument beyond the cap): exit 2 on the CLI.

    Also an OverflowError, so numeric code that treats overflow as "diverged" keeps doing so.
    """
