"""MirroredStrategy on 2 logical CPU devices gives the weights of one device with the same
global batch, for every registered model (a new model joins by registering)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import REPLICA_FIELDS, SMALL_FIELDS, assert_two_replicas_like_one

EXTRA = {**SMALL_FIELDS, **REPLICA_FIELDS}


@pytest.mark.parametrize("name", tfvae.list_models())
def test_two_replicas_train_like_one_device(name, digits):
    keras.utils.set_random_seed(0)
    single = tfvae.build_model(name, input_shape=(8, 8, 1), latent_dim=3, **EXTRA.get(name, {}))
    x = digits.x_train[:120]  # 4 batches of 32: the last is uneven (24 = 12 + 12)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(32)
    multi = assert_two_replicas_like_one(single, ds, epochs=2)  # traced steps
    assert int(multi.optimizer.iterations.numpy()) == 8


def test_pipeline_with_mirrored_strategy_matches_one_device(digits, tmp_path):
    weights = []
    for strategy in (None, "mirrored"):
        keras.utils.set_random_seed(0)
        model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3)
        config = tfvae.TrainerConfig(
            output_dir=str(tmp_path / str(strategy)),
            epochs=2,
            verbose=0,
            strategy=strategy,
            image_summaries=False,
        )
        pipeline = tfvae.TrainingPipeline(model, config)
        assert (pipeline.model is model) == (strategy is None)
        data = tfvae.data.load("digits", batch_size=32, seed=0)
        pipeline(data)
        weights.append(model.get_weights())  # copied back into the user's model
        assert (tmp_path / str(strategy) / "model.keras").is_file()
    for a, b in zip(*weights, strict=True):
        assert float(np.max(np.abs(a - b))) < 1e-5
