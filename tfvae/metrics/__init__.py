"""Evaluation metrics: disentanglement scores on datasets with known factors, sample quality
(FID, precision/recall) on the features of a pluggable extractor."""

from tfvae.metrics.conditional import (
    ClassAccuracy,
    class_accuracy,
    class_samples,
    per_class_fid,
)
from tfvae.metrics.disentanglement import (
    METRICS,
    as_representation,
    beta_vae_score,
    dci,
    dci_from_importance,
    evaluate_disentanglement,
    factor_codes,
    factor_vae_score,
    mig,
    mig_from_codes,
    mutual_info_matrix,
)
from tfvae.metrics.features import ClassifierFeatures, InceptionFeatures, default_extractor
from tfvae.metrics.fid import (
    feature_statistics,
    fid,
    frechet_distance,
    precision_recall,
    precision_recall_features,
)

__all__ = [
    "ClassAccuracy",
    "class_accuracy",
    "class_samples",
    "per_class_fid",
    "METRICS",
    "as_representation",
    "beta_vae_score",
    "dci",
    "dci_from_importance",
    "evaluate_disentanglement",
    "factor_codes",
    "factor_vae_score",
    "mig",
    "mig_from_codes",
    "mutual_info_matrix",
    "ClassifierFeatures",
    "InceptionFeatures",
    "default_extractor",
    "feature_statistics",
    "fid",
    "frechet_distance",
    "precision_recall",
    "precision_recall_features",
]
