"""Benchmarks of the neural-network experiments on CPU (one thread).

1. trainer throughput: full-batch GD steps per second, default config (digits, n = 1,000,
   width 200, ReLU, MSE, float32);
2. one sharpness estimate (Lanczos on exact HVPs, tol 1e-3) for the same model, as a multiple of
   one training step measured in the same run;
3. HVP-Lanczos vs the dense Hessian (``torch.autograd.functional.hessian`` + ``eigvalsh``) at the
   largest width where the dense one is affordable here, float64: time ratio and agreement.

Run: ``python benchmarks/bench_nn.py [--quick]``.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from lrbias.nn.config import RunConfig
from lrbias.nn.losses import get_loss
from lrbias.nn.sharpness import dense_hessian, sharpness
from lrbias.nn.trainer import prepare, train


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats, smaller dense size")
    args = parser.parse_args()
    torch.set_num_threads(1)
    steps = 100 if args.quick else 500
    repeats = 2 if args.quick else 3
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread")

    cfg = RunConfig(dataset="digits", n=1000, width=200, steps=steps, sharpness_every=0, lr=0.1, device="cpu")
    prep = prepare(cfg)
    train(prep, steps=5)  # warm-up
    t_train = _best(lambda: train(prep, steps=steps), repeats)
    per_step = t_train / steps  # includes the two sharpness estimates at start and end
    model = prep.fresh_model()
    loss_fn = get_loss("mse")
    est = sharpness(model, prep.x, prep.y, loss_fn, tol=1e-3)
    t_sharp = _best(lambda: sharpness(model, prep.x, prep.y, loss_fn, tol=1e-3), repeats)
    per_step = (t_train - 2 * t_sharp) / steps
    print(f"trainer: digits n=1000 width=200 relu mse float32: {1 / per_step:.0f} steps/s "
          f"({per_step * 1e3:.2f} ms/step)")
    print(f"sharpness (Lanczos, tol 1e-3): {t_sharp * 1e3:.0f} ms, {est.matvecs} HVPs, "
          f"= {t_sharp / per_step:.0f} training steps")

    width = 10 if args.quick else 30
    dcfg = RunConfig(dataset="digits", n=1000, width=width, steps=1, dtype="float64", device="cpu")
    dprep = prepare(dcfg)
    dmodel = dprep.fresh_model()
    n_params = sum(p.numel() for p in dmodel.parameters())
    top_lanczos = sharpness(dmodel, dprep.x, dprep.y, loss_fn, tol=1e-8).top
    t_lanczos = _best(lambda: sharpness(dmodel, dprep.x, dprep.y, loss_fn, tol=1e-8), repeats)
    t0 = time.perf_counter()
    h = dense_hessian(dmodel, dprep.x, dprep.y, loss_fn)
    top_dense = float(np.linalg.eigvalsh(h.numpy()).max())
    t_dense = time.perf_counter() - t0
    print(f"dense vs Lanczos: width {width}, {n_params} parameters, float64: dense {t_dense:.2f} s, "
          f"Lanczos (tol 1e-8) {t_lanczos * 1e3:.0f} ms, ratio dense/Lanczos = {t_dense / t_lanczos:.0f}; "
          f"top eigenvalue {top_dense:.10g} vs {top_lanczos:.10g} (rel diff "
          f"{abs(top_dense - top_lanczos) / abs(top_dense):.1e})")


if __name__ == "__main__":
    main()
