"""SavedModel export with serving signatures, for TF Serving and ``saved_model_cli``.

Signatures (all float32, variable batch size):

============  ==============================================  =====================================
signature     inputs                                          outputs
============  ==============================================  =====================================
serving_      ``x``: ``[B, *input_shape]``, data units        ``reconstruction``: ``[B, *input_shape]``
default
encode        ``x``: ``[B, *input_shape]``                    ``embedding``: ``[B, D]`` (and
                                                              ``log_covariance`` for variational
                                                              models)
decode        ``z``: ``[B, D]``                               ``reconstruction``: ``[B, *input_shape]``
sample        ``num_samples``: int32 scalar, ``seed``: int32  ``samples``: ``[n, *input_shape]``,
              scalar (``< 0``: a fresh random seed); and      ``codes``: ``[n, D]``
              ``temperature``: float32 scalar for
              hierarchical models (1: the prior)
============  ==============================================  =====================================

A conditional model's signatures also take ``condition``: ``[B]`` int32 labels
(``condition="class"``) or ``[B, K]`` float32 attributes; ``sample``'s is ``[num_samples]``
(or ``[num_samples, K]``), the classes or attributes to generate.

Inputs and outputs are in the data's units (any rank: ``[B, D]``, ``[B, T, C]``,
``[B, H, W, C]``, ``[B, D, H, W, C]``): a model's fitted preprocessing is part of the graph.
``sample`` draws from the model's prior (VampPrior mixtures included) with stateless ops, so
a given seed always returns the same samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from tfvae.safety import safe_output

SIGNATURES = ("serving_default", "encode", "decode", "sample")


def condition_spec(model: Any) -> list[tf.TensorSpec]:
    """``[]``, or the ``condition`` input of a conditional model's signatures: ``[B]`` int32
    labels or ``[B, K]`` float32 attributes."""
    if not model.conditional:
        return []
    if model.config.condition == "class":
        return [tf.TensorSpec((None,), tf.int32, name="condition")]
    k = int(model.config.condition_shape[0])
    return [tf.TensorSpec((None, k), tf.float32, name="condition")]


def serving_functions(model: Any) -> dict[str, tuple[Any, list[tf.TensorSpec]]]:
    """``{signature: (function, input_signature)}`` of a tfvae model (see the module docs)."""
    shape = (None, *model.input_shape_)
    c_spec = condition_spec(model)
    x_spec = [tf.TensorSpec(shape, tf.float32, name="x"), *c_spec]
    z_spec = [tf.TensorSpec((None, *model.code_shape), tf.float32, name="z"), *c_spec]
    # a hierarchical model's ancestral draw takes a temperature (float32 scalar; 1: the prior)
    t_spec = [tf.TensorSpec((), tf.float32, name="temperature")] if model.hierarchical else []
    sample_spec = [
        tf.TensorSpec((), tf.int32, name="num_samples"),
        tf.TensorSpec((), tf.int32, name="seed"),
        *t_spec,
        *c_spec,
    ]

    def serving_default(x: tf.Tensor, condition: Any = None) -> dict[str, tf.Tensor]:
        inputs = x if condition is None else (x, condition)
        return {"reconstruction": model(inputs, training=False)}

    def encode(x: tf.Tensor, condition: Any = None) -> dict[str, tf.Tensor]:
        if not model.variational:
            return {"embedding": model.encode(x, condition)}
        with model.conditioned(condition):
            mean, log_covariance = model.posterior_moments(model.model_inputs(x))
        return {"embedding": mean, "log_covariance": log_covariance}

    def decode(z: tf.Tensor, condition: Any = None) -> dict[str, tf.Tensor]:
        return {"reconstruction": model.decode(z, condition)}

    def sample(num_samples: tf.Tensor, seed: tf.Tensor, *rest: Any) -> dict[str, tf.Tensor]:
        condition = rest[-1] if c_spec else None
        fresh = tf.random.uniform([], maxval=2**31 - 1, dtype=tf.int32)
        seed = tf.where(seed < 0, fresh, seed)
        seeds = tf.stack([seed, tf.constant(0)])
        if model.hierarchical:
            codes = model.prior_codes(num_samples, seeds, temperature=rest[0])
        else:  # under the condition: a conditional VAMP draws from the class's components
            with model.conditioned(condition):
                codes = model.prior_codes(num_samples, seeds)
        return {"samples": model.decode(codes, condition), "codes": codes}

    return {
        "serving_default": (serving_default, x_spec),
        "encode": (encode, x_spec),
        "decode": (decode, z_spec),
        "sample": (sample, sample_spec),
    }


def saved_model(model: Any, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``model`` as a SavedModel with the signatures of the module docstring.

    Load it with ``tf.saved_model.load(path).signatures["encode"](x=...)``, serve it with
    ``tensorflow_model_server --model_base_path=/abs/path/parent --model_name=NAME`` (the
    SavedModel must sit in a numbered version folder, e.g. ``.../vae/1``), or inspect it with
    ``saved_model_cli show --dir PATH --all``.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.
        UnsafeFileError: ``path`` is a symbolic link (nothing is written through it).
    """
    path = Path(path)
    if path.exists() and not path.is_symlink() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--overwrite) to replace it")
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, (fn, spec) in serving_functions(model).items():
        archive.add_endpoint(name, tf.function(fn), input_signature=spec)
    # written to a temporary folder beside ``path``, then renamed onto it
    with safe_output(path) as tmp:
        archive.write_out(str(tmp), verbose=False)
    return path
