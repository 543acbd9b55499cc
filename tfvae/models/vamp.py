"""VAMP: the VAE with a VampPrior (Tomczak & Welling, 2018)."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE, VAEConfig

tfd = tfp.distributions


@dataclasses.dataclass
class VAMPConfig(VAEConfig):
    """Config of :class:`VAMP`.

    Attributes:
        number_components: C, the number of pseudo-inputs (Pythae's default: 50).
        kl_warmup_steps: the KL weight grows linearly from 0 to 1 over this many training
            steps (0: no warm-up). Pythae's ``linear_scheduling_steps`` counts epochs instead.
    """

    number_components: int = 50
    kl_warmup_steps: int = 0

    def validate(self) -> None:
        super().validate()
        self.check_positive("number_components")
        self.check_non_negative("kl_warmup_steps")


@register_model
class VAMP(VAE):
    """VAE whose prior is the mixture of the posteriors of C learned pseudo-inputs:

        p(z) = (1/C) sum_c q(z | u_c),   u_c = clip(W e_c + b, 0, 1)

    (a ``tfd.MixtureSameFamily`` rebuilt from the Keras weights at every call, so the
    pseudo-inputs train). The KL term is the one-sample estimate ``log q(z|x) - log p(z)``.
    While training, the encoder runs on the pseudo-inputs in training mode, as Pythae's does
    (batch normalisation on the pseudo-inputs' own statistics, which also update the moving
    averages); in evaluation and sampling, in inference mode. Sample with
    :class:`~tfvae.samplers.VAMPSampler`.
    """

    conditionable = False
    condition_reason = (
        "its prior encodes its pseudo-inputs; a class-conditional prior (pseudo-inputs per "
        "class) is not implemented yet"
    )

    config_class = VAMPConfig
    mixture_prior = True
    analytic_kl = False

    def make_layers(self) -> None:
        c = self.config.number_components
        self.pseudo_inputs = keras.layers.Dense(
            int(np.prod(self.input_shape_)), name="pseudo_inputs"
        )
        self.pseudo_inputs.build((None, c))

    def pseudo_input_images(self) -> tf.Tensor:
        """The C pseudo-inputs, ``[C, *input_shape]`` in [0, 1]."""
        c = self.config.number_components
        u = keras.ops.clip(self.pseudo_inputs(tf.eye(c)), 0.0, 1.0)
        return tf.reshape(u, [c, *self.input_shape_])

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        self._prior_training = training  # read by prior() while this step is traced
        try:
            return super().compute_loss_terms(x, training=training)
        finally:
            self._prior_training = False

    def prior(self) -> tfd.Distribution:
        # While training, the pseudo-inputs go through the encoder in training mode, as in
        # Pythae: their batch-norm statistics are their own batch's. In inference mode they
        # would meet moving statistics that early in training still describe the initial
        # weights, giving components of extreme variance (KL ~ 1e4 in the first epoch of the
        # width-128 conv nets, then NaN).
        training = getattr(self, "_prior_training", False)
        enc = self.encoder(self.pseudo_input_images(), training=training)
        c = self.config.number_components
        return tfd.MixtureSameFamily(
            mixture_distribution=tfd.Categorical(logits=tf.zeros([c])),
            components_distribution=tfd.MultivariateNormalDiag(
                loc=enc["embedding"], scale_diag=tf.exp(0.5 * enc["log_covariance"])
            ),
        )

    def kl_weight(self) -> tf.Tensor | float:
        steps = self.config.kl_warmup_steps
        if steps == 0:
            return 1.0
        optimizer = getattr(self, "optimizer", None)
        step = 0.0 if optimizer is None else tf.cast(optimizer.iterations, tf.float32)
        return tf.minimum(1.0, (step + 1.0) / float(steps))
