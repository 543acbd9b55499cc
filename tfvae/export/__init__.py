"""Export: SavedModel with serving signatures (TF Serving) and TFLite encoder/decoder/sampler."""

from tfvae.export.saved_model import SIGNATURES, saved_model, serving_functions
from tfvae.export.tflite import PARTS, ConversionCheckError, run_tflite, to_tflite

__all__ = [
    "PARTS",
    "SIGNATURES",
    "ConversionCheckError",
    "run_tflite",
    "saved_model",
    "serving_functions",
    "to_tflite",
]
