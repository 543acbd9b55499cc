"""Two local workers on 127.0.0.1 (subprocesses, free ports, hard timeouts) train a VAE with
MultiWorkerMirroredStrategy: equal weights on both, the chief alone writes, and a worker
killed mid-run is recovered by restarting both."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import tfvae

SCRIPT = Path(__file__).with_name("multi_worker_script.py")
EPOCHS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(out: Path, tag: str) -> list[subprocess.Popen]:
    ports = [_free_port(), _free_port()]
    procs = []
    for i in range(2):
        tf_config = {
            "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
            "task": {"type": "worker", "index": i},
        }
        env = {
            **os.environ,
            "TF_CONFIG": json.dumps(tf_config),
            "CUDA_VISIBLE_DEVICES": "",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        cmd = [
            sys.executable,
            str(SCRIPT),
            str(out),
            str(out.parent / f"{tag}_w{i}.npz"),
            str(EPOCHS),
        ]
        procs.append(
            subprocess.Popen(
                cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    return procs


def _finish(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        try:
            _, err = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        assert p.returncode == 0, err[-3000:]


def _weights(path: Path) -> list[np.ndarray]:
    with np.load(path) as f:
        return [f[k] for k in f.files]


def test_two_workers_train_kill_and_resume(tmp_path):
    full = tmp_path / "full"
    _finish(_start(full, "full"))
    w0, w1 = _weights(tmp_path / "full_w0.npz"), _weights(tmp_path / "full_w1.npz")
    assert all(np.array_equal(a, b) for a, b in zip(w0, w1, strict=True)), "workers disagree"
    chief_model = tfvae.AutoModel.load(full)  # the chief's saved model reloads
    for a, b in zip(chief_model.get_weights(), w0, strict=True):
        assert np.array_equal(a, b)
    assert not (full / "backup").exists()

    killed = tmp_path / "killed"
    procs = _start(killed, "killed")
    meta = killed / "backup" / "training_metadata.json"
    deadline, epoch = time.time() + 300, None
    while time.time() < deadline and all(p.poll() is None for p in procs):
        try:
            epoch = json.loads(meta.read_text())["epoch"]
        except (OSError, ValueError, KeyError):
            epoch = None
        if epoch is not None and epoch >= 1:
            procs[1].send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    assert epoch is not None and 1 <= epoch < EPOCHS, "the run ended before the kill"
    procs[1].wait(timeout=60)
    procs[0].kill()  # the chief cannot go on without its peer
    procs[0].wait(timeout=60)
    assert not (killed / "model.keras").exists()
    _finish(_start(killed, "resumed"))
    history = json.loads((killed / "history.json").read_text())
    assert len(history["loss"]) < EPOCHS, "the restart must resume, not start over"
    for a, b in zip(_weights(tmp_path / "resumed_w0.npz"), w0, strict=True):
        assert float(np.max(np.abs(a - b))) < 1e-6
