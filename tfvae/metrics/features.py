"""Feature extractors for sample-quality metrics (FID, precision/recall).

An extractor is any callable ``images [N, H, W, C] in [0, 1] -> features [N, F]``.
:class:`ClassifierFeatures` reads the penultimate layer of a Keras classifier; the default,
:func:`default_extractor`, is the small Fashion-MNIST CNN shipped in
``tfvae/metrics/assets/fashion_mnist_classifier/`` (trained by ``tools/train_fid_classifier.py``; its
model card gives its test accuracy) for 28x28 grayscale images. :class:`InceptionFeatures`
gives the standard Inception-v3 pool features from weights you have (nothing is downloaded).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: Shipped inside the package (package data), so wheel installs have it too.
CLASSIFIER_DIR = Path(__file__).resolve().parent / "assets" / "fashion_mnist_classifier"


def _batched(fn: Any, images: np.ndarray, batch_size: int) -> np.ndarray:
    images = np.asarray(images, np.float32)
    if images.ndim != 4:
        raise ValueError(f"features: expected images [N, H, W, C], got shape {images.shape}")
    if not np.isfinite(images).all():
        raise ValueError("features: images contain NaN or Inf")
    out = [
        np.asarray(fn(images[i : i + batch_size]), np.float64)
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, 0))


class ClassifierFeatures:
    """Penultimate-layer activations of a Keras classifier (a ``keras.Sequential`` or functional
    model whose layer named ``features`` gives the features), loaded in safe mode.

    Args:
        path: the ``.keras`` file (default: the shipped Fashion-MNIST classifier).
        batch_size: images per forward pass.
    """

    def __init__(self, path: str | Path | None = None, batch_size: int = 500) -> None:
        import keras

        path = Path(path) if path is not None else CLASSIFIER_DIR / "model.keras"
        if not path.is_file():
            raise FileNotFoundError(
                f"feature classifier not found: {path} (make one with "
                "python tools/train_fid_classifier.py)"
            )
        classifier = keras.models.load_model(path, safe_mode=True, compile=False)
        self.input_shape = tuple(classifier.input_shape[1:])
        self.classifier = classifier
        self.model = keras.Model(classifier.inputs[0], classifier.get_layer("features").output)
        self.batch_size = batch_size

    def predict(self, images: np.ndarray) -> np.ndarray:
        """The classifier's labels of ``images [N, *input_shape]`` in [0, 1], ``[N]`` int."""
        self._check(images)
        logits = _batched(lambda b: self.classifier(b, training=False), images, self.batch_size)
        return logits.argmax(-1)

    def _check(self, images: np.ndarray) -> None:
        if np.shape(images)[1:] != self.input_shape:
            raise ValueError(
                f"this classifier takes images {self.input_shape}, got {np.shape(images)[1:]}; "
                "pass extractor= / classifier= for other data (e.g. InceptionFeatures)"
            )

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, np.float32)
        self._check(images)
        return _batched(lambda b: self.model(b, training=False), images, self.batch_size)


class InceptionFeatures:
    """Inception-v3 2048-d pool features (the FID of Heusel et al.) from a local weights file
    (``keras.applications.InceptionV3(include_top=False)`` weights, e.g.
    ``inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5``). Images are resized to
    299x299 and grayscale is repeated to RGB."""

    def __init__(self, weights: str | Path, batch_size: int = 64) -> None:
        import keras

        if not Path(weights).is_file():
            raise FileNotFoundError(f"Inception-v3 weights not found: {weights}")
        self.model = keras.applications.InceptionV3(
            include_top=False, weights=str(weights), pooling="avg", input_shape=(299, 299, 3)
        )
        self.batch_size = batch_size

    def __call__(self, images: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        def forward(batch: np.ndarray) -> Any:
            x = tf.image.resize(batch, (299, 299))
            if x.shape[-1] == 1:
                x = tf.repeat(x, 3, axis=-1)
            return self.model(x * 2.0 - 1.0, training=False)

        return _batched(forward, images, self.batch_size)


def default_extractor() -> ClassifierFeatures:
    """The shipped Fashion-MNIST classifier's features (28x28x1 images)."""
    return ClassifierFeatures()
