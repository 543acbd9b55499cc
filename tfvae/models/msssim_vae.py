"""MSSSIM_VAE (Snell et al., 2017): a VAE whose reconstruction term is the multi-scale
structural similarity (MS-SSIM) instead of a pixel-wise likelihood."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE, VAEConfig

#: Wang et al.'s weights of the 5 MS-SSIM scales (those of ``tf.image.ssim_multiscale``)
POWER_FACTORS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


@dataclasses.dataclass
class MSSSIM_VAE_Config(VAEConfig):  # noqa: N801 (Pythae's name)
    """Config of :class:`MSSSIM_VAE` (Pythae's names and defaults).

    Attributes:
        beta: weight of the KL.
        window_size: the Gaussian window of SSIM (11).
    """

    beta: float = 1.0
    window_size: int = 11

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("beta")
        self.check_positive("window_size")


def msssim_settings(height: int, width: int, window_size: int = 11) -> tuple[int, tuple]:
    """``(filter size, power factors)`` that fit an image: every scale (halved each time) must
    be at least as large as the filter, as ``tf.image.ssim_multiscale`` requires. The filter shrinks to the
    largest odd size that fits the image, then as many of the 5 standard scales as fit are
    kept, their weights renormalised to sum to 1 (28x28 with an 11 window: 2 scales; 64x64: 3;
    8x8: one scale, filter 7)."""
    side = min(height, width)
    size = min(window_size, side if side % 2 else side - 1)
    scales = 1
    while scales < len(POWER_FACTORS) and side // 2**scales >= size:
        scales += 1
    weights = POWER_FACTORS[:scales]
    total = sum(weights)
    return size, tuple(w / total for w in weights)


def _gaussian_window(size: int, channels: int, sigma: float = 1.5) -> tf.Tensor:
    coords = tf.range(size, dtype=tf.float32) - (size - 1) / 2.0
    g = tf.exp(-tf.square(coords) / (2.0 * sigma**2))
    g = g / tf.reduce_sum(g)
    window = g[:, None] * g[None, :]
    return tf.tile(window[:, :, None, None], [1, 1, channels, 1])


def _ssim_terms(x: tf.Tensor, y: tf.Tensor, window: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Per image and channel ``(mean SSIM, mean contrast-structure)``, ``[B, C]`` each."""

    def blur(t: tf.Tensor) -> tf.Tensor:
        return tf.nn.depthwise_conv2d(t, window, strides=[1, 1, 1, 1], padding="VALID")

    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = blur(x), blur(y)
    luminance = (2.0 * mu_x * mu_y + c1) / (tf.square(mu_x) + tf.square(mu_y) + c1)
    cov = 2.0 * (blur(x * y) - mu_x * mu_y)
    var = blur(tf.square(x) + tf.square(y)) - tf.square(mu_x) - tf.square(mu_y)
    cs = (cov + c2) / (var + c2)
    return tf.reduce_mean(luminance * cs, axis=[1, 2]), tf.reduce_mean(cs, axis=[1, 2])


def ms_ssim(x: tf.Tensor, y: tf.Tensor, window_size: int = 11, normalize: bool = True) -> tf.Tensor:
    """MS-SSIM per image ``[B]`` for images ``[B, H, W, C]`` in [0, 1], with the filter and
    scales of :func:`msssim_settings` (averaged over channels, 2x2 average pooling between
    scales).

    ``normalize=False`` is Wang et al.'s definition and equals ``tf.image.ssim_multiscale``
    (tested), whose gradient is NaN as soon as a contrast term reaches 0 (it clips the terms at
    0 with a ReLU and raises them to fractional powers: a VAE on Fashion-MNIST gets a NaN loss
    in its first epoch). ``normalize=True``, for training, maps each term ``t`` in [-1, 1] to
    ``(t + 1) / 2`` before the powers, as Pythae does, which keeps the gradient finite.
    """
    size, weights = msssim_settings(int(x.shape[1]), int(x.shape[2]), window_size)
    window = _gaussian_window(size, int(x.shape[-1]))
    terms = []
    for level in range(len(weights)):
        ssim, cs = _ssim_terms(x, y, window)
        terms.append(ssim if level == len(weights) - 1 else cs)
        if level < len(weights) - 1:
            x = tf.nn.avg_pool2d(x, 2, 2, "VALID")
            y = tf.nn.avg_pool2d(y, 2, 2, "VALID")
    stacked = tf.stack(terms, axis=0)  # [scales, B, C]
    stacked = (stacked + 1.0) / 2.0 if normalize else tf.nn.relu(stacked)
    powers = tf.constant(weights, tf.float32)[:, None, None]
    return tf.reduce_mean(tf.reduce_prod(stacked**powers, axis=0), axis=-1)


def msssim_loss(x: tf.Tensor, y: tf.Tensor, window_size: int = 11) -> tf.Tensor:
    """``1 - MS-SSIM(x, y)`` per image ``[B]`` (normalised terms, see :func:`ms_ssim`)."""
    return 1.0 - ms_ssim(x, y, window_size, normalize=True)


@register_model
class MSSSIM_VAE(VAE):  # noqa: N801 (Pythae's name)
    """``loss = mean_B [(1 - MS-SSIM(x, dec(z))) + beta KL(q(z|x) || p(z))]``.

    The decoder's output is read as an image in [0, 1] (``reconstruction_loss="bce"`` decoders
    give logits, passed through a sigmoid). MS-SSIM is in [0, 1] per image while the KL is in
    nats summed over the latent dimensions, so ``beta`` is usually well below 1. Images need
    at least 3 pixels per side; non-image data are refused.
    """

    config_class = MSSSIM_VAE_Config
    likelihood_model = False  # its reconstruction term is not log p(x|z): nll() refuses

    supported_ranks = (3,)
    rank_reason = "its MS-SSIM compares 2-D windows of images [H, W, C]"

    def build(self, input_shape: object) -> None:
        if min(self.input_shape_[:2]) < 3:
            raise ValueError(
                f"MSSSIM_VAE needs images [H, W, C] with H, W >= 3; got input_shape "
                f"{self.input_shape_}"
            )
        super().build(input_shape)

    def kl_weight(self) -> float:
        return self.config.beta

    def elbo_parts(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        enc = self.run_encoder(x, training=training)
        z, kl = self.posterior_sample_and_kl(enc, self.noise_seed())
        images = self.likelihood.mean(self.decoder_params(z, training=training))
        return {"reconstruction": msssim_loss(x, images, self.config.window_size), "kl": kl, "z": z}
