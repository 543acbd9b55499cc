"""Maximum mean discrepancy between latent codes and prior samples (Pythae's estimator), and
the kernel settings shared by the MMD-regularised models (WAE_MMD, InfoVAE_MMD)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

import tensorflow as tf

from tfvae.models.base.config import BaseAEConfig
from tfvae.nn.replicas import global_batch


@dataclasses.dataclass
class MMDKernelConfig(BaseAEConfig):
    """Kernel fields of the MMD models (Pythae's names and defaults).

    Attributes:
        kernel_choice: ``"imq"`` (inverse multiquadratic, summed over ``scales``) or ``"rbf"``.
        kernel_bandwidth: ``C = 2 * latent_dim * kernel_bandwidth^2``.
        scales: multipliers of ``C`` for the multi-scale imq kernel (``None``: one scale).
    """

    kernel_choice: Literal["imq", "rbf"] = "imq"
    kernel_bandwidth: float = 1.0
    scales: list[float] | None = dataclasses.field(
        default_factory=lambda: [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
    )

    def validate(self) -> None:
        super().validate()
        self.check_positive("kernel_bandwidth")
        self.check(
            "scales",
            self.scales is None or (len(self.scales) > 0 and min(self.scales) > 0),
            "None or a non-empty list of positive numbers",
        )


def kernel(
    a: tf.Tensor,
    b: tf.Tensor,
    choice: str,
    bandwidth: float,
    scales: Sequence[float] | None,
    latent_dim: int,
) -> tf.Tensor:
    """``k(a_i, b_j)`` ``[N, M]`` for ``a: [N, D]``, ``b: [M, D]``:
    rbf ``exp(-|a - b|^2 / C)``; imq ``sum_s s C / (s C + |a - b|^2)``; ``C = 2 D bandwidth^2``."""
    d2 = tf.reduce_sum(tf.square(a[:, None, :] - b[None, :, :]), axis=-1)
    c = 2.0 * latent_dim * bandwidth**2
    if choice == "rbf":
        return tf.exp(-d2 / c)
    return tf.add_n([s * c / (s * c + d2) for s in (scales or [1.0])])


def mmd(
    z: tf.Tensor,
    z_prior: tf.Tensor,
    choice: str,
    bandwidth: float,
    scales: Sequence[float] | None,
    latent_dim: int,
) -> tf.Tensor:
    """Pythae's MMD estimate between codes ``z`` and prior samples ``z_prior`` (both ``[N, D]``):
    off-diagonal means of ``k(z, z)`` and ``k(p, p)`` minus twice the mean of ``k(z, p)``."""
    n = tf.cast(tf.shape(z)[0], z.dtype)
    k_zz = kernel(z, z, choice, bandwidth, scales, latent_dim)
    k_pp = kernel(z_prior, z_prior, choice, bandwidth, scales, latent_dim)
    k_zp = kernel(z, z_prior, choice, bandwidth, scales, latent_dim)
    off = (n - 1.0) * n
    same = tf.reduce_sum(k_zz) - tf.linalg.trace(k_zz) + tf.reduce_sum(k_pp) - tf.linalg.trace(k_pp)
    return same / off - 2.0 * tf.reduce_sum(k_zp) / (n * n)


def mmd_to_prior(model: object, z: tf.Tensor) -> tf.Tensor:
    """MMD between the global batch of codes ``z`` and as many N(0, I) samples (drawn with the
    model's step-keyed, replica-independent seed), with the model config's kernel."""
    cfg = model.config
    z = global_batch(z)
    z_prior = tf.random.stateless_normal(tf.shape(z), seed=model.noise_seed("mmd_prior"))
    return mmd(z, z_prior, cfg.kernel_choice, cfg.kernel_bandwidth, cfg.scales, cfg.latent_dim)
