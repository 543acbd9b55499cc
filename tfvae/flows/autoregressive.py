"""MAF and IAF layers: MADE-parameterised affine autoregressive flows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.flows.made import MADE

tfb = tfp.bijectors


def MAF(shift_and_log_scale_fn: Any, name: str = "maf") -> tfb.Bijector:  # noqa: N802
    """A masked autoregressive flow step (Papamakarios et al., 2017) on an autoregressive
    ``shift_and_log_scale_fn`` (e.g. a :class:`MADE`): ``tfb.MaskedAutoregressiveFlow``.
    ``forward`` (noise to data) is sequential, ``inverse`` (density) one pass."""
    return tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=shift_and_log_scale_fn, name=name)


def IAF(shift_and_log_scale_fn: Any, name: str = "iaf") -> tfb.Bijector:  # noqa: N802
    """An inverse autoregressive flow step (Kingma et al., 2016): the inverse of :func:`MAF`;
    ``forward`` (sampling) is one pass, ``inverse`` sequential."""
    return tfb.Invert(MAF(shift_and_log_scale_fn, name=f"{name}_maf"), name=name)


@keras.saving.register_keras_serializable(package="tfvae")
class MAFFlow(keras.layers.Layer):
    """One MAF step (Papamakarios et al., 2017): ``tfb.MaskedAutoregressiveFlow`` on a
    :class:`MADE`, followed by a reversal of the dimensions (so stacked steps alternate order).

    Direction (``forward`` = noise to data): sampling is sequential (D network passes),
    density evaluation parallel (one pass). :class:`IAFFlow` is the opposite.
    """

    inverted = False

    def __init__(
        self,
        dim: int,
        hidden_units: Sequence[int] = (128, 128),
        context_size: int = 0,
        permute: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dim, self.hidden_units = dim, list(hidden_units)
        self.context_size, self.permute = context_size, permute
        self.made = MADE(dim, self.hidden_units, context_size=context_size, name="made")

    def bijector(self, context: Any = None) -> tfb.Bijector:
        if self.context_size:
            maf = tfb.MaskedAutoregressiveFlow(
                shift_and_log_scale_fn=lambda y: self.made(y, context=context)
            )
        else:
            maf = tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=self.made)
        step = tfb.Invert(maf) if self.inverted else maf
        if not self.permute:
            return step
        return tfb.Chain([tfb.Permute(permutation=tf.range(self.dim - 1, -1, -1)), step])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "dim": self.dim,
            "hidden_units": self.hidden_units,
            "context_size": self.context_size,
            "permute": self.permute,
        }


@keras.saving.register_keras_serializable(package="tfvae")
class IAFFlow(MAFFlow):
    """One IAF step (Kingma et al., 2016): the inverse of a MAF step. Sampling (``forward``)
    takes one network pass, the density of an arbitrary point D passes; the log-density of
    the flow's own samples is free (``forward_log_det_jacobian``)."""

    inverted = True
