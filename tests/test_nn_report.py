"""The report's NN figure and rows show each configuration on both datasets, with h as m·2/S0."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")

from lrbias.report.figures import nn_figure
from lrbias.report.page import nn_rows


def _run(m: float, ratio: float) -> dict:
    lr = 0.1
    return {"lr": lr, "lr_multiple": m, "tail_ratio": ratio,
            "summary": {"outcome": "completed", "steps_run": 4, "sharpness_final": 2 * ratio / lr,
                        "two_over_lr": 2 / lr, "ratio_final": 0.5, "loss_max_over_start": 1.0,
                        "norm_gap_start": 14.0, "norm_gap_final": 12.0},
            "sharpness_steps": [0, 2, 4], "top_sharpness": [5.0, 15.0, 2 * ratio / lr], "loss": [1, 0.5, 0.4, 0.3, 0.2]}


NN = {"datasets": ["digits", "mnist1d"],
      "grids": {"tanh-mse@digits": [_run(0.5, 1.01)], "tanh-mse@mnist1d": [_run(0.5, 0.909)],
                "relu-huber@digits": [_run(1.4, 0.9995)], "relu-huber@mnist1d": [_run(1.4, 1.073)]}}


def test_nn_figure_has_one_row_pair_per_dataset() -> None:
    svg, alt = nn_figure(NN)
    assert svg.lstrip().startswith("<") and "svg" in svg[:500]
    assert "digits" in alt and "mnist1d" in alt
    for title in ("tanh-mse (digits)", "tanh-mse (mnist1d)", "relu-huber (mnist1d)"):
        assert title in svg
    assert "h = 0.5·2/S0" in svg


def test_nn_rows_show_the_multiple_and_the_tail_ratio() -> None:
    rows = {r["grid"]: r for r in nn_rows(NN)}
    assert set(rows) == set(NN["grids"])
    assert "(0.5·2/S0)" in rows["tanh-mse@mnist1d"]["lr"]
    assert rows["tanh-mse@mnist1d"]["ratio"] == "0.909"  # the tail median, not the final ratio 0.5
