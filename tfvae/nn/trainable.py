"""``LossTermsModel``: the Keras training step every tfvae model shares.

A subclass lists its ``loss_terms`` (``"loss"`` first) and implements
``compute_loss_terms(x, training) -> {term: scalar}``. This class does the rest once: one
``keras.metrics.Mean`` per term (so ``fit`` history and TensorBoard show epoch means of every
term, weighted by batch size), the gradient step (the per-replica loss divided by the number of
replicas under a strategy), several optimizers in one step (:attr:`optimizer_groups`), and
stateless noise seeds keyed by the training step (exact resume).
"""

from __future__ import annotations

import contextlib
import zlib
from typing import Any, ClassVar

import keras
import tensorflow as tf


def stream_salt(stream: str) -> int:
    """The integer a named noise stream adds to a model's seed: 0 for ``"posterior"`` (the
    main stream, as before streams had names), else the CRC-32 of the name."""
    if not isinstance(stream, str) or not stream:
        raise TypeError(f"a noise stream is named by a non-empty string, got {stream!r}")
    return 0 if stream == "posterior" else zlib.crc32(stream.encode()) % 1_000_003


def unpack_inputs(data: Any) -> tf.Tensor:
    """The inputs ``x`` of a batch that may be ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, w)``."""
    if isinstance(data, tuple | list):
        return data[0]
    if isinstance(data, dict):
        return data["x"] if "x" in data else data["image"]
    return data


def _stepper(optimizer: keras.optimizers.Optimizer, grads: list, variables: list) -> Any:
    def step() -> tf.Tensor:
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return tf.constant(True)

    return step


class LossTermsModel(keras.Model):
    """Keras model trained on named loss terms; see the module docstring."""

    loss_terms: ClassVar[tuple[str, ...]] = ("loss",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trackers = {term: keras.metrics.Mean(name=term) for term in self.loss_terms}
        self.group_optimizers: dict[str, keras.optimizers.Optimizer] = {}

    def noise_seed(self, stream: str = "posterior") -> tf.Tensor:
        """A stateless seed ``[2]`` int32 of the named noise ``stream`` at this training step.

        Each stream (``"posterior"``: the reparameterisation noise of the training step;
        ``"prior"``, ``"permutation"``, ``"gumbel"``, ...) is keyed by (seed_key, the stream's
        name, the optimizer's step), so a subclass adds a stream by naming it, without knowing
        its parents' streams. Noise drawn with it is a pure function of the step: a resumed
        run draws exactly the noise of an uninterrupted one. The seed is the same on every
        replica of a distributed run: draw for the global batch and keep this replica's rows
        (:func:`tfvae.nn.replicas.global_batch_draw`), so N replicas match one device.
        """
        optimizer = getattr(self, "optimizer", None)
        step = optimizer.iterations if optimizer is not None else 0
        key = (self.seed_key() * 1_000_003 + stream_salt(stream)) % (2**31 - 1)
        return tf.stack([tf.constant(key, tf.int32), tf.cast(step, tf.int32)])

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        """Loss and its parts for a batch ``x``; scalars (batch means), ``"loss"`` included."""
        raise NotImplementedError

    def model_inputs(self, x: tf.Tensor) -> tf.Tensor:
        """Hook: the batch's inputs as the losses see them (a fitted preprocessing)."""
        return x

    def after_train_step(self) -> None:
        """Hook run at the end of every training step (update step counters, schedules)."""

    def batch_scope(self, data: Any, training: bool = False) -> Any:
        """Hook: a context around a step's losses made from its whole batch (the condition of
        ``(x, y)`` batches for conditional models; ``training``: in a training step); none by
        default."""
        return contextlib.nullcontext()

    def seed_key(self) -> int:
        """The integer that keys this model's noise (its config's seed)."""
        return 0

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def _record(self, terms: dict[str, tf.Tensor], batch_size: tf.Tensor) -> dict[str, tf.Tensor]:
        missing = [t for t in self.loss_terms if t not in terms]
        if missing:
            raise KeyError(f"{type(self).__name__}.compute_loss_terms did not return {missing}")
        weight = tf.cast(batch_size, tf.float32)
        for term, tracker in self.trackers.items():
            tracker.update_state(terms[term], sample_weight=weight)
        logs = {name: tracker.result() for name, tracker in self.trackers.items()}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3.15 reduces step logs over axis 0 under this strategy and fails on
            # scalars; epoch logs still come from the synced metric variables.
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    #: ``{loss term: (sub-network attribute, ...)}`` for models trained by several optimizers
    #: (PIWAE's encoder and decoder, adversarial models): each group's variables are updated
    #: from its own term by its own optimizer, all in one ``train_step``. The compiled
    #: optimizer serves the first group; the others get clones of it, or the optimizers
    #: passed as ``compile(optimizers={term: ...})``. All are saved and restored on resume.
    optimizer_groups: ClassVar[dict[str, tuple[str, ...]] | None] = None
    #: ``{group's loss term: gate term}``: the group's optimizer steps only when the gate term
    #: (a 0/1 value ``compute_loss_terms`` returns) is 1, else the step is skipped entirely
    #: (weights, slots and iteration count untouched), as VAEGAN's equilibrium rule needs.
    #: Its epoch mean in ``fit`` history is the fraction of steps the group was updated.
    gated_groups: ClassVar[dict[str, str]] = {}

    def compile(
        self, optimizer: Any = "rmsprop", *args: Any, optimizers: dict | None = None, **kwargs: Any
    ) -> None:
        """``keras.Model.compile``; models with :attr:`optimizer_groups` also take
        ``optimizers={loss term: optimizer}`` for the groups after the first."""
        super().compile(optimizer, *args, **kwargs)
        groups = list(self.optimizer_groups or {})
        given = dict(optimizers or {})
        unknown = sorted(set(given) - set(groups[1:]))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.compile: optimizers for unknown groups {unknown}; "
                f"groups after the first: {groups[1:]}"
            )
        self.group_optimizers = {}
        if groups:
            # Built now with its own group's variables, so that a checkpoint restore (which
            # builds an unbuilt optimizer on *all* variables) finds matching slots.
            self.optimizer.build(self.group_variables(groups[0]))
        for term in groups[1:]:
            opt = given.get(term)
            if opt is None:
                opt = type(self.optimizer).from_config(self.optimizer.get_config())
            opt = keras.optimizers.get(opt)
            opt.build(self.group_variables(term))
            self.group_optimizers[term] = opt

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Recompile a reloaded model (Keras skips this for models that override ``compile``);
        group optimizers are rebuilt as clones of the main one, then their state is loaded."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built and not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)

    def group_variables(self, term: str) -> list[keras.Variable]:
        """Trainable variables of the sub-networks that ``term`` trains."""
        variables: list[keras.Variable] = []
        for attr in self.optimizer_groups[term]:
            variables += getattr(self, attr).trainable_variables
        return variables

    def gradient_limits(self) -> tuple[float | None, float | None]:
        """Hook: ``(clip_norm, skip_norm)`` of the update (single-optimizer models; ``None``
        each: off). With either set, the gradient's global norm is measured (of the global
        batch under a strategy), the gradient is clipped to ``clip_norm``, and on one device
        a step whose norm is above ``skip_norm`` or not finite is skipped (weights, slots and
        iterations untouched, VDVAE's rule). Under several replicas every step is applied: a
        skip cannot be synchronised over the replicas' optimizers. The step's ``skipped``
        term says whether it was skipped."""
        return None, None

    def _limited_step(
        self,
        optimizer: keras.optimizers.Optimizer,
        grads: list,
        variables: list,
        clip: float | None,
        skip: float | None,
    ) -> tuple[list, tf.Tensor]:
        """Clip and maybe skip one update (see :meth:`gradient_limits`); returns the grads
        and whether the update was applied."""
        ctx = tf.distribute.get_replica_context()
        replicas = 1 if ctx is None else ctx.num_replicas_in_sync
        total = grads if replicas == 1 else [ctx.all_reduce("sum", g) for g in grads]
        norm = tf.linalg.global_norm(total)
        if clip is not None:
            factor = tf.minimum(1.0, clip / tf.maximum(norm, 1e-12))
            grads = [g * tf.cast(factor, g.dtype) for g in grads]
        if replicas > 1:
            optimizer.apply_gradients(zip(grads, variables, strict=True))
            return grads, tf.constant(True)
        ok = tf.math.is_finite(norm)
        if skip is not None:
            ok = tf.logical_and(ok, norm <= skip)
        applied = tf.cond(ok, _stepper(optimizer, grads, variables), lambda: tf.constant(False))
        return grads, applied

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        x = self.model_inputs(unpack_inputs(data))
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        groups = self.optimizer_groups or {"loss": None}
        with (
            tf.GradientTape(persistent=len(groups) > 1) as tape,
            self.batch_scope(data, training=True),
        ):
            terms = self.compute_loss_terms(x, training=True)
            regularization = tf.add_n(self.losses) if self.losses else 0.0
            objectives = {term: (terms[term] + regularization) / replicas for term in groups}
        if self.gated_groups and replicas > 1:
            raise NotImplementedError(
                f"{type(self).__name__}: skipping an optimizer's step on a condition "
                f"({sorted(self.gated_groups)}) cannot run under a strategy with {replicas} "
                "replicas (Keras optimizers synchronise replicas, which a conditional cannot "
                "hold); train on one device or switch the condition off (VAEGAN: "
                "use_equilibrium=False)"
            )
        for i, term in enumerate(groups):
            if groups[term] is None:
                variables = self.trainable_variables
            else:
                variables = self.group_variables(term)
            optimizer = self.optimizer if i == 0 else self.group_optimizers[term]
            grads = tape.gradient(objectives[term], variables)
            clip, skip = self.gradient_limits() if len(groups) == 1 else (None, None)
            if clip is not None or skip is not None:
                grads, applied = self._limited_step(optimizer, grads, variables, clip, skip)
                terms = {**terms, "skipped": 1.0 - tf.cast(applied, tf.float32)}
            elif term in self.gated_groups:
                tf.cond(
                    terms[self.gated_groups[term]] > 0.5,
                    _stepper(optimizer, grads, variables),
                    lambda: tf.constant(False),
                )
            else:
                optimizer.apply_gradients(zip(grads, variables, strict=True))
        del tape
        self.after_train_step()
        return self._record(terms, tf.shape(x)[0])

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        x = self.model_inputs(unpack_inputs(data))
        with self.batch_scope(data):
            terms = self.compute_loss_terms(x, training=False)
        return self._record(terms, tf.shape(x)[0])
