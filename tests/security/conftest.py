"""The crafted-file corpus: every case runs in a child process with a memory limit and a
timeout, and must end in a named tfvae error within 10 s and 2 GiB of resident memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("child.py")
ROOT = Path(__file__).resolve().parents[2]
#: what every refusal must stay within (the issue's bound)
MAX_SECONDS = 10.0
MAX_RSS_MB = 2048.0


def run_cases(
    tmp_path: Path,
    cases: dict[str, str],
    setup: str = "",
    timeout: float = 120,
    limit_gb: float = 3.0,
) -> dict[str, dict]:
    """Run ``cases`` (label -> code) in one child process; their results by label.

    The address-space limit is ``limit_gb`` (TensorFlow reserves about 2 GiB of address space
    at import); each case's resident peak and time are measured on their own.
    """
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"limit_gb": limit_gb, "setup": setup, "cases": cases}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        proc = subprocess.run(
            [sys.executable, str(CHILD), str(spec)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=tmp_path,
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"the cases {sorted(cases)} did not finish in {timeout} s (a hang): {err}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULTS ")]
    assert lines, f"child failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULTS ") :])


def assert_refused(result: dict, error: str = "TfvaeError", match: str | None = None) -> None:
    """The case raised ``error`` (a class name in its MRO), fast and within memory."""
    import re

    assert result["error"] is not None, "the crafted file was accepted"
    assert error in result["mro"], f"{result['error']}: {result['message'][:500]}"
    assert "TfvaeError" in result["mro"], f"not a TfvaeError: {result['error']}"
    if match is not None:
        assert re.search(match, result["message"], re.S), result["message"][:800]
    assert result["seconds"] < MAX_SECONDS, result
    assert result["peak_rss_mb"] < MAX_RSS_MB, result


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """A file and a folder outside the test's model folder, which nothing may change."""
    victim = tmp_path / "outside"
    victim.mkdir()
    (victim / "precious.txt").write_text("precious\n")
    return victim


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to prove nothing was written there)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_all_refused(results: dict[str, dict], expected: dict[str, tuple[str, str]]) -> None:
    """:func:`assert_refused` for every ``label: (error class, message regex)``."""
    for label, (error, match) in expected.items():
        try:
            assert_refused(results[label], error, match)
        except AssertionError as err:
            raise AssertionError(f"{label}: {err}") from None
