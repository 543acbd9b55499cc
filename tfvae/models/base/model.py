"""``BaseAE``: the Keras model every tfvae autoencoder subclasses.

A model defines its config class, the names of its loss terms and
``compute_loss_terms(x, training) -> {"loss": ..., <term>: ...}`` (scalars, batch means).
``BaseAE`` does the rest once: networks (defaults when none are given), the training step of
:class:`~tfvae.nn.trainable.LossTermsModel` (one ``keras.metrics.Mean`` per term, optimizer
groups, stateless step-keyed noise), posterior sampling, importance weights and NLL,
``encode`` / ``decode`` / ``reconstruct`` / ``interpolate`` / ``embed`` / ``generate``, and
``get_config`` / ``from_config`` for safe ``.keras`` round trips.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.config import ConfigError
from tfvae.data.pipeline import make_dataset
from tfvae.distributions import diagonal_gaussian, likelihood_for, standard_normal
from tfvae.errors import DataError
from tfvae.models.base.condition import (
    ConditionEmbedding,
    ConditionScope,
    append_condition,
    as_condition,
    check_guidance,
    check_guidance_rescale,
)
from tfvae.models.base.config import BaseAEConfig, decoder_activation
from tfvae.models.base.consistency import (
    check_classifier,
    class_log_likelihoods,
    consistent_draws,
)
from tfvae.models.base.sharing import SharingMixin
from tfvae.models.base.transform import DataTransform
from tfvae.nn import default_networks
from tfvae.nn.base import float32_policy
from tfvae.nn.replicas import global_batch_draw
from tfvae.nn.trainable import LossTermsModel, unpack_inputs

tfd = tfp.distributions

# tfvae's pipelines shuffle themselves (keyed by seed and epoch, for exact resume); Keras's
# fit(shuffle=True) default then warns on every call that it ignores the flag for datasets.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored")


class BaseAE(SharingMixin, LossTermsModel):
    """Base class of tfvae models: the model contract, declared in one place.

    Args:
        config: the model's config dataclass (or its dict).
        encoder: a network following the encoder contract (see :mod:`tfvae.nn.base`);
            Pythae's default MLP for ``config.input_shape`` when ``None``.
        decoder: a network following the decoder contract; default MLP when ``None``.

    **A model must define** (a new model is a config + this, a few dozen lines):

    - ``config_class``: its config dataclass (a :class:`BaseAEConfig` subclass);
    - ``loss_terms``: the names of its loss terms, ``"loss"`` first (one
      ``keras.metrics.Mean`` each: the history and TensorBoard show every term);
    - :meth:`compute_loss_terms` ``(x, training) -> {"loss": ..., <term>: ...}``, scalars
      (batch means).

    **A model may declare** (class attributes; the defaults are below). Other rooms read these
    declarations, never ``hasattr`` on a model:

    ==========================  ===========  ==============================================
    trait                       default      meaning, and who reads it
    ==========================  ===========  ==============================================
    ``variational``             False        encoder outputs ``log_covariance``; NLL, KL
    ``analytic_kl``             True         ``KL(q||p)`` by ``tfd.kl_divergence``, else MC
    ``likelihood_model``        True         decoder trained as ``p(x|z)``: ``nll()``, benchmark
    ``latent_geometry``         "euclidean"  or ``"sphere"``, ``"poincare"``: samplers, plots
    ``mixture_prior``           False        VAMP-like prior: the VAMP sampler, TFLite parts
    ``riemannian_metric``       False        a learned metric (RHVAE): manifold sampler
    ``discrete_codes``          False        ``encode_indices`` gives code indices: PixelCNN
    ``benchmark_networks``      True         ``build_model(networks=...)`` may swap its nets
    ``extra_networks``          ()           networks beyond encoder/decoder (constructor
                                             keywords, attributes, serialised)
    ``code_networks``           {}           extra networks mapping codes to outputs
    ``counts_training_steps``   False        a saved step counter for schedules
    ``mse_scale``               1.0          multiplies ``"mse"``'s ``0.5 ||x - x'||^2``:
                                             2.0 for Pythae's deterministic models
    ``hierarchical``            False        latent groups z_0..z_L-1 walked top-down: per-
                                             group KL, ``temperature``, ancestral prior
    ``supported_ranks``         (1, 2, 3, 4) ranks of ``input_shape`` it models (vectors,
                                             sequences, images, volumes): config, README
    ``conditionable``           True         ``config.condition`` may be set: the label
                                             reaches encoder and decoder (False: refused
                                             with ``condition_reason``)
    ``optimizer_groups``        None         several optimizers, one per loss term
                                             (:class:`~tfvae.nn.trainable.LossTermsModel`)
    ``gated_groups``            {}           groups stepped only when a term says so
    ==========================  ===========  ==============================================

    **A model may override** (hooks, each with its contract in its docstring):
    :meth:`make_layers` (own weights), :meth:`default_network` (extra networks),
    :meth:`prepare_for_data` (dataset size), :meth:`prior` and :meth:`posterior` (TFP
    distributions), :meth:`draw_posterior` (posteriors that are not one TFP distribution:
    flows), :meth:`prior_codes` (priors that are not :meth:`prior`: VQ codebooks),
    :meth:`code_of` (what an encoding is), :meth:`importance_terms` (the NLL's weights),
    ``train_step`` (models with adversarial or coupled optimizers only).

    Sampling, in one place: :meth:`noise_seed` gives named, step-keyed noise streams for
    training; :meth:`sample_posterior` wraps :meth:`draw_posterior` for any replica count;
    :meth:`posterior_sample_and_kl` is the training step's draw; :meth:`prior_codes` is the
    traceable prior draw behind :meth:`sample_prior` and :meth:`generate` (and the SavedModel
    ``sample`` signature); :meth:`random_codes` is its TFLite-friendly twin; :meth:`prior_noise`
    is standard normal noise for losses that need prior samples. Losses that couple the
    examples of a batch use :func:`tfvae.nn.replicas.global_batch`.
    """

    # -- the declared traits (see the table above) ---------------------------------------
    config_class: ClassVar[type[BaseAEConfig]] = BaseAEConfig
    loss_terms: ClassVar[tuple[str, ...]] = ("loss", "reconstruction")
    variational: ClassVar[bool] = False
    #: ``KL(q || p)`` by ``tfd.kl_divergence``; ``False`` for posteriors or priors without an
    #: analytic KL (flows, mixtures), which use ``log q(z|x) - log p(z)`` at the sample
    analytic_kl: ClassVar[bool] = True
    #: the decoder is trained as the likelihood ``p(x|z)`` of :attr:`likelihood` (False:
    #: MSSSIM_VAE, VAEGAN, whose reconstruction terms are not ``log p(x|z)``; ``nll()`` refuses)
    likelihood_model: ClassVar[bool] = True
    #: the latent space: ``"euclidean"``, ``"sphere"`` (SVAE) or ``"poincare"`` (PoincareVAE)
    latent_geometry: ClassVar[str] = "euclidean"
    #: the prior is a mixture over learned pseudo-inputs (VAMP: ``pseudo_input_images``)
    mixture_prior: ClassVar[bool] = False
    #: the model learns a Riemannian metric of its latent space (RHVAE:
    #: ``stored_inverse_metric``), which the manifold sampler walks
    riemannian_metric: ClassVar[bool] = False
    #: codes are indices into a codebook (VQVAE: ``encode_indices``), which PixelCNN models
    discrete_codes: ClassVar[bool] = False
    #: ``build_model(networks="conv"|...)`` may give it the benchmark networks; ``False`` for
    #: models whose own networks are part of the model (spatial VQ codes, hyperbolic layers)
    benchmark_networks: ClassVar[bool] = True
    #: names of the model's networks beyond the encoder and decoder (a discriminator, ...):
    #: each is a constructor keyword (``None``: :meth:`default_network`), an attribute, and is
    #: serialised with the model
    extra_networks: ClassVar[tuple[str, ...]] = ()
    #: ``{extra network: number of outputs}`` for extra networks that map codes ``[B, D]`` to
    #: ``[B, outputs]`` (discriminators); checked when the model is built
    code_networks: ClassVar[dict[str, int]] = {}
    #: keep ``self.training_step``, a saved non-trainable count of training steps, for
    #: schedules that must survive save and resume (DisentangledBetaVAE's capacity, HRQVAE's
    #: Gumbel temperatures)
    counts_training_steps: ClassVar[bool] = False
    #: multiplies the ``"mse"`` term ``0.5 ||x - x'||^2`` (a unit-variance Gaussian's
    #: ``-log p(x|z)`` without its constant): 2.0 for the deterministic models whose Pythae loss
    #: is ``||x - x'||^2`` (AE, RAE_L2, RAE_GP, WAE_MMD, VQVAE, HRQVAE), so their published
    #: regulariser weights transfer; other likelihoods are not rescaled
    mse_scale: ClassVar[float] = 1.0
    #: latent groups walked top-down (:mod:`tfvae.models.base.hierarchy`): codes are every
    #: group concatenated, the prior is ancestral (``prior_log_prob``, ``temperature`` in
    #: ``generate`` and the ``sample`` export), one KL term per group in the history
    hierarchical: ClassVar[bool] = False
    #: ranks of one example the model can model: 1 vectors, 2 sequences, 3 images, 4 volumes
    #: (MSSSIM_VAE, NVAE: no vectors); other ranks are refused at construction with the reason
    supported_ranks: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    #: why a rank is not supported (the refusal's message)
    rank_reason: ClassVar[str] = ""
    #: ``config.condition`` may be set (:mod:`tfvae.models.base.condition`: the condition is
    #: appended to the encoder's input and the decoder's codes)
    conditionable: ClassVar[bool] = True
    #: why a model cannot be conditioned (the refusal's message)
    condition_reason: ClassVar[str] = ""

    def __init__(
        self,
        config: BaseAEConfig | dict | None = None,
        encoder: keras.Model | None = None,
        decoder: keras.Model | None = None,
        **kwargs: Any,
    ) -> None:
        extra = {name: kwargs.pop(name, None) for name in self.extra_networks}
        super().__init__(**kwargs)
        self.config = self._coerce_config(config)
        self.input_shape_ = tuple(self.config.input_shape)
        if len(self.input_shape_) not in self.supported_ranks:
            kinds = {1: "vectors", 2: "sequences", 3: "images", 4: "volumes"}
            raise ConfigError(
                f"{type(self).__name__} models "
                + ", ".join(f"{kinds[r]} (rank {r})" for r in self.supported_ranks)
                + f"; got input_shape {self.input_shape_} of rank {len(self.input_shape_)}"
                + (f": {self.rank_reason}" if self.rank_reason else "")
            )
        self.latent_dim = self.config.latent_dim
        self.condition_scope = ConditionScope()
        self.condition_embedding = None
        if self.config.condition is not None:
            if not self.conditionable:
                raise ConfigError(
                    f"{type(self).__name__} cannot be conditioned (config.condition="
                    f"{self.config.condition!r}): {self.condition_reason}"
                )
            with float32_policy():
                self.condition_embedding = ConditionEmbedding(
                    self.config.condition,
                    num_classes=self.config.num_classes,
                    embedding_dim=self.config.condition_embedding_dim,
                    size=None
                    if self.config.condition_shape is None
                    else int(self.config.condition_shape[0]),
                    name="condition_embedding",
                )
                probe = self.config.condition_shape or ()
                self.condition_embedding(tf.zeros([1, *probe]))  # built now (Keras checks)
        self.likelihood = likelihood_for(self.config)
        if encoder is None or decoder is None:
            default_encoder, default_decoder = default_networks(
                self.input_shape_,
                self.latent_dim,
                variational=self.variational,
                output_activation=decoder_activation(self.config),
                scale_head=self.likelihood.scale_head,
            )
            encoder = encoder if encoder is not None else default_encoder
            decoder = decoder if decoder is not None else default_decoder
        self.encoder = encoder
        self.decoder = decoder
        # Under a mixed policy only the encoder and decoder compute in bfloat16 / float16; the
        # model's own layers (quantizers, flows, metrics, discriminators) stay float32.
        with float32_policy(), self.condition_scope.active(self._zero_condition()):
            self.likelihood.build(self, self.input_shape_)
            self.preprocessing = DataTransform.for_model(self, self.config)
            for name, network in extra.items():
                setattr(self, name, network if network is not None else self.default_network(name))
            self._nll_fn: Any = None
            self._decode_fn: Any = None
            if self.counts_training_steps:
                self.training_step = self.add_weight(
                    shape=(),
                    initializer="zeros",
                    trainable=False,
                    name="training_step",
                    aggregation="only_first_replica",
                )
            self.make_layers()
        self.build((None, *self.input_shape_))

    def after_train_step(self) -> None:
        if self.counts_training_steps:
            self.training_step.assign_add(1.0)

    def default_network(self, name: str) -> keras.Model:
        """The default for the extra network ``name`` (see :attr:`extra_networks`)."""
        raise NotImplementedError(f"{type(self).__name__} has no default {name!r} network")

    def prepare_for_data(self, num_examples: int) -> None:
        """Hook called by :class:`~tfvae.pipelines.TrainingPipeline` with the number of
        training examples before fitting (estimators that need the dataset size use it)."""

    def make_layers(self) -> None:
        """Hook: create (and build) the model's own layers and weights beyond the encoder and
        decoder (learned prior parameters, ...). Called before :meth:`build`."""

    # -- construction --------------------------------------------------------------------
    @classmethod
    def _coerce_config(cls, config: BaseAEConfig | dict | None) -> BaseAEConfig:
        config = cls.config_class.coerce(config, cls.__name__)
        if config.input_shape is None:
            raise ConfigError(
                f"{type(config).__name__}.input_shape is required to build {cls.__name__}, "
                "e.g. input_shape=(28, 28, 1)"
            )
        return config

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Build the networks on a zero batch and check them against the contract."""
        x = tf.zeros((1, *self.input_shape_))
        name = type(self).__name__
        with self.condition_scope.active(self._zero_condition()):
            self._check_networks(x, name)
        # Layers that made their weights in __init__ and are used through methods other than
        # __call__ (quantizers, flows) count as built, so fit does not trace call(x) to build
        # them (which a conditional model cannot run without its condition).
        for layer in self._flatten_layers(include_self=False):
            if not layer.built and layer.weights:
                layer.built = True
        self.built = True

    def _check_networks(self, x: tf.Tensor, name: str) -> None:
        enc = self.run_encoder(x, training=False)
        if not isinstance(enc, dict) or "embedding" not in enc:
            raise ValueError(
                f"{name}: the encoder must return a dict with key 'embedding' [B, latent_dim]; "
                f"got {type(enc).__name__}"
                + (f" with keys {sorted(enc)}" if isinstance(enc, dict) else "")
            )
        self.check_code_shape(tuple(enc["embedding"].shape[1:]))
        if self.variational and "log_covariance" not in enc:
            raise ValueError(
                f"{name} is variational: its encoder must also return 'log_covariance' "
                "[B, latent_dim] (e.g. tfvae.nn.MLPEncoder(..., variational=True))"
            )
        self.check_decoder_outputs(
            self.decoder(self.with_condition(enc["embedding"]), training=False), name
        )
        for net, outputs in self.code_networks.items():
            got = getattr(self, net)(tf.zeros((1, self.latent_dim)), training=False)
            if tuple(got.shape) != (1, outputs):
                raise ValueError(
                    f"{name}: the {net} must map codes [B, {self.latent_dim}] to {outputs} "
                    f"logit{'s' if outputs > 1 else ''} [B, {outputs}]; got shape "
                    f"{tuple(got.shape)}"
                )

    def check_decoder_outputs(self, dec: Any, name: str) -> None:
        """The decoder contract on one output: a dict with ``reconstruction`` ``[B,
        *input_shape]`` and the likelihood's extra outputs (``log_scale``)."""
        if not isinstance(dec, dict) or "reconstruction" not in dec:
            raise ValueError(f"{name}: the decoder must return a dict with key 'reconstruction'")
        self.likelihood.params_from(dec)  # a likelihood's extra outputs ('log_scale') exist
        if tuple(dec["reconstruction"].shape[1:]) != self.input_shape_:
            raise ValueError(
                f"{name}: decoder 'reconstruction' has shape "
                f"{tuple(dec['reconstruction'].shape[1:])} per example, expected "
                f"{self.input_shape_} (config.input_shape)"
            )

    # -- conditioning ----------------------------------------------------------------------
    @property
    def conditional(self) -> bool:
        """Whether the model learns ``p(x | y)`` (``config.condition`` is set)."""
        return self.condition_embedding is not None

    def _zero_condition(self) -> tf.Tensor | None:
        if self.condition_embedding is None:
            return None
        return tf.zeros((1, self.condition_embedding.dim))

    def conditioned(self, condition: Any, n: int | None = None) -> Any:
        """A context in which the networks see ``condition`` (labels ``[B]``, one label, or
        attribute vectors ``[B, K]``; checked by
        :func:`~tfvae.models.base.condition.as_condition`). A no-op for ``None`` on an
        unconditional model."""
        return self.checked_scope(
            None if condition is None else self.checked_condition(condition, n)
        )

    def checked_scope(self, y: Any) -> Any:
        """The context of :meth:`conditioned` for a condition already checked
        (:meth:`checked_condition`), or ``None``: a no-op."""
        if y is None:
            return contextlib.nullcontext()
        return self.condition_scope.active(self.condition_embedding(y))

    def checked_condition(self, condition: Any, n: int | None = None) -> Any:
        """``condition`` checked for this model (:func:`as_condition`: labels ``[n]`` or
        attributes ``[n, K]``); refused for a model built without a condition."""
        if not self.conditional:
            raise ConfigError(
                f"{type(self).__name__} was built without a condition (config.condition is "
                "None); rebuild it with condition='class' and num_classes, or drop condition="
            )
        return as_condition(self.config, condition, n)

    def batch_scope(self, data: Any, training: bool = False) -> Any:
        """The training/test step's condition: ``y`` of an ``(x, y)`` batch for a conditional
        model (a batch without labels is refused), nothing for the others. In training, with
        ``config.condition_dropout`` p > 0, each example's condition is the null condition
        ``c = 0`` with probability p (noise stream ``"condition_dropout"``, drawn for the
        global batch: exact on resume and across replicas)."""
        if not self.conditional:
            return contextlib.nullcontext()
        if not isinstance(data, tuple | list) or len(data) < 2 or data[1] is None:
            raise DataError(
                f"{type(self).__name__} is conditional (config.condition="
                f"{self.config.condition!r}): train it on (x, y) batches, e.g. fit(x, y) or "
                "tfvae.data.load(..., labels=True)"
            )
        c = self.condition_embedding(data[1])
        if training and self.config.condition_dropout:
            (keep,) = global_batch_draw(
                {"c": c},
                lambda e: (
                    tf.random.stateless_uniform(
                        tf.shape(e["c"])[:1], self.noise_seed("condition_dropout")
                    )
                    >= self.config.condition_dropout,
                ),
                batch_axes=(0,),
            )
            c = c * tf.cast(keep, c.dtype)[:, None]
        return self.condition_scope.active(c)

    def with_condition(self, h: tf.Tensor) -> tf.Tensor:
        """``h`` (an encoder input ``[B, *input_shape]`` or codes ``[n * B, *code_shape]``)
        with the active condition appended on its last axis (unchanged when unconditional)."""
        if self.condition_embedding is None:
            return h
        c = self.condition_scope.for_rows(tf.shape(h)[0], type(self).__name__)
        return append_condition(h, c)

    @property
    def _default_save_signature(self) -> Any:
        """Keras's default SavedModel signature (``self(x)``); a conditional model's takes
        ``(x, condition)``, as its ``call`` does."""
        if not self.conditional:
            return super()._default_save_signature
        x_spec = tf.TensorSpec((None, *self.input_shape_), tf.float32)
        if self.config.condition == "class":
            c_spec = tf.TensorSpec((None,), tf.int32)
        else:
            c_spec = tf.TensorSpec((None, *self.config.condition_shape), tf.float32)

        @tf.function(input_signature=((x_spec, c_spec),))
        def serving_default(inputs: Any) -> tf.Tensor:
            return self(inputs)

        return serving_default

    def run_encoder(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        """The encoder's outputs for ``x: [B, *input_shape]`` (model space) under the active
        condition: what every model calls instead of ``self.encoder`` directly."""
        return self.encoder(self.with_condition(x), training=training)

    def check_code_shape(self, shape: tuple[int, ...]) -> None:
        """Check the encoder's ``embedding`` shape per example (``(latent_dim,)`` here; models
        with other codes, e.g. VQ grids, accept more)."""
        if shape != (self.latent_dim,):
            raise ValueError(
                f"{type(self).__name__}: encoder 'embedding' has shape {(1, *shape)}, "
                f"expected [B, {self.latent_dim}] (latent_dim={self.latent_dim})"
            )

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "config": self.config.to_dict(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            **{
                name: keras.saving.serialize_keras_object(getattr(self, name))
                for name in self.extra_networks
            },
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BaseAE:
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        for name in cls.extra_networks:
            if name in config:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        model_config = cls.config_class.from_dict(config.pop("config"))
        return cls(model_config, encoder=encoder, decoder=decoder, **config)

    # -- probabilistic pieces ------------------------------------------------------------
    def prior(self) -> tfd.Distribution:
        """``p(z)``: standard normal with event shape ``[latent_dim]``."""
        return standard_normal(self.latent_dim)

    def prior_log_prob(self, codes: Any) -> tf.Tensor:
        """``log p(z)`` of codes ``[B, *code_shape]``, ``[B]`` (samplers' held-out scores)."""
        return self.prior().log_prob(tf.convert_to_tensor(codes, tf.float32))

    def posterior_moments(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """``(mean, log_covariance)`` of ``q(z|x)``, each ``[B, latent_dim]``, for model-space
        ``x`` under the active condition (variational models; the export's ``encode``)."""
        enc = self.run_encoder(x, training=False)
        return self.code_of(enc), enc["log_covariance"]

    def posterior(self, encoder_outputs: dict[str, tf.Tensor]) -> tfd.Distribution:
        """``q(z|x)`` from the encoder's outputs: diagonal Gaussian, batch shape ``[B]``."""
        return diagonal_gaussian(encoder_outputs["embedding"], encoder_outputs["log_covariance"])

    def posterior_sample_and_kl(
        self, encoder_outputs: dict[str, tf.Tensor], seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """One reparameterised ``z ~ q(z|x)`` ``[B, D]`` and ``KL(q(z|x) || p(z))`` ``[B]``:
        analytic when :attr:`analytic_kl`, else the one-sample estimate ``log q(z|x) - log p(z)``
        (through :meth:`sample_posterior`, so flow posteriors use their change of variables)."""
        if self.analytic_kl:

            def draw(enc: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
                q = self.posterior(enc)
                return q.sample(seed=seed), tfd.kl_divergence(q, self.prior())

            return global_batch_draw(encoder_outputs, draw, batch_axes=(0, 0))
        z, log_q = self.sample_posterior(encoder_outputs, 1, seed)
        z, log_q = z[0], log_q[0]
        return z, log_q - self.prior().log_prob(z)

    def prior_noise(self, like: tf.Tensor, stream: str) -> tf.Tensor:
        """Standard normal noise shaped like ``like: [B_local, D]``, drawn from the named
        noise ``stream`` (:meth:`noise_seed`) for the global batch (this replica's rows),
        e.g. prior samples for a discriminator."""
        (noise,) = global_batch_draw(
            {"like": like},
            lambda e: (tf.random.stateless_normal(tf.shape(e["like"]), self.noise_seed(stream)),),
            batch_axes=(0,),
        )
        return noise

    def sample_posterior(
        self, encoder_outputs: dict[str, tf.Tensor], n: int, seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """``n`` reparameterised samples of ``q(z|x)`` and their log-density.

        Under a strategy with several replicas the noise is drawn for the global batch and
        each replica keeps its rows (:func:`global_batch_draw`), so N replicas train exactly
        like one device with the same global batch.

        Returns:
            ``z: [n, B, D]`` and ``log q(z|x): [n, B]``.
        """
        return global_batch_draw(
            encoder_outputs, lambda enc: self.draw_posterior(enc, n, seed), batch_axes=(1, 1)
        )

    def draw_posterior(
        self, encoder_outputs: dict[str, tf.Tensor], n: Any, seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """The draw behind :meth:`sample_posterior`; models whose posterior is not a plain TFP
        distribution (flows) override this one."""
        q = self.posterior(encoder_outputs)
        z = q.sample(n, seed=seed)
        return z, q.log_prob(z)

    def importance_terms(
        self,
        x: tf.Tensor,
        n_samples: int,
        training: bool = False,
        exact: bool = False,
        seed: tf.Tensor | None = None,
    ) -> dict[str, tf.Tensor]:
        """Log importance weights of ``n_samples`` posterior samples per example.

        Args:
            x: ``[B, *input_shape]``.
            n_samples: K.
            exact: use the likelihood's normalised ``log_prob`` (for NLL); otherwise minus
                Pythae's reconstruction term (no Gaussian constant), as in the training losses.
            seed: stateless seed (default: :meth:`noise_seed`).
        Returns:
            ``log_w``, ``log_px``, ``log_pz``, ``log_q``, each ``[K, B]``; ``z`` ``[K, B, D]``.
        """
        if not self.variational:
            raise TypeError(
                f"{type(self).__name__} is not variational: importance weights and NLL need a "
                "posterior q(z|x)"
            )
        enc = self.run_encoder(x, training=training)
        z, log_q = self.sample_posterior(
            enc, n_samples, self.noise_seed() if seed is None else seed
        )
        params = self.decoder_params(tf.reshape(z, [-1, self.latent_dim]), training=training)
        log_px = self.repeated_log_px(x, params, n_samples, exact)
        log_pz = self.prior().log_prob(z)
        return {
            "log_w": log_px + log_pz - log_q,
            "log_px": log_px,
            "log_pz": log_pz,
            "log_q": log_q,
            "z": z,
        }

    def repeated_log_px(
        self, x: tf.Tensor, params: tf.Tensor, n_samples: Any, exact: bool
    ) -> tf.Tensor:
        """``log p(x|z_k)`` ``[K, B]`` of ``x: [B, *input_shape]`` under the likelihood
        parameters of ``K * B`` codes (sample-major): the normalised ``log_prob`` when
        ``exact``, else minus the reconstruction term (no Gaussian constant)."""
        x_rep = tf.reshape(tf.repeat(x[None], n_samples, axis=0), [-1, *self.input_shape_])
        if exact:
            log_px = self.likelihood.log_prob(x_rep, params)
        else:
            log_px = -self.likelihood.reconstruction_loss(x_rep, params)
        return tf.reshape(log_px, [n_samples, -1])

    def nll_log_weights_fn(self) -> Any:
        """A traced ``(x, y, k, seed) -> log_w [k, B]`` with exact likelihoods (cached; ``k``
        is a scalar tensor so chunk sizes do not retrace; ``y``: the batch's condition, or
        ``None`` for unconditional models)."""
        if self._nll_fn is None:

            def log_weights(x: tf.Tensor, y: Any, k: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
                # x in data units: the density of the model-space data times the Jacobian
                # of the preprocessing, so the NLL is in nats of the user's units
                with self.conditioned(y):
                    terms = self.importance_terms(
                        self.preprocessing.forward(x), k, training=False, exact=True, seed=seed
                    )
                return terms["log_w"] + self.preprocessing.log_det_jacobian()

            self._nll_fn = tf.function(log_weights, reduce_retracing=True)
        return self._nll_fn

    def nll(
        self,
        data: Any,
        n_samples: int = 1000,
        batch_size: int = 64,
        chunk_size: int | None = None,
        seed: int = 0,
        condition: Any = None,
    ) -> Any:
        """Importance-sampling estimate of ``-log p(x)`` (``-log p(x | y)`` for a conditional
        model; nats per example, in the data's own units: the preprocessing's Jacobian is
        included) with its standard error; for 8-bit likelihoods (``discretized_logistic``)
        also bits/dim; see :func:`tfvae.models.base.importance.estimate_nll`.

        Args:
            data: ``[N, *input_shape]`` array or a ``tf.data.Dataset`` (of ``(x, y)`` batches
                for a conditional model), in data units.
            condition: a conditional model's labels ``[N]`` (or attributes ``[N, K]``) of an
                array ``data``.
            n_samples: importance samples per example (K).
            batch_size: examples per pass (arrays).
            chunk_size: importance samples per pass (bounds memory).
            seed: sampling seed.
        Returns:
            :class:`~tfvae.models.base.importance.NLLEstimate`.
        """
        from tfvae.models.base.importance import estimate_nll

        if not self.variational:
            raise TypeError(f"{type(self).__name__} is not variational: it has no NLL estimate")
        if not self.likelihood_model:
            raise ConfigError(
                f"{type(self).__name__}'s decoder is not trained as a likelihood (its "
                "reconstruction term is not log p(x|z)), so an importance-sampled NLL would be "
                "the bound of an untrained likelihood; compare it by reconstruction or FID"
            )
        if self.conditional and condition is None and not isinstance(data, tf.data.Dataset):
            raise DataError(
                f"{type(self).__name__} is conditional: nll(x, condition=y) estimates "
                "-log p(x | y) and needs the labels"
            )
        if condition is not None:
            condition = self.checked_condition(condition, len(data))
        return estimate_nll(
            self, data, n_samples, batch_size, chunk_size, seed, condition=condition
        )

    def seed_key(self) -> int:
        return self.config.seed

    # -- inference -----------------------------------------------------------------------
    def code_of(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """The deterministic code of encoder outputs, ``[B, D]``: the ``embedding`` (models
        whose latent space is a manifold map it there: the sphere, the Poincare ball)."""
        return encoder_outputs["embedding"]

    def model_inputs(self, x: tf.Tensor) -> tf.Tensor:
        """Data units -> the space the networks and losses see (the fitted preprocessing)."""
        return self.preprocessing.forward(x)

    def reconstruction_term(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        """The model's reconstruction term per example ``[B]``: the likelihood's
        ``reconstruction_loss``, times :attr:`mse_scale` for ``"mse"``."""
        term = self.likelihood.reconstruction_loss(x, params)
        if self.config.reconstruction_loss == "mse" and self.mse_scale != 1.0:
            term = self.mse_scale * term
        return term

    def decoder_params(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The likelihood's parameters for codes ``z``: the decoder's ``reconstruction``
        (``[B, *input_shape]``; with ``log_scale`` stacked on a last axis for likelihoods
        with a scale head), what the likelihood's methods take."""
        return self.likelihood.params_from(self.decoder(self.with_condition(z), training=training))

    def call(self, x: Any, training: bool = False) -> tf.Tensor:
        """Deterministic reconstruction (posterior mean code) of ``x: [B, *input_shape]`` in
        data units (``(x, y)`` for a conditional model), ``[B, *input_shape]`` in data units."""
        y = None
        if self.conditional and isinstance(x, tuple | list):
            x, y = x[0], x[1]
        with self.conditioned(y):
            z = self.code_of(self.run_encoder(self.preprocessing.forward(x), training=training))
            mean = self.likelihood.mean(self.decoder_params(z, training=training))
        return self.preprocessing.inverse(mean)

    def encode(self, x: Any, condition: Any = None) -> tf.Tensor:
        """Latent codes (the posterior mean for variational models) of ``x: [B, *input_shape]``
        in data units, ``[B, latent_dim]``; ``condition``: a conditional model's labels
        ``[B]`` (or one label) or attributes ``[B, K]``."""
        x = self.preprocessing.forward(tf.convert_to_tensor(x, tf.float32))
        with self.conditioned(condition, x.shape[0]):
            return self.code_of(self.run_encoder(x, training=False))

    def decode(
        self,
        z: Any,
        condition: Any = None,
        guidance: float | None = None,
        guidance_rescale: float | None = None,
    ) -> tf.Tensor:
        """Means ``[B, *input_shape]`` in data units (in [0, 1] for images) for codes
        ``[B, D]``; ``condition`` as in :meth:`encode` (the class or attributes to generate);
        ``guidance``: the classifier-free guidance weight and ``guidance_rescale`` its
        rescale (:meth:`guided_params`; defaults ``config.guidance`` and
        ``config.guidance_rescale``)."""
        z = tf.convert_to_tensor(z, tf.float32)
        y = None if condition is None else self.checked_condition(condition, z.shape[0])
        return self._decode_checked(
            z, y, self.guidance_weight(guidance), self.rescale_weight(guidance_rescale)
        )

    def _decode_checked(
        self, z: tf.Tensor, y: Any, guidance: float = 0.0, rescale: float = 0.0
    ) -> tf.Tensor:
        with self.checked_scope(y):
            params = self.guided_params(z, guidance, rescale)
        return self.preprocessing.inverse(self.likelihood.mean(params))

    def guidance_weight(self, guidance: float | None = None) -> float:
        """The guidance weight a generation call uses: ``guidance`` (checked: a finite number
        >= 0, and > 0 only for a model trained with ``condition_dropout``), or
        ``config.guidance`` when ``None``."""
        if guidance is None:
            return float(self.config.guidance)
        check_guidance(self.config, guidance)
        return float(guidance)

    def rescale_weight(self, guidance_rescale: float | None = None) -> float:
        """The guidance rescale ``phi`` a generation call uses: ``guidance_rescale`` (checked:
        a number in ``[0, 1]``), or ``config.guidance_rescale`` when ``None``."""
        if guidance_rescale is None:
            return float(self.config.guidance_rescale)
        check_guidance_rescale(guidance_rescale)
        return float(guidance_rescale)

    def guided_params(self, z: tf.Tensor, guidance: float = 0.0, rescale: float = 0.0) -> tf.Tensor:
        """The likelihood's parameters for codes ``z: [B, *code_shape]`` under the active
        condition, with classifier-free guidance of weight ``w = guidance`` (Ho & Salimans,
        2022) on the decoder's mean: ``E[x|z,y] + w (E[x|z,y] - E[x|z])``, where ``E[x|z]``
        is the decoder under the null condition ``c = 0`` (what a model trained with
        ``config.condition_dropout`` learned as ``p(x|z)``), kept in the data's support
        (probabilities in [0, 1], a sigmoid decoder's means clipped to [0, 1]), the scales
        left conditional (:meth:`~tfvae.distributions.likelihoods.Likelihood.guide`).
        ``rescale = phi > 0``: the guided mean's spread pulled back towards the conditional
        one (:func:`~tfvae.distributions.likelihoods.extrapolate`), so a strong guidance does
        not saturate. ``w = 0``: the decoder's parameters."""
        params = self.decoder_params(z, training=False)
        if not guidance:
            return params
        c = self.condition_scope.current
        with self.condition_scope.active(tf.zeros_like(c)):
            null = self.decoder_params(z, training=False)
        guided = self.likelihood.guide(params, null, guidance, rescale)
        if decoder_activation(self.config) == "sigmoid" and not self.config.categorical_sizes:
            guided = tf.clip_by_value(guided, 0.0, 1.0)
        return guided

    def decode_fn(self) -> Any:
        """A traced :meth:`decode` ``(z: [B, *code_shape], y, guidance, rescale) ->
        [B, *input_shape]`` for conditions already checked (:meth:`checked_condition`; ``None``
        for unconditional models) and a guidance weight and rescale already resolved
        (:meth:`guidance_weight`, :meth:`rescale_weight`; Python floats: one trace per
        value): cached, and its batch axis relaxed after a second size, so a sampler's
        batches run as one graph each instead of op by op."""
        if self._decode_fn is None:
            self._decode_fn = tf.function(self._decode_checked, reduce_retracing=True)
        return self._decode_fn

    def adapt(self, data: Any) -> BaseAE:
        """Fit the preprocessing of ``config.preprocessing`` on training data
        ``[N, *input_shape]`` in data units (a no-op without preprocessing); the statistics
        are weights of the model, saved and exported with it. Returns the model."""
        self.preprocessing.adapt(data)
        return self

    def check_data(self, x: np.ndarray, what: str = "data") -> None:
        """Refuse data ``[N, *input_shape]`` (data units) the likelihood cannot model: values
        outside ``[0, 1]`` (after the preprocessing) for Bernoulli or 8-bit likelihoods, and
        for Gaussian means bounded by a sigmoid decoder.

        Raises:
            DataError: naming the range found and the fix.
        """
        self.preprocessing.check_fitted()
        bounded = self.likelihood.unit_interval or decoder_activation(self.config) == "sigmoid"
        if not bounded or len(x) == 0:
            return
        lo, hi = np.inf, -np.inf
        for start in range(0, len(x), 4096):  # every row, a chunk at a time
            chunk = tf.convert_to_tensor(x[start : start + 4096], tf.float32)
            z = np.asarray(self.preprocessing.forward(chunk))
            lo, hi = min(lo, float(z.min())), max(hi, float(z.max()))
        if lo < -1e-6 or hi > 1 + 1e-6:
            raise DataError(
                f"{what} has values in [{lo:.4g}, {hi:.4g}] but "
                f"reconstruction_loss={self.config.reconstruction_loss!r}"
                + ("" if self.likelihood.unit_interval else " with a sigmoid decoder")
                + " models [0, 1]; set preprocessing='minmax'"
                + ("" if self.likelihood.unit_interval else ", or 'standardize'")
                + " in the model config, or choose a real-valued likelihood "
                "('gaussian_learned', 'laplace')"
            )

    def fit(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """``keras.Model.fit``; a model with ``config.preprocessing`` that is not yet fitted
        fits it on ``x`` when ``x`` is an array (:meth:`adapt`), and refuses a dataset.

        Arrays (``x``, labels ``y``, ``validation_data`` arrays) are fed through
        :func:`tfvae.data.make_dataset` (``batch_size`` default 32, ``shuffle`` default on,
        as Keras) rather than Keras's own array pipeline: that one runs tf.data's autotuner,
        whose thread the end of every epoch waits for (8-9 s an epoch at batch 100 on
        Pythae's width-128 conv nets, 2 cores). With ``validation_split``,
        ``sample_weight``, ``class_weight`` or ``steps_per_epoch``, Keras's path is kept.
        """
        if self.preprocessing.needs_fit and isinstance(x, np.ndarray):
            self.adapt(x)
        if isinstance(x, np.ndarray):
            self.check_data(x, "the training data")
            keras_only = ("validation_split", "sample_weight", "class_weight", "steps_per_epoch")
            if not any(kwargs.get(k) for k in keras_only):
                batch_size = kwargs.pop("batch_size", None) or 32
                shuffle = kwargs.pop("shuffle", True)
                x = self._array_pipeline(x, y, batch_size, shuffle=bool(shuffle))
                y = None
                validation = kwargs.get("validation_data")
                if isinstance(validation, np.ndarray) or (
                    isinstance(validation, tuple)
                    and validation
                    and all(isinstance(v, np.ndarray) for v in validation)
                ):
                    vx, vy = (
                        (validation, None)
                        if isinstance(validation, np.ndarray)
                        else (
                            validation[0],
                            validation[1] if len(validation) > 1 else None,
                        )
                    )
                    kwargs["validation_data"] = self._array_pipeline(vx, vy, batch_size)
        else:
            self.preprocessing.check_fitted()
        return super().fit(x, y, **kwargs)

    def _array_pipeline(
        self, x: np.ndarray, y: Any, batch_size: int, shuffle: bool = False
    ) -> tf.data.Dataset:
        """``make_dataset`` of arrays (reshuffled each pass, keyed by ``config.seed``)."""
        return make_dataset(
            np.asarray(x, np.float32),
            int(batch_size),
            shuffle=shuffle,
            seed=self.config.seed,
            labels=None if y is None else np.asarray(y),
        )

    def reconstruct(self, x: Any, condition: Any = None) -> tf.Tensor:
        """``decode(encode(x))``, ``[B, *input_shape]`` (under ``condition`` for a conditional
        model; never guided: a reconstruction stays faithful to ``x``)."""
        return self.decode(self.encode(x, condition), condition, guidance=0.0)

    def interpolate(
        self, start: Any, end: Any, granularity: int = 10, condition: Any = None
    ) -> tf.Tensor:
        """Decoded linear interpolations between the codes of ``start`` and ``end``.

        Args:
            start, end: ``[B, *input_shape]``.
            granularity: number of points, ends included.
            condition: a conditional model's condition of each pair, ``[B]`` (or one).
        Returns:
            ``[B, granularity, *input_shape]``.
        """
        if granularity < 2:
            raise ValueError(f"interpolate: granularity must be >= 2, got {granularity}")
        if condition is not None and self.conditional:
            condition = as_condition(self.config, condition, len(start))
        z0, z1 = self.encode(start, condition), self.encode(end, condition)
        t = tf.linspace(0.0, 1.0, granularity)[None, :, None]
        z = (1.0 - t) * z0[:, None, :] + t * z1[:, None, :]
        if condition is not None:
            condition = np.repeat(np.asarray(condition), granularity, axis=0)
        flat = self.decode(tf.reshape(z, [-1, *self.code_shape]), condition)
        return tf.reshape(flat, [-1, granularity, *self.input_shape_])

    def embed(self, data: Any, batch_size: int = 256, condition: Any = None) -> np.ndarray:
        """Codes of an array ``[N, *input_shape]`` (with a conditional model's ``condition``
        ``[N]``) or a ``tf.data.Dataset`` (of ``(x, y)`` batches for a conditional model) as
        numpy ``[N, D]``."""
        if isinstance(data, tf.data.Dataset):
            pairs = ((unpack_inputs(b), b[1] if self.conditional else None) for b in data)
        else:
            arr = np.asarray(data, np.float32)
            if condition is not None:
                condition = self.checked_condition(condition, len(arr))
            pairs = (
                (
                    arr[i : i + batch_size],
                    None if condition is None else condition[i : i + batch_size],
                )
                for i in range(0, len(arr), batch_size)
            )
        codes = [self.encode(b, y).numpy() for b, y in pairs]
        if not codes:
            raise ValueError("embed: no data")
        return np.concatenate(codes)

    @property
    def code_shape(self) -> tuple[int, ...]:
        """Shape of one code (what :meth:`decode` takes per example): ``(latent_dim,)``."""
        return (self.latent_dim,)

    def prior_codes(self, n: Any, seed: tf.Tensor) -> tf.Tensor:
        """``n`` codes from the prior, ``[n, *code_shape]``, with a stateless seed ``[2]``
        (traceable: the SavedModel's ``sample`` signature uses it)."""
        return self.prior().sample(n, seed=seed)

    def random_codes(self, n: tf.Tensor) -> tf.Tensor:
        """Codes from stateful random ops TFLite supports (its ``sampler``): ``[n, *code_shape]``
        standard normal."""
        return tf.random.normal(tf.concat([[n], tf.constant(self.code_shape, tf.int32)], 0))

    def sample_prior(self, n: int, seed: int = 0, condition: Any = None) -> tf.Tensor:
        """``n`` codes from the prior, ``[n, *code_shape]``; drawn under ``condition`` (as in
        :meth:`decode`) for priors that read it (a class-conditional VAMP's class mixtures),
        the same codes for the others."""
        with self.conditioned(condition, n):
            return self.prior_codes(n, tf.constant([seed, 0], tf.int32))

    def generate(
        self,
        n: int,
        seed: int = 0,
        noise: bool = False,
        condition: Any = None,
        guidance: float | None = None,
        consistent: bool = False,
        guidance_rescale: float | None = None,
    ) -> tf.Tensor:
        """``n`` new examples decoded from prior samples, ``[n, *input_shape]`` in data units.

        Args:
            noise: draw ``x ~ p(x|z)`` instead of returning its mean ``E[x|z]`` (Pythae's
                ``generate``): samples with the likelihood's spread, as tables need for
                realistic rows (a Bernoulli draw gives binary images).
            condition: a conditional model's class (one label for all ``n``, or ``[n]``
                labels) or attributes (``[K]`` or ``[n, K]``): what to generate.
            guidance: the classifier-free guidance weight (:meth:`guided_params`; default
                ``config.guidance``).
            guidance_rescale: its rescale ``phi`` in ``[0, 1]`` (default
                ``config.guidance_rescale``).
            consistent: class-conditional models: keep only samples that the model itself
                classifies as their requested class (:meth:`classify`) and redraw the others
                (:func:`~tfvae.models.base.consistency.consistent_draws`; raises
                ``InconsistentSamplesError`` when a class keeps being rejected).
        """
        if consistent:
            labels = self.consistent_labels(condition, n)
            return tf.constant(
                consistent_draws(
                    self,
                    lambda y, s: self.generate(
                        len(y), s, noise, y, guidance, guidance_rescale=guidance_rescale
                    ),
                    labels,
                    seed,
                )
            )
        codes = self.sample_prior(n, seed=seed, condition=condition)
        if not noise:
            return self.decode(codes, condition, guidance, guidance_rescale)
        return self.sample_data(codes, seed, condition, guidance, guidance_rescale)

    def consistent_labels(self, condition: Any, n: int) -> np.ndarray:
        """The ``[n]`` int32 labels of a consistent draw's ``condition`` (checked: a
        class-conditional likelihood model, :func:`~tfvae.models.base.consistency.
        check_classifier`, and labels in range)."""
        check_classifier(self)
        if condition is None:
            raise ConfigError(
                f"{type(self).__name__}: consistent sampling needs condition= (the classes)"
            )
        return np.asarray(self.checked_condition(condition, n), np.int32)

    def class_log_likelihoods(
        self, x: Any, n_samples: int = 10, batch_size: int = 64, seed: int = 0
    ) -> np.ndarray:
        """``log p(x | y = k)`` of a class-conditional model for each class k,
        ``[N, num_classes]`` nats, for ``x: [N, *input_shape]`` in data units, each estimated
        with ``n_samples`` importance samples (:meth:`nll`)."""
        return class_log_likelihoods(self, x, n_samples, batch_size, seed)

    def classify(self, x: Any, n_samples: int = 10, batch_size: int = 64, seed: int = 0) -> Any:
        """A class-conditional model as a classifier (Bayes' rule, uniform class prior): the
        ``[N]`` int labels ``argmax_k log p(x | y = k)`` of ``x: [N, *input_shape]``."""
        return self.class_log_likelihoods(x, n_samples, batch_size, seed).argmax(axis=1)

    def sample_data(
        self,
        z: Any,
        seed: int = 0,
        condition: Any = None,
        guidance: float | None = None,
        guidance_rescale: float | None = None,
    ) -> tf.Tensor:
        """``x ~ p(x|z)`` for codes ``z: [B, *code_shape]``, ``[B, *input_shape]`` in data units
        (a one-hot draw per categorical block of a table); ``condition`` and ``guidance`` as
        in :meth:`decode`."""
        z = tf.convert_to_tensor(z, tf.float32)
        guidance = self.guidance_weight(guidance)
        rescale = self.rescale_weight(guidance_rescale)
        with self.conditioned(condition, z.shape[0]):
            params = self.guided_params(z, guidance, rescale)
        dist = self.likelihood.distribution(params)
        x = tf.cast(dist.sample(seed=tf.constant([seed, 1], tf.int32)), tf.float32)
        if self.likelihood.discrete:
            x = x / 255.0
        return self.preprocessing.inverse(tf.reshape(x, [-1, *self.input_shape_]))
