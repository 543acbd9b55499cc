"""The base of VAEs whose posterior is a Gaussian pushed through a normalizing flow."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.flows import chain
from tfvae.models.vae import VAE

tfb = tfp.bijectors


class FlowPosteriorVAE(VAE):
    """``z_0 ~ N(mu(x), sigma(x)^2)``, ``z = f(z_0)`` with ``f`` the chain of ``self.flows``
    (Keras layers owning the flow parameters), so by change of variables

        log q(z|x) = log N(z_0; mu, sigma^2) - log|det df/dz_0|.

    :meth:`draw_posterior` returns ``z`` and that log-density; the ELBO (Monte Carlo KL),
    the importance weights and the NLL estimator all go through it. Subclasses create
    ``self.flows`` in ``make_layers`` and may condition them on :meth:`flow_context`.
    """

    analytic_kl = False
    flows: list

    def flow_context(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor | None:
        """Conditioning input of the flows (``None``: unconditional)."""
        return None

    def code_of(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """The deterministic code ``f(mu(x))``, ``[B, D]``: the base mean pushed through the
        flow. The decoder is trained on ``z = f(z_0)``, never on ``z_0``, so ``mu`` itself is
        not a code it knows (decoding it reconstructs worse: ``tools/pythae_parity.py``)."""
        return self.posterior_flow(encoder_outputs).forward(encoder_outputs["embedding"])

    def posterior_flow(self, encoder_outputs: dict[str, tf.Tensor]) -> tfb.Bijector:
        """The bijector ``z_0 -> z`` for these encoder outputs."""
        return chain(self.flows, self.flow_context(encoder_outputs))

    def draw_posterior(
        self, encoder_outputs: dict[str, tf.Tensor], n: Any, seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        q0 = self.posterior(encoder_outputs)
        z0 = q0.sample(n, seed=seed)
        flow = self.posterior_flow(encoder_outputs)
        z = flow.forward(z0)
        log_q = q0.log_prob(z0) - flow.forward_log_det_jacobian(z0, event_ndims=1)
        return z, log_q
