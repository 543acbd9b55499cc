"""PixelCNN prior over the code indices of a vector-quantized model."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import tensorflow as tf

from tfvae.samplers.base import NetworkSampler, TrainedSamplerConfig, register_sampler


@dataclasses.dataclass
class PixelCNNSamplerConfig(TrainedSamplerConfig):
    """Config of :class:`PixelCNNSampler`.

    Attributes:
        hidden, num_layers, first_kernel: the PixelCNN (:class:`tfvae.nn.pixelcnn.PixelCNN`).
        epochs, batch_size, learning_rate, seed, verbose: its training.
    """

    hidden: int = 64
    num_layers: int = 5
    first_kernel: int = 7
    epochs: int = 20

    def validate(self) -> None:
        super().validate()
        self.check_positive("hidden", "num_layers")
        self.check(
            "first_kernel",
            self.first_kernel % 2 == 1 and self.first_kernel > 0,
            "a positive odd number",
        )


@register_sampler("pixelcnn")
class PixelCNNSampler(NetworkSampler):
    """Fit a gated PixelCNN on the codebook indices of a trained ``VQVAE``'s training codes
    (flat codes are a 1x1 grid) and sample new index grids autoregressively, one position at a
    time in raster order (an XLA-compiled ``tf.while_loop``), then decode them.

    Example:
        >>> sampler = PixelCNNSampler(vqvae, {"epochs": 20}).fit(data.x_train)
        >>> images = sampler.sample(64)
    """

    config_class = PixelCNNSamplerConfig
    network_attribute = "prior"

    def __init__(self, model: Any, config: Any = None) -> None:
        if not model.discrete_codes:
            raise TypeError(
                f"PixelCNNSampler needs a vector-quantized model (VQVAE), got "
                f"{type(model).__name__}"
            )
        if len(model.index_shape) != len(model.code_shape) - 1:
            raise TypeError(
                f"PixelCNNSampler models one codebook index per code position; "
                f"{type(model).__name__} has {model.index_shape[-1]} per position"
            )
        super().__init__(model, config)
        self.grid = tuple(model.code_shape[:-1]) or (1, 1)
        self.prior: Any = None
        self._sampler: Any = None

    def _indices(self, data: Any, condition: Any = None) -> np.ndarray:
        if data is None:
            raise ValueError("PixelCNNSampler.fit needs training data (array or dataset)")
        model = self.model
        if isinstance(data, tf.data.Dataset):
            from tfvae.nn.trainable import unpack_inputs

            parts = [
                model.encode_indices(unpack_inputs(b), b[1] if model.conditional else None)
                for b in data
            ]
        else:
            arr = np.asarray(data, np.float32)
            parts = [
                model.encode_indices(
                    arr[i : i + 256], None if condition is None else condition[i : i + 256]
                )
                for i in range(0, len(arr), 256)
            ]
        parts = [np.asarray(p) for p in parts]
        return np.concatenate(parts).reshape(-1, *self.grid)

    def build_network(self, code_dim: int) -> Any:
        """The PixelCNN over the model's index grid (``code_dim`` = its number of positions)."""
        from tfvae.nn.pixelcnn import PixelCNN

        if code_dim != int(np.prod(self.grid)):
            raise ValueError(
                f"PixelCNNSampler: the saved prior covers {code_dim} code positions; this "
                f"{type(self.model).__name__} has a {self.grid} grid"
            )
        cfg = self.config
        prior = PixelCNN(
            self.model.quantizer.codebook_size,
            cfg.hidden,
            cfg.num_layers,
            cfg.first_kernel,
            name="pixelcnn",
        )
        prior(tf.zeros((1, *self.grid), tf.int32))
        self._sampler = None  # the compiled sampling loop belongs to the previous prior
        return prior

    def network_codes(self, data: Any, condition: Any = None) -> np.ndarray:
        """The codebook index grids of ``data``, ``[N, h, w]`` (as floats: make_dataset's)."""
        return self._indices(data, condition).astype(np.float32)

    def sample_indices(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` index grids ``[n, h, w]`` drawn position by position."""
        h, w = self.grid
        if self._sampler is None:
            prior = self.prior

            @tf.function(jit_compile=True, reduce_retracing=True)
            def draw(grid: tf.Tensor, key: tf.Tensor) -> tf.Tensor:
                batch = tf.shape(grid)[0]

                def step(p: tf.Tensor, grid: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
                    i, j = p // w, p % w
                    logits = prior(grid, training=False)[:, i, j, :]
                    pick = tf.random.stateless_categorical(
                        logits, 1, seed=key + tf.stack([0, p]), dtype=tf.int32
                    )[:, 0]
                    rows = tf.stack(
                        [tf.range(batch), tf.fill([batch], i), tf.fill([batch], j)], axis=1
                    )
                    return p + 1, tf.tensor_scatter_nd_update(grid, rows, pick)

                _, grid = tf.while_loop(lambda p, _: p < h * w, step, (tf.constant(0), grid))
                return grid

            self._sampler = draw
        start = tf.zeros((n, h, w), tf.int32)
        return self._sampler(start, tf.constant([seed, 0], tf.int32)).numpy()

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        indices = self.sample_indices(n, seed).reshape(n, *self.model.code_shape[:-1])
        return self.model.quantizer.lookup(tf.constant(indices)).numpy()

    def log_prob(self, codes: Any) -> np.ndarray:
        """Log-probability of index grids ``[N, h, w]`` (ints) under the PixelCNN, ``[N]``."""
        grid = tf.constant(np.asarray(codes).reshape(-1, *self.grid), tf.int32)
        logits = self.prior(grid, training=False)
        xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=grid, logits=logits)
        return -tf.reduce_sum(xent, axis=[1, 2]).numpy()
