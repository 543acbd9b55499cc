from __future__ import annotations

import keras
import numpy as np

import tfvae
from tfvae.training import FusedAdam, TrainerConfig, build_optimizer


def test_fused_adam_takes_keras_adams_steps():
    rng = np.random.default_rng(0)
    start = [rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=3).astype("float32")]
    keras_vars = [keras.Variable(w) for w in start]
    fused_vars = [keras.Variable(w) for w in start]
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, 5, 0.5)
    keras_adam = keras.optimizers.Adam(schedule, beta_1=0.8, epsilon=1e-6)
    fused_adam = FusedAdam(schedule, beta_1=0.8, epsilon=1e-6)
    for _ in range(25):
        grads = [rng.normal(size=w.shape).astype("float32") for w in start]
        keras_adam.apply(grads, keras_vars)
        fused_adam.apply(grads, fused_vars)
    for a, b in zip(keras_vars, fused_vars, strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=2e-6)
    assert np.abs(fused_vars[0].numpy() - start[0]).max() > 0.05  # the steps moved it
    for a, b in zip(keras_adam.variables, fused_adam.variables, strict=True):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-4, atol=1e-6)


def test_adam_by_name_is_fused_and_round_trips_through_saving(tmp_path):
    optimizer = build_optimizer(TrainerConfig(learning_rate=3e-4))
    assert type(optimizer) is FusedAdam
    keras.utils.set_random_seed(0)
    model = tfvae.build_model("ae", input_shape=(4, 4, 1), latent_dim=2)
    model.compile(optimizer=optimizer)
    x = np.random.default_rng(0).random((16, 4, 4, 1)).astype("float32")
    model.fit(x, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    assert type(loaded.optimizer) is FusedAdam
    assert loaded.optimizer.learning_rate.numpy() == np.float32(3e-4)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_model_saved_with_fused_adam_loads_where_tfvae_training_was_never_imported(tmp_path):
    # `tfvae generate` loads models without importing tfvae.training: AutoModel.load must
    # register FusedAdam itself. A fresh interpreter is the only place that import is absent.
    import subprocess
    import sys

    keras.utils.set_random_seed(0)
    model = tfvae.build_model("ae", input_shape=(4, 4, 1), latent_dim=2)
    model.compile(optimizer=FusedAdam(1e-3))
    model.fit(np.zeros((8, 4, 4, 1), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    code = (
        "import sys, tfvae; assert 'tfvae.training' not in sys.modules; "
        f"m = tfvae.AutoModel.load({str(tmp_path / 'm.keras')!r}); "
        "print(type(m.optimizer).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("FusedAdam")
