"""Disentanglement metrics on synthetic codes with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from tfvae.data.shapes import GroundTruthData
from tfvae.metrics import (
    beta_vae_score,
    dci,
    dci_from_importance,
    evaluate_disentanglement,
    factor_vae_score,
    mig,
    mig_from_codes,
)


class FactorsAsObservations(GroundTruthData):
    """Observations are the factors themselves (as floats)."""

    factor_names = ("a", "b", "c")
    factor_sizes = (4, 5, 6)
    observation_shape = (3,)

    def sample_observations_from_factors(self, factors, rng):
        return np.asarray(factors, np.float32)


DATA = FactorsAsObservations()


def permuted(x):  # codes = factors up to permutation, sign and scale
    return np.stack([3.0 * x[:, 2], -x[:, 0], 0.5 * x[:, 1]], axis=1)


def random_codes(x):  # codes independent of the factors
    return np.random.default_rng(int(x.sum() * 7919) % 2**32).normal(size=(len(x), 3))


def entangled(x):  # two factors mixed in two codes, the third clean
    return np.stack([x[:, 0] + x[:, 1], x[:, 0] - x[:, 1], x[:, 2]], axis=1)


@pytest.fixture(scope="module")
def scores():
    return {
        name: evaluate_disentanglement(rep, DATA, seed=1, scale=0.05)
        for name, rep in (("perfect", permuted), ("random", random_codes), ("entangled", entangled))
    }


def _main(result):
    return {
        "beta_vae": result["beta_vae"]["eval_accuracy"],
        "factor_vae": result["factor_vae"]["eval_accuracy"],
        "mig": result["mig"]["mig"],
        "dci": result["dci"]["disentanglement"],
    }


def test_perfect_codes_score_near_the_maximum(scores):
    perfect = _main(scores["perfect"])
    assert perfect["beta_vae"] == 1.0 and perfect["factor_vae"] == 1.0
    assert perfect["mig"] > 0.95 and perfect["dci"] > 0.99
    assert scores["perfect"]["dci"]["completeness"] > 0.99


def test_random_codes_score_near_the_minimum(scores):
    rand = _main(scores["random"])
    chance = 1.0 / DATA.num_factors
    assert rand["beta_vae"] < chance + 0.15 and rand["factor_vae"] < chance + 0.15
    assert rand["mig"] < 0.02 and rand["dci"] < 0.1
    assert scores["random"]["dci"]["informativeness_test"] < 0.4


def test_entangled_codes_score_in_between(scores):
    perfect, rand, mixed = (_main(scores[k]) for k in ("perfect", "random", "entangled"))
    for metric in ("factor_vae", "mig", "dci"):
        assert rand[metric] + 0.1 < mixed[metric] < perfect[metric] - 0.1, metric
    assert rand["beta_vae"] < mixed["beta_vae"] <= perfect["beta_vae"]
    gaps = scores["entangled"]["mig"]["per_factor"]
    assert gaps[2] > 0.95 and max(gaps[:2]) < 0.2  # only the clean factor has a gap


def test_mig_matches_a_direct_scikit_learn_computation():
    rng = np.random.default_rng(0)
    factors = DATA.sample_factors(2000, rng)
    codes = np.stack(
        [factors[:, 0] + rng.integers(0, 2, 2000), factors[:, 1], rng.integers(0, 3, 2000)], axis=1
    ).astype(float)
    # integer codes with fewer distinct values than bins: binning keeps them distinct
    got = mig_from_codes(codes, factors, num_bins=20)
    mi = np.array(
        [[mutual_info_score(factors[:, j], codes[:, i]) for j in range(3)] for i in range(3)]
    )
    entropy = np.array([mutual_info_score(f, f) for f in factors.T])
    top = np.sort(mi, axis=0)
    expected = np.mean((top[-1] - top[-2]) / entropy)
    assert got["mig"] == pytest.approx(expected, rel=1e-9)


def test_dci_of_closed_form_importance_matrices():
    assert dci_from_importance(np.eye(3)) == pytest.approx((1.0, 1.0), abs=1e-6)
    assert dci_from_importance(np.ones((3, 3))) == pytest.approx((0.0, 0.0), abs=1e-6)
    # one code explains two factors equally: disentanglement 1 - log(2)/log(3) on that code
    d, c = dci_from_importance(np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    assert d == pytest.approx(2 / 3 * (1 - np.log(2) / np.log(3)) + 1 / 3, abs=1e-6)
    assert c == pytest.approx(1.0, abs=1e-6)


def test_metrics_accept_models_and_check_arguments():
    class Encoder:
        def encode(self, x):
            return permuted(x)

    assert mig(Encoder(), DATA, num_train=500)["mig"] > 0.9
    assert (
        factor_vae_score(Encoder(), DATA, num_train=50, num_eval=20, num_variance_estimate=200)[
            "eval_accuracy"
        ]
        == 1.0
    )
    assert beta_vae_score(Encoder(), DATA, num_train=60, num_eval=30)["eval_accuracy"] > 0.9
    assert (
        dci(Encoder(), DATA, num_train=300, num_test=100, regressor="random_forest")[
            "disentanglement"
        ]
        > 0.9
    )
    collapsed = factor_vae_score(
        lambda x: np.zeros((len(x), 3)), DATA, num_train=5, num_eval=5, num_variance_estimate=50
    )
    assert collapsed["num_active_dims"] == 0 and collapsed["eval_accuracy"] == 0.0
    with pytest.raises(ValueError, match="codes \\[n, D\\]"):
        mig(lambda x: np.zeros(len(x)), DATA, num_train=10)
    with pytest.raises(ValueError, match="unknown disentanglement metrics"):
        evaluate_disentanglement(permuted, DATA, metrics=("sap",))
    with pytest.raises(ValueError, match="regressor"):
        dci(permuted, DATA, num_train=20, num_test=10, regressor="lasso")
    with pytest.raises(TypeError, match="encode"):
        mig(42, DATA)
