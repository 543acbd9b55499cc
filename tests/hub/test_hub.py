"""Sharing: push_to_hub against a local stand-in for the Hub API, safe from_pretrained."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import huggingface_hub
import keras
import numpy as np
import pytest

import tfvae
from tests.conftest import max_abs_diff
from tfvae.hub import UnsafeModelError


class LocalHub:
    """Records what ``HfApi`` would upload and serves it back to ``snapshot_download``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[tuple] = []

    def folder(self, repo_id: str, revision: str | None) -> Path:
        return self.root / repo_id / (revision or "main")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        hub = self

        def create_repo(self, repo_id, private=None, exist_ok=False, repo_type=None, **kw):
            hub.calls.append(("create_repo", repo_id, private))

        def create_branch(self, repo_id, branch, exist_ok=False, **kw):
            hub.calls.append(("create_branch", repo_id, branch))

        def upload_folder(self, repo_id, folder_path, commit_message=None, revision=None, **kw):
            target = hub.folder(repo_id, revision)
            shutil.copytree(folder_path, target, dirs_exist_ok=True)
            hub.calls.append(
                (
                    "upload_folder",
                    repo_id,
                    revision,
                    commit_message,
                    sorted(p.name for p in Path(folder_path).iterdir()),
                )
            )
            return f"commit to {repo_id}@{revision or 'main'}"

        def snapshot_download(
            repo_id, revision=None, cache_dir=None, token=None, local_files_only=False, **kw
        ):
            hub.calls.append(("snapshot_download", repo_id, revision, local_files_only))
            target = hub.folder(repo_id, revision)
            if not target.is_dir():
                raise LookupError(f"{repo_id} not found")
            return str(target)

        monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", create_repo)
        monkeypatch.setattr(huggingface_hub.HfApi, "create_branch", create_branch)
        monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", upload_folder)
        monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)


@pytest.fixture()
def local_hub(tmp_path, monkeypatch) -> LocalHub:
    hub = LocalHub(tmp_path / "hub")
    hub.install(monkeypatch)
    return hub


@pytest.fixture(scope="module")
def trained(digits):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(digits.x_train[:256], epochs=1, batch_size=64, verbose=0)
    sampler = tfvae.build_sampler("gmm", model, n_components=3).fit(digits.x_train[:300])
    return model, sampler


def test_push_then_from_pretrained_gives_identical_outputs(trained, digits, local_hub):
    model, sampler = trained
    config = tfvae.TrainerConfig(epochs=1, batch_size=64)
    info = model.push_to_hub(
        "someone/tiny-vae",
        data="digits",
        metrics={"nll": 31.5},
        training_config=config,
        sampler=sampler,
        revision="v1",
        license="apache-2.0",
    )
    assert info == "commit to someone/tiny-vae@v1"
    upload = next(c for c in local_hub.calls if c[0] == "upload_folder")
    assert upload[4] == sorted(
        [
            "README.md",
            "config.json",
            "model.keras",
            "samples.png",
            "sampler.json",
            "sampler_state.npz",
            "training_config.json",
        ]
    )
    assert ("create_branch", "someone/tiny-vae", "v1") in local_hub.calls

    loaded = tfvae.AutoModel.from_pretrained("someone/tiny-vae", revision="v1")
    assert ("snapshot_download", "someone/tiny-vae", "v1", False) in local_hub.calls
    assert type(loaded) is tfvae.VAE
    x = digits.x_test[:16]
    assert max_abs_diff(loaded.reconstruct(x), model.reconstruct(x)) == 0.0
    assert max_abs_diff(loaded.generate(4, seed=3), model.generate(4, seed=3)) == 0.0

    folder = local_hub.folder("someone/tiny-vae", "v1")
    restored = tfvae.hub.load_sampler(folder, loaded)
    assert max_abs_diff(restored.sample(8, seed=1), sampler.sample(8, seed=1)) < 1e-6
    np.testing.assert_allclose(
        restored.log_prob(model.embed(x)), sampler.log_prob(model.embed(x)), rtol=1e-6
    )

    card = huggingface_hub.ModelCard((folder / "README.md").read_text())
    assert card.data.library_name == "tfvae"
    assert {"tfvae", "vae"} <= set(card.data.tags)
    assert card.data.datasets == ["digits"]
    assert 'from_pretrained("someone/tiny-vae")' in card.text
    assert "| nll | 31.5 |" in card.text
    assert "![samples of a GaussianMixtureSampler fitted on the codes](samples.png)" in card.text
    saved = json.loads((folder / "config.json").read_text())
    assert saved["model_class"] == "VAE" and saved["config"]["latent_dim"] == 3
    assert json.loads((folder / "training_config.json").read_text())["batch_size"] == 64


def test_local_folder_loads_and_unknown_names_are_explained(trained, digits, tmp_path, local_hub):
    model, _ = trained
    model.save_pretrained(tmp_path / "shared", num_samples=0)
    loaded = tfvae.AutoModel.from_pretrained(tmp_path / "shared")
    assert max_abs_diff(loaded.encode(digits.x_test[:4]), model.encode(digits.x_test[:4])) == 0.0
    assert not (tmp_path / "shared" / "samples.png").exists()
    with pytest.raises(FileNotFoundError, match="neither an existing folder"):
        tfvae.AutoModel.from_pretrained("not-a-folder")
    with pytest.raises(LookupError, match="nobody/missing"):
        tfvae.AutoModel.from_pretrained("nobody/missing")
    with pytest.raises(FileNotFoundError, match="no sampler saved"):
        tfvae.hub.load_sampler(tmp_path / "shared", loaded)


class _Payload:
    """Unpickling this creates a file: the proof that nothing was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_folder_with_a_pickle_is_refused_and_nothing_runs(trained, tmp_path, local_hub):
    model, _ = trained
    folder = model.save_pretrained(tmp_path / "evil", num_samples=0)
    marker = tmp_path / "pwned"
    (folder / "sampler_state.npz").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(UnsafeModelError, match=r"sampler_state\.npz.*pickle"):
        tfvae.AutoModel.from_pretrained(folder)
    (folder / "sampler_state.npz").unlink()
    (folder / "extra.bin").write_bytes(b"weights")
    with pytest.raises(UnsafeModelError, match=r"unexpected file.*extra\.bin"):
        tfvae.AutoModel.from_pretrained(folder)
    # The same payload pushed to the (local) Hub is refused after download.
    (folder / "extra.bin").unlink()
    (folder / "custom.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    huggingface_hub.HfApi().upload_folder(repo_id="evil/model", folder_path=str(folder))
    with pytest.raises(UnsafeModelError, match=r"custom\.pkl"):
        tfvae.AutoModel.from_pretrained("evil/model")
    assert not marker.exists()


def test_a_lambda_layer_is_refused_before_keras_sees_it(tmp_path):
    marker = tmp_path / "lambda_ran"
    code = f"lambda t: t + 0.0 * float(__import__('pathlib').Path({str(marker)!r}).touch() is None)"
    z = keras.Input((2,))
    h = keras.layers.Lambda(eval(code))(keras.layers.Dense(64)(z))
    decoder = keras.Model(z, {"reconstruction": keras.layers.Reshape((8, 8, 1))(h)})
    model = tfvae.VAE(tfvae.VAEConfig(input_shape=(8, 8, 1), latent_dim=2), decoder=decoder)
    model.save(tmp_path / "model.keras")
    marker.unlink()  # building the model ran it once
    with pytest.raises(
        UnsafeModelError, match=r"Lambda layer at .*decoder.*register_keras_serializable"
    ):
        tfvae.AutoModel.from_pretrained(tmp_path)
    with pytest.raises(UnsafeModelError, match="Lambda"):
        tfvae.AutoModel.load(tmp_path / "model.keras")
    assert not marker.exists()


def test_unregistered_custom_network_error_says_how_to_fix(tmp_path):
    @keras.saving.register_keras_serializable(package="tfvae_hub_tests")
    class TinyDecoder(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.dense = keras.layers.Dense(64, activation="sigmoid")

        def call(self, z):
            return {"reconstruction": keras.ops.reshape(self.dense(z), (-1, 8, 8, 1))}

    model = tfvae.VAE(tfvae.VAEConfig(input_shape=(8, 8, 1), latent_dim=2), decoder=TinyDecoder())
    model.save_pretrained(tmp_path, num_samples=0)
    assert type(tfvae.AutoModel.from_pretrained(tmp_path).decoder).__name__ == "TinyDecoder"
    keras.saving.get_custom_objects().pop("tfvae_hub_tests>TinyDecoder")
    with pytest.raises(TypeError, match="register_keras_serializable"):
        tfvae.AutoModel.from_pretrained(tmp_path)


def test_cli_generates_with_the_shared_sampler_and_evaluates_on_the_named_data(trained, tmp_path):
    from tfvae import cli

    model, sampler = trained
    folder = model.save_pretrained(tmp_path / "shared", data="digits", sampler=sampler)
    out = tmp_path / "s.png"
    assert (
        cli.main(
            [
                "tfvae",
                "generate",
                "--model",
                str(folder),
                "--sampler",
                "gmm",
                "--n",
                "6",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with np.load(tmp_path / "s.npz") as saved:  # the shared GMM, not a refit one
        assert max_abs_diff(saved["samples"], sampler.sample(6, seed=0)) < 1e-6
    result = tmp_path / "nll.json"
    assert (
        cli.main(
            [
                "tfvae",
                "evaluate",
                "--model",
                str(folder),
                "--n-samples",
                "5",
                "--limit",
                "10",
                "--out",
                str(result),
            ]
        )
        == 0
    )
    assert json.loads(result.read_text())["data"] == "digits"
