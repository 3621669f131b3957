"""The public front under the name variant files import (``from lrbias.api import ...``).

The same names as :mod:`lrbias` (one list, kept there), loaded lazily as there: a variant file
declares families with :func:`register_family` and lists its claims in ``ENTRIES``;
``lrbias check --variants FILE`` runs them beside the built-in ones.  See
``examples/huber_like_eos.py`` and the variant tutorial in the docs.
"""

from __future__ import annotations

from typing import Any

import lrbias
from lrbias import __all__ as __all__


def __getattr__(name: str) -> Any:
    """The front's name ``name`` (an AttributeError for anything else)."""
    if name not in __all__:
        raise AttributeError(f"module 'lrbias.api' has no attribute {name!r}")
    return getattr(lrbias, name)


def __dir__() -> list[str]:
    return sorted(__all__)
