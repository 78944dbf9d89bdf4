"""Learners on a CUDA device give the CPU's per-round metrics within float tolerance."""

from __future__ import annotations

import numpy as np
import pytest

import mechsim


@pytest.mark.gpu
def test_cuda_learners_match_cpu(tiny_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    text = tiny_path.read_text().replace('id = "collab/logreg-v1"', 'id = "collab/mlp-v1"\nhidden = 16')
    tiny_path.write_text(text)
    cpu = mechsim.run(tiny_path)
    gpu = mechsim.run(tiny_path, overrides=['scenario.device="cuda"'])
    again = mechsim.run(tiny_path, overrides=['scenario.device="cuda"'])
    assert gpu.tables["rounds"] == again.tables["rounds"]  # deterministic on the GPU too
    a, b = cpu.tables["server"], gpu.tables["server"]
    np.testing.assert_allclose(a["server_loss"], b["server_loss"], rtol=1e-3, atol=1e-4)
    fe_a = cpu.tables["rounds"].where(variant="fair_equal")
    fe_b = gpu.tables["rounds"].where(variant="fair_equal")
    assert np.array_equal(fe_a["synced"], fe_b["synced"])  # same selections
