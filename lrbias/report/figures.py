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

from lrbias.gd import objective
from lrbias.losses.families import get_family

plt.rcParams.update({"svg.hashsalt": "lrbias", "svg.fonttype": "path", "figure.dpi": 100,
                     "font.size": 9, "axes.grid": True, "grid.alpha": 0.3})


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
    lim = 1.15 * max(4.0, float(np.nanmax(np.abs(np.r_[run["x"][0], run["y"][0]]))))
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
    colors = plt.cm.tab10(np.arange(len(starts)) % 10)
    for i in range(len(starts)):
        ax.plot(run["x"][:, i], run["y"][:, i], "-", color=colors[i], lw=0.9, marker=".", ms=2.5)
        ax.plot(run["x"][0, i], run["y"][0, i], "o", color=colors[i], ms=5)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="x", ylabel="y", aspect="equal",
           title=f"GD on {spec}, κ = {kappa:g}")
    ax.legend(loc="lower left", fontsize=7)
    alt = (f"Gradient-descent paths for {spec} at kappa {kappa:g} from {len(starts)} starts, drawn over "
           "the level sets of f with the hyperbola xy = 1 of minimisers and the invariant lines y = ±x.")
    return _svg(fig), alt


def eos_figure(spec: str, start: tuple[float, float], kappa: float, steps: int = 600) -> tuple[str, str]:
    """Loss and sharpness against steps, with the stability threshold 2/h (edge of stability)."""
    run = gd_trajectories(spec, [start], kappa, steps)
    h = float(run["h"][0])
    k = np.arange(steps + 1)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(5.6, 4.6), sharex=True)
    a1.semilogy(k, np.maximum(run["loss"][:, 0], 1e-16), color="tab:blue")  # floor: float resolution
    a1.set(ylabel="f - f*", title=f"{spec}, start {start}, κ = {kappa:g}")
    a2.plot(k, run["sharpness"][:, 0], color="tab:red", label="sharpness λmax(∇²f)")
    a2.axhline(2 / h, color="k", ls="--", lw=1, label="2/h")
    a2.set(xlabel="step", ylabel="sharpness")
    a2.legend(fontsize=7)
    final = run["sharpness"][-1, 0]
    alt = (f"Loss and sharpness over {steps} steps for {spec} at kappa {kappa:g}: the loss rises then falls "
           f"(catapult) and the sharpness settles at {final:.3g}, against the threshold 2/h = {2 / h:.3g}.")
    return _svg(fig), alt


def concentration_figure(specs: Sequence[str]) -> tuple[str, str]:
    """Spectral radius of ∇²f along the ray t(1, 0.7) against the distance to the minimiser set."""
    t = np.geomspace(1.5, 300, 200)
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    for spec in specs:
        fam = get_family(spec)
        x, y = t, 0.7 * t
        lo, hi = objective.hessian_eigenvalues(fam, x, y)
        rho = np.maximum(np.abs(lo), np.abs(hi))
        dist = np.abs(x * y - 1) / np.sqrt(x * x + y * y)  # first-order distance to xy = 1
        ax.loglog(dist, rho, label=spec)
    ax.set(xlabel="distance from the minimiser set (≈ |xy − 1| / |∇(xy)|)", ylabel="ρ(∇²f)",
           title="Sharpness concentration")
    ax.legend(fontsize=7)
    alt = ("Spectral radius of the Hessian against the distance from the minimiser set for "
           + ", ".join(specs) + ": it decays or stays bounded for good regularity and grows for bad.")
    return _svg(fig), alt


def phase_figure(phase: dict) -> tuple[str, str]:
    """Heat maps over (κ, dor): converged share and median ratio S∞·h/2 of converged runs."""
    kappas = phase["kappas"]
    rows = phase["rows"]
    labels = [f"{r['spec']} (dor {r['dor']:.3g})" for r in rows]
    conv = np.array([[c["converged"] for c in r["cells"]] for r in rows], dtype=float)
    ratio = np.array([[np.nan if c["ratio_median"] is None else c["ratio_median"] for c in r["cells"]]
                      for r in rows], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 0.45 * len(rows) + 1.8), sharey=True)
    for ax, data, title, cmap in ((axes[0], conv, "share converged", "viridis"),
                                  (axes[1], ratio, "median ratio S∞·h/2 (1 = edge of stability)", "magma")):
        im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks(range(len(kappas)), [f"{k:g}" for k in kappas])
        ax.set_yticks(range(len(rows)), labels)
        ax.set(xlabel="κ = C·ℓ″(1)", title=title)
        ax.grid(False)
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if np.isfinite(data[i, j]):
                    ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="w" if data[i, j] < 0.6 else "k")
        fig.colorbar(im, ax=ax, shrink=0.8)
    alt = ("Phase diagram over kappa and the degree of regularity: share of starts that converge and "
           "the median limiting ratio, one row per loss family ordered by dor.")
    return _svg(fig), alt


def balancing_figure(phase: dict) -> tuple[str, str]:
    """Median final/initial imbalance |x∞² − y∞²| / |x0² − y0²| against κ, per family."""
    kappas = np.array(phase["kappas"], dtype=float)
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    for row in phase["rows"]:
        vals = np.array([np.nan if c["imbalance_median"] is None else c["imbalance_median"]
                         for c in row["cells"]], dtype=float)
        ax.semilogy(kappas, vals, marker="o", ms=3, label=row["spec"])
    ax.axvline(2, color="k", ls="--", lw=0.8)
    ax.set(xscale="log", xlabel="κ = C·ℓ″(1)", ylabel="median |d∞| / |d0|", title="Balancing")
    ax.legend(fontsize=7)
    alt = ("Median ratio of final to initial imbalance against kappa for each family: larger steps "
           "balance more (the ratio falls as kappa grows).")
    return _svg(fig), alt


def nn_figure(nn: dict) -> tuple[str, str]:
    """Per configuration (column): sharpness·h/2 over steps for each learning rate (1 = edge of
    stability) and the loss, one pair of rows per dataset (grids named ``config@dataset``)."""
    names = list(nn["grids"])
    configs = list(dict.fromkeys(n.rpartition("@")[0] or n for n in names))
    datasets = list(dict.fromkeys(n.rpartition("@")[2] if "@" in n else "" for n in names))
    fig, axes = plt.subplots(2 * len(datasets), len(configs), figsize=(2.6 * len(configs) + 1, 2.5 * 2 * len(datasets)),
                             squeeze=False)
    for i, ds in enumerate(datasets):
        for j, config in enumerate(configs):
            top, bottom = axes[2 * i, j], axes[2 * i + 1, j]
            runs = nn["grids"].get(f"{config}@{ds}" if ds else config, [])
            for run in runs:
                lr = run["lr"]
                steps = np.array(run["sharpness_steps"], dtype=float)
                ratio = np.array([np.nan if v is None else v for v in run["top_sharpness"]], dtype=float) * lr / 2
                m = run.get("lr_multiple")
                top.plot(steps, ratio, marker=".", ms=3, label=f"h={m:g}·2/S0" if m is not None else f"h={lr:g}")
                loss = np.array([np.nan if v is None else v for v in run["loss"]], dtype=float)
                bottom.semilogy(np.arange(loss.size), loss, lw=0.9)
            top.axhspan(0.95, 1.05, color="0.85", lw=0)
            top.axhline(1.0, color="k", ls="--", lw=0.8)
            top.set(title=f"{config} ({ds})" if ds else config, ylabel="S·h/2" if j == 0 else None, ylim=(0, 2))
            bottom.set(xlabel="step", ylabel="loss" if j == 0 else None)
            if runs:
                top.legend(fontsize=6)
    alt = ("Neural-network runs on the embedded datasets (" + ", ".join(d or "digits" for d in datasets)
           + "), one column per configuration: sharpness times h/2 over steps for each learning rate (1 is "
           "the edge of stability, the grey band the EoS band [0.95, 1.05]), and the training loss.")
    return _svg(fig), alt
