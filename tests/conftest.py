"""Shared fixtures: real data (Fashion-MNIST subset, scikit-learn digits), determinism."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# tfvae's local-run key (tfvae.safety.sign_local_record) in a folder of the test session, not
# the user's ~/.config/tfvae
os.environ.setdefault("TFVAE_HOME", tempfile.mkdtemp(prefix="tfvae_home_"))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import tfvae  # noqa: E402
from tfvae.export import saved_model  # noqa: E402
from tfvae.training.strategies import in_strategy_scope, make_strategy  # noqa: E402

tf.config.experimental.enable_op_determinism()
# Two logical CPU devices, so MirroredStrategy runs with 2 replicas on this CPU (the default
# strategy still places everything on the first).
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
)


# The suite's two workers (pytest-xdist, --dist loadfile) take whole files in collection
# order, one at a time as each finishes its last: the longest files (seconds of one worker,
# measured with --durations) go first, so that short files, not a two-minute one, end the run.
LONGEST_FIRST = [
    "tests/export/test_export.py",
    "tests/models/test_ranks.py",
    "tests/models/test_conditional.py",
    "tests/tutorials/test_tutorials.py",
    "tests/models/test_hierarchical.py",
    "tests/training/test_multi_worker.py",
    "tests/models/test_geometric_models.py",
    "tests/flows/test_flows.py",
    "tests/models/test_disentangling_models.py",
    "tests/models/test_defaults_train.py",
    "tests/models/test_any_data.py",
    "tests/test_cli.py",
    "tests/models/test_flow_models.py",
    "tests/workflows/test_augment.py",
    "tests/security/test_shared_folders.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session")
def fashion() -> tfvae.data.DataSplits:
    """2,000 real Fashion-MNIST training images (+ 500 test), batches of 32."""
    try:
        return tfvae.data.load("fashion_mnist", limit=2000, test_limit=500, batch_size=32, seed=0)
    except FileNotFoundError as err:
        pytest.skip(f"Fashion-MNIST is not installed here ({err})")


@pytest.fixture(scope="session")
def digits() -> tfvae.data.DataSplits:
    """scikit-learn's 8x8 digits (always available offline), batches of 64."""
    return tfvae.data.load("digits", batch_size=64, seed=0)


@pytest.fixture()
def seeded() -> None:
    keras.utils.set_random_seed(0)


def max_abs_diff(a: object, b: object) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# Two replicas reproduce one device only where a step means the same on both: VAEGAN's
# equilibrium skips a step per replica (a skip cannot be synchronised), and Adam turns
# FactorVAE's near-zero decoder gradients, whose float rounding depends on the summation order
# of each replica, into full-size steps (with SGD the two runs agree to 1e-8 per step).
REPLICA_FIELDS = {"VAEGAN": {"use_equilibrium": False}}

# The registry tests' small settings where a default multiplies the traced graph (unrolled
# leapfrog steps, stacked MADE blocks, latent groups, a 6,400-point metric): the same code
# paths at a fraction of the tracing; each file adds its own on top.
SMALL_FIELDS = {
    "VAMP": {"number_components": 3},
    "VAE_IAF": {"n_made_blocks": 1, "hidden_size": 16},
    "RHVAE": {"metric_capacity": 16, "metric_hidden": 8, "n_lf": 1},
    "HVAE": {"n_lf": 1},
    "NVAE": {"groups_per_scale": 1, "channels": 8},
}
# Adam divides by sqrt(v) + epsilon: a weight whose gradient is ~1e-8 (RHVAE's 3-D metric net on
# random volumes) moves by a full step whose size rounding decides; a larger epsilon keeps the
# check on the gradients the replicas sum.
REPLICA_OPTIMIZERS = {
    "FactorVAE": lambda: keras.optimizers.SGD(0.05),
    "RHVAE": lambda: keras.optimizers.Adam(1e-3, epsilon=1e-4),
}


def assert_two_replicas_like_one(
    single: keras.Model,
    data: tf.data.Dataset,
    *,
    epochs: int = 1,
    eager: bool = False,
    state: bool = True,
) -> keras.Model:
    """Fit ``single`` on one device and a copy of it on two replicas (MirroredStrategy on the
    two logical CPUs) over the same global batches of ``data`` (``x`` or ``(x, y)`` batches);
    assert the trainable weights agree to 3e-5 (float32 sums over two replicas' halves: one
    step of SVAE's last-but-one conv drifts 1.04e-5 on an AVX2 CPU), the non-trainable state (BN statistics,
    RHVAE's metric, whose exponentiated diagonal amplifies weight differences) to 1e-4
    relative when ``state``, and the losses to rtol 1e-5. ``eager``: both without
    tf.function. Returns the two-replica copy."""
    strategy = make_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2
    multi = in_strategy_scope(single, strategy)
    make_optimizer = REPLICA_OPTIMIZERS.get(
        type(single).__name__, lambda: keras.optimizers.Adam(1e-3)
    )
    single.compile(optimizer=make_optimizer(), run_eagerly=eager)
    with strategy.scope():
        multi.compile(optimizer=make_optimizer(), run_eagerly=eager)
    h1 = single.fit(data, epochs=epochs, verbose=0).history
    h2 = multi.fit(data, epochs=epochs, verbose=0).history
    assert all(np.isfinite(v).all() for v in h1.values()), h1
    for a, b in zip(single.trainable_weights, multi.trainable_weights, strict=True):
        assert max_abs_diff(a, b) < 3e-5, a.name
    pairs = zip(single.non_trainable_weights, multi.non_trainable_weights, strict=True)
    for a, b in pairs if state else ():
        a, b = a.numpy(), b.numpy()
        assert float(np.max(np.abs(a - b))) < 1e-4 * max(1.0, float(np.max(np.abs(a)))), a
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)
    return multi


def assert_exports_match(
    model: keras.Model, x: np.ndarray, path: object, condition: np.ndarray | None = None
) -> None:
    """Export ``model`` as a SavedModel at ``path``; its ``serving_default``, ``encode`` and
    ``decode`` signatures take ``[B, *event_shape]`` (and ``condition`` when given: ``[B]``
    labels or ``[B, K]`` attributes) and give Keras's outputs within 1e-5; ``sample`` draws in
    the data's shape (with ``temperature`` for hierarchical models), and its samples are the
    decoded codes it returns."""
    saved_model(model, path)
    sigs = tf.saved_model.load(str(path)).signatures
    c = {} if condition is None else {"condition": tf.constant(condition)}
    assert sigs["serving_default"].structured_input_signature[1]["x"].shape[1:] == x.shape[1:]
    served = sigs["serving_default"](x=tf.constant(x), **c)["reconstruction"]
    assert max_abs_diff(served, model(x if condition is None else (x, condition))) < 1e-5
    z = np.random.default_rng(3).normal(size=(len(x), *model.code_shape)).astype(np.float32)
    decoded = sigs["decode"](z=tf.constant(z), **c)["reconstruction"]
    assert max_abs_diff(decoded, model.decode(z, condition)) < 1e-5
    embedding = sigs["encode"](x=tf.constant(x), **c)["embedding"]
    assert max_abs_diff(embedding, model.encode(x, condition)) < 1e-5
    t = {"temperature": tf.constant(1.0)} if model.hierarchical else {}
    drawn = sigs["sample"](num_samples=tf.constant(len(x)), seed=tf.constant(5), **t, **c)
    assert tuple(drawn["samples"].shape) == (len(x), *x.shape[1:])
    want = model.decode(drawn["codes"].numpy(), condition)
    assert max_abs_diff(drawn["samples"], want) < 1e-5
