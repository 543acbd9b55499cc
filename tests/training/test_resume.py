"""A run killed with SIGKILL mid-training and restarted with the same command ends with the
weights of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import tfvae
from tests.conftest import max_abs_diff

EPOCHS = 6


def _command(out):
    return [
        sys.executable,
        "-m",
        "tfvae.cli",
        "train",
        "--model",
        "vae",
        "--data",
        "digits",
        "--limit",  # 480 digits: 54 steps an epoch, time to kill the run mid-way
        "480",
        "--epochs",
        str(EPOCHS),
        "--batch_size",
        "8",
        "--latent_dim",
        "4",
        "--seed",
        "3",
        "--deterministic",
        "--write-interval",  # a checkpoint every epoch, to be killed between
        "0",
        "--verbose",
        "0",
        "--out",
        str(out),
    ]


def _env():
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}


def test_killed_run_resumes_to_the_uninterrupted_weights(tmp_path):
    killed, full = tmp_path / "killed", tmp_path / "full"
    reference = subprocess.Popen(
        _command(full), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    victim = subprocess.Popen(
        _command(killed), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    meta = killed / "backup" / "training_metadata.json"
    deadline = time.time() + 300
    killed_at = None
    while time.time() < deadline and victim.poll() is None:
        if meta.is_file():
            try:
                killed_at = json.loads(meta.read_text())["epoch"]
            except (json.JSONDecodeError, KeyError):
                killed_at = None
            if killed_at is not None and killed_at >= 2:
                victim.send_signal(signal.SIGKILL)
                break
        time.sleep(0.02)
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert 2 <= killed_at < EPOCHS
    assert not (killed / "model.keras").exists()

    restarted = subprocess.run(
        _command(killed), env=_env(), capture_output=True, text=True, timeout=600
    )
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert reference.wait(timeout=600) == 0, reference.stderr.read()[-3000:]

    resumed_epochs = len(json.loads((killed / "history.json").read_text())["loss"])
    assert resumed_epochs < EPOCHS, "the restart must continue, not start over"
    a, b = tfvae.AutoModel.load(killed), tfvae.AutoModel.load(full)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        assert max_abs_diff(wa, wb) == 0.0
