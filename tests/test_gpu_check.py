"""benchmarks/gpu_check.sh on the CPU (device cpu against cpu must agree), and its comparer catches
a disagreement (a perturbed tail ratio, a flipped verdict)."""

from __future__ import annotations

import copy
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _compare_module():
    spec = importlib.util.spec_from_file_location("gpu_compare", ROOT / "benchmarks" / "gpu_compare.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _record(s0: float = 10.0, tail=(9.8, 10.0), verdict: str = "pass") -> dict:
    lr = 0.2
    run = {"summary": {"lr": lr, "s0": s0, "steps_run": 4, "outcome": "completed", "loss_max_over_start": 1.0},
           "sharpness_steps": [0, 2, 3, 4], "sharpness": [[5.0], [8.0], [tail[0]], [tail[1]]]}
    return {"claims": [{"id": "nn.x", "verdict": verdict}], "runs": {"g@digits": [run]}}


def test_comparer_accepts_equal_and_catches_differences() -> None:
    gc = _compare_module()
    ref = _record()
    assert gc.compare_nn(ref, copy.deepcopy(ref)) == []
    assert gc.compare_nn(ref, _record(s0=10.0 * (1 + 5e-4))) == []  # within rtol 1e-3
    shifted = gc.compare_nn(ref, _record(tail=(10.1, 10.3)))  # tail S·h/2 0.99 -> 1.02: beyond 0.02
    assert len(shifted) == 1 and "tail S*h/2" in shifted[0]
    assert any("S0" in p for p in gc.compare_nn(ref, _record(s0=10.1)))
    assert any("verdict pass vs fail" in p for p in gc.compare_nn(ref, _record(verdict="fail")))


@pytest.mark.nn
@pytest.mark.slow
def test_gpu_check_script_on_cpu(tmp_path) -> None:
    pytest.importorskip("torch")
    env = {**os.environ, "DEVICE": "cpu", "STEPS": "4", "CLAIMS": "nn.catapult-mse-relu", "ENGINE_N": "200",
           "OUT": str(tmp_path), "OMP_NUM_THREADS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh")], env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "nn: 0 disagreement(s)" in proc.stdout and "outcome agreement 1.000000" in proc.stdout
    assert {"nn-cpu.json", "nn-cpu.txt"} <= {p.name for p in tmp_path.iterdir()}
