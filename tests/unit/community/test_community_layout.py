"""The community package keeps the layout rules of #14: short modules, no import circle, and
domain modules that never reach for Flask's request globals or the app's session."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "webapp" / "blueprints" / "community"
PREFIX = "webapp.blueprints.community"
# The layers that may use Flask and db.session: views, CLI, the area's hooks, forms.
WEB_LAYER = {"routes", "group_routes", "moderation.routes", "commands", "hooks", "forms"}
WEB_ONLY = ("flask", "flask_login", "webapp.extensions")


def _name(path: Path) -> str:
    """moderation/routes.py -> "moderation.routes" (a package's __init__ is the package)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def _modules() -> dict[str, ast.Module]:
    return {_name(path): ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")}


def _imports(tree: ast.Module) -> set[str]:
    """Every module this one imports, lazily inside functions too."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_module_is_over_500_lines():
    long = {_name(path): n for path in PACKAGE.rglob("*.py") if (n := len(path.read_text().splitlines())) > 500}
    assert not long


def test_the_package_init_stays_empty():
    for init in PACKAGE.rglob("__init__.py"):
        assert init.read_text().strip() == "", init


def test_domain_modules_leave_flask_and_the_app_session_to_the_views():
    for name, tree in _modules().items():
        if name in WEB_LAYER:
            continue
        web_only = ("flask", "flask_login") if name == "models" else WEB_ONLY  # models build on db.Model
        leaks = {m for m in _imports(tree) if m.startswith(web_only)}
        assert not leaks, f"{name}.py imports {sorted(leaks)}"


def test_no_import_circle_inside_the_area():
    modules = _modules()
    graph = {name: {m.removeprefix(PREFIX + ".") for m in _imports(tree) if m.removeprefix(PREFIX + ".") in modules} - {name}
             for name, tree in modules.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, " -> ".join(path[path.index(name):] + [name])
        if name in done:
            return
        for dependency in graph[name]:
            visit(dependency, path + [name])
        done.add(name)

    for name in graph:
        visit(name, [])
