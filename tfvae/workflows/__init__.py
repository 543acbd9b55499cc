"""Workflows: what users do with trained autoencoders (data augmentation, benchmarks)."""

from tfvae.workflows.augmentation import AugmentConfig, AugmentResult, augment, class_scores
from tfvae.workflows.benchmark import (
    BenchmarkConfig,
    BenchmarkResult,
    benchmark,
    default_sampler,
)

__all__ = [
    "AugmentConfig",
    "AugmentResult",
    "augment",
    "class_scores",
    "BenchmarkConfig",
    "BenchmarkResult",
    "benchmark",
    "default_sampler",
]
