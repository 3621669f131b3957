"""float32 against float64 HVP sharpness on every NN claim grid (both datasets), one short run each.

    python benchmarks/nn_hvp_precision.py [--steps 300] [--every 50] [--json OUT]

For each catalogue grid: S0 at the shared initial state, then ``--steps`` GD steps (float32) at the
grid's largest multiple of 2/S0, the sharpness measured every ``--every`` steps with float32 and
with float64 HVPs (lrbias.nn.precision).  Prints per grid the largest relative gap
|S32 − S64|/S64 and the largest Lanczos residual of each, the figures behind DESIGN.md's choice of
float32 HVPs by default (the gap must stay far below the EoS band's half-width 0.05).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace

import torch

from lrbias.claims.nn import catalogue_claims
from lrbias.nn.precision import compare_hvp_dtypes
from lrbias.nn.trainer import initial_sharpness, prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args()
    torch.set_num_threads(1)
    grids = {g.name: g for c in catalogue_claims() for g in c.grids}
    rows = []
    print(f"{'grid':34s} {'S0':>10s} {'h·S0/2':>7s} {'max |S32-S64|/S64':>18s} {'max res32/S':>12s} "
          f"{'max res64/S':>12s}")
    for name, grid in grids.items():
        prep = prepare(replace(grid.base, device="cpu"))
        s0 = initial_sharpness(prep)
        m = max(grid.multiples)
        cmp = compare_hvp_dtypes(prep, m * 2 / s0, args.steps, args.every)
        rel = [(r / abs(s)) if math.isfinite(s) and s else math.nan
               for r, s in zip(cmp.residual32, cmp.top32, strict=True)]
        rel64 = [(r / abs(s)) if math.isfinite(s) and s else math.nan
                 for r, s in zip(cmp.residual64, cmp.top64, strict=True)]
        row = {"grid": name, "s0": s0, "multiple": m, **cmp.as_dict(),
               "max_rel_residual32": max(rel, default=math.nan), "max_rel_residual64": max(rel64, default=math.nan)}
        rows.append(row)
        print(f"{name:34s} {s0:10.4g} {m:7.3g} {cmp.max_relative_gap:18.3g} {row['max_rel_residual32']:12.3g} "
              f"{row['max_rel_residual64']:12.3g}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh)


if __name__ == "__main__":
    main()
