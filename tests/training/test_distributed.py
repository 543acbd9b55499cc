"""MirroredStrategy on 2 logical CPU devices gives the weights of one device with the same
global batch, for every registered model (a new model joins by registering)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tfvae.training.strategies import in_strategy_scope, make_strategy

EXTRA = {
    "VAMP": {"number_components": 4},
    "VAE_IAF": {"hidden_size": 16},
    "VAEGAN": {"use_equilibrium": False},
    "RHVAE": {"metric_capacity": 128, "metric_hidden": 32},
}  # skipped steps need one replica (see VAEGAN)
# FactorVAE's adversarial game leaves near-zero gradients in the decoder whose float rounding
# (summation order differs across replicas) Adam normalises into full-size steps; with SGD the
# two runs agree to 1e-8 per step, which is what this test is about.
OPTIMIZER = {"FactorVAE": lambda: keras.optimizers.SGD(0.05)}


@pytest.mark.parametrize("name", tfvae.list_models())
def test_two_replicas_train_like_one_device(name, digits):
    strategy = make_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2
    keras.utils.set_random_seed(0)
    single = tfvae.build_model(name, input_shape=(8, 8, 1), latent_dim=3, **EXTRA.get(name, {}))
    multi = in_strategy_scope(single, strategy)
    make_optimizer = OPTIMIZER.get(name, lambda: keras.optimizers.Adam(1e-3))
    single.compile(optimizer=make_optimizer())
    with strategy.scope():
        multi.compile(optimizer=make_optimizer())
    x = digits.x_train[:120]  # 4 batches of 32: the last is uneven (24 = 12 + 12)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(32)
    h1 = single.fit(ds, epochs=2, verbose=0).history
    h2 = multi.fit(ds, epochs=2, verbose=0).history
    for a, b in zip(single.trainable_weights, multi.trainable_weights, strict=True):
        assert float(np.max(np.abs(a.numpy() - b.numpy()))) < 1e-5, a.name
    for a, b in zip(single.non_trainable_weights, multi.non_trainable_weights, strict=True):
        # state computed from the weights (BN statistics, RHVAE's stored metric L L^T, whose
        # exponentiated diagonal amplifies the 1e-6 differences of the weights)
        a, b = a.numpy(), b.numpy()
        assert float(np.max(np.abs(a - b))) < 1e-4 * max(1.0, float(np.max(np.abs(a))))
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)
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
