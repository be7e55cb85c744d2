"""The house's plan, checked: every module imports, imports run one way (no cycles, including imports
made inside functions), and in gui/ a view imports only `common`, never the shell or another view."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import pixelcnn_studio

PACKAGE = Path(pixelcnn_studio.__file__).parent
GUI = "pixelcnn_studio.gui"
VIEWS = {"sampling", "fields", "pictures", "portrait", "train"}
ABOVE_GUI = {"pixelcnn_studio.cli", "pixelcnn_studio.__main__"}     # the command starts the app


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports anywhere in its text (top level or inside a function)."""
    names = module_names()
    graph = {}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from package import module` imports the module; `from module import name`, the module.
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in names else base
                           for alias in node.names]
            else:
                continue
            edges.update(t for t in targets if t in names and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done, path, on_path = set(), [], set()

    def visit(node):
        path.append(node)
        on_path.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                return path[path.index(nxt):] + [nxt]
            if nxt not in done:
                found = visit(nxt)
                if found:
                    return found
        on_path.discard(path.pop())
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            found = visit(start)
            if found:
                return found
    return None


def gui_package(module: str) -> str | None:
    """'pixelcnn_studio.gui.fields.canvas' -> 'fields'; modules directly in gui/ -> 'gui'."""
    if not module.startswith(GUI + "."):
        return None
    rest = module[len(GUI) + 1:].split(".")
    return rest[0] if len(rest) > 1 else "gui"


def test_no_import_cycles_between_modules():
    assert find_cycle(import_graph()) is None


def test_gui_packages_import_one_way():
    graph = import_graph()
    packages: dict[str, set[str]] = {}
    wrong = []
    for module, targets in graph.items():
        source = gui_package(module)
        if source is None:
            assert module in ABOVE_GUI or not any(t.startswith(GUI) for t in targets), f"{module} is below the gui and imports it"
            continue
        for target in targets:
            dest = gui_package(target)
            if dest in (None, source):
                continue
            packages.setdefault(source, set()).add(dest)
            if source in VIEWS and dest != "common":
                wrong.append(f"{module} -> {target}")
            if source == "common" and dest != "common":
                wrong.append(f"{module} -> {target}")
    assert not wrong, "a view imports only common; common imports no view:\n" + "\n".join(wrong)
    assert find_cycle(packages) is None
    # the views and the shell are all there, so the rules above are about the real packages
    assert VIEWS | {"shell", "common"} <= {gui_package(m) for m in graph if gui_package(m)}


def test_every_module_imports():
    pytest.importorskip("PySide6")
    for name in sorted(module_names()):
        if name.endswith("__main__"):
            continue
        importlib.import_module(name)


def test_the_app_entry_points_stay_where_they_were():
    from pixelcnn_studio.gui import app
    assert callable(app.ensure_app) and callable(app.create_window) and callable(app.run_app)
