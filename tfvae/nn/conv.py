"""Convolutional and residual benchmark networks (Pythae's, channels-last).

Two spec-driven classes, :class:`ConvEncoder` and :class:`ConvDecoder`, and presets that
reproduce Pythae's benchmark networks for 28x28 (MNIST), 32x32 (CIFAR) and 64x64 (CelebA)
images, in plain and ResNet flavours. ``width`` scales every layer (Pythae's networks are
``width=128`` for the plain nets, ``64`` for the ResNets); tests use small widths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from tfvae.nn.base import ACTIVATIONS, Network, check_positive_int, float32
from tfvae.nn.blocks import ResBlock, batch_norm, run_layers

ConvSpec = Sequence[int]  # (filters, kernel, stride, padding)
DeconvSpec = Sequence[Any]  # (filters, kernel, stride, output_padding or None)


@keras.saving.register_keras_serializable(package="tfvae")
class ConvEncoder(Network):
    """Conv(+BN)+ReLU blocks, optional residual blocks, flatten, dense heads.

    Args:
        latent_dim: D.
        conv: ``(filters, kernel, stride, padding)`` per block; ``padding`` zero-pads each side
            (PyTorch's ``padding``) before a valid convolution.
        res_blocks: number of :class:`ResBlock` after the convolutions.
        res_hidden: hidden channels of the residual blocks.
        batch_norm: batch normalisation after each convolution.
        variational: also output ``log_covariance``.
    Input ``[B, H, W, C]``; output ``{"embedding": [B, D](, "log_covariance": [B, D])}``.
    """

    def __init__(
        self,
        latent_dim: int,
        conv: Sequence[ConvSpec] = (
            (128, 4, 2, 1),
            (256, 4, 2, 1),
            (512, 4, 2, 1),
            (1024, 4, 2, 1),
        ),
        res_blocks: int = 0,
        res_hidden: int = 32,
        batch_norm: bool = True,
        variational: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_positive_int(type(self).__name__, "latent_dim", latent_dim)
        self._remember(
            latent_dim=latent_dim,
            conv=[list(c) for c in conv],
            res_blocks=res_blocks,
            res_hidden=res_hidden,
            batch_norm=batch_norm,
            variational=variational,
        )
        self.blocks = []
        for filters, kernel, stride, pad in conv:
            block = [keras.layers.ZeroPadding2D(pad)] if pad else []
            block.append(keras.layers.Conv2D(filters, kernel, strides=stride))
            if batch_norm:
                block.append(keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5))
            block.append(keras.layers.ReLU())
            self.blocks.extend(block)
        last = conv[-1][0]
        self.res = [ResBlock(last, res_hidden) for _ in range(res_blocks)]
        self.flatten = keras.layers.Flatten()
        self._build_heads(latent_dim, variational, zero_log_var=True)

    def call(self, x: Any, training: bool = False) -> dict[str, Any]:
        h = x
        pad = 0
        for layer in self.blocks:
            if isinstance(layer, keras.layers.ZeroPadding2D):
                pad = layer.padding[0][0]  # applied by the convolution below
            elif isinstance(layer, keras.layers.Conv2D):
                h, pad = padded_conv(layer, h, pad), 0
            elif isinstance(layer, keras.layers.BatchNormalization):
                h = batch_norm(layer, h, training)
            else:
                h = layer(h)
        for block in self.res:
            h = block(h)
        h = self.flatten(h)
        return self.encoder_heads(h)


def padded_conv(conv: keras.layers.Conv2D, h: Any, pad: int) -> Any:
    """``conv`` (a 'valid' Conv2D) applied to ``h: [B, H, W, C]`` zero-padded by ``pad`` on each
    side, as PyTorch's ``Conv2d(padding=pad)``; output ``[B, H', W', filters]``.

    When the output is a single pixel (the kernel window covers the whole padded input, as in
    the last layer of Pythae's encoders) the convolution is one matmul of the flattened input
    with the kernel's rows that meet it: the same numbers, but oneDNN's convolution kernels run
    this shape at a fraction of the matmul's speed (measured by ``tools/bench_train.py``).
    """
    if not conv.built:
        conv.build((None, h.shape[1] + 2 * pad, h.shape[2] + 2 * pad, h.shape[3]))
    (kh, kw), (sh, sw) = conv.kernel_size, conv.strides
    height, width = h.shape[1], h.shape[2]
    single = (
        height is not None
        and width is not None
        and conv.dilation_rate == (1, 1)
        and 0 <= height + 2 * pad - kh < sh
        and 0 <= width + 2 * pad - kw < sw
        and conv.use_bias
    )
    if not single:
        if pad:
            h = keras.ops.pad(h, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        return conv(h)
    # Output pixel (0, 0) sees input rows -pad .. kh-1-pad: the padding rows multiply zeros.
    rows, cols = min(height, kh - pad), min(width, kw - pad)
    kernel = keras.ops.cast(conv.kernel[pad : pad + rows, pad : pad + cols], conv.compute_dtype)
    x = keras.ops.cast(h[:, :rows, :cols, :], conv.compute_dtype)
    out = keras.ops.matmul(
        keras.ops.reshape(x, (-1, rows * cols * x.shape[-1])),
        keras.ops.reshape(kernel, (rows * cols * x.shape[-1], conv.filters)),
    )
    out = out + keras.ops.cast(conv.bias, conv.compute_dtype)
    if conv.activation is not None:
        out = conv.activation(out)
    return keras.ops.reshape(out, (-1, 1, 1, conv.filters))


@keras.saving.register_keras_serializable(package="tfvae")
class ConvDecoder(Network):
    """Dense -> reshape, optional residual blocks, ConvTranspose(+BN)+ReLU blocks, output layer.

    Args:
        data_shape: ``(H, W, C)`` of the output.
        dense_shape: ``(h, w, c)`` the dense layer's output is reshaped to.
        deconv: ``(filters, kernel, stride, output_padding)`` per hidden block; with an
            ``output_padding`` the output size is PyTorch's ``(in - 1) * stride + kernel -
            2 * (kernel // 2) + output_padding``, with ``None`` it is ``in * stride``.
        final: ``(kernel, stride, output_padding)`` of the last transposed convolution, which
            has ``C`` filters.
        output_activation: ``"sigmoid"`` (Gaussian means in [0, 1]) or ``"linear"`` (logits).
    Input ``z: [B, D]``; output ``{"reconstruction": [B, H, W, C]}``.
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        dense_shape: Sequence[int] = (4, 4, 1024),
        deconv: Sequence[DeconvSpec] = ((512, 3, 2, 0), (256, 3, 2, 1)),
        final: Sequence[Any] = (3, 2, 1),
        res_blocks: int = 0,
        res_hidden: int = 32,
        batch_norm: bool = True,
        output_activation: str = "sigmoid",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_activation not in ACTIVATIONS:
            raise ValueError(
                f"{type(self).__name__}: output_activation must be one of {ACTIVATIONS}. "
                f"Received: output_activation={output_activation!r}"
            )
        if len(data_shape) != 3:
            raise ValueError(
                f"{type(self).__name__}: data_shape must be (H, W, C). Received: {data_shape!r}"
            )
        self._remember(
            data_shape=list(data_shape),
            dense_shape=list(dense_shape),
            deconv=[list(d) for d in deconv],
            final=list(final),
            res_blocks=res_blocks,
            res_hidden=res_hidden,
            batch_norm=batch_norm,
            output_activation=output_activation,
        )
        self.data_shape = tuple(int(d) for d in data_shape)
        h, w, c = (int(d) for d in dense_shape)
        self.fc = keras.layers.Dense(h * w * c)
        self.reshape = keras.layers.Reshape((h, w, c))
        self.res = [ResBlock(c, res_hidden) for _ in range(res_blocks)]
        self.blocks = []
        for filters, kernel, stride, out_pad in deconv:
            self.blocks.append(
                keras.layers.Conv2DTranspose(
                    filters, kernel, strides=stride, padding="same", output_padding=out_pad
                )
            )
            if batch_norm:
                self.blocks.append(keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5))
            self.blocks.append(keras.layers.ReLU())
        kernel, stride, out_pad = final
        self.out = keras.layers.Conv2DTranspose(
            self.data_shape[-1],
            kernel,
            strides=stride,
            padding="same",
            output_padding=out_pad,
            activation=output_activation,
        )

    def call(self, z: Any, training: bool = False) -> dict[str, Any]:
        h = self.reshape(self.fc(z))
        for block in self.res:
            h = block(h)
        x = self.out(run_layers(self.blocks, h, training))
        if tuple(x.shape[1:]) != self.data_shape:
            raise ValueError(
                f"{type(self).__name__} produced {tuple(x.shape[1:])}, expected {self.data_shape}:"
                " check dense_shape / deconv / final"
            )
        return {"reconstruction": float32(x)}


# ---------------------------------------------------------------- presets (Pythae's benchmarks)
def _encoder_preset(
    name: str,
    doc: str,
    convs: Any,
    default_width: int,
    res_blocks: int = 0,
    batch_norm: bool = True,
) -> type:
    class Preset(ConvEncoder):
        __doc__ = doc

        def __init__(
            self,
            latent_dim: int,
            variational: bool = True,
            width: int = default_width,
            **kwargs: Any,
        ) -> None:
            check_positive_int(name, "width", width)
            super().__init__(
                latent_dim,
                conv=convs(width),
                res_blocks=res_blocks,
                batch_norm=batch_norm,
                variational=variational,
                **kwargs,
            )
            self._remember(latent_dim=latent_dim, variational=variational, width=width)

    Preset.__name__ = Preset.__qualname__ = name
    return keras.saving.register_keras_serializable(package="tfvae")(Preset)


def _decoder_preset(
    name: str,
    doc: str,
    spec: Any,
    default_width: int,
    default_channels: int,
    size: int,
    res_blocks: int = 0,
    batch_norm: bool = True,
) -> type:
    class Preset(ConvDecoder):
        __doc__ = doc

        def __init__(
            self,
            latent_dim: int | None = None,
            channels: int = default_channels,
            output_activation: str = "sigmoid",
            width: int = default_width,
            **kwargs: Any,
        ) -> None:
            check_positive_int(name, "width", width)
            check_positive_int(name, "channels", channels)
            dense_shape, deconv, final = spec(width)
            super().__init__(
                (size, size, channels),
                dense_shape=dense_shape,
                deconv=deconv,
                final=final,
                res_blocks=res_blocks,
                batch_norm=batch_norm,
                output_activation=output_activation,
                **kwargs,
            )
            self._remember(
                latent_dim=latent_dim,
                channels=channels,
                output_activation=output_activation,
                width=width,
            )

    Preset.__name__ = Preset.__qualname__ = name
    return keras.saving.register_keras_serializable(package="tfvae")(Preset)


def _convs(kernel: int, pad: int) -> Any:
    return lambda w: [
        (w, kernel, 2, pad),
        (2 * w, kernel, 2, pad),
        (4 * w, kernel, 2, pad),
        (8 * w, kernel, 2, pad),
    ]


ConvEncoder28 = _encoder_preset(
    "ConvEncoder28",
    "Pythae's MNIST conv encoder: 4 x [Conv 4x4/2 + BN + ReLU] (w..8w), dense.",
    _convs(4, 1),
    128,
)
ConvDecoder28 = _decoder_preset(
    "ConvDecoder28",
    "Pythae's MNIST conv decoder: dense to 4x4x8w, ConvT 3x3/2 to 7, 14, 28.",
    lambda w: ((4, 4, 8 * w), [(4 * w, 3, 2, 0), (2 * w, 3, 2, 1)], (3, 2, 1)),
    128,
    1,
    28,
)
ConvEncoder32 = _encoder_preset(
    "ConvEncoder32",
    "Pythae's CIFAR conv encoder: 4 x [Conv 4x4/2 + BN + ReLU] (w..8w), dense.",
    _convs(4, 1),
    128,
)
ConvDecoder32 = _decoder_preset(
    "ConvDecoder32",
    "Pythae's CIFAR conv decoder: dense to 8x8x8w, ConvT 4x4/2 to 16, 32, out.",
    lambda w: ((8, 8, 8 * w), [(4 * w, 4, 2, None), (2 * w, 4, 2, None)], (4, 1, None)),
    128,
    3,
    32,
)
ConvEncoder64 = _encoder_preset(
    "ConvEncoder64",
    "Pythae's CelebA conv encoder: 4 x [Conv 5x5/2 + BN + ReLU] (w..8w), dense.",
    _convs(5, 2),
    128,
)
ConvDecoder64 = _decoder_preset(
    "ConvDecoder64",
    "Pythae's CelebA conv decoder: dense to 8x8x8w, ConvT 5x5/2 to 16, 32, 64.",
    lambda w: ((8, 8, 8 * w), [(4 * w, 5, 2, 1), (2 * w, 5, 2, 1), (w, 5, 2, 1)], (5, 1, None)),
    128,
    3,
    64,
)
ResNetEncoder28 = _encoder_preset(
    "ResNetEncoder28",
    "Pythae's MNIST ResNet encoder: convs to 4x4x2w, 2 residual blocks.",
    lambda w: [(w, 4, 2, 1), (2 * w, 4, 2, 1), (2 * w, 3, 2, 1)],
    64,
    res_blocks=2,
    batch_norm=False,
)
ResNetDecoder28 = _decoder_preset(
    "ResNetDecoder28",
    "Pythae's MNIST ResNet decoder: dense to 4x4x2w, 2 residual blocks, ConvT.",
    lambda w: ((4, 4, 2 * w), [(w, 3, 2, 0), (w // 2, 4, 2, None)], (4, 2, None)),
    64,
    1,
    28,
    res_blocks=2,
    batch_norm=False,
)
ResNetEncoder32 = _encoder_preset(
    "ResNetEncoder32",
    "Pythae's CIFAR ResNet encoder: convs to 8x8x2w, 2 residual blocks.",
    lambda w: [(w, 4, 2, 1), (2 * w, 4, 2, 1), (2 * w, 3, 1, 1)],
    64,
    res_blocks=2,
    batch_norm=False,
)
ResNetDecoder32 = _decoder_preset(
    "ResNetDecoder32",
    "Pythae's CIFAR ResNet decoder: dense to 8x8x2w, 2 residual blocks, ConvT.",
    lambda w: ((8, 8, 2 * w), [(w, 4, 2, None)], (4, 2, None)),
    64,
    3,
    32,
    res_blocks=2,
    batch_norm=False,
)
ResNetEncoder64 = _encoder_preset(
    "ResNetEncoder64",
    "Pythae's CelebA ResNet encoder: convs to 4x4x2w, 2 residual blocks.",
    lambda w: [(w, 4, 2, 1), (2 * w, 4, 2, 1), (2 * w, 4, 2, 1), (2 * w, 3, 2, 1)],
    64,
    res_blocks=2,
    batch_norm=False,
)
ResNetDecoder64 = _decoder_preset(
    "ResNetDecoder64",
    "Pythae's CelebA ResNet decoder: dense to 4x4x2w, 2 residual blocks, ConvT.",
    lambda w: (
        (4, 4, 2 * w),
        [(2 * w, 4, 2, None), (2 * w, 4, 2, None), (w, 4, 2, None)],
        (4, 2, None),
    ),
    64,
    3,
    64,
    res_blocks=2,
    batch_norm=False,
)
