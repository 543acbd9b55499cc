"""MirroredStrategy on 2 logical CPU devices through the training pipeline gives the weights of
one device with the same global batch. Every registered model's step on two replicas: traced
in tests/export (each model on one rank in turn), eagerly on every rank in
tests/models/test_ranks*.py, with labels in tests/models/test_conditional.py."""

from __future__ import annotations

import keras
import numpy as np

import tfvae


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
