"""Hierarchical VAEs: a stack of latent groups walked top-down, written once.

The generative model is ``p(x, z) = p(x | z_0..z_{L-1}) p(z_0) prod_{i>0} p(z_i | z_{<i})``
with the groups ordered from the top (``z_0``, the coarsest) down; the posterior follows the
same path, ``q(z_i | z_{<i}, x)`` (top-down inference, Sonderby et al. 2016; Vahdat & Kautz
2020), so prior and posterior of each group are diagonal Gaussians (TFP ``Independent``
``Normal``) whose parameters come from the top-down state ``h``. A model says how (hooks of
:class:`HierarchicalVAE`); this module walks the stack for training, NLL, decoding given codes,
ancestral sampling with a temperature per group, and the stateful TFLite draw.

A *code* is every group flattened and concatenated, top group first: ``[B, code_size]``.
``decode(code)`` re-walks the stack with the groups fixed, so codes from ``encode``, samplers
and interpolations decode as in a flat model.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.errors import ConfigError
from tfvae.models.base.config import BaseAEConfig
from tfvae.models.base.model import BaseAE
from tfvae.nn.replicas import global_batch_draw

tfd = tfp.distributions


@dataclasses.dataclass
class HierarchicalVAEConfig(BaseAEConfig):
    """Fields every hierarchical VAE has.

    Attributes:
        kl_warmup_steps: training steps over which the KL weight grows linearly from
            ``1 / kl_warmup_steps`` to 1 (0: no warm-up). Counted by a saved step counter, so
            resume continues the schedule.
        kl_balance: during the warm-up, weight each group's KL by its share of the total
            (NVAE's balancing: groups with a larger KL per latent variable get a larger
            weight, so no group collapses early); off after the warm-up.
        gradient_clip_norm: clip the gradient to this global norm (``None``: no clipping);
            the norm is that of the global batch under a strategy.
        gradient_skip_norm: skip the update when the gradient's global norm is above this
            value or not finite (VDVAE's skipping; ``None``: only non-finite gradients are
            skipped, and nothing is skipped under a strategy with several replicas). The
            fraction of skipped steps is the ``skipped`` term of the history.
    """

    kl_warmup_steps: int = 0
    kl_balance: bool = True
    gradient_clip_norm: float | None = 1000.0
    gradient_skip_norm: float | None = None

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("kl_warmup_steps")
        for name in ("gradient_clip_norm", "gradient_skip_norm"):
            if getattr(self, name) is not None:
                self.check_positive(name)


def soft_clamp(log_scale: tf.Tensor, bound: float = 5.0) -> tf.Tensor:
    """``bound * tanh(log_scale / bound)``: log-scales kept in ``(-bound, bound)`` smoothly
    (NVAE's soft clamp; scales between e^-5 and e^5)."""
    return bound * tf.tanh(log_scale / bound)


def group_normal(loc: tf.Tensor, log_scale: tf.Tensor) -> tfd.Distribution:
    """A diagonal Gaussian over one group ``[B, *group_shape]``: batch ``[B]``, the group's
    axes as the event."""
    return tfd.Independent(
        tfd.Normal(loc, tf.exp(log_scale)), reinterpreted_batch_ndims=len(loc.shape) - 1
    )


class HierarchicalVAE(BaseAE):
    """Base of the hierarchical VAEs (:class:`~tfvae.models.LadderVAE`,
    :class:`~tfvae.models.NVAE`): ELBO with one KL per group, importance-sampled NLL over the
    whole hierarchy, ancestral sampling with a temperature per group.

    A subclass gives :meth:`group_count` (from its config), builds its top-down layers in
    :meth:`make_layers` (setting :attr:`group_shapes`, top first), and implements the hooks
    :meth:`bottom_up`, :meth:`top_down_start`, :meth:`prior_params`,
    :meth:`posterior_params`, :meth:`absorb` and :meth:`decoder_input`.

    Loss terms: ``loss``, ``reconstruction``, ``kl`` (the sum over groups), ``kl_0`` ... (one
    per group, ``kl_0`` the top: a group whose KL stays near 0 has collapsed), ``skipped``
    (fraction of steps whose update was skipped), ``kl_weight`` (the warm-up's weight).
    """

    config_class: ClassVar[type[BaseAEConfig]] = HierarchicalVAEConfig
    variational = True
    hierarchical = True
    counts_training_steps = True  # the KL warm-up survives save and resume
    #: ``(top group first)`` shapes of the latent groups, set by :meth:`make_layers`
    group_shapes: list[tuple[int, ...]]

    def __init__(self, config: Any = None, **kwargs: Any) -> None:
        cfg = self._coerce_config(config)
        count = self.group_count(cfg)
        # per-instance terms (the number of groups is the config's): set before Keras builds
        # one tracker per term
        self.loss_terms = (
            "loss",
            "reconstruction",
            "kl",
            *(f"kl_{i}" for i in range(count)),
            "skipped",
            "kl_weight",
        )
        super().__init__(cfg, **kwargs)

    # -- what a hierarchical model defines -----------------------------------------------
    @classmethod
    def group_count(cls, config: HierarchicalVAEConfig) -> int:
        """The number of latent groups L for ``config``."""
        raise NotImplementedError

    def bottom_up(self, encoder_outputs: dict[str, tf.Tensor]) -> list[Any]:
        """The encoder's evidence for each group (top first), what :meth:`posterior_params`
        takes; raises ``ValueError`` naming a missing or misshapen output."""
        raise NotImplementedError

    def top_down_start(self, batch: tf.Tensor) -> Any:
        """The top-down state before the top group, for ``batch`` rows."""
        raise NotImplementedError

    def prior_params(self, i: int, h: Any, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """``(loc, log_scale)`` of ``p(z_i | z_{<i})``, each ``[B, *group_shapes[i]]``."""
        raise NotImplementedError

    def posterior_params(
        self, i: int, h: Any, evidence: Any, prior: tuple[tf.Tensor, tf.Tensor], training: bool
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """``(loc, log_scale)`` of ``q(z_i | z_{<i}, x)`` from the state, the group's bottom-up
        ``evidence`` and the group's prior parameters."""
        raise NotImplementedError

    def absorb(self, i: int, h: Any, z: tf.Tensor, training: bool) -> Any:
        """The top-down state after group ``i`` took the value ``z``."""
        raise NotImplementedError

    def decoder_input(self, h: Any, codes: tf.Tensor) -> tf.Tensor:
        """What the decoder network sees after the last group (the state, or the codes)."""
        raise NotImplementedError

    # -- codes ---------------------------------------------------------------------------
    @property
    def group_sizes(self) -> list[int]:
        """Latent variables per group (top first)."""
        return [math.prod(s) for s in self.group_shapes]

    @property
    def code_shape(self) -> tuple[int, ...]:
        """``(code_size,)``: every group flattened and concatenated, top first."""
        return (sum(self.group_sizes),)

    def check_code_shape(self, shape: tuple[int, ...]) -> None:
        if tuple(shape) != self.code_shape:
            raise ValueError(
                f"{type(self).__name__}: codes have shape {shape}, expected {self.code_shape}"
            )

    def split_codes(self, codes: tf.Tensor) -> list[tf.Tensor]:
        """``[B, code_size]`` -> one ``[B, *group_shape]`` per group (top first)."""
        parts = tf.split(codes, self.group_sizes, axis=-1)
        return [tf.reshape(p, [-1, *s]) for p, s in zip(parts, self.group_shapes, strict=True)]

    def join_codes(self, groups: list[tf.Tensor]) -> tf.Tensor:
        """The inverse of :meth:`split_codes`."""
        return tf.concat([tf.reshape(g, [tf.shape(g)[0], -1]) for g in groups], axis=-1)

    def temperatures(self, temperature: Any) -> list[Any]:
        """One temperature per group from a number or a sequence of L numbers."""
        if isinstance(temperature, tf.Tensor) and temperature.shape.rank == 0:
            return [temperature] * len(self.group_shapes)
        if np.ndim(temperature) == 0:
            return [float(temperature)] * len(self.group_shapes)
        values = list(temperature)
        if len(values) != len(self.group_shapes):
            raise ConfigError(
                f"{type(self).__name__}: temperature must be a number or one per group "
                f"({len(self.group_shapes)} groups, top first); got {len(values)} values"
            )
        return values

    # -- the walk ------------------------------------------------------------------------
    def walk(
        self,
        batch: tf.Tensor,
        evidence: list[Any] | None = None,
        codes: tf.Tensor | None = None,
        mode: str = "sample",
        temperature: Any = 1.0,
        seed: tf.Tensor | None = None,
        training: bool = False,
    ) -> dict[str, Any]:
        """Walk the groups top-down.

        Args:
            batch: rows B.
            evidence: :meth:`bottom_up` of the encoder (``None``: the prior path).
            codes: ``[B, code_size]`` fixed values of every group (decoding, densities).
            mode: without ``codes``: ``"sample"`` (reparameterised draws, stateless
                ``seed``; for the global batch under a strategy), ``"mean"`` (the means:
                ``encode``), ``"random"`` (stateful draws: TFLite).
            temperature: the prior's scale factor per group (prior path only).
        Returns:
            ``codes [B, code_size]``, ``h`` (the last state), and per group (lists, top first)
            ``log_p``, ``log_q``, ``kl`` ``[B]`` (the last two with evidence), and the
            posterior's ``q_loc``, ``q_log_scale``.
        """
        temps = self.temperatures(temperature)
        fixed = None if codes is None else self.split_codes(codes)
        h = self.top_down_start(batch)
        out: dict[str, Any] = {k: [] for k in ("z", "log_p", "log_q", "kl", "q_loc", "q_ls")}
        for i in range(len(self.group_shapes)):
            p_loc, p_ls = self.prior_params(i, h, training)
            p_ls = soft_clamp(p_ls)
            p = group_normal(p_loc, p_ls)
            if evidence is not None:
                loc, log_scale = self.posterior_params(i, h, evidence[i], (p_loc, p_ls), training)
                log_scale = soft_clamp(log_scale)
            else:
                loc, log_scale = p_loc, p_ls + tf.math.log(tf.cast(temps[i], tf.float32))
            if fixed is not None:
                z = fixed[i]
            elif mode == "mean":
                z = loc
            elif mode == "random":
                z = loc + tf.exp(log_scale) * tf.random.normal(tf.shape(loc))
            else:
                step_seed = tf.random.experimental.stateless_fold_in(seed, i)
                (eps,) = global_batch_draw(
                    {"loc": loc},
                    lambda e, s=step_seed: (tf.random.stateless_normal(tf.shape(e["loc"]), s),),
                    batch_axes=(0,),
                )
                z = loc + tf.exp(log_scale) * eps
            out["log_p"].append(p.log_prob(z))
            if evidence is not None:
                q = group_normal(loc, log_scale)
                out["log_q"].append(q.log_prob(z))
                out["kl"].append(tfd.kl_divergence(q, p))
                out["q_loc"].append(loc)
                out["q_ls"].append(log_scale)
            out["z"].append(z)
            h = self.absorb(i, h, z, training)
        out["codes"] = self.join_codes(out["z"])
        out["h"] = h
        return out

    def evidence_of(self, x: tf.Tensor, training: bool = False) -> list[Any]:
        """:meth:`bottom_up` of the encoder on ``x: [B, *input_shape]`` (model space)."""
        return self.bottom_up(self.run_encoder(x, training=training))

    def output_params(self, walked: dict[str, Any], training: bool = False) -> tf.Tensor:
        """The likelihood's parameters after a walk."""
        dec = self.decoder(
            self.with_condition(self.decoder_input(walked["h"], walked["codes"])),
            training=training,
        )
        return self.likelihood.params_from(dec)

    # -- the networks' contract ------------------------------------------------------------
    def _check_networks(self, x: tf.Tensor, name: str) -> None:
        enc = self.run_encoder(x, training=False)
        if not isinstance(enc, dict):
            raise ValueError(f"{name}: the encoder must return a dict; got {type(enc).__name__}")
        walked = self.walk(tf.constant(1), self.bottom_up(enc), mode="mean")
        self.check_code_shape(tuple(walked["codes"].shape[1:]))
        self.check_decoder_outputs(
            self.decoder(
                self.with_condition(self.decoder_input(walked["h"], walked["codes"])),
                training=False,
            ),
            name,
        )
        self.walk(tf.constant(1), mode="random")  # the prior path is built too

    # -- training --------------------------------------------------------------------------
    def kl_weight(self) -> tf.Tensor:
        """The warm-up's KL weight: ``min(1, (step + 1) / kl_warmup_steps)``."""
        steps = self.config.kl_warmup_steps
        if not steps:
            return tf.constant(1.0)
        return tf.minimum(1.0, (self.training_step + 1.0) / float(steps))

    def balanced_kl(self, kls: list[tf.Tensor], weight: tf.Tensor) -> tf.Tensor:
        """``sum_i c_i KL_i`` (batch means), with NVAE's balancing coefficients ``c_i`` while
        ``weight < 1`` (``c_i`` proportional to the group's mean KL per latent variable,
        normalised to mean 1, not differentiated), ``c_i = 1`` after."""
        means = tf.stack([tf.reduce_mean(k) for k in kls])
        if not self.config.kl_balance or not self.config.kl_warmup_steps:
            return tf.reduce_sum(means)
        sizes = tf.constant(self.group_sizes, tf.float32)
        share = (tf.abs(means) + 0.01) / (sizes / tf.reduce_min(sizes))
        coeff = tf.stop_gradient(share / tf.reduce_mean(share))
        coeff = tf.where(weight < 1.0, coeff, tf.ones_like(coeff))
        return tf.reduce_sum(coeff * means)

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        walked = self.walk(
            tf.shape(x)[0], self.evidence_of(x, training), seed=self.noise_seed(), training=training
        )
        recon = tf.reduce_mean(self.reconstruction_term(x, self.output_params(walked, training)))
        weight = self.kl_weight()
        kls = walked["kl"]
        kl = tf.add_n([tf.reduce_mean(k) for k in kls])
        terms = {
            "loss": recon + weight * self.balanced_kl(kls, weight),
            "reconstruction": recon,
            "kl": kl,
            "skipped": tf.constant(0.0),
            "kl_weight": tf.cast(weight, tf.float32),
        }
        terms.update({f"kl_{i}": tf.reduce_mean(k) for i, k in enumerate(kls)})
        return terms

    def gradient_limits(self) -> tuple[float | None, float | None]:
        return self.config.gradient_clip_norm, self.config.gradient_skip_norm

    # -- inference, densities, sampling --------------------------------------------------
    def code_of(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """The code of posterior means (each group's mean given the means above it)."""
        evidence = self.bottom_up(encoder_outputs)
        batch = tf.shape(tf.nest.flatten(evidence)[0])[0]
        return self.walk(batch, evidence, mode="mean")["codes"]

    def posterior_moments(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """``(mean, log_covariance)`` ``[B, code_size]`` of the posterior's groups along the
        path of posterior means (model space ``x``)."""
        walked = self.walk(tf.shape(x)[0], self.evidence_of(x), mode="mean")
        return walked["codes"], 2.0 * self.join_codes(walked["q_ls"])

    def decoder_params(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The likelihood's parameters for codes ``z: [B, code_size]``: the stack walked with
        every group fixed to its part of ``z``."""
        walked = self.walk(tf.shape(z)[0], codes=z, training=training)
        return self.output_params(walked, training)

    def prior_log_prob(self, codes: Any) -> tf.Tensor:
        """``log p(z) = sum_i log p(z_i | z_{<i})`` of codes ``[B, code_size]``, ``[B]``."""
        codes = tf.convert_to_tensor(codes, tf.float32)
        return tf.add_n(self.walk(tf.shape(codes)[0], codes=codes)["log_p"])

    def prior(self) -> tfd.Distribution:
        raise TypeError(
            f"{type(self).__name__}'s prior is a hierarchy of conditional Gaussians, not one "
            "distribution: use prior_log_prob(codes), prior_codes(n, seed, temperature) or "
            "generate(n, temperature=...)"
        )

    def posterior(self, encoder_outputs: dict[str, tf.Tensor]) -> tfd.Distribution:
        raise TypeError(
            f"{type(self).__name__}'s posterior is conditioned top-down group by group: use "
            "importance_terms or posterior_moments"
        )

    def prior_codes(self, n: Any, seed: tf.Tensor, temperature: Any = 1.0) -> tf.Tensor:
        """Ancestral samples of the prior, ``[n, code_size]``: ``z_i ~ N(mu_i, (T_i s_i)^2)``
        down the stack (``temperature`` T: one number or one per group, top first; NVAE and
        VDVAE sample at 0.6-0.9 for cleaner images)."""
        return self.walk(n, mode="sample", seed=seed, temperature=temperature)["codes"]

    def random_codes(self, n: tf.Tensor) -> tf.Tensor:
        return self.walk(n, mode="random")["codes"]

    def sample_prior(self, n: int, seed: int = 0, temperature: Any = 1.0) -> tf.Tensor:
        return self.prior_codes(n, tf.constant([seed, 0], tf.int32), temperature)

    def generate(
        self,
        n: int,
        seed: int = 0,
        noise: bool = False,
        condition: Any = None,
        temperature: Any = 1.0,
        guidance: float | None = None,
        guidance_rescale: float | None = None,
    ) -> tf.Tensor:
        """``n`` examples ``[n, *input_shape]`` (data units) from ancestral samples at
        ``temperature`` (a number, or one per group, top first); the rest as
        :meth:`BaseAE.generate`."""
        codes = self.sample_prior(n, seed=seed, temperature=temperature)
        if not noise:
            return self.decode(codes, condition, guidance, guidance_rescale)
        return self.sample_data(codes, seed, condition, guidance, guidance_rescale)

    def importance_terms(
        self,
        x: tf.Tensor,
        n_samples: int,
        training: bool = False,
        exact: bool = False,
        seed: tf.Tensor | None = None,
    ) -> dict[str, tf.Tensor]:
        """Log importance weights over the whole hierarchy, ``[K, B]`` each:
        ``log p(x|z) + sum_i log p(z_i|z_<i) - sum_i log q(z_i|z_<i, x)``; ``z [K, B, code]``."""
        evidence = self.evidence_of(x, training)
        tiled = tf.nest.map_structure(
            lambda e: tf.reshape(
                tf.repeat(e[None], n_samples, axis=0), tf.concat([[-1], tf.shape(e)[1:]], 0)
            ),
            evidence,
        )
        batch = tf.shape(x)[0]
        walked = self.walk(
            batch * n_samples,
            tiled,
            seed=self.noise_seed() if seed is None else seed,
            training=training,
        )
        log_px = self.repeated_log_px(x, self.output_params(walked, training), n_samples, exact)
        shape = [n_samples, -1]
        log_pz = tf.reshape(tf.add_n(walked["log_p"]), shape)
        log_q = tf.reshape(tf.add_n(walked["log_q"]), shape)
        return {
            "log_w": log_px + log_pz - log_q,
            "log_px": log_px,
            "log_pz": log_pz,
            "log_q": log_q,
            "z": tf.reshape(walked["codes"], [n_samples, -1, self.code_shape[0]]),
        }


def dense_stack(units: int, layers: int, out: int, name: str) -> list[keras.layers.Layer]:
    """``layers`` Dense(``units``, ELU) then Dense(``out``): the small MLPs of the top-down
    path."""
    stack: list[keras.layers.Layer] = [
        keras.layers.Dense(units, activation="elu", name=f"{name}_{j}") for j in range(layers)
    ]
    stack.append(keras.layers.Dense(out, name=f"{name}_out"))
    return stack
