"""The layout holds: imports point one way, no import circle, no switch on model kinds, one job per file."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "quantkit"

#: lower layers first; a module may import its own layer and the layers below it
LAYERS = ("data", "indicators", "models", "backtest", "report", "app", "cli")
BASE = {"quantkit.errors", "quantkit.display", "quantkit._lazy"}  # used by every layer, import nothing above
MODEL_KINDS = {"timing", "position", "rotation"}


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return out


def imports(tree: ast.Module, top_level_only: bool = False) -> set[str]:
    """quantkit modules imported by ``tree`` (anywhere, or only by statements at module level)."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("quantkit"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("quantkit"))
    return found


def layer(module: str) -> int | None:
    if module in BASE:
        return -1
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_the_checks_see_an_upward_import():
    tree = ast.parse("def f():\n    from quantkit.report.html import write_html\n")
    assert "quantkit.report.html" in imports(tree) and not imports(tree, top_level_only=True)
    assert layer("quantkit.report.html") > layer("quantkit.models.timing") > layer("quantkit.data.api")
    assert layer("quantkit.display") < layer("quantkit.data.api") and layer("quantkit") is None


def test_imports_point_down():
    mods = modules()
    upward = []
    for name, tree in mods.items():
        own = layer(name)
        if own is None:
            continue  # the package facade (quantkit/__init__) re-exports lazily
        for target in imports(tree):
            if target not in mods:
                continue  # a name imported from a module, not a module
            other = layer(target)
            if other is not None and other > own:
                upward.append(f"{name} imports {target}")
    assert upward == []


def test_no_import_circle_at_module_level():
    mods = modules()
    graph = {n: {t for t in imports(tree, top_level_only=True) if t in mods and t != n} for n, tree in mods.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    # a package's __init__ importing its own submodules is not a circle
    cycles = [c for c in cycles if not all(m.startswith(c[0]) or c[0].startswith(m) for m in c)]
    assert cycles == []


def test_no_switch_on_model_kinds_outside_the_models():
    switches = []
    for name, tree in modules().items():
        if name.startswith("quantkit.models"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                values = [node.left, *node.comparators]
                if not any(isinstance(v, ast.Name) and v.id.endswith("kind") or
                           isinstance(v, ast.Attribute) and v.attr.endswith("kind") for v in values):
                    continue
                consts = {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
                for v in values:
                    if isinstance(v, (ast.Tuple, ast.List, ast.Set)):
                        consts |= {e.value for e in v.elts if isinstance(e, ast.Constant)}
                if consts & MODEL_KINDS:
                    switches.append(f"{name}:{node.lineno}")
    assert switches == []


def test_every_module_states_its_job_in_its_first_line():
    missing = [name for name, tree in modules().items()
               if not (ast.get_docstring(tree) or "").strip().splitlines()[:1]]
    assert missing == []


def test_import_quantkit_sets_no_environment_variable():
    import os
    import subprocess
    import sys

    code = ("import os; before = dict(os.environ); import quantkit, quantkit.backtest, quantkit.models; "
            "print(sorted(set(os.environ.items()) ^ set(before.items())))")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"
