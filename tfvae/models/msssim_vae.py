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


def msssim_settings(*sides: int, window_size: int = 11) -> tuple[int, tuple]:
    """``(filter size, power factors)`` that fit an example with spatial ``sides`` (one for
    sequences, ``H, W`` for images, ``D, H, W`` for volumes): every scale (halved each time)
    must be at least as large as the filter, as ``tf.image.ssim_multiscale`` requires. The
    filter shrinks to the largest odd size that fits the smallest side, then as many of the 5
    standard scales as fit are kept, their weights renormalised to sum to 1 (28x28 with an 11
    window: 2 scales; 64x64: 3; 8x8: one scale, filter 7)."""
    side = min(int(s) for s in sides)
    size = min(window_size, side if side % 2 else side - 1)
    scales = 1
    while scales < len(POWER_FACTORS) and side // 2**scales >= size:
        scales += 1
    weights = POWER_FACTORS[:scales]
    total = sum(weights)
    return size, tuple(w / total for w in weights)


def _gaussian_taps(size: int, sigma: float = 1.5) -> tf.Tensor:
    """The normalised 1-D Gaussian window ``[size]`` (Wang et al.: sigma 1.5)."""
    coords = tf.range(size, dtype=tf.float32) - (size - 1) / 2.0
    g = tf.exp(-tf.square(coords) / (2.0 * sigma**2))
    return g / tf.reduce_sum(g)


_FORMATS = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _blur(t: tf.Tensor, taps: tf.Tensor) -> tf.Tensor:
    """The separable Gaussian blur of ``t: [N, *spatial, 1]`` (spatial rank 1-3), VALID along
    every spatial axis: one 1-D convolution per axis, i.e. the outer-product window."""
    rank = len(t.shape) - 2
    for axis in range(rank):
        shape = [1] * rank + [1, 1]
        shape[axis] = -1
        # the data format named: eager Conv3D gradients fail on the default None
        t = tf.nn.convolution(
            t, tf.reshape(taps, shape), padding="VALID", data_format=_FORMATS[rank]
        )
    return t


def _ssim_terms(x: tf.Tensor, y: tf.Tensor, taps: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Per example and channel ``(mean SSIM, mean contrast-structure)``, ``[N]`` each, for
    ``x, y: [N, *spatial, 1]`` (channels folded into ``N``)."""
    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = _blur(x, taps), _blur(y, taps)
    luminance = (2.0 * mu_x * mu_y + c1) / (tf.square(mu_x) + tf.square(mu_y) + c1)
    cov = 2.0 * (_blur(x * y, taps) - mu_x * mu_y)
    var = _blur(tf.square(x) + tf.square(y), taps) - tf.square(mu_x) - tf.square(mu_y)
    cs = (cov + c2) / (var + c2)
    axes = list(range(1, len(x.shape)))
    return tf.reduce_mean(luminance * cs, axis=axes), tf.reduce_mean(cs, axis=axes)


def _fold_channels(t: tf.Tensor) -> tf.Tensor:
    """``[B, *spatial, C]`` -> ``[B * C, *spatial, 1]`` (channel ``c`` of example ``b`` at
    row ``b * C + c``): SSIM is computed per channel."""
    rank = len(t.shape)
    moved = tf.transpose(t, [0, rank - 1, *range(1, rank - 1)])
    return tf.reshape(moved, [-1, *t.shape[1:-1], 1])


def ms_ssim(x: tf.Tensor, y: tf.Tensor, window_size: int = 11, normalize: bool = True) -> tf.Tensor:
    """MS-SSIM per example ``[B]`` for ``x, y: [B, *spatial, C]`` in [0, 1], with 1, 2 or 3
    spatial axes (sequences ``[B, T, C]``, images ``[B, H, W, C]``, volumes
    ``[B, D, H, W, C]``: Gaussian windows of the same rank, as Pythae's 3-D MS-SSIM), with
    the filter and scales of :func:`msssim_settings` (averaged over channels, 2x average
    pooling along every spatial axis between scales).

    ``normalize=False`` is Wang et al.'s definition and, on images, equals
    ``tf.image.ssim_multiscale`` (tested), whose gradient is NaN as soon as a contrast term
    reaches 0 (it clips the terms at 0 with a ReLU and raises them to fractional powers: a VAE
    on Fashion-MNIST gets a NaN loss in its first epoch). ``normalize=True``, for training,
    maps each term ``t`` in [-1, 1] to ``(t + 1) / 2`` before the powers, as Pythae does,
    which keeps the gradient finite.
    """
    x = tf.convert_to_tensor(x, tf.float32)
    y = tf.convert_to_tensor(y, tf.float32)
    batch, channels = tf.shape(x)[0], int(x.shape[-1])
    size, weights = msssim_settings(*x.shape[1:-1], window_size=window_size)
    taps = _gaussian_taps(size)
    x, y = _fold_channels(x), _fold_channels(y)
    terms = []
    for level in range(len(weights)):
        ssim, cs = _ssim_terms(x, y, taps)
        terms.append(ssim if level == len(weights) - 1 else cs)
        if level < len(weights) - 1:
            fmt = _FORMATS[len(x.shape) - 2]
            x = tf.nn.avg_pool(x, 2, 2, "VALID", data_format=fmt)
            y = tf.nn.avg_pool(y, 2, 2, "VALID", data_format=fmt)
    stacked = tf.stack(terms, axis=0)  # [scales, B * C]
    stacked = (stacked + 1.0) / 2.0 if normalize else tf.nn.relu(stacked)
    powers = tf.constant(weights, tf.float32)[:, None]
    per_channel = tf.reduce_prod(stacked**powers, axis=0)
    return tf.reduce_mean(tf.reshape(per_channel, [batch, channels]), axis=-1)


def msssim_loss(x: tf.Tensor, y: tf.Tensor, window_size: int = 11) -> tf.Tensor:
    """``1 - MS-SSIM(x, y)`` per image ``[B]`` (normalised terms, see :func:`ms_ssim`)."""
    return 1.0 - ms_ssim(x, y, window_size, normalize=True)


@register_model
class MSSSIM_VAE(VAE):  # noqa: N801 (Pythae's name)
    """``loss = mean_B [(1 - MS-SSIM(x, dec(z))) + beta KL(q(z|x) || p(z))]``.

    The decoder's output is read as an image in [0, 1] (``reconstruction_loss="bce"`` decoders
    give logits, passed through a sigmoid). MS-SSIM is in [0, 1] per image while the KL is in
    nats summed over the latent dimensions, so ``beta`` is usually well below 1. Sequences,
    images and volumes (1-D, 2-D and 3-D windows) need at least 3 steps/pixels/voxels per
    spatial axis; vectors are refused.
    """

    config_class = MSSSIM_VAE_Config
    likelihood_model = False  # its reconstruction term is not log p(x|z): nll() refuses

    supported_ranks = (2, 3, 4)
    rank_reason = "its MS-SSIM compares windows along spatial axes, which vectors do not have"

    def build(self, input_shape: object) -> None:
        if min(self.input_shape_[:-1]) < 3:
            raise ValueError(
                "MSSSIM_VAE needs at least 3 steps/pixels/voxels along every spatial axis; "
                f"got input_shape {self.input_shape_}"
            )
        super().build(input_shape)

    def kl_weight(self) -> float:
        return self.config.beta

    def elbo_parts(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        enc = self.run_encoder(x, training=training)
        z, kl = self.posterior_sample_and_kl(enc, self.noise_seed())
        images = self.likelihood.mean(self.decoder_params(z, training=training))
        return {"reconstruction": msssim_loss(x, images, self.config.window_size), "kl": kl, "z": z}
