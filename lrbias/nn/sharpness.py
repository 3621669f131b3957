"""Sharpness: the top (largest *algebraic*) eigenvalues of the full-batch training-loss Hessian.

Hessian-vector products are exact, by double backward (measured faster than ``torch.func``
forward-over-reverse on CPU here): the gradient graph is built once per estimate and each product
is one extra backward pass.  Lanczos is SciPy's ARPACK ``eigsh(which='LA')`` on a float64
``LinearOperator``; ``which='LM'`` (largest magnitude) would return a large *negative*
eigenvalue when one exists, which is not the sharpness, so it is never the default.

Every estimate carries its Lanczos residual ‖H v − λ v‖ for the returned unit Ritz vector v (one
extra HVP), so a sharpness value always says how well it is resolved.  ``hvp_dtype`` float64
evaluates the HVPs on a float64 copy of the model and data (the run itself may stay float32):
the accuracy option of ``--hvp-dtype``.

The Hessian is the one GD trains on: the model is put in train mode (BatchNorm uses the batch
statistics of the full batch), never ``eval()``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh
from torch import nn

from lrbias.nn.losses import LossFn

HVP = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class EigenEstimate:
    """Top-``k`` eigenvalues (descending, float64), the number of HVPs used, convergence, and the
    Lanczos residual ‖H v − λ v‖ of the top Ritz pair (v a unit vector; NaN when not computed)."""

    values: np.ndarray
    matvecs: int
    converged: bool
    residual: float = float("nan")
    vector: np.ndarray | None = None

    @property
    def relative_residual(self) -> float:
        """‖H v − λ v‖ / |λ| for the top pair (an a-posteriori error bound on λ, relative)."""
        top = self.top
        return abs(self.residual / top) if top else float("inf")

    @property
    def top(self) -> float:
        return float(self.values[0]) if len(self.values) else float("nan")


def make_hvp(loss_closure: Callable[[], torch.Tensor], params: Sequence[torch.Tensor]) -> HVP:
    """v ↦ ∇²L v for the flat vector v (same dtype/device as ``params``), by double backward."""
    params = list(params)
    loss = loss_closure()
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat_grad = torch.cat([g.reshape(-1) for g in grads])

    def hvp(v: torch.Tensor) -> torch.Tensor:
        out = torch.autograd.grad(flat_grad, params, grad_outputs=v, retain_graph=True)
        return torch.cat([o.reshape(-1) for o in out])

    return hvp


def top_eigenvalues(hvp: HVP, dim: int, dtype: torch.dtype, device: torch.device | str, k: int = 1,
                    tol: float = 1e-3, which: str = "LA", seed: int = 0,
                    maxiter: int | None = None, v0: np.ndarray | None = None,
                    ncv: int | None = None) -> EigenEstimate:
    """Lanczos (ARPACK) on ``hvp``: the ``k`` largest-algebraic eigenvalues, relative tolerance ``tol``.

    ``which`` exists only so tests can show that ``'LM'`` is wrong; keep ``'LA'``.  The start
    vector is ``v0`` when given (a warm start: the previous top eigenvector along a run, which
    cuts the HVPs per estimate), else drawn from ``seed`` (reproducible); ``ncv``: ARPACK's Lanczos
    basis size.  A Lanczos that does not converge returns the
    Ritz values it has, flagged ``converged=False``.
    """
    count = 0

    def matvec(v: np.ndarray) -> np.ndarray:
        nonlocal count
        count += 1
        t = torch.as_tensor(np.asarray(v, dtype=np.float64).reshape(-1), dtype=dtype, device=device)
        return hvp(t).detach().to("cpu", torch.float64).numpy()

    if dim <= k + 1:
        dense = np.column_stack([matvec(e) for e in np.eye(dim)])
        vals, vecs = np.linalg.eigh((dense + dense.T) / 2)
        order = np.argsort(-np.abs(vals)) if which == "LM" else np.argsort(-vals)
        return EigenEstimate(vals[order][:k], count, True, _residual(matvec, vals[order[0]], vecs[:, order[0]]))
    op = LinearOperator((dim, dim), matvec=matvec, dtype=np.float64)
    start = np.random.default_rng(seed).standard_normal(dim) if v0 is None else np.asarray(v0, dtype=np.float64)
    try:
        vals, vecs = eigsh(op, k=k, which=which, tol=tol, v0=start, maxiter=maxiter, ncv=ncv)
        converged = True
    except ArpackNoConvergence as exc:
        vals, vecs, converged = np.asarray(exc.eigenvalues), np.asarray(exc.eigenvectors), False
    except ArpackError:  # the Hessian products were not finite (an overflowing network): no sharpness
        return EigenEstimate(np.array([np.nan]), count, False)
    vals = np.asarray(vals, dtype=np.float64)
    order = np.argsort(-np.abs(vals)) if which == "LM" else np.argsort(-vals)
    if not len(vals):
        return EigenEstimate(vals, count, converged)
    top_vec = vecs[:, order[0]]
    return EigenEstimate(vals[order], count, converged, _residual(matvec, vals[order[0]], top_vec), top_vec)


def _residual(matvec: Callable[[np.ndarray], np.ndarray], value: float, vector: np.ndarray) -> float:
    """‖H v − λ v‖ for the unit-normalised ``vector`` (one HVP)."""
    v = np.asarray(vector, dtype=np.float64)
    v = v / np.linalg.norm(v)
    return float(np.linalg.norm(matvec(v) - value * v))


def model_loss_closure(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                       loss_fn: LossFn) -> Callable[[], torch.Tensor]:
    """The full-batch training loss of ``model`` as a closure (model in train mode)."""
    model.train()
    return lambda: loss_fn(model(x), y)


def sharpness(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn, k: int = 1,
              tol: float = 1e-3, seed: int = 0, maxiter: int | None = None,
              hvp_dtype: torch.dtype | None = None, v0: np.ndarray | None = None,
              ncv: int | None = None) -> EigenEstimate:
    """Top-``k`` Hessian eigenvalues of the full-batch loss at the model's current weights.

    ``hvp_dtype`` (e.g. ``torch.float64``): evaluate the HVPs on a copy of the model and data in
    that dtype; None: the model's own dtype.
    """
    first = next(p for p in model.parameters() if p.requires_grad)
    if hvp_dtype is not None and hvp_dtype != first.dtype:
        model = copy.deepcopy(model).to(hvp_dtype)
        x = x.to(hvp_dtype)
    params = [p for p in model.parameters() if p.requires_grad]
    hvp = make_hvp(model_loss_closure(model, x, y, loss_fn), params)
    dim = sum(p.numel() for p in params)
    return top_eigenvalues(hvp, dim, params[0].dtype, params[0].device, k=k, tol=tol, seed=seed,
                           maxiter=maxiter, v0=v0, ncv=ncv)


def dense_hessian(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> torch.Tensor:
    """The full (P, P) Hessian by ``torch.autograd.functional.hessian`` (for validation; small P only)."""
    model.train()
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    shapes = [p.shape for _, p in model.named_parameters() if p.requires_grad]
    flat0 = torch.cat([p.detach().reshape(-1) for _, p in model.named_parameters() if p.requires_grad])

    def loss_of(flat: torch.Tensor) -> torch.Tensor:
        tensors, i = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            size = int(np.prod(shape))
            tensors[name] = flat[i:i + size].reshape(shape)
            i += size
        return loss_fn(torch.func.functional_call(model, tensors, (x,)), y)

    return torch.autograd.functional.hessian(loss_of, flat0)
