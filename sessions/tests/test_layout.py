"""The layout of `sessions` shows its seams (DESIGN.md section 3).

messaging < scheduling < treatment < demo: a seam imports only from those below it
(and from the models and the access helpers, which every seam shares). No import
circle anywhere in the app, lazy imports inside functions included, and no module
much over 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1]
SEAMS = ["messaging", "scheduling", "treatment", "demo"]
SHARED = ("sessions.models", "sessions.access")
LONGEST = 650


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        if "migrations" in parts or "tests" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The app's modules this file imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n in modules and n.startswith("sessions.")}


def _seam(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SEAMS else None


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_a_seam_imports_only_from_seams_below_it():
    upward = []
    for module, imported in _graph().items():
        seam = _seam(module)
        for other in imported:
            other_seam = _seam(other)
            if (
                module.startswith(SHARED)
                and not other.startswith(SHARED)
                or seam
                and other_seam
                and SEAMS.index(other_seam) > SEAMS.index(seam)
            ):
                upward.append(f"{module} -> {other}")
            elif seam and not other_seam and not other.startswith(SHARED):
                upward.append(f"{module} -> {other}")  # into the app's top level
    assert upward == []


def test_there_is_no_import_circle():
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError(" -> ".join(path[path.index(module) :] + [module]))
        if module in done:
            return
        for other in sorted(graph.get(module, ())):
            if other.startswith(module + "."):
                continue  # a package importing its own modules
            visit(other, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_no_module_is_much_over_600_lines():
    long = {
        name: len(path.read_text().splitlines())
        for name, path in _modules().items()
        if len(path.read_text().splitlines()) > LONGEST
    }
    assert long == {}
