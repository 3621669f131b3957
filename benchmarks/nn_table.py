"""The NN verdict table of docs/nn.md from an ``lrbias nn-grid --json`` output (markdown on stdout).

    lrbias nn-grid --claims all --device cpu --json nn-claims.json
    python benchmarks/nn_table.py nn-claims.json

One row per claim, dataset and seed: verdict there, the grid (model, init, steps), its bracket
(S0, catapult onset m_c, divergence threshold m*, as bisected) and window, and per run
S0·h/2 → the claim's figure (tail median of S·h/2, loss max/start, norm gap, or the tail gap
1 − S·h/2), with the EoS call where the claim uses the detector.
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


def _bracket(runs: list[dict]) -> str:
    from lrbias.nn.bracket import placement_text

    return (placement_text(runs[0]["meta"]) if runs else "") or "(fixed multiples)"


def main(path: str) -> None:
    from lrbias.claims.nn import grid_keys

    with open(path) as fh:
        data = json.load(fh)
    print("| claim | data | seed | verdict | grid | bracket and window | m: figure per run |")
    print("|---|---|---|---|---|---|---|")
    for claim in data["claims"]:
        for grid in claim["grids"]:
            for key in grid_keys(data["runs"], grid):
                runs = data["runs"][key]
                part = claim["detail"].get("grids", {}).get(key, {})
                calls = [r.get("call") for r in claim["detail"].get("runs", [])
                         if r.get("grid") == key and r.get("call")]
                figures = "; ".join(_run_figure(claim["id"], r) for r in runs) or "no run"
                if calls:
                    figures += f" (calls: {', '.join(calls)})"
                if runs:
                    cfg = runs[0]["config"]
                    norms = cfg["init_norms"]
                    init = f"init {norms[0]:g}/{norms[1]:g}" if norms else "default init"
                    model = f"{cfg['activation']}/{cfg['loss']}/norm {cfg['norm']}, {init}, {cfg['steps']} steps"
                    seed = cfg["seed"]
                else:
                    model, seed = grid.split("@")[0], key.rpartition("#seed")[2] or 0
                verdict = part.get("verdict", "inconclusive (no run)" if not runs else claim["verdict"])
                print(f"| `{claim['id']}` | {grid.split('@')[1]} | {seed} | {verdict} | {model} | {_bracket(runs)} "
                      f"| {figures} |")


if __name__ == "__main__":
    main(sys.argv[1])
