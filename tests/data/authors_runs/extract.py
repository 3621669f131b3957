"""Extract the fixture ``authors_runs.npz`` + ``index.json`` from the authors' stored runs.

Source: github zhenghaoxu-gatech/edge-of-stability (the paper's public experiment code), read
from a bare git mirror (the ``fetch`` tool's copy) with ``git show <commit>:<path>``; each run
directory ``results/<dataset>/<arch>/seed_<s>/<loss>/gd/width_200_<init>/lr_<h>/`` holds
``torch.save``d tensors: ``eigs_final`` (top Hessian eigenvalue every ``eig_freq`` steps, the
first at step 0), ``train_loss_final`` (every step), ``w1_final``/``w2_final`` (Frobenius norms at
the eigenvalue steps).  Usage::

    python tests/data/authors_runs/extract.py /path/to/mirror.git [commit]

Traces are thinned to at most MAX_POINTS samples (every k-th eigenvalue, keeping the last one),
the loss is kept at the eigenvalue steps plus its maximum; values are stored as float32.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
MAX_POINTS = 200

# (group, run-directory prefix, what the paper says about the setting)
GROUPS = (
    ("cifar-tanh-huber", "results/cifar10-1k/fc-tanh-depth1/seed_0/huber/gd/width_200_w1_6_w2_20_nobias", "eos"),
    ("cifar-relu-huber", "results/cifar10-1k/fc-relu-depth1/seed_0/huber/gd/width_200_w1_6_w2_20_nobias", "eos"),
    ("cifar-tanh-mse", "results/cifar10-1k/fc-tanh-depth1/seed_0/mse/gd/width_200_w1_6_w2_20_nobias", "eos"),
    ("cifar-cubic-bn-mse-s0", "results/cifar10-1k/fc-cubic_relu-depth1_BN/seed_0/mse/gd/width_200_w1_6_w2_20_nobias",
     "eos"),
    ("cifar-cubic-bn-mse-s1", "results/cifar10-1k/fc-cubic_relu-depth1_BN/seed_1/mse/gd/width_200_w1_6_w2_20_nobias",
     "eos"),
    ("mnist-tanh-huber", "results/mnist/fc-tanh-depth1/seed_0/huber/gd/width_200_w1_10_w2_40_nobias", "eos"),
    ("mnist-cubic-bn-huber-6-20", "results/mnist/fc-cubic_relu-depth1_BN/seed_0/huber/gd/width_200_w1_6_w2_20_nobias",
     "eos"),
    ("cifar-relu-mse", "results/cifar10-1k/fc-relu-depth1/seed_0/mse/gd/width_200_w1_6_w2_20_nobias", "below-widening"),
    ("mnist-relu-mse", "results/mnist/fc-relu-depth1/seed_0/mse/gd/width_200_w1_10_w2_40_nobias", "below-widening"),
    ("cifar-cubic-mse", "results/cifar10-1k/fc-cubic_relu-depth1/seed_0/mse/gd/width_200_w1_6_w2_20_nobias", "no-eos"),
    ("mnist-cubic-mse", "results/mnist/fc-cubic_relu-depth1/seed_0/mse/gd/width_200_w1_10_w2_40_nobias", "no-eos"),
)


def _git(mirror: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", mirror, *args], capture_output=True, check=True).stdout


def _tensor(mirror: str, commit: str, path: str) -> np.ndarray:
    obj = torch.load(io.BytesIO(_git(mirror, "show", f"{commit}:{path}")), map_location="cpu")
    return obj.detach().to(torch.float64).numpy()


def main(mirror: str, commit: str = "HEAD") -> None:
    commit = _git(mirror, "rev-parse", commit).decode().strip()
    names = _git(mirror, "ls-tree", "-r", "--name-only", commit).decode().split("\n")
    arrays: dict[str, np.ndarray] = {}
    runs = []
    for group, prefix, paper in GROUPS:
        found = {n.rsplit("/", 1)[0] for n in names if n.startswith(prefix + "/lr_") and n.endswith("/eigs_final")}
        dirs = sorted(found, key=lambda d: float(d.rsplit("lr_", 1)[1]))
        for d in dirs:
            lr = float(d.rsplit("lr_", 1)[1])
            eigs = _tensor(mirror, commit, d + "/eigs_final").reshape(-1)
            loss = _tensor(mirror, commit, d + "/train_loss_final").reshape(-1)
            w1 = _tensor(mirror, commit, d + "/w1_final").reshape(-1)
            w2 = _tensor(mirror, commit, d + "/w2_final").reshape(-1)
            steps = len(loss)
            every = steps // len(eigs)
            diverged = not np.isfinite(loss).all() or not np.isfinite(eigs).all()
            if diverged:  # first non-finite or > 1e6 loss: the run's end for our purposes
                bad = np.flatnonzero(~np.isfinite(loss) | (loss > 1e6 * max(1.0, loss[0])))
                steps_run = int(bad[0]) if len(bad) else steps
            else:
                steps_run = steps - 1
            idx = np.arange(len(eigs))
            stride = max(1, math.ceil(len(eigs) / MAX_POINTS))
            keep = np.unique(np.concatenate([idx[::stride], idx[-1:]]))
            t = keep * every
            key = f"{group}/lr_{lr:g}"
            finite = loss[np.isfinite(loss)]
            arrays[key + "/steps"] = t.astype(np.int64)
            arrays[key + "/sharpness"] = eigs[keep].astype(np.float32)
            arrays[key + "/loss"] = loss[np.minimum(t, steps - 1)].astype(np.float32)
            arrays[key + "/w1"] = w1[keep].astype(np.float32)
            arrays[key + "/w2"] = w2[keep].astype(np.float32)
            runs.append({"key": key, "group": group, "paper": paper, "path": d, "lr": lr, "steps": steps,
                         "steps_run": steps_run, "eig_freq": every, "eig_count": len(eigs), "stride": stride,
                         "diverged": bool(diverged), "loss_start": float(loss[0]),
                         "loss_max": float(finite.max()) if len(finite) else math.nan,
                         "loss_final": float(loss[-1]), "s0": float(eigs[0])})
    out = HERE / "authors_runs.npz"
    np.savez_compressed(out, **arrays)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    (HERE / "index.json").write_text(json.dumps(
        {"repository": "github.com/zhenghaoxu-gatech/edge-of-stability", "commit": commit,
         "npz_sha256": digest, "max_points": MAX_POINTS, "runs": runs}, indent=1) + "\n")
    print(f"{len(runs)} runs, {out.stat().st_size} bytes, sha256 {digest}")


if __name__ == "__main__":
    main(*sys.argv[1:])
