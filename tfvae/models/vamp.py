"""VAMP: the VAE with a VampPrior (Tomczak & Welling, 2018)."""

from __future__ import annotations

import dataclasses
import threading

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
    While training, the pseudo-inputs go through the encoder in one batch with the data (see
    :meth:`run_encoder`); in evaluation and sampling, in inference mode. Sample with
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

    def run_encoder(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        """While training, the data and the pseudo-inputs go through the encoder as one batch:
        its batch-norm statistics (and their moving averages) are those of the joint batch,
        the same the prior meets in inference mode later. Separate passes (Pythae's, in
        training mode) let the pseudo-inputs' statistics pull the moving averages away from
        both: at evaluation the prior's components then collapse (validation KL ~ 5e3 on the
        width-128 conv nets; Pythae's reaches 1e22). The pseudo-inputs' outputs are kept for
        :meth:`prior` of this step."""
        if not training:
            return super().run_encoder(x, training=False)
        n = tf.shape(x)[0]
        enc = super().run_encoder(tf.concat([x, self.pseudo_input_images()], 0), training=True)
        self._step.prior_outputs = {key: value[n:] for key, value in enc.items()}
        return {key: value[:n] for key, value in enc.items()}

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        try:
            return super().compute_loss_terms(x, training=training)
        finally:
            self._step.prior_outputs = None

    @property
    def _step(self) -> threading.local:
        """This thread's step state (replicas of a strategy trace in threads of their own)."""
        if "_vamp_step" not in self.__dict__:
            self.__dict__["_vamp_step"] = threading.local()
        return self.__dict__["_vamp_step"]

    def prior(self) -> tfd.Distribution:
        enc = getattr(self._step, "prior_outputs", None)
        if enc is None:  # outside a training step: inference mode
            enc = self.encoder(self.pseudo_input_images(), training=False)
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
