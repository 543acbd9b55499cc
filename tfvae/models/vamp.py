"""VAMP: the VAE with a VampPrior (Tomczak & Welling, 2018)."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

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
        number_components: C, the number of pseudo-inputs (Pythae's default: 50); per class
            for a class-conditional model (``num_classes * C`` in all).
        kl_warmup_steps: the KL weight grows linearly from 0 to 1 over this many training
            steps (0: no warm-up). Pythae's ``linear_scheduling_steps`` counts epochs instead.
    """

    number_components: int = 50
    kl_warmup_steps: int = 0

    def validate(self) -> None:
        super().validate()
        self.check_positive("number_components")
        self.check_non_negative("kl_warmup_steps")
        if self.condition == "vector":
            self.check(
                "condition",
                False,
                "'class' or None (the conditional VampPrior has pseudo-inputs per class; "
                "attribute vectors have no classes to give them)",
            )
        if self.condition == "class" and self.condition_embedding_dim is not None:
            self.check(
                "condition_embedding_dim",
                False,
                "None (one-hot labels: the conditional VampPrior reads each example's class "
                "from its one-hot condition)",
            )


@register_model
class VAMP(VAE):
    """VAE whose prior is the mixture of the posteriors of C learned pseudo-inputs:

        p(z) = (1/C) sum_c q(z | u_c),   u_c = clip(W e_c + b, 0, 1)

    (a ``tfd.MixtureSameFamily`` rebuilt from the Keras weights at every call, so the
    pseudo-inputs train). The KL term is the one-sample estimate ``log q(z|x) - log p(z)``.
    While training, the pseudo-inputs go through the encoder in one batch with the data (see
    :meth:`run_encoder`); in evaluation and sampling, in inference mode. Sample with
    :class:`~tfvae.samplers.VAMPSampler`.

    Class-conditional (``condition="class"``): C pseudo-inputs per class, each encoded under
    its class, and the prior of an example of class y is the mixture of its class's
    components, ``p(z|y) = (1/C) sum_c q(z | u_{y,c}, y)``; under the null condition
    (``condition_dropout``) and outside any condition, the mixture of all of them, ``p(z) =
    (1/num_classes) sum_y p(z|y)``. Prior draws under a condition (``generate``, the samplers,
    the export's ``sample``) come from the requested class's components.
    """

    config_class = VAMPConfig
    mixture_prior = True
    analytic_kl = False

    @property
    def total_components(self) -> int:
        """M, the number of pseudo-inputs: C, or ``num_classes * C`` when class-conditional."""
        classes = int(self.config.num_classes) if self.conditional else 1
        return classes * int(self.config.number_components)

    def make_layers(self) -> None:
        self.pseudo_inputs = keras.layers.Dense(
            int(np.prod(self.input_shape_)), name="pseudo_inputs"
        )
        self.pseudo_inputs.build((None, self.total_components))

    def pseudo_input_images(self) -> tf.Tensor:
        """The M pseudo-inputs, ``[M, *input_shape]`` in [0, 1] (class-major when
        class-conditional: the first C are class 0's)."""
        m = self.total_components
        u = keras.ops.clip(self.pseudo_inputs(tf.eye(m)), 0.0, 1.0)
        return tf.reshape(u, [m, *self.input_shape_])

    def pseudo_input_condition(self) -> tf.Tensor | None:
        """The one-hot class of each pseudo-input, ``[M, num_classes]`` (``None`` when
        unconditional)."""
        if not self.conditional:
            return None
        classes = int(self.config.num_classes)
        labels = tf.repeat(tf.range(classes), self.config.number_components)
        return tf.one_hot(labels, classes, dtype=tf.float32)

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
        joint = tf.concat([x, self.pseudo_input_images()], 0)
        if self.conditional:  # the data's conditions, then each pseudo-input's class
            rows = self.condition_scope.for_rows(n, type(self).__name__)
            with self.condition_scope.active(tf.concat([rows, self.pseudo_input_condition()], 0)):
                enc = super().run_encoder(joint, training=True)
        else:
            enc = super().run_encoder(joint, training=True)
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
        """The VampPrior: ``(1/C) sum_c q(z|u_c)`` (batch shape ``[]``); for a conditional
        model under an active condition ``[B, num_classes]``, each row's class mixture (batch
        shape ``[B]``; the null condition's rows: all components)."""
        enc = getattr(self._step, "prior_outputs", None)
        condition = self.condition_scope.current if self.conditional else None
        if enc is None:  # outside a training step: inference mode
            with self.condition_scope.active(self.pseudo_input_condition()):
                enc = super().run_encoder(self.pseudo_input_images(), training=False)
        loc, scale = enc["embedding"], tf.exp(0.5 * enc["log_covariance"])
        if condition is None:
            return tfd.MixtureSameFamily(
                mixture_distribution=tfd.Categorical(logits=tf.zeros([self.total_components])),
                components_distribution=tfd.MultivariateNormalDiag(loc=loc, scale_diag=scale),
            )
        # [B, M]: 1 for the components of each row's class (all of them for null rows)
        member = tf.matmul(condition, self.pseudo_input_condition(), transpose_b=True)
        null = tf.reduce_sum(condition, -1, keepdims=True) == 0.0
        member = tf.where(null, tf.ones_like(member), member)
        rows = tf.shape(condition)[0]
        shape = tf.concat([[rows], tf.shape(loc)], 0)
        return tfd.MixtureSameFamily(
            mixture_distribution=tfd.Categorical(logits=tf.where(member > 0.5, 0.0, -1e9)),
            components_distribution=tfd.MultivariateNormalDiag(
                loc=tf.broadcast_to(loc, shape), scale_diag=tf.broadcast_to(scale, shape)
            ),
        )

    def prior_codes(self, n: Any, seed: tf.Tensor) -> tf.Tensor:
        """``n`` prior codes ``[n, D]``; under an active condition (``[n]`` rows, or one
        tiled), each from its row's class mixture."""
        if not self.conditional or self.condition_scope.current is None:
            return self.prior().sample(n, seed=seed)
        rows = self.condition_scope.for_rows(n, type(self).__name__)
        with self.condition_scope.active(rows):
            return self.prior().sample(seed=seed)

    def kl_weight(self) -> tf.Tensor | float:
        steps = self.config.kl_warmup_steps
        if steps == 0:
            return 1.0
        optimizer = getattr(self, "optimizer", None)
        step = 0.0 if optimizer is None else tf.cast(optimizer.iterations, tf.float32)
        return tf.minimum(1.0, (step + 1.0) / float(steps))
