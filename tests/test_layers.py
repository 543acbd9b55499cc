"""The import graph follows the layers: data -> models -> training -> samplers/pipelines ->
metrics/export/hub/workflows -> cli, with no cycle and no upward import, not even inside a
function (read from the source with ``ast``, so a hidden import counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tfvae"
#: each room's layer; a module may import its own room and lower layers only. pipelines sit
#: with the samplers: GenerationPipeline wraps a sampler.
LAYERS = {
    "errors": 0,
    "safety": 0,
    "config": 0,
    "data": 1,
    "plots": 1,
    "distributions": 2,
    "flows": 2,
    "nn": 2,
    "models": 3,
    "training": 4,
    "samplers": 5,
    "pipelines": 5,
    "metrics": 6,
    "export": 6,
    "hub": 6,
    "workflows": 6,
    "cli": 7,
}
#: what ``from tfvae import X`` may take below the cli: the light modules and the version
PACKAGE_NAMES = {"__version__": 0, "safety": 0, "errors": 0, "config": 0}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for file in sorted(PACKAGE.rglob("*.py")):
        parts = file.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(file.read_text(), str(file))
    return found


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "tfvae" and len(parts) > 1 else None


def _imports(tree: ast.Module, top_only: bool) -> list[tuple[str, list[str], int]]:
    nodes = tree.body if top_only else list(ast.walk(tree))
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [a.name for a in node.names], node.lineno))
    return out


def test_no_upward_import_anywhere():
    problems = []
    for name, tree in _modules().items():
        room = _room(name)
        if room is None:  # the package facade (lazy re-exports)
            continue
        for target, names, line in _imports(tree, top_only=False):
            if target == "tfvae":
                if room == "cli":
                    continue
                bad = [n for n in names if PACKAGE_NAMES.get(n, 99) > LAYERS[room]] or (
                    [] if names else ["import tfvae"]
                )
                if bad:
                    problems.append(f"{name}:{line} takes {bad} from the tfvae package")
                continue
            other = _room(target)
            if other is not None and LAYERS[other] > LAYERS[room]:
                problems.append(f"{name}:{line} imports {target} ({other} is above {room})")
    assert not problems, "\n".join(problems)


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = {}
    for name, tree in modules.items():
        edges = set()
        for target, names, _ in _imports(tree, top_only=True):
            if target in modules:
                edges.add(target)
            edges.update(f"{target}.{n}" for n in names if f"{target}.{n}" in modules)
        graph[name] = edges - {name}
    # a package's __init__ importing its own submodules is not a cycle of the design
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):  # a package importing its own submodules
                continue
            if state.get(nxt) == 1 and not node.startswith(nxt + "."):
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles[:10])
