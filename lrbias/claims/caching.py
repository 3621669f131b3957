"""The disk-cache keys of the expensive results below the catalogue: float64 sweeps and trained NN grids.

(A catalogue entry's record is cached by :mod:`lrbias.claims.entry_cache`, which needs the
catalogue; this module sits under the sweeps and may not.)

Each wrapper names everything its result depends on besides lrbias's own code (which
:func:`lrbias.cache.content_key` hashes): for a sweep the family's formula, κ, seed, size, start
distribution and step budget, and numpy's version; for an NN grid its configuration, torch's
version and thread count and the data libraries' versions; for an entry's record its id, start
distribution, profile and seed, the source trees of the catalogue's entry-point groups and the
versions of every library a verdict depends on.  A result that depends on code outside
lrbias that cannot be read (a start sampler without source) is computed and not stored.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lrbias import cache

if TYPE_CHECKING:
    from lrbias.gd import BatchResult
    from lrbias.nn.trainer import RunResult

__all__ = ["disk_cached_grid", "disk_cached_sweep", "grid_parts", "sweep_parts"]


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _source_of(obj: Any) -> str | None:
    """The source of a callable defined outside lrbias (None when it cannot be read); '' inside lrbias."""
    module = getattr(obj, "__module__", "") or ""
    if module == "lrbias" or module.startswith("lrbias."):
        return ""  # covered by the code hash
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return None


def sweep_parts(spec: str, kappa: float, seed: int, n: int, starts: str, steps: int) -> dict[str, Any] | None:
    """What a sweep depends on besides lrbias's code; None when part of it cannot be named (not stored)."""
    import numpy as np
    import sympy as sp

    from lrbias.claims.starts import get_starts
    from lrbias.losses.families import get_family

    fam = get_family(spec)
    sampler = _source_of(get_starts(starts).sample)
    if sampler is None:
        return None
    return {"family": fam.spec, "expr": sp.srepr(fam.expr), "kappa": repr(float(kappa)),
            "seed": int(seed), "n": int(n), "starts": starts, "sampler": sampler, "steps": int(steps),
            "numpy": np.__version__}


def disk_cached_sweep(compute: Callable[..., BatchResult], spec: str, kappa: float, seed: int, n: int, starts: str,
                      steps: int) -> BatchResult:
    """``compute(spec, kappa, seed, n, starts, steps)``, through the disk cache."""
    parts = sweep_parts(spec, kappa, seed, n, starts, steps)
    args = (spec, kappa, seed, n, starts, steps)
    if parts is None:
        return compute(*args)
    return cache.cached("sweep", parts, lambda: compute(*args),
                        label=f"{spec} κ={float(kappa):g} seed={seed} n={n} {starts} {steps} steps")


def grid_parts(grid: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """What a trained NN grid depends on besides lrbias's code."""
    import numpy as np
    import torch

    from lrbias.gd.device import pin_torch_threads

    pinned = pin_torch_threads()  # the thread count training will use (pinned once per process)
    return {"grid": repr(grid), "overrides": repr(sorted(overrides.items())), "torch": torch.__version__,
            "threads": pinned, "numpy": np.__version__, "sklearn": _version("scikit-learn"),
            "mnist1d": _version("mnist1d")}


def disk_cached_grid(compute: Callable[[], tuple[RunResult, ...]], grid: Any,
                     overrides: dict[str, Any]) -> tuple[RunResult, ...]:
    """``compute()`` (the runs of ``grid`` trained with ``overrides``), through the disk cache."""
    return cache.cached("nn-grid", grid_parts(grid, overrides), compute, label=getattr(grid, "name", repr(grid)))
