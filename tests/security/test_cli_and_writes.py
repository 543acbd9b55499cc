"""The CLI on crafted folders prints one line and exits 2; nothing tfvae writes follows a
link or leaves its folder; paths recorded in a downloaded folder are not trusted."""

from __future__ import annotations

import json
import os

import pytest

import tfvae
from tests.security import craft
from tests.security.conftest import snapshot
from tfvae import cli, safety
from tfvae.errors import UnsafeFileError


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = [line for line in captured.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tfvae "), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


def test_cli_refuses_crafted_folders_with_one_line_and_status_2(tmp_path, outside, capsys):
    before = snapshot(outside)
    eval_link = craft.legit_folder(tmp_path / "eval_link")
    os.symlink(outside / "precious.txt", eval_link / "eval_nll.json")
    export_link = craft.legit_folder(tmp_path / "export_link")
    os.symlink(outside, export_link / "export")
    list_config = craft.legit_folder(tmp_path / "list_config")
    (list_config / "config.json").write_text("[1, 2]")
    list_info = craft.legit_folder(tmp_path / "list_info")
    (list_info / "run_info.json").write_text('["data"]')
    no_key = craft.legit_folder(tmp_path / "no_key")
    (no_key / "sampler.json").write_text('{"config": {}}')
    fifo = craft.legit_folder(tmp_path / "fifo")
    (fifo / "sampler_state.npz").unlink()
    os.mkfifo(fifo / "sampler_state.npz")
    runs = {
        "evaluate through a link": [
            "evaluate",
            "--model",
            str(eval_link),
            "--limit",
            "4",
            "--n-samples",
            "2",
            "--data",
            "fashion_mnist",
        ],
        "export through a link": ["export", "--model", str(export_link)],
        "config.json a list": [
            "generate",
            "--model",
            str(list_config),
            "--n",
            "4",
            "--out",
            str(tmp_path / "a.png"),
        ],
        "run_info.json a list": [
            "generate",
            "--model",
            str(list_info),
            "--n",
            "4",
            "--out",
            str(tmp_path / "b.png"),
        ],
        "sampler.json without 'sampler'": [
            "generate",
            "--model",
            str(no_key),
            "--n",
            "4",
            "--out",
            str(tmp_path / "c.png"),
        ],
        "a FIFO sampler state": [
            "generate",
            "--model",
            str(fifo),
            "--sampler",
            "saved",
            "--out",
            str(tmp_path / "d.png"),
        ],
    }
    expected = {
        "evaluate through a link": "symbolic link",
        "export through a link": "symbolic link",
        "config.json a list": "JSON object",
        "run_info.json a list": "JSON object",
        "sampler.json without 'sampler'": '"sampler" string',
        "a FIFO sampler state": "FIFO",
    }
    for label, args in runs.items():
        assert cli.main(["tfvae", *args]) == 2, label
        line = _one_line_error(capsys)
        assert expected[label] in line, f"{label}: {line}"
    assert snapshot(outside) == before
    assert not list((tmp_path / "eval_link").glob(".tmp-*"))


def test_a_downloaded_run_info_does_not_choose_the_data(tmp_path, capsys):
    """An unsigned (or forged) run_info.json's data path is ignored and said so."""
    folder = craft.legit_folder(tmp_path / "downloaded")
    for signature in (None, "0" * 64):
        info = {"data": "/etc/passwd", "seed": 0}
        if signature:
            info["local_signature"] = signature
        (folder / "run_info.json").write_text(json.dumps(info))
        args = [
            "tfvae",
            "generate",
            "--model",
            str(folder),
            "--sampler",
            "gmm",
            "--set",
            "n_components=3",
            "--out",
            str(tmp_path / "s.png"),
        ]
        assert cli.main(args) == 2
        captured = capsys.readouterr()
        assert "is not from a run trained here" in captured.out
        assert "pass --data" in captured.err


def test_a_signed_record_is_recognised_and_a_changed_one_is_not():
    record = safety.sign_local_record({"data": "fashion_mnist", "seed": 3})
    assert safety.is_local_record(record)
    assert not safety.is_local_record({**record, "data": "/etc/passwd"})
    assert not safety.is_local_record({"data": "fashion_mnist"})
    assert not safety.is_local_record(["not", "a", "dict"])


def test_safe_writes_never_follow_links_or_leave_the_folder(tmp_path, outside):
    before = snapshot(outside)
    folder = tmp_path / "run"
    folder.mkdir()
    os.symlink(outside / "precious.txt", folder / "eval_nll.json")
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        safety.write_json(folder / "eval_nll.json", {"nll": 1.0}, folder)
    with pytest.raises(UnsafeFileError, match="outside"):
        safety.safe_write(outside / "precious.txt", "x", folder)
    with pytest.raises(UnsafeFileError, match="outside"):
        safety.safe_write(folder / ".." / "outside" / "precious.txt", "x", folder)
    os.symlink(outside, folder / "export")
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        safety.safe_write(folder / "export" / "new.txt", "x", folder)
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        safety.check_output_dir(folder / "export")
    assert snapshot(outside) == before
    # a plain write lands whole, with no temporary file left
    safety.write_json(folder / "eval_fid.json", {"fid": 2.0}, folder)
    assert json.loads((folder / "eval_fid.json").read_text()) == {"fid": 2.0}
    assert not list(folder.glob(".tmp-*"))
    # a folder output replaces the old folder only when the block succeeds
    with safety.safe_output(folder / "out_dir") as tmp:
        tmp.mkdir()
        (tmp / "a").write_text("1")
    with pytest.raises(RuntimeError), safety.safe_output(folder / "out_dir") as tmp:
        tmp.mkdir()
        raise RuntimeError("killed mid-write")
    assert (folder / "out_dir" / "a").read_text() == "1"
    assert not list(folder.glob(".tmp-*"))


def test_exports_and_pipelines_refuse_linked_outputs(tmp_path, outside, digits):
    before = snapshot(outside)
    model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=2)
    model(digits.x_train[:2])
    os.symlink(outside, tmp_path / "export_link")
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        tfvae.export.saved_model(model, tmp_path / "export_link", overwrite=True)
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        tfvae.export.to_tflite(model, tmp_path / "export_link", parts=("decoder",))
    run = tmp_path / "run"
    run.mkdir()
    os.symlink(outside, run / "logs")
    pipeline = tfvae.TrainingPipeline(model, tfvae.TrainerConfig(output_dir=str(run), epochs=1))
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        pipeline(digits.x_train[:64])
    shared = tmp_path / "shared"
    shared.mkdir()
    os.symlink(outside / "precious.txt", shared / "README.md")
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        model.save_pretrained(shared, num_samples=0)
    assert snapshot(outside) == before
