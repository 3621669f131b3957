"""Report figures (matplotlib, Agg backend, SVG text with deterministic ids).

Each function returns ``(svg_text, alt_text)``.  The data come from the exact 2-D map
(:mod:`lrbias.gd.objective`) and from the phase sweep stored in the results document.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

from lrbias.gd import objective
from lrbias.losses.families import get_family

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442"]
"""Line colours distinguishable under the common colour-vision deficiencies (Okabe & Ito)."""

plt.rcParams.update({"svg.hashsalt": "lrbias", "svg.fonttype": "path", "figure.dpi": 100,
                     "font.size": 10, "legend.fontsize": 9, "axes.titlesize": 11, "axes.grid": True,
                     "grid.alpha": 0.3, "axes.prop_cycle": cycler(color=OKABE_ITO)})


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def gd_trajectories(spec: str, starts: Sequence[tuple[float, float]], kappa: float,
                    steps: int) -> dict[str, np.ndarray]:
    """Float64 GD from each start with h = κ / (ℓ″(1) q0); arrays of shape (steps + 1, n).

    Returns x, y, the excess loss and the sharpness λ_max(∇²f) along the way, and h per start.
    Diverging runs are cut (NaN after the first non-finite value).
    """
    fam = get_family(spec)
    x = np.array([p[0] for p in starts], dtype=np.float64)
    y = np.array([p[1] for p in starts], dtype=np.float64)
    h = kappa / (fam.curvature * (x * x + y * y))
    xs, ys = [x], [y]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            x, y = objective.gd_step(fam, x, y, h)
            bad = ~np.isfinite(x * y) | (np.abs(x * y) > 1e12)
            x, y = np.where(bad, np.nan, x), np.where(bad, np.nan, y)
            xs.append(x)
            ys.append(y)
        X, Y = np.array(xs), np.array(ys)
        loss = fam.np.loss(X * Y) - fam.min_value
        sharp = objective.sharpness(fam, X, Y)
    return {"x": X, "y": Y, "loss": loss, "sharpness": sharp, "h": h}


def trajectory_figure(spec: str, starts: Sequence[tuple[float, float]], kappa: float,
                      steps: int = 400) -> tuple[str, str]:
    """GD paths in the (x, y) plane over the level sets of f, with the minimiser hyperbola xy = 1."""
    fam = get_family(spec)
    run = gd_trajectories(spec, starts, kappa, steps)
    start_lim = 1.15 * max(4.0, float(np.nanmax(np.abs(np.r_[run["x"][0], run["y"][0]]))))
    with np.errstate(all="ignore"):
        data_lim = 1.05 * float(np.nanmax(np.abs(np.r_[run["x"].ravel(), run["y"].ravel()])))
    lim = min(max(start_lim, data_lim), 3 * start_lim)
    diverged = int(np.sum(~np.isfinite(run["x"][-1])))
    clipped = data_lim > lim
    grid = np.linspace(-lim, lim, 301)
    GX, GY = np.meshgrid(grid, grid)
    with np.errstate(all="ignore"):
        Z = np.log10(1e-3 + fam.np.loss(GX * GY) - fam.min_value)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    cs = ax.contourf(GX, GY, Z, levels=24, cmap="Greys", alpha=0.55)
    cs.set_rasterized(True)
    fig.colorbar(cs, ax=ax, label="log10(1e-3 + f - f*)")
    t = np.geomspace(1 / lim, lim, 400)
    for sign in (1, -1):
        ax.plot(sign * t, sign / t, color="tab:green", lw=1.6, label="minimisers xy = 1" if sign == 1 else None)
    ax.plot(grid, grid, ls=":", color="0.4", lw=0.8, label="invariant lines y = ±x")
    ax.plot(grid, -grid, ls=":", color="0.4", lw=0.8)
    colors = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(starts))]
    for i in range(len(starts)):
        ax.plot(run["x"][:, i], run["y"][:, i], "-", color=colors[i], lw=0.9, marker=".", ms=2.5)
        ax.plot(run["x"][0, i], run["y"][0, i], "o", color=colors[i], ms=5)
    note = "; ".join(([f"{diverged} of {len(starts)} paths diverge"] if diverged else [])
                     + (["paths leave the frame (clipped)"] if clipped else []))
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="x", ylabel="y", aspect="equal",
           title=f"Gradient descent on {spec}, κ = {kappa:g}" + (f"\n({note})" if note else ""))
    ax.legend(loc="lower left", fontsize=8)
    alt = (f"Gradient-descent paths for {spec} at kappa {kappa:g} from {len(starts)} starts, drawn over "
           "the level sets of f with the hyperbola xy = 1 of minimisers and the invariant lines y = ±x"
           + (f" ({note})." if note else "."))
    return _svg(fig), alt


def eos_figure(spec: str, start: tuple[float, float], kappa: float, steps: int = 600) -> tuple[str, str]:
    """Loss and sharpness against steps, with the stability threshold 2/h (edge of stability)."""
    run = gd_trajectories(spec, [start], kappa, steps)
    h = float(run["h"][0])
    k = np.arange(steps + 1)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True)
    a1.semilogy(k, np.maximum(run["loss"][:, 0], 1e-16), color=OKABE_ITO[0])  # floor: float resolution
    a1.set(ylabel="f − f* (floor 1e-16)", title=f"Catapult and edge of stability: {spec}, κ = {kappa:g}")
    a2.plot(k, run["sharpness"][:, 0], color=OKABE_ITO[4], label="sharpness λmax(∇²f)")
    a2.axhline(2 / h, color="k", ls="--", lw=1, label="2/h")
    a2.set(xlabel="step", ylabel="sharpness")
    a2.legend(fontsize=9)
    final = run["sharpness"][-1, 0]
    alt = (f"Loss and sharpness over {steps} steps for {spec} at kappa {kappa:g}: the loss rises then falls "
           f"(catapult) and the sharpness settles at {final:.3g}, against the threshold 2/h = {2 / h:.3g}.")
    return _svg(fig), alt


def concentration_figure(specs: Sequence[str]) -> tuple[str, str]:
    """Spectral radius of ∇²f along the ray t(1, 0.7) against the distance to the minimiser set."""
    t = np.geomspace(1.5, 300, 200)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for spec in specs:
        fam = get_family(spec)
        x, y = t, 0.7 * t
        lo, hi = objective.hessian_eigenvalues(fam, x, y)
        rho = np.maximum(np.abs(lo), np.abs(hi))
        dist = np.abs(x * y - 1) / np.sqrt(x * x + y * y)  # first-order distance to xy = 1
        ax.loglog(dist, rho, label=spec)
    ax.set(xlabel="distance from the minimiser set (≈ |xy − 1| / |∇(xy)|)", ylabel="ρ(∇²f)",
           title="Curvature far from the minimisers: good vs bad regularity")
    ax.legend(fontsize=9)
    alt = ("Spectral radius of the Hessian against the distance from the minimiser set for "
           + ", ".join(specs) + ": it decays or stays bounded for good regularity and grows for bad.")
    return _svg(fig), alt


FEW_RUNS = 10
"""A phase cell's median ratio from fewer converged runs than this is hatched (read it with care)."""


def phase_figure(phase: dict) -> tuple[str, str]:
    """Heat maps over (κ, dor): converged share, and median ratio S∞·h/2 of the converged runs.

    Every cell says how many runs it rests on: a median from fewer than :data:`FEW_RUNS` converged
    runs is hatched and labelled with its count; a cell with no converged run has no ratio and is
    drawn crossed in grey (explained in the legend), never left blank.
    """
    from matplotlib.patches import Patch, Rectangle

    kappas = phase["kappas"]
    rows = phase["rows"]
    n = int(phase.get("n") or 0)
    labels = [f"{r['spec']} (dor {r['dor']:.3g})" for r in rows]
    conv = np.array([[c["converged"] for c in r["cells"]] for r in rows], dtype=float)
    ratio = np.array([[np.nan if c["ratio_median"] is None else c["ratio_median"] for c in r["cells"]]
                      for r in rows], dtype=float)
    counts = np.rint(conv * n).astype(int)
    vmax = max(1.0, float(np.nanmax(ratio)) if np.isfinite(ratio).any() else 1.0)
    fig, axes = plt.subplots(1, 2, figsize=(12.5, 0.55 * len(rows) + 2.6), sharey=True, layout="constrained")
    panels = ((axes[0], conv, f"Share of the {n} starts per cell\nthat converge", "viridis", 1.0),
              (axes[1], ratio, "Median S∞·h/2 of the converged runs\n(1 = edge of stability)", "cividis", vmax))
    for ax, data, title, cmap, top in panels:
        im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=0, vmax=top)
        ax.set_xticks(range(len(kappas)), [f"{k:g}" for k in kappas])
        ax.set_yticks(range(len(rows)), labels)
        ax.set(xlabel="κ = C·ℓ″(1)", title=title)
        ax.grid(False)
        fig.colorbar(im, ax=ax, shrink=0.85)
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if not np.isfinite(data[i, j]):
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="0.85", edgecolor="0.55",
                                           hatch="xx", lw=0))
                    continue
                few = ax is axes[1] and counts[i, j] < FEW_RUNS
                if few:
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="0.6", hatch="///", lw=0))
                text = f"{data[i, j]:.2f}" + (f"\nn={counts[i, j]}" if few else "")
                ax.text(j, i, text, ha="center", va="center", fontsize=7.5,
                        color="w" if data[i, j] < 0.55 * top else "k")
    fig.legend(handles=[Patch(facecolor="white", edgecolor="0.6", hatch="///",
                                  label=f"median of fewer than {FEW_RUNS} converged runs (n = their number)"),
                            Patch(facecolor="0.85", edgecolor="0.55", hatch="xx",
                                  label="no converged run: no ratio")],
               loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    alt = ("Phase diagram over kappa and the degree of regularity: share of starts that converge and "
           "the median limiting ratio of the converged runs, one row per loss family ordered by dor; cells "
           f"resting on fewer than {FEW_RUNS} converged runs are hatched, cells with none are crossed.")
    return _svg(fig), alt


def balancing_figure(phase: dict) -> tuple[str, str]:
    """Median final/initial imbalance |x∞² − y∞²| / |x0² − y0²| against κ, per family (gaps: no converged run)."""
    kappas = np.array(phase["kappas"], dtype=float)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    gaps = False
    for row in phase["rows"]:
        vals = np.array([np.nan if c["imbalance_median"] is None else c["imbalance_median"]
                         for c in row["cells"]], dtype=float)
        gaps = gaps or bool(np.isnan(vals).any())
        if np.isfinite(vals).any():
            ax.semilogy(kappas, vals, marker="o", ms=4, label=row["spec"])
    ax.axvline(2, color="k", ls="--", lw=0.8)
    ax.set(xscale="log", xlabel="κ = C·ℓ″(1)", ylabel="median |d∞| / |d0|",
           title="Balancing: how much of the initial imbalance remains")
    ax.legend(fontsize=8, title="gaps: no converged run" if gaps else None, title_fontsize=8)
    alt = ("Median ratio of final to initial imbalance against kappa for each family: larger steps "
           "balance more (the ratio falls as kappa grows)" + ("; gaps where no run converged." if gaps else "."))
    return _svg(fig), alt


def nn_figure(nn: dict) -> tuple[str, str]:
    """One row per grid (a configuration on one dataset, named ``config@dataset``): S·h/2 over steps for
    each learning rate (1 = edge of stability, the grey band the EoS band [0.95, 1.05]), and the loss.

    The S·h/2 axis (log scale when every value is positive) runs to the largest value measured (never
    cut at 2); runs that diverge end early.
    """
    grids = list(nn["grids"].items())
    titles = nn.get("titles") or {}
    fig = plt.figure(figsize=(10.5, 3.0 * len(grids) + 0.6), layout="constrained")
    rows = list(np.ravel(np.asarray(fig.subfigures(len(grids), 1), dtype=object)))
    for i, (name, runs) in enumerate(grids):
        left, right = rows[i].subplots(1, 2)
        top = 1.3
        ratios = []
        for run in runs:
            lr = run["lr"]
            steps = np.array(run["sharpness_steps"], dtype=float)
            ratio = np.array([np.nan if v is None else v for v in run["top_sharpness"]], dtype=float) * lr / 2
            ratios.append(ratio)
            if np.isfinite(ratio).any():
                top = max(top, 1.1 * float(np.nanmax(ratio)))
            m = run.get("lr_multiple")
            left.plot(steps, ratio, marker=".", ms=4, label=f"h = {m:g}·2/S0" if m is not None else f"h = {lr:g}")
            loss = np.array([np.nan if v is None else v for v in run["loss"]], dtype=float)
            right.semilogy(np.arange(loss.size), loss, lw=1.1, label=f"h = {lr:g}")
        left.axhspan(0.95, 1.05, color="0.88", lw=0)
        left.axhline(1.0, color="k", ls="--", lw=0.8)
        dataset = name.rpartition("@")[2] if "@" in name else ""
        title = titles.get(name, name.rpartition("@")[0] or name) + (f" ({dataset})" if dataset else "")
        low = min((float(np.nanmin(ratio)) for ratio in ratios if np.isfinite(ratio).any()), default=1.0)
        if low > 0:  # log scale: the whole range (a start at 50) and the tail near 1 both readable
            left.set_yscale("log")
            left.set_ylim(min(0.5, 0.8 * low), top)
        else:
            left.set_ylim(min(0.0, 1.05 * low), top)
        rows[i].suptitle(title, fontsize=11)  # the row's heading: a long configuration name spans both panels
        left.set(title="sharpness", ylabel="S·h/2 (1 = EoS)")
        right.set(title="training loss", ylabel="loss")
        if i == len(grids) - 1:
            left.set_xlabel("step")
            right.set_xlabel("step")
        left.legend(fontsize=8, loc="best")
    datasets = sorted({n.rpartition("@")[2] for n, _ in grids if "@" in n}) or ["digits"]
    alt = ("Neural-network runs on the embedded datasets (" + ", ".join(datasets) + "), one row per configuration "
           "and dataset: sharpness times h/2 over steps for each learning rate (1 is the edge of stability, the "
           "grey band the EoS band [0.95, 1.05]; the log axis shows every value), and the training loss.")
    return _svg(fig), alt
