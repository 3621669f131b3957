"""The one type every backend returns: a callable from a value (or array) of its kind to the same kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Evaluator = Callable[[Any], Any]
