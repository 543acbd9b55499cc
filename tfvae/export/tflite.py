"""TFLite conversion of a model's encoder, decoder and sampler, checked against Keras."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from tfvae.export.saved_model import condition_spec
from tfvae.safety import check_output_dir, safe_write

PARTS = ("encoder", "decoder", "sampler")


class ConversionCheckError(AssertionError):
    """A converted model disagrees with Keras beyond the tolerance; nothing was written."""


def interpreter(content: bytes) -> Any:
    """A TFLite interpreter for ``content``: LiteRT (``ai_edge_litert``) when installed, else
    TensorFlow's deprecated ``tf.lite.Interpreter``."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - depends on the environment
        Interpreter = tf.lite.Interpreter  # noqa: N806
    runner = Interpreter(model_content=content)
    runner.allocate_tensors()
    return runner


def run_tflite(
    content: bytes, inputs: list[np.ndarray], names: list[str] | None = None
) -> list[np.ndarray]:
    """Run a converted model on ``inputs`` (resized to their shapes); outputs in order.

    ``names``: the inputs' signature names (e.g. ``["x", "condition"]``), matched to the
    converted model's inputs by name (TFLite may order them otherwise); without them the
    inputs go in the converted model's order."""
    runner = interpreter(content)
    details = runner.get_input_details()
    if names is not None:
        order = {name: i for i, name in enumerate(names)}

        def position(detail: dict) -> int:
            found = [i for name, i in order.items() if detail["name"].endswith(f"_{name}:0")]
            return found[0] if found else len(order)

        inputs = [inputs[position(d)] for d in details]
    for detail, value in zip(details, inputs, strict=True):
        runner.resize_tensor_input(detail["index"], value.shape)
    runner.allocate_tensors()
    for detail, value in zip(details, inputs, strict=True):
        runner.set_tensor(detail["index"], value.astype(detail["dtype"]))
    runner.invoke()
    outputs = sorted(runner.get_output_details(), key=lambda d: d["name"])
    return [runner.get_tensor(d["index"]) for d in outputs]


def _functions(model: Any) -> dict[str, tuple[Any, list[tf.TensorSpec]]]:
    shape = (None, *model.input_shape_)
    c_spec = condition_spec(model)  # a conditional model's parts take its condition

    def encoder(x: tf.Tensor, condition: Any = None) -> tf.Tensor:
        return model.encode(x, condition)

    def decoder(z: tf.Tensor, condition: Any = None) -> tf.Tensor:
        return model.decode(z, condition)

    def sampler(num_samples: tf.Tensor, condition: Any = None) -> tf.Tensor:
        # stateful random ops (RANDOM_STANDARD_NORMAL for the standard normal prior)
        return model.decode(model.random_codes(num_samples[0]), condition)

    return {
        "encoder": (encoder, [tf.TensorSpec(shape, tf.float32, name="x"), *c_spec]),
        "decoder": (
            decoder,
            [tf.TensorSpec((None, *model.code_shape), tf.float32, name="z"), *c_spec],
        ),
        "sampler": (sampler, [tf.TensorSpec((1,), tf.int32, name="num_samples"), *c_spec]),
    }


def _check_inputs(model: Any, x: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """``[x]``, with a conditional model's condition for its rows appended."""
    if not model.conditional:
        return [x]
    if model.config.condition == "class":
        return [x, rng.integers(0, model.config.num_classes, len(x)).astype(np.int32)]
    return [x, rng.random((len(x), *model.config.condition_shape)).astype(np.float32)]


@contextlib.contextmanager
def _collect_only_new_objects() -> Iterator[None]:
    """Let a full ``gc.collect()`` inside the block scan only the objects made inside it.

    TensorFlow's converter ends with ``gc.collect()`` to free the SavedModel it loaded. That
    full collection walks every object of the process: 1.7 s a part in a process holding 28
    trained models (the test suite), 0.25 s after importing TensorFlow alone. The objects older
    than the block are frozen for its length (``gc.freeze``) and given back to the collector
    after it (``gc.unfreeze``), so garbage among them waits for the next regular collection and
    what the converter made and dropped is still collected. A process that froze objects itself
    (``gc.freeze()`` after its imports, as forking servers do) keeps them frozen: ``unfreeze``
    cannot give back only ours, so the block then leaves the collector as it found it."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def convert(model: Any, fn: Any, spec: list[tf.TensorSpec], quantize: bool = False) -> bytes:
    """Convert ``fn`` (traced on ``spec``) through a one-endpoint SavedModel: converting from
    concrete functions would leave Keras 3 variables as uninitialised resource variables."""
    import tempfile

    import keras

    with tempfile.TemporaryDirectory() as tmp:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serving_default", tf.function(fn), input_signature=spec)
        archive.write_out(tmp, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        if quantize:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        with _collect_only_new_objects():
            return converter.convert()


def to_tflite(
    model: Any,
    out_dir: str | Path,
    parts: tuple[str, ...] = PARTS,
    quantize: bool = False,
    check: bool = True,
    atol: float | None = None,
) -> dict[str, Path]:
    """Convert encoder (``x -> embedding``), decoder (``z -> reconstruction``) and sampler
    (``num_samples: [1] int32 -> samples``, N(0, I) codes) to ``.tflite`` files in ``out_dir``.

    Before writing, each converted encoder/decoder runs on a batch and is compared with Keras
    (``atol``: 1e-5, or 0.1 with dynamic-range ``quantize``); the sampler is checked for shape
    and range (its random draws differ from TensorFlow's). The sampler exists for models with a
    standard normal prior only.

    Raises:
        ConversionCheckError: a converted part disagrees with Keras; nothing is written for it.
        ValueError: an unknown part, or a sampler for a model with another prior.
    """
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"unknown TFLite parts {unknown}; choose from {list(PARTS)}")
    if "sampler" in parts and model.mixture_prior:
        raise ValueError(
            f"{type(model).__name__} has a mixture prior: export the decoder and "
            "sample codes yourself, or use the SavedModel 'sample' signature"
        )
    atol = atol if atol is not None else (0.1 if quantize else 1e-5)
    out = check_output_dir(Path(out_dir))  # refuses a symbolic link
    rng = np.random.default_rng(0)
    written = {}
    for name, (fn, spec) in _functions(model).items():
        if name not in parts:
            continue
        content = convert(model, fn, spec, quantize)
        if check:
            if name == "sampler":
                inputs = _check_inputs(model, np.array([5], np.int32), rng)
                got = run_tflite(content, inputs, [t.name for t in spec])[0]
                if got.shape != (5, *model.input_shape_) or not np.isfinite(got).all():
                    raise ConversionCheckError(f"TFLite sampler returned {got.shape}")
            else:
                if name == "encoder":
                    x = rng.random((4, *model.input_shape_)).astype(np.float32)
                else:
                    x = rng.normal(size=(4, *model.code_shape)).astype(np.float32)
                inputs = _check_inputs(model, x, rng)
                want = np.asarray(fn(*[tf.constant(v) for v in inputs]))
                got = run_tflite(content, inputs, [t.name for t in spec])[0]
                err = float(np.max(np.abs(got - want)))
                if not err <= atol:
                    raise ConversionCheckError(
                        f"TFLite {name} differs from Keras by {err:.3g} (tolerance {atol}); "
                        "not written"
                    )
        path = out / f"{name}.tflite"
        safe_write(path, content, out)
        written[name] = path
    return written
