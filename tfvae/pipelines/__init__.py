"""Pipelines: one-call training and generation."""

from tfvae.pipelines.generation import GenerationPipeline
from tfvae.pipelines.training import TrainingPipeline

__all__ = ["GenerationPipeline", "TrainingPipeline"]
