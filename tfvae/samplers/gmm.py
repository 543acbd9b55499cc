"""GaussianMixtureSampler: a Gaussian mixture fitted on the latent codes (ex-post density)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np

from tfvae.samplers.base import BaseSampler, BaseSamplerConfig, register_sampler


@dataclasses.dataclass
class GaussianMixtureSamplerConfig(BaseSamplerConfig):
    """Config of :class:`GaussianMixtureSampler`.

    Attributes:
        n_components: number of mixture components (Pythae's default: 10).
        covariance_type: scikit-learn's ``covariance_type``.
        max_iter: EM iterations.
        seed: seeds EM's initialisation.
    """

    n_components: int = 10
    covariance_type: Literal["full", "tied", "diag", "spherical"] = "full"
    max_iter: int = 200
    seed: int = 0

    def validate(self) -> None:
        self.check_positive("n_components", "max_iter")


@register_sampler("gmm")
class GaussianMixtureSampler(BaseSampler):
    """Fits a scikit-learn ``GaussianMixture`` on the codes of the training data, then samples
    codes from it and decodes them (Ghosh et al., 2020; Pythae's ``GaussianMixtureSampler``).

    Example:
        >>> sampler = GaussianMixtureSampler(model).fit(data.train)
        >>> images = sampler.sample(64)
    """

    config_class = GaussianMixtureSamplerConfig
    needs_fit = True

    def fit(self, data: Any = None, **kwargs: Any) -> GaussianMixtureSampler:
        from sklearn.mixture import GaussianMixture

        codes = self.training_codes(data)
        n_components = self.config.n_components
        if len(codes) < n_components:
            raise ValueError(
                f"GaussianMixtureSampler: {len(codes)} codes cannot fit "
                f"n_components={n_components}; pass more data or fewer components"
            )
        self.gmm = GaussianMixture(
            n_components=n_components,
            covariance_type=self.config.covariance_type,
            max_iter=self.config.max_iter,
            random_state=self.config.seed,
        ).fit(codes)
        self.is_fitted = True
        return self

    _STATE = ("weights_", "means_", "covariances_", "precisions_cholesky_")

    def get_state(self) -> dict[str, np.ndarray]:
        return {key.rstrip("_"): np.asarray(getattr(self.gmm, key)) for key in self._STATE}

    def expected_state_shapes(self) -> dict[str, tuple[int, ...]]:
        k, d = self.config.n_components, self.code_size()
        covariance = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[
            self.config.covariance_type
        ]
        return {
            "weights": (k,),
            "means": (k, d),
            "covariances": covariance,
            "precisions_cholesky": covariance,
        }

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        from sklearn.mixture import GaussianMixture

        # shapes against the config and the model before any O(d^3) work
        self.check_state_shapes({k: np.shape(v) for k, v in state.items()})
        cfg = self.config
        gmm = GaussianMixture(
            n_components=cfg.n_components,
            covariance_type=cfg.covariance_type,
            max_iter=cfg.max_iter,
            random_state=cfg.seed,
        )
        for key in self._STATE:
            setattr(gmm, key, np.asarray(state[key.rstrip("_")], np.float64))
        if cfg.covariance_type == "full":
            gmm.precisions_ = np.einsum(
                "kij,klj->kil", gmm.precisions_cholesky_, gmm.precisions_cholesky_
            )
        elif cfg.covariance_type == "tied":
            gmm.precisions_ = gmm.precisions_cholesky_ @ gmm.precisions_cholesky_.T
        else:
            gmm.precisions_ = gmm.precisions_cholesky_**2
        gmm.converged_, gmm.n_iter_, gmm.lower_bound_ = True, 0, 0.0
        gmm.n_features_in_ = gmm.means_.shape[1]
        self.gmm = gmm
        self.is_fitted = True

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        gmm = self.gmm
        counts = rng.multinomial(n, gmm.weights_)
        comps = np.repeat(np.arange(len(counts)), counts)
        d = gmm.means_.shape[1]
        eps = rng.standard_normal((n, d))
        if gmm.covariance_type == "full":
            chol = np.linalg.cholesky(gmm.covariances_)[comps]
        elif gmm.covariance_type == "tied":
            chol = np.broadcast_to(np.linalg.cholesky(gmm.covariances_), (n, d, d))
        elif gmm.covariance_type == "diag":
            chol = np.sqrt(gmm.covariances_)[comps][:, :, None] * np.eye(d)
        else:
            chol = np.sqrt(gmm.covariances_)[comps][:, None, None] * np.eye(d)
        codes = gmm.means_[comps] + np.einsum("nij,nj->ni", chol, eps)
        return codes[rng.permutation(n)]

    def log_prob(self, codes: Any) -> np.ndarray:
        return self.gmm.score_samples(np.asarray(codes, np.float64))
