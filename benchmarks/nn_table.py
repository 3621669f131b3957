"""The README's NN verdict table from an ``lrbias nn-grid --json`` output (markdown on stdout).

    lrbias nn-grid --claims all --device cpu --json nn-claims.json
    python benchmarks/nn_table.py nn-claims.json

One row per claim and dataset: verdict on that dataset, the grid (h as multiples of 2/S0, steps,
init), S0, and per run S0·h/2 → the claim's figure (tail median of S·h/2, loss max/start, norm
gap, or the tail gap 1 − S·h/2), with the EoS call where the claim uses the detector.
"""

from __future__ import annotations

import json
import math
import statistics
import sys

TAIL = 0.25


def _tail(run: dict) -> float:
    s = run["summary"]
    vals = [v[0] * s["lr"] / 2 for t, v in zip(run["sharpness_steps"], run["sharpness"], strict=True)
            if t >= s["steps_run"] * (1 - TAIL) and v and v[0] is not None and math.isfinite(v[0])]
    return statistics.median(vals) if vals else math.nan


def _run_figure(claim_id: str, run: dict) -> str:
    s = run["summary"]
    m = s["s0_lr_over_2"]
    if s["outcome"] == "diverged":
        return f"{m:.3g}: diverged"
    if "catapult" in claim_id:
        return f"{m:.3g}: max/start {s['loss_max_over_start']:.3g}, end/start {s['loss_final'] / s['loss_start']:.2g}"
    if "balancing" in claim_id:
        return f"{m:.3g}: gap {s['norm_gap_start']:.3g} → {s['norm_gap_final']:.3g}"
    if "limit-below" in claim_id:
        return f"{m:.3g}: tail {_tail(run):.4f} (gap {1 - _tail(run):.4f})"
    return f"{m:.3g}: tail {_tail(run):.4f}"


def main(path: str) -> None:
    with open(path) as fh:
        data = json.load(fh)
    print("| claim | data | verdict | grid (h = m·2/S0) | S0 | m: figure per run |")
    print("|---|---|---|---|---|---|")
    for claim in data["claims"]:
        for grid in claim["grids"]:
            runs = data["runs"][grid]
            part = claim["detail"].get("grids", {}).get(grid, {})
            cfg = runs[0]["config"]
            init = f"init {cfg['init_norms'][0]:g}/{cfg['init_norms'][1]:g}" if cfg["init_norms"] else "default init"
            calls = [r.get("call") for r in claim["detail"].get("runs", []) if r.get("grid") == grid and r.get("call")]
            figures = "; ".join(_run_figure(claim["id"], r) for r in runs)
            if calls:
                figures += f" (calls: {', '.join(calls)})"
            mult = ", ".join(f"{r['summary']['s0_lr_over_2']:.3g}" for r in runs)
            print(f"| `{claim['id']}` | {cfg['dataset']} | {part.get('verdict', claim['verdict'])} | "
                  f"{cfg['activation']}/{cfg['loss']}/norm {cfg['norm']}, {init}, m = {mult}, {cfg['steps']} steps "
                  f"| {runs[0]['summary']['s0']:.4g} | {figures} |")


if __name__ == "__main__":
    main(sys.argv[1])
