"""Write a report folder (DIR/index.html, DIR/results.json, DIR/figures/*.svg) atomically.

Everything is written into a fresh sibling folder first; only when the page, the results
document and every figure are complete does that folder replace DIR, under a lock and in one
atomic exchange (:func:`lrbias.outputs.swap_folder`).  The marker written last is a manifest of every
path written (size and SHA-256), so a later run replaces the folder only while it holds exactly those.
An interrupted or crashed run leaves the
previous report untouched (its leftovers are repaired by the next run), and a folder that does
not hold a report is never replaced (:func:`lrbias.outputs.check_report_folder`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from lrbias import cache
from lrbias.claims.results import build_document, write_document
from lrbias.outputs import check_report_folder, staging_folder, swap_folder, write_manifest
from lrbias.report import figures as fig
from lrbias.report import heatmaps
from lrbias.report.page import FigureRef, family_rows, nn_rows, render
from lrbias.serial import write_atomic

FAMILY_TABLE = ["softplus-pair:a=0.25", "softplus-pair:a=0.5", "softplus-pair:a=1", "logcosh",
                "pseudo-huber", "huber:delta=1", "square", "quartic", "power:b=3"]

FigureJob = tuple[str, str, Callable[[], tuple[str, str]]]


def figure_jobs(extras: dict[str, Any]) -> list[FigureJob]:
    """(name, caption, draw) for every figure; phase-based figures only when a phase sweep exists."""
    jobs: list[FigureJob] = [
        ("trajectories-good", "GD paths for a good-regularity loss (softplus-pair, a = 1/2) at κ = 8: "
         "the runs bounce across the valley, then settle on the hyperbola near the balanced point.",
         lambda: fig.trajectory_figure("softplus-pair:a=0.5", [(3.0, 0.4), (-2.5, -1.2), (0.3, 3.5)], 8.0)),
        ("trajectories-square", "The same starts for the square loss at κ = 3: larger steps diverge or "
         "end on sharper minimisers.",
         lambda: fig.trajectory_figure("square", [(3.0, 0.4), (-2.5, -1.2), (0.3, 3.5)], 3.0)),
        ("eos", "Edge of stability and catapult for softplus-pair (a = 1/2) at κ = 8: the loss spikes, "
         "then the sharpness settles just under 2/h.",
         lambda: fig.eos_figure("softplus-pair:a=0.5", (3.0, 0.4), 8.0)),
        ("concentration", "Sharpness concentration: curvature away from the minimiser set, good vs bad "
         "regularity.",
         lambda: fig.concentration_figure(["softplus-pair:a=0.5", "logcosh", "square", "power:b=3"])),
    ]
    if extras.get("nn"):
        jobs.append(("nn", "Neural networks (two-layer, width 200, full-batch GD on 1,000 digits images): "
                     "sharpness against 2/h and the loss, per configuration.", lambda: fig.nn_figure(extras["nn"])))
    phase = extras.get("phase_diagram")
    if phase:
        jobs.append(("phase", "Phase diagram over (κ, dor), from the same batched sweeps as the frontiers.",
                     lambda: fig.phase_figure(phase)))
        jobs.append(("balancing", "Balancing: final over initial imbalance against κ.",
                     lambda: fig.balancing_figure(phase)))
    jobs += heatmaps.figure_jobs(extras)
    return jobs


def _svg_size(svg: str) -> tuple[int, int]:
    m = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if not m:
        return 640, 480
    return round(float(m.group(1)) * 4 / 3), round(float(m.group(2)) * 4 / 3)


def figure_data_key(extras: dict[str, Any]) -> str:
    """A SHA-256 of what the figures are drawn from: the extras, less what the disk cache served and the diff."""
    data = {k: v for k, v in extras.items() if k not in ("cache", "comparison")}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=repr).encode()).hexdigest()


def _matplotlib_version() -> str:
    import matplotlib

    return matplotlib.__version__


def write_report_folder(folder: Path, doc: dict, progress: TextIO | None = None) -> None:
    """Write index.html, results.json and figures/*.svg of ``doc`` into ``folder`` (which must exist).

    The page and the figures are drawn from the document alone (its entries and ``extras``).
    """
    (folder / "figures").mkdir()
    extras = doc.get("extras") or {}
    refs = []
    drawn_from = figure_data_key(extras)
    for name, caption, draw in figure_jobs(extras):
        if progress is not None:
            progress.write(f"figure {name}\n")
        svg, alt = cache.cached("figure", {"name": name, "data": drawn_from, "matplotlib": _matplotlib_version()},
                                draw, label=name)
        write_atomic(folder / "figures" / f"{name}.svg", svg)
        width, height = _svg_size(svg)
        refs.append(FigureRef(name, f"figures/{name}.svg", alt, caption, width, height))
    write_document(folder / "results.json", doc)
    write_atomic(folder / "index.html", render(doc, refs, family_rows(FAMILY_TABLE), nn_rows(extras.get("nn"))))


def build_report(out: Path, results: list[dict], profile: str, seed: int, command: str,
                 elapsed_s: float, extras: dict[str, Any] | None = None,
                 progress: TextIO | None = None) -> Path:
    """Assemble the document and write the report at ``out`` atomically; returns index.html's path.

    ``progress``: a stream for one line per figure (None: silent); a default stream would be bound
    at import time and outlive a replaced ``sys.stderr``.
    """
    out = check_report_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = build_document(results, profile, seed, command, elapsed_s, extras or {})
    staging = staging_folder(out)
    try:
        write_report_folder(staging, doc, progress)
        write_manifest(staging)  # last: the marker records exactly what was written
        swap_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "index.html"
