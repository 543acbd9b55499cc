"""The configuration every model config extends."""

from __future__ import annotations

import dataclasses
from typing import Literal

from tfvae.config import BaseConfig
from tfvae.models.base.condition import check_condition_config


@dataclasses.dataclass
class BaseAEConfig(BaseConfig):
    """Fields shared by every model.

    Attributes:
        input_shape: shape of one example, channels-last, rank 1 to 4: ``(D,)`` vectors,
            ``(T, C)`` sequences, ``(H, W, C)`` images, ``(D, H, W, C)`` volumes. Required.
        latent_dim: dimension D of the latent space.
        reconstruction_loss: the likelihood ``p(x|z)`` (:mod:`tfvae.distributions.likelihoods`):
            ``"mse"`` (unit-variance Gaussian, Pythae's default; the decoder outputs means),
            ``"bce"`` (Bernoulli, data in [0, 1]; the decoder outputs logits),
            ``"gaussian_learned"`` (a learned sigma per feature),
            ``"gaussian_heteroscedastic"`` (a sigma per example and feature from a decoder
            head, ``log_scale``), ``"laplace"`` (a learned scale per feature), ``"discretized_logistic"`` (8-bit data; NLL in bits/dim).
        preprocessing: ``None``, ``"standardize"`` (per-feature mean 0, std 1) or
            ``"minmax"`` (per-feature [0, 1]): fitted on the training data
            (:meth:`BaseAE.adapt`, done by the pipelines), saved with the model, applied in
            ``encode`` and inverted in ``decode``/``generate``, so callers use data units.
        preprocessing_axes: ``"feature"`` (one statistic per element of an example) or
            ``"channel"`` (one per channel, shared over time/space); default: features for
            vectors, channels for other ranks.
        categorical_sizes: for tables (:class:`tfvae.data.TableSchema`): the sizes of the
            one-hot blocks that end each vector, each modelled by a categorical likelihood
            (the numeric features before them by ``reconstruction_loss``, and only they are
            preprocessed).
        table_schema: the :class:`~tfvae.data.TableSchema` as a dict, saved with the model so
            generated vectors become DataFrames (:func:`tfvae.data.tables.to_frame`).
        condition: ``None``, ``"class"`` (labels ``[N]`` in ``[0, num_classes)``) or
            ``"vector"`` (attributes ``[N, K]``): the model learns ``p(x | y)``; the condition
            reaches the encoder and the decoder (:mod:`tfvae.models.base.condition`), and
            ``fit((x, y))``, ``generate(n, condition=...)`` take it.
        num_classes: the number of classes of ``condition="class"``.
        condition_shape: ``(K,)`` of ``condition="vector"``.
        condition_embedding_dim: ``condition="class"``: ``None`` for one-hot labels, else the
            size of a learned label embedding.
        condition_dropout: ``condition="class"``: the probability, per training example, that
            the networks see the null condition (``c = 0``) instead of its label, so that one
            model learns ``p(x | y)`` and ``p(x)``, which classifier-free guidance needs
            (Ho & Salimans, 2022). 0 (default): never.
        guidance: the default guidance weight ``w >= 0`` of generation (``decode``,
            ``generate``, the samplers, the exports; not reconstructions): the decoder's mean
            ``m_y`` under the condition and ``m_0`` under the null condition become
            ``m_y + w (m_y - m_0)``, kept in the data's support, which makes samples look
            more like their class. Needs ``condition_dropout > 0``; 0: unguided.
        guidance_rescale: the default guidance rescale ``phi`` in ``[0, 1]`` of generation:
            the guided mean's spread (standard deviation over an example's features) is
            pulled back towards the unguided one, ``phi * g * std(m_y) / std(g) +
            (1 - phi) * g`` (Lin et al., 2024), so that strong guidance does not saturate
            samples (:func:`tfvae.distributions.likelihoods.extrapolate`). 0: off.
        seed: seeds the model's sampling noise (stateless, keyed by the training step).
    """

    input_shape: tuple[int, ...] | None = None
    latent_dim: int = 10
    reconstruction_loss: Literal[
        "mse",
        "bce",
        "gaussian_learned",
        "gaussian_heteroscedastic",
        "laplace",
        "discretized_logistic",
    ] = "mse"
    preprocessing: Literal["standardize", "minmax"] | None = None
    preprocessing_axes: Literal["feature", "channel"] | None = None
    categorical_sizes: tuple[int, ...] = ()
    table_schema: dict | None = None
    condition: Literal["class", "vector"] | None = None
    num_classes: int | None = None
    condition_shape: tuple[int, ...] | None = None
    condition_embedding_dim: int | None = None
    condition_dropout: float = 0.0
    guidance: float = 0.0
    guidance_rescale: float = 0.0
    seed: int = 0

    def validate(self) -> None:
        if self.input_shape is not None:
            self.check(
                "input_shape",
                1 <= len(self.input_shape) <= 4 and all(d > 0 for d in self.input_shape),
                "a tuple of 1 to 4 positive ints: (D,), (T, C), (H, W, C) or (D, H, W, C)",
            )
        self.check_positive("latent_dim")
        check_condition_config(self)
        if self.categorical_sizes:
            self.check(
                "categorical_sizes",
                all(k >= 1 for k in self.categorical_sizes)
                and self.input_shape is not None
                and len(self.input_shape) == 1
                and sum(self.categorical_sizes) <= self.input_shape[0],
                "positive block sizes of vectors (D,) summing to at most D",
            )
            self.check(
                "reconstruction_loss",
                self.reconstruction_loss
                not in ("bce", "discretized_logistic", "gaussian_heteroscedastic"),
                "a real-valued likelihood for the numeric columns of a table "
                "('mse', 'gaussian_learned', 'laplace')",
            )
        if self.preprocessing == "standardize" and self.reconstruction_loss in (
            "bce",
            "discretized_logistic",
        ):
            self.check(
                "preprocessing",
                False,
                f"'minmax' or None with reconstruction_loss={self.reconstruction_loss!r} "
                "(its data must stay in [0, 1]), not 'standardize'",
            )


def decoder_activation(config: BaseAEConfig) -> str:
    """The output activation of default decoders for ``config``: ``"sigmoid"`` for Pythae's
    ``"mse"`` on data in [0, 1] (no preprocessing, or ``"minmax"``), ``"linear"`` otherwise
    (Bernoulli logits; real-valued means and locations)."""
    if config.categorical_sizes:
        return "linear"  # category logits, numeric means
    if config.reconstruction_loss == "mse" and config.preprocessing != "standardize":
        return "sigmoid"
    return "linear"
