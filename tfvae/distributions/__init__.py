"""TFP building blocks: posteriors, likelihoods and priors.

Build these inside ``call``/loss code from tensors (TFP objects cannot take KerasTensors,
and a distribution built once from a variable gives that variable no gradient).
"""

from tfvae.distributions.likelihoods import (
    LIKELIHOODS,
    BernoulliLikelihood,
    DiscretizedLogisticLikelihood,
    GaussianLikelihood,
    LaplaceLikelihood,
    LearnedGaussianLikelihood,
    Likelihood,
    TableLikelihood,
    get_likelihood,
    likelihood_for,
)
from tfvae.distributions.posteriors import diagonal_gaussian
from tfvae.distributions.priors import standard_normal
from tfvae.distributions.vmf import (
    VonMisesFisher,
    implicit_w_gradient,
    mean_resultant_length,
    vmf_kl_to_uniform,
)

__all__ = [
    "LIKELIHOODS",
    "BernoulliLikelihood",
    "DiscretizedLogisticLikelihood",
    "GaussianLikelihood",
    "LaplaceLikelihood",
    "LearnedGaussianLikelihood",
    "Likelihood",
    "TableLikelihood",
    "likelihood_for",
    "diagonal_gaussian",
    "get_likelihood",
    "standard_normal",
    "VonMisesFisher",
    "implicit_w_gradient",
    "mean_resultant_length",
    "vmf_kl_to_uniform",
]
