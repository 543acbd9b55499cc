"""Evaluation metrics: disentanglement scores on datasets with known factors."""

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

__all__ = [
    "METRICS", "as_representation", "beta_vae_score", "dci", "dci_from_importance",
    "evaluate_disentanglement", "factor_codes", "factor_vae_score", "mig", "mig_from_codes",
    "mutual_info_matrix",
]  # fmt: skip
