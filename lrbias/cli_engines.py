"""CLI subcommands backed by the GD engines (``run``, ``sweep``)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the engine subcommands to the ``lrbias`` parser."""
