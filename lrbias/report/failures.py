"""Explained failures: for each failing claim, the runs that decided it, how to replay it, and why.

Drawn from the results document alone: the counterexample (case, margin, detail, high-precision
confirmation, replay command), the known-finding text the catalogue gives for it (collected
into ``extras.known_findings`` by :func:`lrbias.report.job.report_extras`), and, for a
neural-network claim, the grid runs it was decided on (``extras.nn``) with a small inline plot
of S·h/2 over the steps of each run.
"""

from __future__ import annotations

import math
from typing import Any

from lrbias.report.audit import tier_text
from lrbias.report.overview import reproduce_command, variants_of
from lrbias.serial import format_number

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")
"""Okabe–Ito: distinguishable under the common colour-vision deficiencies."""


def _value_text(value: Any) -> str:
    if isinstance(value, float) or value is None:
        return format_number(value, 4)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _grid_names(case: Any, grids: dict) -> list[str]:
    names = case if isinstance(case, (list, tuple)) else [case]
    return [n for n in names if isinstance(n, str) and n in grids]


def trace_svg(runs: list[dict], width: int = 460, height: int = 170) -> str:
    """A small inline SVG: S·h/2 against the step for each run (one colour per h), the EoS line at 1.

    The y axis frames the values after the first tenth of the steps (what the verdict reads); earlier
    values above the frame are drawn at its top edge, and the plot says so with their maximum.
    """
    series = []
    for run in runs:
        if run.get("lr") is None:   # no h, no S·h/2 (the run's row still says "–")
            continue
        lr = float(run["lr"])
        steps = run.get("sharpness_steps") or []
        vals = [None if v is None else float(v) * lr / 2 for v in run.get("top_sharpness") or []]
        pts = [(float(s), v) for s, v in zip(steps, vals, strict=False) if v is not None and math.isfinite(v)]
        if pts:
            series.append((lr, pts))
    if not series:
        return ""
    left, right, top, bottom = 40, 84, 10, 28
    xmax = max(p[0] for _, pts in series for p in pts) or 1.0
    full = max(p[1] for _, pts in series for p in pts)
    # the decision reads the tail: frame the values after the first tenth of the steps, say what is cut
    later = [p[1] for _, pts in series for p in pts if p[0] > 0.1 * xmax]
    ymax = max(1.5, 1.15 * max(later)) if later else max(1.5, 1.05 * full)
    clipped = full > ymax
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + pw * x / xmax

    def sy(y: float) -> float:
        return top + ph * (1 - y / ymax)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trace" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="S·h/2 over the steps of each run">',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>',
             f'<line x1="{left}" x2="{left + pw}" y1="{sy(1):.1f}" y2="{sy(1):.1f}" stroke="#000" '
             'stroke-dasharray="4 3"/>',
             f'<text x="{left - 4}" y="{sy(1) + 4:.1f}" text-anchor="end" font-size="11">1</text>',
             f'<text x="{left - 4}" y="{top + ph + 4}" text-anchor="end" font-size="11">0</text>',
             f'<text x="{left - 4}" y="{top + 9}" text-anchor="end" font-size="11">{ymax:.2g}</text>',
             (f'<text x="{left + 6}" y="{top + 12}" font-size="11">early values up to {full:.3g} drawn at the top '
              "edge</text>" if clipped else ""),
             f'<text x="{left}" y="{height - 8}" font-size="11">0</text>',
             f'<text x="{left + pw}" y="{height - 8}" text-anchor="end" font-size="11">{xmax:.0f}</text>',
             f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="11">step</text>']
    for i, (lr, pts) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{sx(x):.1f},{sy(min(y, ymax)):.1f}" for x, y in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.6"/>')
        parts.append(f'<text x="{left + pw + 6}" y="{top + 12 + 14 * i}" font-size="11" fill="{color}">'
                     f"h = {lr:g}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _nn_runs(entry: dict, nn: dict | None) -> list[dict]:
    grids = (nn or {}).get("grids") or {}
    ce = entry.get("counterexample") or {}
    out = []
    for name in _grid_names(ce.get("case"), grids):
        runs = grids[name]
        rows = []
        for run in runs:
            s = run.get("summary") or {}
            rows.append({"lr": format_number(run.get("lr"), none="–"), "outcome": s.get("outcome", "–"),
                         "steps": s.get("steps_run", "–"),
                         "ratio": format_number(s.get("ratio_final"), none="–"),
                         "sharpness": format_number(s.get("sharpness_final"), none="–"),
                         "two_over_lr": format_number(s.get("two_over_lr"), none="–")})
        out.append({"grid": name, "rows": rows, "svg": trace_svg(runs)})
    return out


def detail_tables(detail: dict) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """(scalar rows, tables): a list of records in the detail (e.g. one check per run) becomes a table,
    its columns that hold one value for every record said once above it."""
    rows, tables = [], []
    for key, value in detail.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            same = [c for c in columns if len(value) > 1 and len({_value_text(v.get(c)) for v in value}) == 1]
            shown = [c for c in columns if c not in same]
            tables.append({"name": key, "columns": shown,
                           "common": ", ".join(f"{c} {_value_text(value[0].get(c))}" for c in same),
                           "rows": [[_value_text(v.get(c)) for c in shown] for v in value]})
        else:
            rows.append((key, _value_text(value)))
    return rows, tables


def failure_views(doc: dict, anchors: dict[str, str]) -> list[dict[str, Any]]:
    """One view per failing entry: reason, deciding runs, settings, replay and reproduce commands."""
    extras = doc.get("extras") or {}
    known = extras.get("known_findings") or {}
    variants = variants_of(doc.get("command", ""))
    views = []
    for e in doc["entries"]:
        if e["verdict"] != "fail":
            continue
        ce = e.get("counterexample") or {}
        detail = ce.get("detail") or {}
        confirmation = ce.get("confirmation") or {}
        views.append({
            "id": e["id"], "anchor": anchors[e["id"]], "title": e.get("title", ""),
            "known": known.get(e["id"]),
            "case": _value_text(ce.get("case")) if ce else "",
            "margin": format_number(ce.get("margin"), 4) if ce else "–",
            "detail": detail_tables(detail)[0], "detail_tables": detail_tables(detail)[1],
            "confirmed": ce.get("confirmed"),
            "confirmation": [(k, _value_text(v)) for k, v in confirmation.items()],
            "replay": ce.get("replay"),
            "tier": tier_text(ce.get("certificate")) if ce else "",
            "reproduce": reproduce_command(e, doc.get("profile", "default"), variants),
            "notes": e.get("notes") or [],
            "engine": e.get("engine", ""),
            "examples": e.get("examples"), "seed": e.get("seed"),
            "runs": _nn_runs(e, extras.get("nn")),
        })
    return views

