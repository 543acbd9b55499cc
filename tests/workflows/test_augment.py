"""The augmentation workflow at tiny size: table structure, and synthetic images reach the CNN."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import tfvae
from tfvae.workflows import AugmentConfig, augment, class_scores
from tfvae.workflows import augmentation as augment_module


def test_class_scores_against_hand_counts():
    y = np.array([0, 0, 0, 1, 1, 2])
    p = np.array([0, 0, 1, 1, 2, 2])
    s = class_scores(y, p, np.array([0, 1, 2]))
    # recalls 2/3, 1/2, 1; specificities 3/3, 3/4, 4/5
    assert s["balanced accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert s["sensitivity"] == s["balanced accuracy"]
    assert s["specificity"] == pytest.approx((1 + 3 / 4 + 4 / 5) / 3)


def test_augment_runs_tiny_and_the_classifier_sees_the_synthetic_images(
    digits, tmp_path, monkeypatch
):
    seen = {}
    original = augment_module.train_classifier

    def spy(x, y, n_classes, cfg, seed):
        seen[(seed, len(x))] = x.copy()
        return original(x, y, n_classes, cfg, seed)

    monkeypatch.setattr(augment_module, "train_classifier", spy)
    config = AugmentConfig(
        model="vae",
        per_class=10,
        synthetic=[5, 20],
        seeds=2,
        classes=[0, 1],
        latent_dim=2,
        width=32,
        epochs=2,
        classifier_steps=3,
        classifier_batch=16,
        test_limit=60,
    )
    result = augment(digits, config, out=tmp_path, verbose=False)

    names = [r["training set"] for r in result.rows]
    assert names == [
        "real",
        "real + 5 synthetic/class",
        "5 synthetic/class only",
        "real + 20 synthetic/class",
        "20 synthetic/class only",
    ]
    assert [r["train images"] for r in result.rows] == [20, 30, 10, 60, 40]
    assert len(result.runs) == 2 * 5
    for row in result.rows:
        for metric in ("balanced accuracy", "sensitivity", "specificity"):
            assert 0.0 <= row[metric] <= 1.0 and row[metric + " std"] >= 0.0
    # The mixed set holds the 20 real images, then 2 x 5 generated ones (not copies of reals).
    mixed = seen[(0, 30)]
    real, synthetic = mixed[:20], mixed[20:]
    assert np.array_equal(seen[(0, 20)], real)
    assert np.array_equal(seen[(0, 10)], synthetic)
    distances = np.abs(synthetic[:, None] - digits.x_train[None]).reshape(
        10, len(digits.x_train), -1
    )
    assert distances.max(axis=-1).min() > 1e-3, "synthetic images are new images"
    assert not np.array_equal(seen[(0, 20)], seen[(1, 20)]), "each seed draws its own subset"

    table = (tmp_path / "augment.md").read_text()
    assert "| real + 20 synthetic/class | 60 |" in table and " +- " in table
    with open(tmp_path / "augment.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 5
    assert (tmp_path / "synthetic_samples.png").is_file()


def test_conditional_augment_trains_one_model_for_every_class(digits, tmp_path, monkeypatch):
    calls = []
    original = augment_module._generator

    def spy(x, cfg, seed, fields, labels=None, num_classes=None):
        calls.append((len(x), None if labels is None else sorted(set(labels.tolist()))))
        return original(x, cfg, seed, fields, labels, num_classes)

    monkeypatch.setattr(augment_module, "_generator", spy)
    config = AugmentConfig(
        model="vae",
        per_class=10,
        synthetic=[5],
        seeds=1,
        classes=[3, 7],
        latent_dim=2,
        width=32,
        epochs=2,
        classifier_steps=3,
        classifier_batch=16,
        test_limit=60,
        conditional=True,
    )
    result = augment(digits, config, out=tmp_path, verbose=False)
    # one model on the 20 labelled images, labels mapped to the classifier's 0..K-1
    assert calls == [(20, [0, 1])]
    assert [r["train images"] for r in result.rows] == [20, 30, 10]
    assert "one conditional model" in (tmp_path / "augment.md").read_text()


def test_bad_requests_are_named(digits):
    with pytest.raises(tfvae.ConfigError, match="synthetic"):
        AugmentConfig(synthetic=[0])
    with pytest.raises(ValueError, match="fewer than per_class=1000"):
        augment(digits, AugmentConfig(per_class=1000, classes=[0]), verbose=False)
    with pytest.raises(ValueError, match=r"classes \[42\]"):
        augment(digits, AugmentConfig(classes=[42]), verbose=False)


def test_cli_augment_writes_the_table(tmp_path, capsys):
    from tfvae import cli

    code = cli.main(
        [
            "tfvae",
            "augment",
            "--data",
            "digits",
            "--classes",
            "3,8",
            "--per-class",
            "8",
            "--synthetic",
            "4",
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--classifier-steps",
            "2",
            "--latent_dim",
            "2",
            "--width",
            "16",
            "--test-limit",
            "40",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "| real + 4 synthetic/class | 24 |" in (tmp_path / "augment.md").read_text()
    assert cli.main(["tfvae", "augment", "--synthetic", "many"]) == 2
    assert "comma-separated integers" in capsys.readouterr().err


def test_augment_on_a_real_valued_table_uses_an_mlp_and_rows_in_data_units(tmp_path, monkeypatch):
    seen = {}
    original = augment_module.train_classifier

    def spy(x, y, n_classes, cfg, seed):
        seen[len(x)] = x.copy()
        return original(x, y, n_classes, cfg, seed)

    monkeypatch.setattr(augment_module, "train_classifier", spy)
    data = tfvae.data.load("breast_cancer", validation_split=0.0)
    config = AugmentConfig(
        per_class=20,
        synthetic=[30],
        seeds=1,
        latent_dim=4,
        width=32,
        epochs=20,
        classifier_steps=30,
        classifier_batch=16,
    )
    result = augment(data, config, out=tmp_path, verbose=False)
    assert result.rows[0]["balanced accuracy"] > 0.7  # the MLP on 40 real rows
    synthetic = seen[60][:]  # 30 synthetic rows per class only
    # rows in the table's units (areas in the hundreds), drawn with the likelihood's spread
    assert synthetic[:, 3].mean() > 100 and synthetic[:, 3].std() > 10
    assert augment_module.small_cnn((30,), 2).layers[0].name == "standardize"
    assert augment_module.small_cnn((4, 4, 4, 1), 2).layers[0].__class__.__name__ == "Conv3D"
    assert (tmp_path / "synthetic_samples.png").is_file()
