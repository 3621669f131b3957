"""CLI subcommands for the neural-network experiments (``nn``, ``nn-grid``)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the neural-network subcommands to the ``lrbias`` parser."""
