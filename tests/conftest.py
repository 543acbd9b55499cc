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

tf.config.experimental.enable_op_determinism()
# Two logical CPU devices, so MirroredStrategy runs with 2 replicas on this CPU (the default
# strategy still places everything on the first).
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
)


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
