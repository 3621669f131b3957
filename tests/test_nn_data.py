"""Loaders read torchvision-format fixtures (through torchvision's own classes) and the digits default."""

from __future__ import annotations

import hashlib
import os
import pickle
import struct

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("torchvision")

from lrbias.nn.data import DataError, load_dataset, standardise

pytestmark = pytest.mark.nn


def _write_idx(path: str, magic: int, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        fh.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape))
        fh.write(array.astype(np.uint8).tobytes())


def make_mnist(root: str, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """MNIST raw idx files (uncompressed) under ROOT/MNIST/raw/, as torchvision's MNIST reads them."""
    raw = os.path.join(root, "MNIST", "raw")
    os.makedirs(raw)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28))
    labels = rng.integers(0, 10, size=n)
    for prefix in ("train", "t10k"):
        _write_idx(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), 0x803, images)
        _write_idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), 0x801, labels)
    return images, labels


def make_cifar10(root: str, per_batch: int = 8) -> tuple[dict[str, str], np.ndarray, list[int]]:
    """CIFAR-10 python pickles under ROOT/cifar-10-batches-py/; returns {file name: md5}."""
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder)
    rng = np.random.default_rng(1)
    md5s, first_data, first_labels = {}, None, None
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3072)).astype(np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=per_batch)]
        if first_data is None:
            first_data, first_labels = data, labels
        with open(os.path.join(folder, name), "wb") as fh:
            pickle.dump({"data": data, "labels": labels}, fh)
    with open(os.path.join(folder, "batches.meta"), "wb") as fh:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, fh)
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as fh:
            md5s[name] = hashlib.md5(fh.read()).hexdigest()
    return md5s, first_data, first_labels


def test_digits_default() -> None:
    ds = load_dataset("digits", 1000)
    assert ds.x.shape == (1000, 64) and ds.y.shape == (1000,) and ds.classes == 10
    assert ds.x.dtype == np.float64 and ds.y.dtype == np.int64
    std = ds.x.std(axis=0)
    assert np.allclose(ds.x.mean(axis=0), 0, atol=1e-12)
    assert np.all(np.isclose(std, 1) | np.isclose(std, 0))  # constant pixels become 0
    with pytest.raises(DataError, match="exceeds the 1797"):
        load_dataset("digits", 2000)


def test_standardise_per_feature() -> None:
    x = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0]])
    np.testing.assert_allclose(standardise(x), [[-1.0, 0.0, -1.0], [1.0, 0.0, 1.0]])


def test_mnist_fixture(tmp_path) -> None:
    images, labels = make_mnist(str(tmp_path))
    ds = load_dataset("mnist", 30, str(tmp_path))
    assert ds.x.shape == (30, 784)
    np.testing.assert_array_equal(ds.y, labels[:30])
    np.testing.assert_allclose(ds.x, standardise(images[:30].reshape(30, -1)))


def test_cifar10_fixture(tmp_path, monkeypatch) -> None:
    # torchvision's CIFAR10 checks each file against a table of md5 sums of the real data.  The
    # fixture is not the real data, so we patch only that table with the fixture's own md5 sums;
    # everything else (file layout, pickle reading, integrity checking) is torchvision's code.
    from torchvision.datasets import CIFAR10

    md5s, data, labels = make_cifar10(str(tmp_path))
    train_list = [[f"data_batch_{i}", md5s[f"data_batch_{i}"]] for i in range(1, 6)]
    monkeypatch.setattr(CIFAR10, "train_list", train_list)
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5s["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5s["batches.meta"]})
    ds = load_dataset("cifar10", 10, str(tmp_path))
    assert ds.x.shape == (10, 3072)
    np.testing.assert_array_equal(ds.y[:8], labels)
    # channel-first flattening: the first 1024 features are the red plane, as in the pickle rows
    first_ten = np.concatenate([data, _second_batch_head(tmp_path)])
    np.testing.assert_allclose(ds.x[:8], standardise(first_ten)[:8])


def _second_batch_head(tmp_path) -> np.ndarray:
    with open(os.path.join(tmp_path, "cifar-10-batches-py", "data_batch_2"), "rb") as fh:
        return pickle.load(fh)["data"][:2]


def test_cifar10_unpatched_md5_is_a_clear_error(tmp_path) -> None:
    make_cifar10(str(tmp_path))
    with pytest.raises(DataError, match="md5"):
        load_dataset("cifar10", 10, str(tmp_path))


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_missing_root(tmp_path, name: str) -> None:
    missing = str(tmp_path / "nowhere")
    with pytest.raises(DataError, match="nowhere"):
        load_dataset(name, 10, missing)
    with pytest.raises(DataError, match="--data-root"):
        load_dataset(name, 10, None)


def test_mnist1d_generated_offline_and_deterministic(monkeypatch) -> None:
    pytest.importorskip("mnist1d")
    import random

    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("mnist1d tried the network")

    monkeypatch.setattr(requests, "get", no_network)
    np.random.seed(123)
    random.seed(123)
    before = (np.random.random(), random.random())
    np.random.seed(123)
    random.seed(123)
    a = load_dataset("mnist1d", 100)
    assert (np.random.random(), random.random()) == before  # callers' global generators untouched
    b = load_dataset("mnist1d", 100)
    assert a.x.shape == (100, 40) and a.classes == 10 and set(a.y) <= set(range(10))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_allclose(a.x.mean(axis=0), 0, atol=1e-12)
    assert len(set(a.y.tolist())) == 10
