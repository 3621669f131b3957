"""The NN training losses by hand: each is a per-sample value averaged over samples.

Averaging (not summing) keeps the full-batch loss and its sharpness independent of n; a batch
that repeats every sample twice must give the same loss.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from lrbias.nn.losses import get_loss  # noqa: E402

OUT = [[2.0, 0.0, -1.0], [0.5, 1.5, 0.0]]
LABELS = [0, 2]


def _by_hand(name: str) -> float:
    per_sample = []
    for row, label in zip(OUT, LABELS, strict=True):
        target = [1.0 if k == label else 0.0 for k in range(len(row))]
        if name == "ce":
            per_sample.append(math.log(sum(math.exp(v) for v in row)) - row[label])
        elif name == "mse":
            per_sample.append(0.5 * sum((v - t) ** 2 for v, t in zip(row, target, strict=True)))
        else:
            per_sample.append(sum(0.5 * (v - t) ** 2 if abs(v - t) <= 1 else abs(v - t) - 0.5
                                  for v, t in zip(row, target, strict=True)))
    return sum(per_sample) / len(per_sample)


@pytest.mark.parametrize("name", ["ce", "mse", "huber"])
def test_loss_is_the_mean_of_the_per_sample_losses(name):
    fn = get_loss(name)
    out, y = torch.tensor(OUT, dtype=torch.float64), torch.tensor(LABELS)
    assert float(fn(out, y)) == pytest.approx(_by_hand(name), rel=1e-12)
    doubled = float(fn(torch.cat([out, out]), torch.cat([y, y])))
    assert doubled == pytest.approx(float(fn(out, y)), rel=1e-12), "averaged over samples"
