"""Train the NN grids a report will need in a second process, while the first runs the other entries.

The NN entries come last in the catalogue and spend most of a cold report training grids (each
claim's grids, the same grids at the runner's larger step budget, the rival's grids).  On a machine
with two or more cores :func:`nn_prefetch` starts one background process that trains them, in the
order the NN entries will ask for them, into the disk cache (:mod:`lrbias.cache`).  The main process
asks through the same cache: a grid the background process is training is waited for (the cache's
per-key lock) and read, one it has finished is read, one it has not started is trained by whichever
process gets there first.  So the verdicts are the same as without it; only the wall time changes.
Nothing is prefetched with the disk cache off, on one core, or when the frontiers run on Dask.
When the main process is done the background one is stopped (an entry it was writing is never
half-written: writes are atomic).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from typing import Any

from lrbias import cache

__all__ = ["nn_prefetch", "prefetch_grids"]


def prefetch_grids(entry_ids: Iterable[str]) -> list[Any]:
    """The grids the NN entries among ``entry_ids`` will train, in the order they will ask for them."""
    from lrbias.claims.catalogue import torch_available

    ids = set(entry_ids)
    if not any(i.startswith("nn.") for i in ids) or not torch_available():
        return []
    from lrbias.claims.nn import catalogue_claims, longer
    from lrbias.claims.runner import BUDGET_FACTOR

    out: dict[str, Any] = {}
    for claim in catalogue_claims():
        if claim.id not in ids:
            continue
        grids = [*claim.grids, *(longer(g, BUDGET_FACTOR) for g in claim.grids),
                 *(claim.rival.grids if claim.rival is not None else ())]
        for grid in grids:
            out.setdefault(repr(grid), grid)
    return list(out.values())


def _train(entry_ids: list[str], folder: str) -> None:
    """The background process: train every grid of :func:`prefetch_grids` into the cache at ``folder``."""
    cache.configure(folder, enabled=True)
    from lrbias.claims.nn import trained_grid

    for grid in prefetch_grids(entry_ids):
        trained_grid(grid)


@contextlib.contextmanager
def nn_prefetch(entry_ids: Iterable[str], *, allowed: bool = True) -> Iterator[bool]:
    """Train the NN grids of ``entry_ids`` in a background process for the block; yields whether one runs."""
    ids = list(entry_ids)
    if not (allowed and cache.enabled() and (os.cpu_count() or 1) >= 2 and prefetch_grids(ids)):
        yield False
        return
    proc = multiprocessing.get_context("spawn").Process(target=_train, args=(ids, str(cache.cache_dir())),
                                                        name="lrbias-nn-prefetch", daemon=True)
    proc.start()
    try:
        yield True
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()
