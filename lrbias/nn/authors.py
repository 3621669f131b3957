"""The authors' stored runs as :class:`~lrbias.nn.trainer.RunResult` records, for calibrating the detector.

The fixture (``tests/data/authors_runs.json``, written by ``tools/authors_runs.py`` from
github.com/zhenghaoxu-gatech/edge-of-stability) holds, per run, its learning rate, thinned
sharpness and loss traces, layer norms, our label and the reason for it.  :func:`load_runs` turns
each into a ``RunResult`` so the detector of :mod:`lrbias.nn.phenomena` reads the authors' runs
exactly as it reads ours.  No torch is needed: the record is plain data.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lrbias.nn.trainer import RunResult

__all__ = ["AuthorsRun", "load_runs"]


@dataclass(frozen=True)
class AuthorsRun:
    """One stored run: its id (the folder under ``results/``), group, label (None: unlabelled), why, and the run."""

    id: str
    group: str
    label: str | None
    why: str | None
    run: RunResult


def _floats(values: list[Any] | None) -> list[float]:
    return [math.nan if v is None else float(v) for v in values or ()]


def _run(record: dict[str, Any]) -> RunResult:
    from lrbias.nn.config import RunConfig
    from lrbias.nn.trainer import RunResult

    dataset = "mnist" if record["group"].startswith("mnist") else "cifar10"
    config = RunConfig(dataset=dataset, lr=record["lr"], steps=record["steps"], sharpness_every=record["eig_every"],
                       device="cpu")
    sharpness = [[v] for v in _floats(record["sharpness"])]
    loss = _floats(record["loss"])
    w1, w2 = _floats(record["w1"]), _floats(record["w2"])
    history = {"step": list(record["sharpness_steps"]), "loss": loss, "accuracy": [math.nan] * len(loss),
               "w1": w1 or [math.nan] * len(loss), "w2": w2 or [math.nan] * len(loss)}
    outcome = "diverged" if record["diverged"] else "completed"
    steps_run = record["sharpness_steps"][-1] if record["sharpness_steps"] else 0
    first = sharpness[0][0] if sharpness else math.nan
    meta = {"s0": first if first > 0 else math.nan, "authors": record["id"], "loss_max": record["loss_max"]}
    reason = "non-finite loss or sharpness" if record["diverged"] else "stored run"
    return RunResult(config, history, list(record["sharpness_steps"]), sharpness, outcome, reason, steps_run, 0.0,
                     "cpu", meta)


def load_runs(path: str | Path) -> tuple[AuthorsRun, ...]:
    """Every run of the fixture at ``path``, in its order."""
    data = json.loads(Path(path).read_text())
    return tuple(AuthorsRun(r["id"], r["group"], r["label"], r["why"], _run(r)) for r in data["runs"])
