"""Workflows: what users do with a trained autoencoder (data augmentation, ...)."""

from tfvae.workflows.augmentation import AugmentConfig, AugmentResult, augment, class_scores

__all__ = ["AugmentConfig", "AugmentResult", "augment", "class_scores"]
