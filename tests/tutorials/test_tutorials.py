"""Every notebook in tutorials/ runs, tiny (TFVAE_TUTORIAL_TINY=1), in this process.

The code cells are executed in order in one namespace (no Jupyter kernel: one TF import for
the whole suite); a failing cell is reported with its number and source.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "tutorials").glob("*.ipynb"))


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def test_there_are_tutorials_and_the_readme_links_each():
    readme = (ROOT / "README.md").read_text()
    assert len(NOTEBOOKS) >= 5
    for notebook in NOTEBOOKS:
        assert f"tutorials/{notebook.name}" in readme, notebook.name
        for source in code_cells(notebook):
            assert not source.lstrip().startswith(("!", "%")), "no shell or magics: plain Python"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_tutorial_runs(notebook, tmp_path, monkeypatch, fashion):
    # `fashion` skips (with its reason) where Fashion-MNIST is not installed.
    monkeypatch.setenv("TFVAE_TUTORIAL_TINY", "1")
    monkeypatch.setenv("TFVAE_ROOT", str(ROOT))
    monkeypatch.chdir(tmp_path)
    keras.utils.set_random_seed(0)
    # A real module, as Jupyter's __main__ is (dataclasses look their module up).
    module = types.ModuleType(f"tutorial_{notebook.stem}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    for i, source in enumerate(code_cells(notebook), start=1):
        try:
            exec(compile(source, f"{notebook.name}, code cell {i}", "exec"), namespace)
        except Exception as err:
            raise AssertionError(f"{notebook.name}: code cell {i} failed:\n{source}") from err
    assert list(tmp_path.rglob("*.png")), "each tutorial draws at least one picture"
