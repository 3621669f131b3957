"""Training data: the first ``n`` training images, flattened and standardised.

Datasets
--------
``digits``  scikit-learn's ``load_digits`` (8×8 grey images, 1,797 samples, 10 classes): real
            data shipped inside an installed package, the offline default.
``mnist1d`` Greydanus's MNIST-1D (40-sample 1-D signals, 10 classes), *generated* offline by the
            ``mnist1d`` package (Apache-2.0) from its ten built-in templates with the package's
            default arguments (seed 42, 80 % train split) except the sample count, the fewest
            (a multiple of 10) whose train split holds ``n`` signals; never downloaded.
            A harder 10-class problem than digits.
``mnist``   torchvision's ``MNIST`` (28×28, 10 classes) read from ``ROOT/MNIST/raw/``.
``cifar10`` torchvision's ``CIFAR10`` (32×32×3, 10 classes) read from ``ROOT/cifar-10-batches-py/``.

torchvision downloads only when ``download=True`` (the CLI's explicit ``--download``).

Standardisation (documented choice): *per-feature*: each pixel (and colour channel) is centred by
its mean and divided by its standard deviation, both computed over the ``n`` selected training
samples; a constant feature (std < 1e-8, e.g. the always-blank corner pixels of digits) becomes 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from lrbias.nn.config import DATASETS, NNConfigError

CLASSES = 10


class DataError(NNConfigError):
    """The data cannot be found or read."""


@dataclass(frozen=True)
class Dataset:
    """Standardised features ``x`` (n, d) float64 and labels ``y`` (n,) int64, as NumPy arrays."""

    name: str
    x: np.ndarray
    y: np.ndarray
    classes: int
    standardisation: str = "per-feature mean/std over the n samples; constant features -> 0"

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def in_features(self) -> int:
        return int(self.x.shape[1])


def standardise(x: np.ndarray) -> np.ndarray:
    """Per-feature standardisation of ``x`` (n, d) → float64 (n, d); constant features map to 0."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    safe = np.where(std < 1e-8, np.inf, std)
    return (x - mean) / safe


def _take(name: str, images: np.ndarray, labels: np.ndarray, n: int) -> Dataset:
    if n > len(images):
        raise DataError(f"--n {n} exceeds the {len(images)} training images of {name}")
    x = images[:n].reshape(n, -1)
    return Dataset(name, standardise(x), np.asarray(labels[:n], dtype=np.int64), CLASSES)


def _require_root(name: str, root: str | None, download: bool, expected: str) -> str:
    if root is None:
        raise DataError(f"dataset {name!r} needs --data-root DIR (expected {expected}); "
                        "or add --download to let torchvision fetch it, or use --dataset digits (offline)")
    if not download and not os.path.isdir(os.path.join(root, expected.split("/", 1)[0])):
        raise DataError(f"no {name} data under {os.path.join(root, expected)!r}; put torchvision's "
                        f"{name} files there, or add --download, or use --dataset digits (offline)")
    return root


def load_digits_data(n: int) -> Dataset:
    """The first ``n`` of scikit-learn's 1,797 8×8 digits."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _take("digits", bunch.images, bunch.target, n)


def load_mnist1d_data(n: int) -> Dataset:
    """The first ``n`` of the 4,000 MNIST-1D training signals, generated offline (no download).

    ``mnist1d.data.make_dataset`` seeds NumPy's and Python's global generators; their states are
    saved and restored around the call so loading data never perturbs a caller's randomness.
    """
    import random

    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = 10 * -(-n // 8)  # train split 0.8: 8·ceil(n/8) >= n training signals
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        raw = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return _take("mnist1d", np.asarray(raw["x"]), np.asarray(raw["y"]), n)


def load_mnist(n: int, root: str | None, download: bool = False) -> Dataset:
    """The first ``n`` MNIST training images via ``torchvision.datasets.MNIST(root, train=True)``."""
    from torchvision.datasets import MNIST

    root = _require_root("mnist", root, download, "MNIST/raw")
    try:
        ds = MNIST(root, train=True, download=download)
    except RuntimeError as exc:
        raise DataError(f"cannot read MNIST under {os.path.join(root, 'MNIST', 'raw')!r}: {exc}") from None
    return _take("mnist", ds.data.numpy(), ds.targets.numpy(), n)


def load_cifar10(n: int, root: str | None, download: bool = False) -> Dataset:
    """The first ``n`` CIFAR-10 training images via ``torchvision.datasets.CIFAR10(root, train=True)``.

    torchvision verifies the md5 sum of every batch file; a missing or altered file is reported
    as a :class:`DataError` naming the folder (we do not bypass the check).
    """
    from torchvision.datasets import CIFAR10

    root = _require_root("cifar10", root, download, "cifar-10-batches-py")
    try:
        ds = CIFAR10(root, train=True, download=download)
    except RuntimeError as exc:
        raise DataError(f"cannot read CIFAR-10 under {os.path.join(root, 'cifar-10-batches-py')!r} "
                        f"(torchvision checks each file's md5): {exc}") from None
    images = np.asarray(ds.data).transpose(0, 3, 1, 2)  # (N, 32, 32, 3) → (N, 3, 32, 32): torch's layout
    return _take("cifar10", images, np.asarray(ds.targets), n)


def load_dataset(name: str, n: int, root: str | None = None, download: bool = False) -> Dataset:
    """Dispatch on ``name`` (one of :data:`DATASETS`)."""
    if name == "digits":
        return load_digits_data(n)
    if name == "mnist1d":
        return load_mnist1d_data(n)
    if name == "mnist":
        return load_mnist(n, root, download)
    if name == "cifar10":
        return load_cifar10(n, root, download)
    raise DataError(f"unknown dataset {name!r}; accepted: {', '.join(DATASETS)}")
