"""Every registered model trains its traced step on two replicas exactly as on one device, then
exports to a SavedModel whose signatures, loaded in a fresh process, match Keras; and to TFLite
encoder/decoder (within 1e-5) and sampler (every model with grid or hierarchical codes, every
other one with vector codes). A new model joins these tests by registering. The models take
turns at the data kinds (images, vectors, sequences, volumes: every rank is trained traced on
two replicas and exported by several models), each on a rank it declares; vectors, sequences
and volumes train on two replicas eagerly for every model in tests/models/test_ranks*.py."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import REPLICA_FIELDS, SMALL_FIELDS, assert_two_replicas_like_one
from tfvae.export import SIGNATURES, run_tflite, saved_model, to_tflite

KIND_SHAPES = [(8, 8, 1), (6,), (10, 2), (4, 4, 4, 1)]
LATENT = 3


def shape_of(name):
    """The example shape ``name`` is exported with: the models take turns at the kinds."""
    cls = tfvae.get_model_class(name)
    options = [s for s in KIND_SHAPES if len(s) in cls.supported_ranks]
    return options[tfvae.list_models().index(name) % len(options)]


def _model(name):
    """The model ``name`` after its traced step ran on one device and on two replicas (the
    MirroredStrategy of tests/conftest), over 20 examples in batches of 8: the last, 4, is
    uneven. Returns the one-device model and the two-replica check's failure, if any."""
    keras.utils.set_random_seed(0)
    cls = tfvae.get_model_class(name)
    extra = {**SMALL_FIELDS.get(name, {}), **REPLICA_FIELDS.get(name, {})}
    shape = shape_of(name)
    model = tfvae.build_model(name, input_shape=shape, latent_dim=LATENT, **extra)
    x = np.random.default_rng(0).random((20, *shape)).astype("float32")
    failure = None
    try:
        multi = assert_two_replicas_like_one(model, tf.data.Dataset.from_tensor_slices(x).batch(8))
        assert int(multi.optimizer.iterations.numpy()) == 3
    except AssertionError as err:  # reported by its own test below, not as every test's error
        failure = f"{type(err).__name__}: {err}"
    assert isinstance(model, cls)
    return model, failure


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """All models exported, then evaluated in ONE fresh process (tf.saved_model.load only)."""
    root = tmp_path_factory.mktemp("export")
    rng = np.random.default_rng(1)
    models, xs, zs, failures = {}, {}, {}, {}
    for name in tfvae.list_models():
        xs[name] = rng.random((5, *shape_of(name))).astype("float32")
        models[name], failures[name] = _model(name)
        zs[name] = rng.normal(size=(4, *models[name].code_shape)).astype("float32")
        np.savez(root / f"{name}_inputs.npz", x=xs[name], z=zs[name])
        saved_model(models[name], root / name)
    hierarchical = [n for n in tfvae.list_models() if models[n].hierarchical]
    script = textwrap.dedent(f"""
        import json, numpy as np, tensorflow as tf
        out = {{}}
        for name in {tfvae.list_models()!r}:
            inputs = np.load({str(root)!r} + "/" + name + "_inputs.npz")
            sigs = tf.saved_model.load({str(root)!r} + "/" + name).signatures
            res = {{"signatures": sorted(sigs)}}
            res["serving_default"] = sigs["serving_default"](x=tf.constant(inputs["x"]))["reconstruction"].numpy().tolist()
            res["encode"] = {{k: v.numpy().tolist() for k, v in sigs["encode"](x=tf.constant(inputs["x"])).items()}}
            res["decode"] = sigs["decode"](z=tf.constant(inputs["z"]))["reconstruction"].numpy().tolist()
            t = {{"temperature": tf.constant(1.0)}} if name in {hierarchical!r} else {{}}
            s = sigs["sample"](num_samples=tf.constant(6), seed=tf.constant(11), **t)
            res["sample"] = s["samples"].numpy().tolist()
            res["codes"] = s["codes"].numpy().tolist()
            res["fresh"] = sigs["sample"](num_samples=tf.constant(2), seed=tf.constant(-1), **t)["samples"].numpy().shape[0]
            if t:  # a colder draw: the same seed, a smaller spread of codes
                cold = sigs["sample"](num_samples=tf.constant(6), seed=tf.constant(11), temperature=tf.constant(0.5))
                res["cold_codes"] = cold["codes"].numpy().tolist()
            out[name] = res
        print(json.dumps(out))
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    return root, models, xs, zs, results, failures


def test_the_models_export_every_rank():
    ranks = {len(shape_of(name)) for name in tfvae.list_models()}
    assert ranks == {1, 2, 3, 4}


@pytest.mark.parametrize("name", tfvae.list_models())
def test_two_replicas_train_like_one_device(name, exported):
    """The traced train step (each model's own: VAEGAN's three optimizers, VQVAE's EMA
    codebook, RHVAE's metric) under MirroredStrategy, checked when the fixture trained it."""
    assert exported[5][name] is None, exported[5][name]


@pytest.mark.parametrize("name", tfvae.list_models())
def test_saved_model_signatures_match_keras_in_a_fresh_process(name, exported):
    root, models, xs, zs, results, _ = exported
    model, res, x, z = models[name], results[name], xs[name], zs[name]
    assert res["signatures"] == sorted(SIGNATURES)
    np.testing.assert_allclose(res["serving_default"], model(x), atol=1e-5)
    np.testing.assert_allclose(res["encode"]["embedding"], model.encode(x), atol=1e-5)
    if model.variational:
        np.testing.assert_allclose(
            res["encode"]["log_covariance"], model.posterior_moments(x)[1], atol=1e-5
        )
    np.testing.assert_allclose(res["decode"], model.decode(z), atol=1e-5)
    import tensorflow as tf

    codes = model.prior_codes(6, tf.constant([11, 0], tf.int32))
    np.testing.assert_allclose(res["codes"], codes, atol=1e-5)
    np.testing.assert_allclose(res["sample"], model.decode(codes), atol=1e-5)
    assert res["fresh"] == 2
    if model.hierarchical:
        cold = model.prior_codes(6, tf.constant([11, 0], tf.int32), temperature=0.5)
        np.testing.assert_allclose(res["cold_codes"], cold, atol=1e-5)
        assert np.std(res["cold_codes"]) < np.std(res["codes"])


def test_saved_model_cli_lists_the_signatures(exported):
    root = exported[0]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tensorflow.python.tools.saved_model_cli",
            "show",
            "--dir",
            str(root / "VAE"),
            "--all",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for signature in SIGNATURES:
        assert f"signature_def['{signature}']" in proc.stdout
    assert "num_samples" in proc.stdout and "log_covariance" in proc.stdout


def test_saved_model_refuses_to_overwrite(exported):
    root, models = exported[0], exported[1]
    with pytest.raises(FileExistsError, match="overwrite"):
        saved_model(models["VAE"], root / "VAE")


@pytest.mark.parametrize("name", tfvae.list_models())
def test_tflite_encoder_decoder_sampler(name, exported, tmp_path):
    model, x, z = exported[1][name], exported[2][name], exported[3][name]
    # the sampler is the decoder (converted for every model) on N(0, I) codes of the model's
    # code shape: converted for the models whose codes are not vectors, and every other one;
    # a mixture prior has no TFLite sampler
    every_other = tfvae.list_models().index(name) % 2 == 0
    sampler = not model.mixture_prior and (len(model.code_shape) > 1 or every_other)
    parts = ("encoder", "decoder", "sampler") if sampler else ("encoder", "decoder")
    written = to_tflite(model, tmp_path, parts=parts)
    assert set(written) == set(parts)
    got = run_tflite(written["encoder"].read_bytes(), [x])[0]
    np.testing.assert_allclose(got, model.encode(x), atol=1e-5)
    got = run_tflite(written["decoder"].read_bytes(), [z])[0]
    np.testing.assert_allclose(got, model.decode(z), atol=1e-5)
    if "sampler" in written:
        samples = run_tflite(written["sampler"].read_bytes(), [np.array([7], np.int32)])[0]
        assert samples.shape == (7, *shape_of(name)) and np.isfinite(samples).all()


def test_tflite_quantized_and_errors(exported, tmp_path):
    model = exported[1]["VAE"]
    written = to_tflite(model, tmp_path, parts=("decoder",), quantize=True)
    assert written["decoder"].stat().st_size > 0
    with pytest.raises(ValueError, match="unknown TFLite parts"):
        to_tflite(model, tmp_path, parts=("prior",))
    with pytest.raises(ValueError, match="mixture prior"):
        to_tflite(exported[1]["VAMP"], tmp_path)


def test_the_converters_full_collection_scans_only_the_objects_it_made():
    """TensorFlow's converter ends with ``gc.collect()``: inside ``convert`` that collection
    frees what was made inside, leaves older garbage to the regular collector (not scanned:
    1.7 s a part in a process holding the whole registry), and gives every frozen object back
    afterwards, also when the block raises."""
    import gc
    import weakref

    from tfvae.export.tflite import _collect_only_new_objects

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    assert gc.get_freeze_count() == 0
    old = cycle()
    with _collect_only_new_objects():
        assert gc.get_freeze_count() > 0
        new = cycle()
        gc.collect()
        assert new() is None and old() is not None
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old() is None
    with pytest.raises(RuntimeError), _collect_only_new_objects():
        raise RuntimeError("conversion failed")
    assert gc.get_freeze_count() == 0
    # objects the process froze itself stay frozen
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with _collect_only_new_objects():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
