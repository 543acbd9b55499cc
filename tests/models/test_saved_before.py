"""Models saved before the model-contract refactor (issue 21: models/base/, traits, named
noise streams) load with identical outputs: ``tests/models/saved_before/`` was written at commit 285f847
(before the refactor) with ``tfvae.build_model(name, input_shape=(8, 8, 1),
latent_dim=2)`` and holds each model's ``embed`` and ``reconstruct`` of fixed inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tfvae

FOLDER = Path(__file__).with_name("saved_before")


@pytest.mark.parametrize("name", ["vae", "vamp", "vqvae", "rhvae"])
def test_a_model_saved_before_loads_with_identical_outputs(name):
    expected = np.load(FOLDER / "outputs.npz")
    model = tfvae.AutoModel.load(FOLDER / f"{name}.keras")
    x = expected["x"]
    # the same weights and the same computation: equal to float32 rounding (the outputs were
    # recorded on another CPU; AVX2 and AVX-512 kernels sum in different orders, 1 ulp apart)
    kw = {"rtol": 1e-6, "atol": 1e-6}
    np.testing.assert_allclose(model.embed(x), expected[f"{name}_embed"], **kw)
    np.testing.assert_allclose(model.reconstruct(x), expected[f"{name}_reconstruct"], **kw)
