"""One worker of the multi-worker tests: ``python multi_worker_script.py OUT WEIGHTS EPOCHS``
with ``TF_CONFIG`` set; trains a VAE on digits with ``strategy="multi_worker"`` and saves its
final weights to WEIGHTS (.npz)."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tfvae  # noqa: E402

tfvae.training.make_strategy("multi_worker")  # before any op
tf.config.experimental.enable_op_determinism()
out, weights_file, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
# 480 of the 1,797 digits: 30 steps an epoch, long enough to kill a worker mid-run
data = tfvae.data.load("digits", batch_size=16, seed=0, validation_split=0.0, limit=480)
keras.utils.set_random_seed(0)
model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3)
config = tfvae.TrainerConfig(
    output_dir=out, epochs=epochs, verbose=0, strategy="multi_worker", image_summaries=False, seed=0
)
pipeline = tfvae.TrainingPipeline(model, config)
pipeline(data)
np.savez(weights_file, *model.get_weights())
print("chief" if pipeline.is_chief else "worker")
