"""``tfvae export``: a SavedModel for TF Serving, or TFLite files."""

from __future__ import annotations

from pathlib import Path

from absl import flags

from tfvae import safety
from tfvae.cli.common import (
    Flags,
    define_model_flag,
    load_trained,
)


def define(fv: flags.FlagValues) -> None:
    define_model_flag(fv)
    flags.DEFINE_enum(
        "format",
        "saved_model",
        ["saved_model", "tflite"],
        "saved_model (signatures serving_default, encode, decode, sample) or tflite "
        "(encoder.tflite, decoder.tflite, sampler.tflite).",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "out", None, "Output folder (default: <run>/export/<format>).", flag_values=fv
    )
    flags.DEFINE_bool("quantize", False, "TFLite dynamic-range quantization.", flag_values=fv)
    flags.DEFINE_bool("overwrite", False, "Replace an existing SavedModel folder.", flag_values=fv)


def run(fv: Flags) -> int:
    from tfvae.export import PARTS, SIGNATURES, saved_model, to_tflite

    model_file, model, _ = load_trained(fv)
    out = Path(fv.out) if fv.out else model_file.parent / "export" / fv.format
    if not fv.out:  # inside the model's folder: neither export/ nor its format folder a link
        safety.check_output_path(out / "_", model_file.parent)
        safety.check_output_path(out, model_file.parent)
    if fv.format == "saved_model":
        saved_model(model, out, overwrite=fv.overwrite)
        print(
            f"wrote SavedModel {out} (signatures: {', '.join(SIGNATURES)}); inspect it with "
            f"`saved_model_cli show --dir {out} --all`"
        )
    else:
        parts = PARTS if not model.mixture_prior else ("encoder", "decoder")
        written = to_tflite(model, out, parts=parts, quantize=fv.quantize)
        print(f"wrote {', '.join(str(p) for p in written.values())} (checked against Keras)")
    return 0
