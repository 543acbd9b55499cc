"""Stacks of flow layers and ``NormalizingFlow``, a trainable density on ``R^D``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.flows.autoregressive import IAFFlow, MAFFlow
from tfvae.flows.batch_norm import BatchNormFlow
from tfvae.flows.coupling import CouplingFlow, ScaleFlow
from tfvae.flows.planar import PlanarFlow
from tfvae.flows.radial import RadialFlow
from tfvae.nn.trainable import LossTermsModel

tfb = tfp.bijectors
tfd = tfp.distributions

FLOW_KINDS = ("planar", "radial", "nice", "realnvp", "maf", "iaf")


def make_flow_layer(
    kind: str,
    dim: int,
    index: int = 0,
    hidden_units: Sequence[int] = (128, 128),
    context_size: int = 0,
) -> keras.layers.Layer:
    """One flow layer of ``kind`` (case-insensitive, one of :data:`FLOW_KINDS`)."""
    key = str(kind).lower()
    if key == "planar":
        return PlanarFlow(dim, name=f"planar_{index}")
    if key == "radial":
        return RadialFlow(dim, name=f"radial_{index}")
    if key in ("nice", "realnvp"):
        return CouplingFlow(
            dim, hidden_units, parity=index, affine=key == "realnvp", name=f"{key}_{index}"
        )
    if key in ("maf", "iaf"):
        cls = MAFFlow if key == "maf" else IAFFlow
        return cls(dim, hidden_units, context_size=context_size, name=f"{key}_{index}")
    raise ValueError(f"unknown flow {kind!r}; expected one of {list(FLOW_KINDS)}")


def make_flow_layers(
    kind: str,
    dim: int,
    n_layers: int,
    hidden_units: Sequence[int] = (128, 128),
    context_size: int = 0,
    batch_norm: bool = False,
) -> list[keras.layers.Layer]:
    """``n_layers`` layers of one kind (NICE ends with its diagonal scaling); with
    ``batch_norm`` a :class:`BatchNormFlow` between consecutive layers (as in MAF)."""
    layers = []
    for i in range(n_layers):
        if batch_norm and i:
            layers.append(BatchNormFlow(dim, name=f"batch_norm_{i}"))
        layers.append(make_flow_layer(kind, dim, i, hidden_units, context_size))
    if str(kind).lower() == "nice":
        layers.append(ScaleFlow(dim, name="nice_scale"))
    return layers


def chain(layers: Sequence[keras.layers.Layer], context: Any = None) -> tfb.Bijector:
    """The bijector applying ``layers[0]`` first, then ``layers[1]``, ... (noise to data)."""
    return tfb.Chain([layer.bijector(context) for layer in reversed(list(layers))])


@keras.saving.register_keras_serializable(package="tfvae")
class NormalizingFlow(LossTermsModel):
    """A density ``x = f(u)``, ``u ~ N(0, I_D)``, with ``f`` a stack of flow layers, fitted by
    maximum likelihood with ``fit`` (``loss = -mean log p(x)`` in nats).

    Args:
        dim: D.
        kind: one of :data:`FLOW_KINDS`.
        n_layers: number of flow layers.
        hidden_units: hidden layers of the MADE / coupling networks.
        seed: noise seed.
        batch_norm: batch-normalization steps between the layers (MAF's option); they use batch
            statistics while ``fit`` trains and moving averages otherwise.

    Example:
        >>> flow = NormalizingFlow(2, kind="maf", n_layers=4)
        >>> flow.compile(optimizer="adam"); flow.fit(x, epochs=50, batch_size=256)
        >>> flow.log_prob(x_test), flow.sample(100)
    """

    loss_terms = ("loss",)

    def __init__(
        self,
        dim: int,
        kind: str = "maf",
        n_layers: int = 2,
        hidden_units: Sequence[int] = (128, 128),
        seed: int = 0,
        batch_norm: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if dim < 1 or n_layers < 1:
            raise ValueError(
                f"NormalizingFlow: dim and n_layers must be positive, got {dim}, {n_layers}"
            )
        self.dim, self.kind, self.n_layers = dim, str(kind).lower(), n_layers
        self.hidden_units, self.seed, self.batch_norm = list(hidden_units), seed, batch_norm
        self._sample_fn: Any = None
        self.flow_layers = make_flow_layers(
            self.kind, dim, n_layers, self.hidden_units, batch_norm=batch_norm
        )
        self.log_prob(tf.zeros((1, dim)))  # builds every layer (Keras records the build)
        self.built = True

    def seed_key(self) -> int:
        return self.seed

    def bijector(self) -> tfb.Bijector:
        return chain(self.flow_layers)

    def distribution(self) -> tfd.Distribution:
        """``tfd.TransformedDistribution`` rebuilt from the current weights."""
        base = tfd.MultivariateNormalDiag(loc=tf.zeros([self.dim]), scale_diag=tf.ones([self.dim]))
        return tfd.TransformedDistribution(base, self.bijector())

    def log_prob(self, x: Any) -> tf.Tensor:
        """``log p(x)`` in nats, ``[N]`` for ``x: [N, D]``."""
        return self.distribution().log_prob(tf.convert_to_tensor(x, tf.float32))

    def sample(self, n: int, seed: int = 0) -> tf.Tensor:
        """``[n, D]`` samples (stateless, seeded): one traced graph for every ``n`` (an
        autoregressive flow inverts dimension by dimension: op by op, that is D passes of
        Python dispatch)."""
        if self._sample_fn is None:

            def draw(k: tf.Tensor, s: tf.Tensor) -> tf.Tensor:
                return self.distribution().sample(k, seed=tf.stack([s, tf.zeros_like(s)]))

            self._sample_fn = tf.function(draw)
        return self._sample_fn(tf.constant(n, tf.int32), tf.constant(seed, tf.int32))

    def call(self, x: Any, training: bool = False) -> tf.Tensor:
        return self.log_prob(x)

    def training_log_prob(self, x: tf.Tensor) -> tf.Tensor:
        """``log p(x)`` with batch-norm steps on batch statistics (updating their moving
        averages): the layers are inverted one by one from data to noise."""
        h, log_det = x, 0.0
        for layer in reversed(self.flow_layers):
            bij = (
                layer.training_bijector(h) if isinstance(layer, BatchNormFlow) else layer.bijector()
            )
            log_det = log_det + bij.inverse_log_det_jacobian(h, event_ndims=1)
            h = bij.inverse(h)
        base = tfd.MultivariateNormalDiag(loc=tf.zeros([self.dim]), scale_diag=tf.ones([self.dim]))
        return base.log_prob(h) + log_det

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        x = tf.convert_to_tensor(x, tf.float32)
        log_p = self.training_log_prob(x) if (training and self.batch_norm) else self.log_prob(x)
        return {"loss": -tf.reduce_mean(log_p)}

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dim": self.dim,
            "kind": self.kind,
            "n_layers": self.n_layers,
            "hidden_units": self.hidden_units,
            "seed": self.seed,
            "batch_norm": self.batch_norm,
        }
