"""Convolutional networks for sequences ``[B, T, C]`` and volumes ``[B, D, H, W, C]`` (and any
spatial rank 1-3): the presets of :func:`tfvae.nn.benchmark_networks` for those kinds.

The encoder halves every spatial axis ``len(filters)`` times (kernel 4, stride 2, "same"
padding, so any length works: ``ceil(n / 2)`` per block); the decoder mirrors it from the
smallest grid and crops its output to the data's shape, so lengths that are not powers of
two (GunPoint's 150 steps) need no padding by the user. Batch normalisation is synchronised
across replicas (global batch statistics), so N replicas train like one device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras

from tfvae.nn.base import ACTIVATIONS, Network, check_positive_int, float32
from tfvae.nn.blocks import ResBlock, run_layers

_CONV = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}
_DECONV = {
    1: keras.layers.Conv1DTranspose,
    2: keras.layers.Conv2DTranspose,
    3: keras.layers.Conv3DTranspose,
}

#: the convolution and transposed convolution of each spatial rank (1 sequences, 2 images,
#: 3 volumes)
CONV_BY_RANK = _CONV
DECONV_BY_RANK = _DECONV


def halvings(spatial: Sequence[int], max_blocks: int = 4) -> int:
    """Stride-2 blocks for a spatial shape: down to a grid of about 4 per axis, 1 to
    ``max_blocks`` (32^3 -> 3 blocks, 64^3 -> 4, 150 steps -> 4)."""
    smallest = max(1, min(int(s) for s in spatial))
    return max(1, min(max_blocks, int(math.floor(math.log2(max(smallest / 4, 1.0))))))


def strided_blocks(conv: type, filters: Sequence[int], batch_norm: bool) -> list:
    """``conv(f, kernel 4, stride 2, "same")`` (+ synchronised batch norm) + ReLU per entry of
    ``filters``: the encoder's halving blocks (``Conv*D``) or the decoder's doubling ones
    (``Conv*DTranspose``). No bias before a batch norm: it cancels it, a dead weight Adam
    would still move."""
    layers: list = []
    for f in filters:
        layers.append(conv(int(f), 4, strides=2, padding="same", use_bias=not batch_norm))
        if batch_norm:
            layers.append(
                keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True)
            )
        layers.append(keras.layers.ReLU())
    return layers


def _spatial_rank(owner: str, data_shape: Sequence[int]) -> int:
    rank = len(data_shape) - 1
    if rank not in _CONV:
        raise ValueError(
            f"{owner}: data_shape must be (T, C), (H, W, C) or (D, H, W, C). Received: "
            f"{tuple(data_shape)!r}"
        )
    return rank


@keras.saving.register_keras_serializable(package="tfvae")
class ConvNDEncoder(Network):
    """Conv(kernel 4, stride 2)+BN+ReLU per entry of ``filters``, optional residual blocks,
    flatten, dense heads; the convolution's rank is the data's spatial rank.

    Args:
        latent_dim: D.
        data_shape: ``(T, C)``, ``(H, W, C)`` or ``(D, H, W, C)``.
        filters: channels of each stride-2 block.
        res_blocks: :class:`ResBlock` after the convolutions (the ResNet variant).
        variational: also output ``log_covariance``.
    Input ``[B, *data_shape]``; output ``{"embedding": [B, D](, "log_covariance": [B, D])}``.
    """

    def __init__(
        self,
        latent_dim: int,
        data_shape: Sequence[int],
        filters: Sequence[int] = (32, 64, 128),
        res_blocks: int = 0,
        res_hidden: int = 32,
        batch_norm: bool = True,
        variational: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_positive_int(type(self).__name__, "latent_dim", latent_dim)
        rank = _spatial_rank(type(self).__name__, data_shape)
        self._remember(
            latent_dim=latent_dim,
            data_shape=list(data_shape),
            filters=list(filters),
            res_blocks=res_blocks,
            res_hidden=res_hidden,
            batch_norm=batch_norm,
            variational=variational,
        )
        self.blocks = strided_blocks(_CONV[rank], filters, batch_norm)
        self.res = [ResBlock(int(filters[-1]), res_hidden, rank=rank) for _ in range(res_blocks)]
        self.flatten = keras.layers.Flatten()
        self._build_heads(latent_dim, variational, zero_log_var=True)

    def call(self, x: Any, training: bool = False) -> dict[str, Any]:
        h = run_layers(self.blocks, x, training)
        for block in self.res:
            h = block(h)
        return self.encoder_heads(self.flatten(h))


@keras.saving.register_keras_serializable(package="tfvae")
class ConvNDDecoder(Network):
    """Dense -> the smallest grid, optional residual blocks, ConvTranspose(kernel 4, stride
    2)+BN+ReLU per entry of ``filters``, a kernel-3 convolution to the data's channels, then a
    crop to ``data_shape``.

    Args:
        data_shape: ``(T, C)``, ``(H, W, C)`` or ``(D, H, W, C)`` of the output.
        filters: channels of each stride-2 block (the grid grows 2x per block).
        output_activation: ``"linear"`` (logits, real-valued means) or ``"sigmoid"``.
        scale_head: also output ``log_scale`` ``[B, *data_shape]`` (a second kernel-3
            convolution), for ``reconstruction_loss="gaussian_heteroscedastic"``.
    Input ``z: [B, D]``; output ``{"reconstruction": [B, *data_shape](, "log_scale": ...)}``.
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        filters: Sequence[int] = (128, 64, 32),
        res_blocks: int = 0,
        res_hidden: int = 32,
        batch_norm: bool = True,
        output_activation: str = "linear",
        scale_head: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_activation not in ACTIVATIONS:
            raise ValueError(
                f"{type(self).__name__}: output_activation must be one of {ACTIVATIONS}. "
                f"Received: output_activation={output_activation!r}"
            )
        rank = _spatial_rank(type(self).__name__, data_shape)
        self._remember(
            data_shape=list(data_shape),
            filters=list(filters),
            res_blocks=res_blocks,
            res_hidden=res_hidden,
            batch_norm=batch_norm,
            output_activation=output_activation,
            scale_head=scale_head,
        )
        self.data_shape = tuple(int(d) for d in data_shape)
        factor = 2 ** len(filters)
        self.grid = tuple(math.ceil(s / factor) for s in self.data_shape[:-1])
        first = int(filters[0])
        self.fc = keras.layers.Dense(math.prod(self.grid) * first)
        self.reshape = keras.layers.Reshape((*self.grid, first))
        self.res = [ResBlock(first, res_hidden, rank=rank) for _ in range(res_blocks)]
        self.blocks = strided_blocks(_DECONV[rank], filters, batch_norm)
        self.out = _CONV[rank](self.data_shape[-1], 3, padding="same", activation=output_activation)
        self.scale = (
            _CONV[rank](self.data_shape[-1], 3, padding="same", name="log_scale")
            if scale_head
            else None
        )

    def call(self, z: Any, training: bool = False) -> dict[str, Any]:
        h = keras.ops.relu(self.reshape(self.fc(z)))
        for block in self.res:
            h = block(h)
        h = run_layers(self.blocks, h, training)
        crop = (slice(None), *(slice(0, s) for s in self.data_shape[:-1]))
        out = {"reconstruction": float32(self.out(h)[crop])}
        if self.scale is not None:
            out["log_scale"] = float32(self.scale(h)[crop])
        return out


def conv_nd_networks(
    input_shape: Sequence[int],
    latent_dim: int,
    variational: bool = True,
    output_activation: str = "linear",
    width: int | None = None,
    residual: bool = False,
    scale_head: bool = False,
) -> tuple[ConvNDEncoder, ConvNDDecoder]:
    """The sequence/volume preset: ``halvings`` stride-2 blocks of ``width * 2^i`` channels
    (``width`` default 32 for sequences, 16 for volumes), mirrored in the decoder; two
    residual blocks at the bottom when ``residual``."""
    shape = tuple(int(d) for d in input_shape)
    rank = _spatial_rank("conv_nd_networks", shape)
    base = width or (16 if rank == 3 else 32)
    blocks = halvings(shape[:-1])
    filters = [base * 2**i for i in range(blocks)]
    res = 2 if residual else 0
    encoder = ConvNDEncoder(
        latent_dim,
        shape,
        filters=filters,
        res_blocks=res,
        variational=variational,
        name="encoder",
    )
    decoder = ConvNDDecoder(
        shape,
        filters=filters[::-1],
        res_blocks=res,
        output_activation=output_activation,
        scale_head=scale_head,
        name="decoder",
    )
    return encoder, decoder
