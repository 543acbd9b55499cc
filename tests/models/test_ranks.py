"""The model contract on every rank a model declares (``supported_ranks``): for every
registered model, vectors and volumes train a step with finite terms, save and reload with
identical outputs, generate in the data's shape; other ranks are refused with the model's
reason. Sequences: tests/export (the models take turns at the ranks there), the two-replica
test below and tests/models/test_any_data.py. Two replicas train like one device on sequences
and volumes (Conv1D / Conv3D networks)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import max_abs_diff
from tfvae.training.strategies import in_strategy_scope, make_strategy

SHAPES = {1: (6,), 2: (10, 2), 4: (4, 4, 4, 1)}
SWEEP = (1, 2, 4)
EXTRA = {
    "VAMP": {"number_components": 3},
    "VAE_IAF": {"hidden_size": 8},
    "RHVAE": {"metric_capacity": 16, "metric_hidden": 8, "n_lf": 1},
    "HRQVAE": {"num_embeddings": 8},
    "VQVAE": {"num_embeddings": 8},
}


def _data(shape, n=16, seed=0):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


@pytest.mark.parametrize("name", tfvae.list_models())
def test_every_rank_trains_saves_and_generates(name, tmp_path):
    cls = tfvae.get_model_class(name)
    for rank in (1, 4) if cls.supported_ranks != (3,) else SWEEP:
        shape = SHAPES[rank]
        keras.utils.set_random_seed(rank)
        build = lambda shape=shape: tfvae.build_model(  # noqa: E731
            name, input_shape=shape, latent_dim=2, reconstruction_loss="bce", **EXTRA.get(name, {})
        )
        if rank not in cls.supported_ranks:
            with pytest.raises(tfvae.ConfigError, match=f"of rank {rank}"):
                build()
            continue
        model = build()
        x = _data(shape)
        model.compile(optimizer="adam")
        logs = model.train_on_batch(x, return_dict=True)
        assert all(np.isfinite(v) for v in logs.values()), (rank, logs)
        model.save(tmp_path / f"{rank}.keras")
        again = keras.saving.load_model(tmp_path / f"{rank}.keras", safe_mode=True)
        assert max_abs_diff(again.reconstruct(x[:3]), model.reconstruct(x[:3])) == 0.0, rank
        assert tuple(np.shape(again.generate(2))) == (2, *shape)


@pytest.mark.parametrize("rank", [2, 4])
@pytest.mark.parametrize("name", ["VAE", "IWAE", "VQVAE"])
def test_two_replicas_train_like_one_device_on_sequences_and_volumes(name, rank):
    strategy = make_strategy("mirrored")
    keras.utils.set_random_seed(0)
    single = tfvae.build_model(
        name,
        input_shape=SHAPES[rank],
        latent_dim=3,
        networks="conv",
        width=4,
        **EXTRA.get(name, {}),
    )
    multi = in_strategy_scope(single, strategy)
    single.compile(optimizer=keras.optimizers.Adam(1e-3))
    with strategy.scope():
        multi.compile(optimizer=keras.optimizers.Adam(1e-3))
    ds = tf.data.Dataset.from_tensor_slices(_data(SHAPES[rank], 40)).batch(16)
    h1 = single.fit(ds, epochs=1, verbose=0).history
    h2 = multi.fit(ds, epochs=1, verbose=0).history
    for a, b in zip(single.trainable_weights, multi.trainable_weights, strict=True):
        assert float(np.max(np.abs(a.numpy() - b.numpy()))) < 1e-5, a.name
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)


def test_readme_model_table_states_each_models_ranks():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.split(" | ")]
        if (
            len(cells) > 3
            and cells[1].startswith("`")
            and cells[1].strip("`") in tfvae.list_models()
        ):
            rows[cells[1].strip("`")] = cells[2]
    assert set(rows) == set(tfvae.list_models())
    for name, ranks in rows.items():
        declared = tfvae.get_model_class(name).supported_ranks
        expected = "3 (images)" if declared == (3,) else f"{min(declared)}-{max(declared)}"
        assert declared == tuple(range(min(declared), max(declared) + 1)), declared
        assert ranks == expected, (name, ranks, declared)
