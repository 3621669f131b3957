"""Extract the fixture of the authors' stored runs that calibrates the NN detector.

    python tools/authors_runs.py GIT_DIR [--out tests/data/authors_runs.json]

GIT_DIR is a clone (or bare mirror) of github.com/zhenghaoxu-gatech/edge-of-stability; the runs
are read from its HEAD (``git show``), each a folder ``results/DATASET/ARCH/seed_S/LOSS/gd/
width_200_w1_A_w2_B_nobias/lr_H`` of torch-saved tensors written by their ``src/gd.py``:
``eigs_final`` (top Hessian eigenvalue every ``eig_freq`` steps, on the first 5,000 training
points), ``train_loss_final`` (every step; sum-reduced loss / n), ``w1_final``/``w2_final`` (the
layers' Frobenius norms at the eigenvalue steps).  Each kept trace is thinned to at most
:data:`POINTS` measurements (evenly, the last one kept) so the fixture stays small.

Labels (:data:`LABELS`) are ours, set by reading each group's traces against the paper's
claims *before* the detector was re-fitted, and are what tests/test_nn_authors_runs.py requires
the detector to reproduce: ``eos`` (in the last quarter the sharpness sits at 2/h), ``below``
(it plateaus clearly below 2/h), and two grids, ``widening`` and ``cubic``, judged as a whole.
A run matched by no label is kept unlabelled (shown, never scored).  Needs torch (the ``nn``
extra) to read the tensors.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import subprocess
import sys
from pathlib import Path

POINTS = 120
"""At most this many sharpness measurements per run in the fixture."""
SOURCE = "github.com/zhenghaoxu-gatech/edge-of-stability"
GROUPS = (
    "results/cifar10-1k/fc-relu-depth1/seed_0/huber/gd/width_200_w1_6_w2_20_nobias",
    "results/cifar10-1k/fc-relu-depth1/seed_0/mse/gd/width_200_w1_6_w2_20_nobias",
    "results/cifar10-1k/fc-tanh-depth1/seed_0/huber/gd/width_200_w1_6_w2_20_nobias",
    "results/cifar10-1k/fc-tanh-depth1/seed_0/mse/gd/width_200_w1_6_w2_20_nobias",
    "results/cifar10-1k/fc-cubic_relu-depth1/seed_0/mse/gd/width_200_w1_6_w2_20_nobias",
    "results/cifar10-1k/fc-cubic_relu-depth1_BN/seed_0/mse/gd/width_200_w1_6_w2_20_nobias",
    "results/cifar10-1k/fc-cubic_relu-depth1_BN/seed_1/mse/gd/width_200_w1_6_w2_20_nobias",
    "results/mnist/fc-relu-depth1/seed_0/mse/gd/width_200_w1_10_w2_40_nobias",
    "results/mnist/fc-tanh-depth1/seed_0/huber/gd/width_200_w1_10_w2_40_nobias",
    "results/mnist/fc-tanh-depth1/seed_0/mse/gd/width_200_w1_10_w2_40_nobias",
    "results/mnist/fc-cubic_relu-depth1/seed_0/mse/gd/width_200_w1_10_w2_40_nobias",
    "results/mnist/fc-cubic_relu-depth1_BN/seed_0/huber/gd/width_200_w1_6_w2_20_nobias",
)
"""The configurations our NN claims speak about: ReLU + Huber and tanh (EoS), ReLU + MSE from an
unbalanced start (catapult, limit below the edge), relu³ without and with BatchNorm."""

# (group path fragment, learning rates (None: every run of the group), label, why)
LABELS: tuple[tuple[str, tuple[float, ...] | None, str, str], ...] = (
    ("cifar10-1k/fc-relu-depth1/seed_0/huber", (2e-4, 2.5e-4, 3e-4, 5e-4, 7e-4, 9e-4), "eos",
     "Huber (bounded l'): the sharpness rises to 2/h and oscillates about it"),
    ("cifar10-1k/fc-relu-depth1/seed_0/huber", (1e-4, 1.5e-4), "below",
     "h too small: the sharpness plateaus at about 1.2e4, below 2/h"),
    ("cifar10-1k/fc-tanh-depth1/seed_0/huber", (1.5e-4, 2e-4, 2.5e-4, 3e-4, 4e-4, 5e-4, 7e-4, 9e-4), "eos",
     "tanh + Huber: the sharpness sits at 2/h"),
    ("cifar10-1k/fc-tanh-depth1/seed_0/mse", (3e-4, 3.5e-4, 4e-4, 4.5e-4, 5e-4, 7e-4, 9e-4), "eos",
     "tanh + MSE: after the catapult the sharpness returns to 2/h"),
    ("cifar10-1k/fc-tanh-depth1/seed_0/mse", (1e-4,), "below", "the sharpness settles at 0.8 of 2/h"),
    ("cifar10-1k/fc-cubic_relu-depth1_BN/", None, "eos", "BatchNorm before relu³: the sharpness sits at 2/h"),
    ("mnist/fc-cubic_relu-depth1_BN/", None, "eos", "BatchNorm before relu³: the sharpness sits at 2/h"),
    ("mnist/fc-tanh-depth1/seed_0/huber", (1e-4, 5e-4, 3e-3, 5e-3, 7e-3, 9e-3), "eos", "tanh + Huber at 2/h"),
    ("mnist/fc-tanh-depth1/seed_0/huber", (1e-3,), "below",
     "after its catapult the sharpness stays at 0.64 of 2/h for 2e5 steps"),
    ("mnist/fc-tanh-depth1/seed_0/mse", (3e-3, 5e-3, 7e-3, 9e-3), "eos", "tanh + MSE at 2/h"),
    ("mnist/fc-tanh-depth1/seed_0/mse", (1e-4, 5e-4, 1e-3), "below", "the sharpness stays at 0.4-0.8 of 2/h"),
    ("cifar10-1k/fc-relu-depth1/seed_0/mse", (2e-4, 2.1e-4, 2.3e-4, 2.5e-4, 2.7e-4), "widening",
     "ReLU + MSE from 6/20 in the catapult window: every run settles below 2/h, further below for larger h"),
    ("mnist/fc-relu-depth1/seed_0/mse", (2e-4, 3e-4, 4e-4, 5e-4), "not-widening",
     "ReLU + MSE from 10/40 on MNIST: settles far below 2/h (0.05-0.09) and the gap does not grow with h"),
    ("cifar10-1k/fc-cubic_relu-depth1/seed_0/mse", None, "cubic",
     "relu³ + MSE: no EoS; the final sharpness barely depends on h (or the run diverges)"),
    ("mnist/fc-cubic_relu-depth1/seed_0/mse", None, "cubic", "relu³ + MSE: no EoS (or the run diverges)"),
)


def _git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", git_dir, *args], capture_output=True, check=True).stdout


def _tensor(git_dir: str, path: str) -> list[float] | None:
    import torch

    try:
        raw = _git(git_dir, "show", f"HEAD:{path}")
    except subprocess.CalledProcessError:
        return None
    t = torch.load(io.BytesIO(raw), weights_only=False)
    return [float(v) for v in t.reshape(-1).tolist()] if t.numel() else None


def _thin(n: int) -> list[int]:
    """At most POINTS indices of range(n), evenly spread, the last one included."""
    if n <= POINTS:
        return list(range(n))
    return sorted({round(i * (n - 1) / (POINTS - 1)) for i in range(POINTS)})


def _label(path: str, lr: float) -> tuple[str, str] | tuple[None, None]:
    for fragment, lrs, label, why in LABELS:
        if fragment in path and (lrs is None or any(math.isclose(lr, h, rel_tol=1e-9) for h in lrs)):
            return label, why
    return None, None


def _g(v: float) -> float | None:
    return float(f"{v:.5g}") if math.isfinite(v) else None


def extract(git_dir: str) -> dict:
    """The fixture: provenance and, per run, its thinned traces and label."""
    commit = _git(git_dir, "rev-parse", "HEAD").decode().strip()
    names = _git(git_dir, "ls-tree", "-r", "--name-only", "HEAD", "results").decode().split()
    runs = []
    for group in GROUPS:
        folders = sorted({n.rsplit("/", 1)[0] for n in names
                          if n.startswith(group + "/") and n.endswith("/eigs_final")})
        for folder in folders:
            eigs, loss = _tensor(git_dir, f"{folder}/eigs_final"), _tensor(git_dir, f"{folder}/train_loss_final")
            if eigs is None or loss is None:
                continue
            w1, w2 = _tensor(git_dir, f"{folder}/w1_final"), _tensor(git_dir, f"{folder}/w2_final")
            lr = float(folder.rsplit("lr_", 1)[1])
            every = max(1, len(loss) // len(eigs))
            keep = _thin(len(eigs))
            label, why = _label(folder, lr)
            finite = [v for v in loss if math.isfinite(v)]
            runs.append({
                "id": folder.removeprefix("results/"), "group": group.removeprefix("results/"), "lr": lr,
                "steps": len(loss), "eig_every": every, "label": label, "why": why,
                "diverged": not all(math.isfinite(v) for v in loss) or not all(math.isfinite(v) for v in eigs),
                "sharpness_steps": [i * every for i in keep], "sharpness": [_g(eigs[i]) for i in keep],
                "loss": [_g(loss[min(i * every, len(loss) - 1)]) for i in keep],
                "loss_start": _g(loss[0]), "loss_final": _g(loss[-1]), "loss_max": _g(max(finite)),
                "w1": [_g(w1[i]) for i in keep] if w1 else None, "w2": [_g(w2[i]) for i in keep] if w2 else None,
            })
    return {"source": SOURCE, "commit": commit, "tool": "tools/authors_runs.py", "points": POINTS,
            "note": "sharpness: top Hessian eigenvalue (their Lanczos, on the first 5,000 training points); "
                    "loss: train loss at the sharpness steps; labels are ours (tools/authors_runs.py LABELS)",
            "runs": runs}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("git_dir", help="a clone of github.com/zhenghaoxu-gatech/edge-of-stability")
    p.add_argument("--out", default="tests/data/authors_runs.json", help="the fixture to write")
    args = p.parse_args(argv)
    from lrbias.serial import write_atomic

    fixture = extract(args.git_dir)
    write_atomic(Path(args.out), json.dumps(fixture, separators=(",", ":")) + "\n")
    labelled = sum(r["label"] is not None for r in fixture["runs"])
    print(f"{len(fixture['runs'])} runs ({labelled} labelled) from {SOURCE}@{fixture['commit'][:7]} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
