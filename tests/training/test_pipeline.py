from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import max_abs_diff
from tfvae.training import NonFiniteLossError, TrainerConfig, build_optimizer


def _events(folder):
    tags = set()
    for file in folder.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(file)):
            tags.update(v.tag for v in event.summary.value)
    return tags


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    """A 3-epoch pipeline run and a plain compile+fit run from the same seed."""
    out = tmp_path_factory.mktemp("pipeline")
    keras.utils.set_random_seed(0)
    piped = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3, reconstruction_loss="bce")
    keras.utils.set_random_seed(0)
    plain = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3, reconstruction_loss="bce")
    data_a = tfvae.data.load("digits", batch_size=32, seed=0)
    data_b = tfvae.data.load("digits", batch_size=32, seed=0)
    config = TrainerConfig(
        output_dir=str(out),
        epochs=3,
        learning_rate=1e-3,
        verbose=0,
        num_images=8,
        write_interval_s=0,  # a snapshot and grids every epoch
    )
    history = tfvae.TrainingPipeline(piped, config)(data_a)
    plain.compile(optimizer=tfvae.training.FusedAdam(1e-3))  # the pipeline's "adam"
    plain.fit(
        data_b.train,
        epochs=3,
        validation_data=data_b.validation,
        verbose=0,
        callbacks=data_b.callbacks(),
    )
    return out, piped, plain, history


def test_pipeline_and_plain_fit_give_the_same_weights(pipeline_run):
    _, piped, plain, _ = pipeline_run
    for a, b in zip(piped.get_weights(), plain.get_weights(), strict=True):
        assert max_abs_diff(a, b) == 0.0


def test_pipeline_writes_its_outputs(pipeline_run):
    out, piped, _, history = pipeline_run
    for name in (
        "model.keras",
        "training_config.json",
        "history.json",
        "reconstructions.png",
        "samples.png",
    ):
        assert (out / name).is_file(), name
    assert not (out / "backup").exists(), "the resume backup is removed after a complete run"
    assert json.loads((out / "history.json").read_text())["loss"] == pytest.approx(
        history.history["loss"]
    )
    assert TrainerConfig.from_json(out / "training_config.json").epochs == 3
    reloaded = tfvae.AutoModel.load(out)
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    assert max_abs_diff(reloaded.reconstruct(x), piped.reconstruct(x)) == 0.0
    snapshots = sorted(p.name for p in (out / "checkpoints").glob("*.keras"))
    assert snapshots == ["epoch_0002.keras", "epoch_0003.keras"]


def test_tensorboard_holds_every_loss_term_and_image_grids(pipeline_run):
    out = pipeline_run[0]
    for split in ("train", "validation"):
        assert {"epoch_loss", "epoch_reconstruction", "epoch_kl"} <= _events(out / "logs" / split)
    assert {"reconstructions", "prior_samples", "interpolations", "latent_traversals"} <= _events(
        out / "logs" / "images"
    )


@keras.saving.register_keras_serializable(package="tfvae_tests")
class ExplodingVAE(tfvae.VAE):
    """A VAE whose loss turns NaN from training step 50 on (epoch 3 with 21 steps/epoch)."""

    def compute_loss_terms(self, x, training=False):
        terms = super().compute_loss_terms(x, training)
        explode = self.optimizer.iterations >= 50
        terms["loss"] = tf.where(explode, tf.constant(float("nan")), terms["loss"])
        return terms


def test_nan_loss_stops_with_a_named_error_and_keeps_the_last_good_checkpoint(digits, tmp_path):
    keras.utils.set_random_seed(0)
    model = ExplodingVAE(tfvae.VAEConfig(input_shape=(8, 8, 1), latent_dim=3))
    config = TrainerConfig(output_dir=str(tmp_path), epochs=6, verbose=0, write_interval_s=0)
    with pytest.raises(NonFiniteLossError, match=r"epoch 3, batch 9 .*epoch_0002\.keras"):
        tfvae.TrainingPipeline(model, config)(digits)
    good = keras.saving.load_model(tmp_path / "checkpoints" / "epoch_0002.keras", safe_mode=True)
    out = np.asarray(good.reconstruct(digits.x_test[:8]))
    assert np.isfinite(out).all()
    assert (tmp_path / "backup" / "training_metadata.json").is_file(), "resume state is kept"
    assert not (tmp_path / "model.keras").exists()


def test_data_with_the_wrong_shape_is_refused(tmp_path):
    model = tfvae.build_model("ae", input_shape=(8, 8, 1), latent_dim=2)
    pipe = tfvae.TrainingPipeline(model, TrainerConfig(output_dir=str(tmp_path), epochs=1))
    with pytest.raises(tfvae.data.DataError, match=r"shape \(9, 9, 1\).*expects \(8, 8, 1\)"):
        pipe(np.zeros((10, 9, 9, 1), np.float32))
    with pytest.raises(tfvae.data.DataError, match="NaN"):
        pipe(np.full((10, 8, 8, 1), np.nan, np.float32))


def test_arrays_train_with_optimizer_and_schedule_by_name(digits, tmp_path):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model("ae", input_shape=(8, 8, 1), latent_dim=2)
    config = TrainerConfig(
        output_dir=str(tmp_path),
        epochs=2,
        verbose=0,
        optimizer="adamw",
        optimizer_kwargs={"weight_decay": 1e-4},
        scheduler="cosine_decay",
        scheduler_kwargs={"decay_steps": 100},
        image_summaries=False,
    )
    history = tfvae.TrainingPipeline(model, config)(digits.x_train, digits.x_val)
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert "val_loss" in history.history


def test_bad_optimizer_kwargs_are_named():
    with pytest.raises(tfvae.ConfigError, match="optimizer_kwargs"):
        build_optimizer(TrainerConfig(optimizer_kwargs={"betaa": 1}))


def test_write_cadence_spaces_writes_by_time_and_always_writes_the_last_epoch(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(tfvae.training.callbacks.time, "monotonic", lambda: clock[0])
    cadence = tfvae.training.callbacks.WriteCadence(every=2, interval_s=10.0, epochs=9)
    cadence.start()
    written = []
    for epoch, now in enumerate((3, 6, 9, 12, 15, 18, 21, 24, 25)):  # an epoch ends at `now`
        clock[0] = float(now)
        if cadence.due(epoch):
            written.append(epoch + 1)
    # epoch 4 (t=12) is the first even epoch 10 s after the start; then 8 (t=24); 9 is the last
    assert written == [4, 8, 9]
    first = tfvae.training.callbacks.WriteCadence(interval_s=10.0, epochs=5, first=True)
    clock[0] = 0.0
    first.start()
    clock[0] = 1.0
    assert first.due(0) and not first.due(1)
    zero = tfvae.training.callbacks.WriteCadence(every=1, interval_s=0.0)
    assert all(zero.due(e) for e in range(4))
    # shared by the checkpoint and the snapshot: asked twice for an epoch, the same answer,
    # even when the first writer took long enough to pass the interval
    shared = tfvae.training.callbacks.WriteCadence(every=1, interval_s=10.0, epochs=9)
    clock[0] = 0.0
    shared.start()
    clock[0] = 9.8
    assert not shared.due(0)
    clock[0] = 10.3
    assert not shared.due(0)
    assert shared.due(1) and shared.due(1)


def test_a_long_write_interval_writes_the_last_epoch_and_the_first_grids(digits, tmp_path):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3)
    config = TrainerConfig(
        output_dir=str(tmp_path), epochs=3, verbose=0, num_images=4, write_interval_s=1e6
    )
    tfvae.TrainingPipeline(model, config)(digits)
    snapshots = sorted(p.name for p in (tmp_path / "checkpoints").glob("*.keras"))
    assert snapshots == ["epoch_0003.keras"]
    steps = set()
    for file in (tmp_path / "logs" / "images").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(file)):
            if any(v.tag == "reconstructions" for v in event.summary.value):
                steps.add(event.step)
    assert steps == {0, 2}
    reloaded = keras.saving.load_model(tmp_path / "checkpoints" / "epoch_0003.keras")
    x = digits.x_test[:4]
    assert max_abs_diff(reloaded.reconstruct(x), model.reconstruct(x)) == 0.0
    with pytest.raises(tfvae.errors.ConfigError, match="write_interval_s"):
        TrainerConfig(write_interval_s=-1.0)
