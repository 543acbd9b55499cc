"""GaussianMixtureSampler: a Gaussian mixture fitted on the latent codes (ex-post density)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np

from tfvae.models.base.condition import as_condition
from tfvae.samplers.base import BaseSampler, BaseSamplerConfig, register_sampler


@dataclasses.dataclass
class GaussianMixtureSamplerConfig(BaseSamplerConfig):
    """Config of :class:`GaussianMixtureSampler`.

    Attributes:
        n_components: number of mixture components (Pythae's default: 10); per class for a
            class-conditional model. 1 fits one Gaussian per class: cold draws around the
            class's mean code are its most typical samples (the mixture's smaller components
            also cover a class's odd sub-modes, e.g. pullovers that look like shirts).
        covariance_type: scikit-learn's ``covariance_type``.
        max_iter: EM iterations.
        seed: seeds EM's initialisation.
        temperature: draws ``mean + temperature * L eps`` around the drawn component's mean
            (``L L^T`` its covariance): 1 samples the fitted mixture; below 1 keeps codes
            nearer the components' means, where the model put its most typical examples
            (fewer odd samples, less variety).
    """

    n_components: int = 10
    covariance_type: Literal["full", "tied", "diag", "spherical"] = "full"
    max_iter: int = 200
    seed: int = 0
    temperature: float = 1.0

    def validate(self) -> None:
        self.check_positive("n_components", "max_iter")
        self.check_non_negative("temperature")


@register_sampler("gmm")
class GaussianMixtureSampler(BaseSampler):
    """Fits a scikit-learn ``GaussianMixture`` on the codes of the training data, then samples
    codes from it and decodes them (Ghosh et al., 2020; Pythae's ``GaussianMixtureSampler``).

    For a class-conditional model it fits **one mixture per class** on the codes of that
    class's examples (each encoded with its label), and ``sample(n, condition=k)`` draws
    codes from class k's mixture: codes where the model put class k, decoded as class k.

    Example:
        >>> sampler = GaussianMixtureSampler(model).fit(data.train)
        >>> images = sampler.sample(64)
        >>> shoes = GaussianMixtureSampler(cvae).fit(x, condition=y).sample(64, condition=7)
    """

    config_class = GaussianMixtureSamplerConfig
    needs_fit = True
    conditional_codes = True

    @property
    def per_class(self) -> bool:
        """One mixture per class (the model is class-conditional)."""
        return self.model.conditional and self.model.config.condition == "class"

    def _mixture(self) -> Any:
        from sklearn.mixture import GaussianMixture

        return GaussianMixture(
            n_components=self.config.n_components,
            covariance_type=self.config.covariance_type,
            max_iter=self.config.max_iter,
            random_state=self.config.seed,
        )

    def _check_count(self, count: int, what: str) -> None:
        if count < self.config.n_components:
            raise ValueError(
                f"GaussianMixtureSampler: {count} codes{what} cannot fit "
                f"n_components={self.config.n_components}; pass more data or fewer components"
            )

    def fit(self, data: Any = None, **kwargs: Any) -> GaussianMixtureSampler:
        condition = kwargs.get("condition")
        if not self.per_class:
            codes = self.training_codes(data, condition)
            self._check_count(len(codes), "")
            self.gmm = self._mixture().fit(codes)
            self.is_fitted = True
            return self
        codes, labels = self._codes_and_labels(data, condition)
        self.gmms = []
        for k in range(int(self.model.config.num_classes)):
            mine = codes[labels == k]
            self._check_count(len(mine), f" of class {k}")
            self.gmms.append(self._mixture().fit(mine))
        self.is_fitted = True
        return self

    def _codes_and_labels(self, data: Any, condition: Any) -> tuple[np.ndarray, np.ndarray]:
        import tensorflow as tf

        if isinstance(data, tf.data.Dataset):
            pairs = [(np.asarray(b[0]), np.asarray(b[1])) for b in data]
            x = np.concatenate([p[0] for p in pairs])
            condition = np.concatenate([p[1] for p in pairs])
        else:
            x = data
        if condition is None:
            raise ValueError(
                "GaussianMixtureSampler of a class-conditional model fits one mixture per "
                "class: fit(x, condition=labels) or a dataset of (x, y) batches"
            )
        labels = as_condition(self.model.config, condition, len(x))
        return self.training_codes(x, labels), labels

    _STATE = ("weights_", "means_", "covariances_", "precisions_cholesky_")

    def get_state(self) -> dict[str, np.ndarray]:
        if self.per_class:  # each array gains a leading class axis
            return {
                key.rstrip("_"): np.stack([np.asarray(getattr(g, key)) for g in self.gmms])
                for key in self._STATE
            }
        return {key.rstrip("_"): np.asarray(getattr(self.gmm, key)) for key in self._STATE}

    def expected_state_shapes(self) -> dict[str, tuple[int, ...]]:
        k, d = self.config.n_components, self.code_size()
        covariance = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[
            self.config.covariance_type
        ]
        shapes = {
            "weights": (k,),
            "means": (k, d),
            "covariances": covariance,
            "precisions_cholesky": covariance,
        }
        if self.per_class:
            c = int(self.model.config.num_classes)
            shapes = {key: (c, *shape) for key, shape in shapes.items()}
        return shapes

    def set_state(self, state: dict[str, np.ndarray]) -> None:

        # shapes against the config and the model before any O(d^3) work
        self.check_state_shapes({k: np.shape(v) for k, v in state.items()})
        if self.per_class:
            self.gmms = [
                self._restore({key: value[c] for key, value in state.items()})
                for c in range(int(self.model.config.num_classes))
            ]
        else:
            self.gmm = self._restore(state)
        self.is_fitted = True

    def _restore(self, state: dict[str, np.ndarray]) -> Any:
        cfg = self.config
        gmm = self._mixture()
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
        return gmm

    def sample_codes(self, n: int, seed: int = 0, condition: Any = None) -> np.ndarray:
        """``n`` codes ``[n, D]``; per class (``condition``: checked labels ``[n]``) for a
        class-conditional model, each row drawn from its own class's mixture."""
        t = self.config.temperature
        if not self.per_class:
            return self._draw(self.gmm, n, seed, t)
        if condition is None:
            raise ValueError("a per-class GaussianMixtureSampler samples codes of given labels")
        codes = np.zeros((n, self.gmms[0].means_.shape[1]))
        for k in np.unique(condition):
            rows = np.flatnonzero(condition == k)
            codes[rows] = self._draw(self.gmms[int(k)], len(rows), seed * 1009 + int(k), t)
        return codes

    @staticmethod
    def _draw(gmm: Any, n: int, seed: int, temperature: float = 1.0) -> np.ndarray:
        rng = np.random.default_rng(seed)
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
        codes = gmm.means_[comps] + temperature * np.einsum("nij,nj->ni", chol, eps)
        return codes[rng.permutation(n)]

    def log_prob(self, codes: Any, condition: Any = None) -> np.ndarray:
        """``log q(z)`` of codes ``[N, D]`` under the fitted mixture (``temperature`` 1),
        ``[N]`` (per class: ``log q(z | y)`` with the codes' labels ``condition``)."""
        codes = np.asarray(codes, np.float64)
        if not self.per_class:
            return self.gmm.score_samples(codes)
        labels = as_condition(self.model.config, condition, len(codes))
        out = np.zeros(len(codes))
        for k in np.unique(labels):
            rows = labels == k
            out[rows] = self.gmms[int(k)].score_samples(codes[rows])
        return out
