"""Data of every kind: arrays by rank, tables, UCR series, NIfTI and procedural volumes, and
the bad files each loader must refuse with a DataError that names the file, column or index."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

import tfvae
from tfvae import safety
from tfvae.data import DataError, TableSchema, as_examples, fit_stats
from tfvae.data.series import read_ts
from tfvae.data.volumes import make_volumes, read_nifti, read_nifti_folder, write_nifti

NIBABEL_DATA = __import__("nibabel").__path__[0] + "/tests/data"


def test_as_examples_by_kind():
    assert as_examples(np.zeros((5, 7)), kind="sequence").shape == (5, 7, 1)
    assert as_examples(np.zeros((5, 7, 3))).shape == (5, 7, 3, 1)  # [N, H, W]: images
    assert as_examples(np.zeros((5, 7, 3)), kind="sequence").shape == (5, 7, 3)
    assert as_examples(np.zeros((2, 4, 4, 4)), kind="volume").shape == (2, 4, 4, 4, 1)
    assert as_examples(np.zeros((2, 4, 4, 4, 1))).shape == (2, 4, 4, 4, 1)
    real = np.linspace(-300.0, 4254.0, 12).reshape(4, 3)
    np.testing.assert_array_equal(as_examples(real), real.astype(np.float32))  # no coercion
    np.testing.assert_allclose(as_examples(np.full((2, 3), 255, np.uint8)), 1.0)
    with pytest.raises(DataError, match="sequences must have shape"):
        as_examples(np.zeros((2, 3, 4, 5)), kind="sequence")
    with pytest.raises(DataError, match=r"NaN/Inf values \(first at index \(1, 2\)\)"):
        x = np.zeros((3, 4))
        x[1, 2] = np.nan
        as_examples(x)


def test_fit_stats_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(1e4, 30.0, (200, 5, 3))
    stats = fit_stats(x, "standardize", "channel")
    np.testing.assert_allclose(stats.shift.ravel(), x.mean((0, 1)), rtol=1e-6)
    np.testing.assert_allclose(stats.scale.ravel(), x.std((0, 1)), rtol=1e-5)
    mm = fit_stats(x.reshape(200, 15), "minmax", "feature")
    np.testing.assert_allclose(mm.scale, np.ptp(x.reshape(200, 15), 0), rtol=1e-5)
    constant = fit_stats(np.ones((4, 2)), "standardize", "feature")
    np.testing.assert_array_equal(constant.scale, 1.0)


def test_real_valued_table_loads_in_its_units():
    splits = tfvae.data.load("breast_cancer", seed=0, validation_split=0.2)
    assert splits.input_shape == (30,) and splits.kind == "vector"
    assert splits.x_train.max() > 1000  # area features: real units, not squeezed into [0, 1]
    assert splits.class_names == ["malignant", "benign"]


def test_ucr_series_from_aeon_wheel():
    splits = tfvae.data.load("ucr:GunPoint", validation_split=0.0)
    assert splits.input_shape == (150, 1) and splits.kind == "sequence"
    assert len(splits.x_train) == 50 and len(splits.x_test) == 150
    assert set(np.unique(splits.y_train)) == {0, 1}
    with pytest.raises(DataError, match="aeon ships no UCR dataset 'NoSuchSet'"):
        tfvae.data.load("ucr:NoSuchSet")


def test_bad_ts_files_are_refused(tmp_path):
    header = "@problemName X\n@classLabel true a b\n@data\n"
    cases = {
        "nodata.ts": "@problemName X\n",
        "label.ts": header + "1,2,3:c\n",
        "ragged.ts": header + "1,2,3:a\n1,2:b\n",
        "text.ts": header + "1,x,3:a\n",
        "missing.ts": header + "1,nan,3:a\n",
    }
    messages = {
        "nodata.ts": "no @data",
        "label.ts": "label 'c' not in",
        "ragged.ts": "unequal lengths",
        "text.ts": "not a number",
        "missing.ts": "missing or infinite",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(DataError, match=messages[name]):
            read_ts(tmp_path / name)
    x, y, names = read_ts(tmp_path / "ragged.ts", pad_to=3)
    assert x.shape == (2, 3, 1) and x[1, 2, 0] == 2.0 and names == ["a", "b"]


def test_procedural_volumes_and_nifti_round_trip(tmp_path):
    x, factors = make_volumes(6, size=16, seed=1)
    assert x.shape == (6, 16, 16, 16, 1) and factors.shape == (6, 5)
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.mean() > 0.01
    for cls in ("a", "b"):
        for i in range(2):
            write_nifti(x[i], tmp_path / "vols" / cls / f"v{i}.nii.gz")
    vols, labels, names = read_nifti_folder(tmp_path / "vols", normalize=False)
    assert vols.shape == (4, 16, 16, 16, 1) and names == ["a", "b"]
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    np.testing.assert_allclose(vols[0], x[0], atol=1e-6)
    splits = tfvae.data.load(tmp_path / "vols", validation_split=0.0)
    assert splits.kind == "volume" and splits.input_shape == (16, 16, 16, 1)
    real = read_nifti(f"{NIBABEL_DATA}/anatomical.nii")
    assert real.shape == (33, 41, 25, 1)


def test_bad_volumes_are_refused(tmp_path):
    x, _ = make_volumes(2, size=8)
    write_nifti(x[0], tmp_path / "mixed" / "a.nii")
    write_nifti(np.zeros((8, 8, 9, 1), np.float32), tmp_path / "mixed" / "b.nii")
    with pytest.raises(DataError, match=r"mixed shapes.*a\.nii.*b\.nii"):
        read_nifti_folder(tmp_path / "mixed")
    assert read_nifti_folder(tmp_path / "mixed", shape=(8, 8, 8))[0].shape == (2, 8, 8, 8, 1)
    fake = tmp_path / "fake.nii.gz"
    fake.write_bytes(gzip.compress(b"not a nifti header" * 30))
    with pytest.raises(DataError, match="fake.nii.gz is not a NIfTI file"):
        read_nifti(fake)
    with safety.limits(array_elements=100), pytest.raises(DataError, match="512 voxels"):
        read_nifti(tmp_path / "mixed" / "a.nii")


def _mixed_frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    size = rng.choice(["small", "medium", "large"], n)
    return pd.DataFrame(
        {
            "radius": rng.normal(14.0, 3.0, n) + (size == "large") * 5.0,
            "count": rng.integers(0, 50, n),
            "size": size,
            "smoker": rng.random(n) < 0.3,
            "label": rng.choice(["x", "y"], n),
        }
    )


def test_table_schema_round_trip(tmp_path):
    frame = _mixed_frame()
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    splits = tfvae.data.load(path, label_column="label", categorical=["size"], validation_split=0)
    schema = splits.schema
    assert schema.numeric == ["radius", "count"] and schema.categorical_sizes == (3, 2)
    assert splits.input_shape == (7,) and splits.class_names == ["x", "y"]
    back = schema.decode(schema.encode(pd.read_csv(path).drop(columns="label")))
    features = frame.drop(columns="label")
    assert list(back.columns) == list(features.columns)
    assert dict(back.dtypes.astype(str)) == dict(features.dtypes.astype(str))
    pd.testing.assert_frame_equal(back, features, check_exact=False)
    assert TableSchema.from_dict(schema.to_dict()) == schema


def test_bad_tables_are_refused(tmp_path):
    frame = _mixed_frame(10)
    nan = frame.copy()
    nan.loc[4, "radius"] = np.nan
    nan.to_csv(tmp_path / "nan.csv", index=False)
    with pytest.raises(DataError, match="column 'radius' has missing values \\(first at row 4\\)"):
        tfvae.data.load(tmp_path / "nan.csv", categorical=["size", "label"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match="column 'size' has dtype .*neither numeric nor declared"):
        tfvae.data.load(tmp_path / "t.csv", label_column="label")
    schema = TableSchema.fit(frame, categorical=["size", "label"])
    unseen = frame.copy()
    unseen.loc[0, "size"] = "huge"
    with pytest.raises(DataError, match="column 'size' has category 'huge', unseen"):
        schema.encode(unseen)
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="cannot parse the table"):
        tfvae.data.load(tmp_path / "bad.parquet")
    with safety.limits(data_bytes=100), pytest.raises(DataError, match="over the limit"):
        tfvae.data.load(tmp_path / "t.csv", categorical=["size", "label"])
