"""The layout rules of issue #14, kept by a test: one package per area, readable folders,
short modules, no import circle, nothing wired in by strings."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WEBAPP = ROOT / "webapp"
MAX_MODULE_LINES = 500
MAX_FOLDER_ENTRIES = 16  # "about 15": files and subpackages a reader scans at once


def _modules() -> dict[str, Path]:
    found = {}
    for path in WEBAPP.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _module_level_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """What importing the module imports at once (imports inside functions run later)."""
    deps = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("webapp"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                deps.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            deps.update(alias.name for alias in node.names if alias.name.startswith("webapp"))
    return {dep for dep in deps if dep in modules and dep != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in graph[node]:
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circle():
    modules = _modules()
    graph = {name: _module_level_imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_no_module_is_longer_than_a_newcomer_can_read():
    long = {str(p.relative_to(ROOT)): n for p in WEBAPP.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_every_folder_can_be_scanned_at_a_glance():
    crowded = {}
    for folder in [WEBAPP, *[p for p in WEBAPP.rglob("*") if p.is_dir()]]:
        if folder.name == "__pycache__" or "data" in folder.relative_to(ROOT).parts or "content" in folder.relative_to(WEBAPP).parts[:1]:
            continue
        entries = [p for p in folder.iterdir() if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir())]
        if len(entries) > MAX_FOLDER_ENTRIES:
            crowded[str(folder.relative_to(ROOT))] = len(entries)
    assert crowded == {}


def test_each_area_is_one_package_with_its_hooks():
    from webapp.areas import AREAS

    packages = {p.name for p in (WEBAPP / "blueprints").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert {area.name for area in AREAS} == packages
    for name in packages:
        assert (WEBAPP / "blueprints" / name / "hooks.py").exists(), name
        # Importing an area's models must never pull in its routes: its __init__ imports nothing.
        init = ast.parse((WEBAPP / "blueprints" / name / "__init__.py").read_text())
        assert all(isinstance(node, ast.Expr) for node in init.body), f"{name}/__init__.py imports or defines something"


def test_nothing_is_wired_in_by_a_string():
    """A feature looked up by name switches itself off silently when the name is wrong."""
    pattern = re.compile(r"module_exists\(|find_spec\(|\bresolve\(\"webapp|ignore missing")
    offenders = [str(p.relative_to(ROOT)) for p in [*WEBAPP.rglob("*.py"), *(ROOT / "templates").rglob("*.html")]
                 if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# Every area is always registered, so a link to another area's page is built, never guarded
# by "does that endpoint exist" (templates no longer see `view_functions` at all).


def test_no_link_is_guarded_by_an_endpoint_check():
    pattern = re.compile(r"\bin\s+(\w+\.)*view_functions")
    files = [*WEBAPP.rglob("*.py"), *(ROOT / "templates").rglob("*.html"), *(ROOT / "tests").rglob("*.py")]
    guarded = {str(p.relative_to(ROOT)) for p in files
               if p != Path(__file__).resolve() and pattern.search(p.read_text(encoding="utf-8"))}
    assert guarded == set()


def _area_model_imports(path: Path) -> set[str]:
    """Every `webapp.blueprints.<area>.models` the module imports, at the top or inside a function."""
    models = re.compile(r"webapp\.blueprints\.\w+\.models")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if models.fullmatch(alias.name)}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            found |= {name for name in names if models.fullmatch(name)}
    return found


def _other_areas_models(path: Path) -> set[str]:
    own = path.relative_to(WEBAPP / "blueprints").parts[0]
    return {name for name in _area_model_imports(path) if name.split(".")[2] != own}


# Areas talk to each other through the functions another area exports (its feeds.py, hooks,
# domain functions), never by reading its tables. The one exception, for every area:
SHARED_MODELS = {
    # The member: every area's rows point at users.id and its functions take the User the
    # login gives them. Reading an account's name or address is not reading another area's data.
    "webapp.blueprints.accounts.models",
}
# Modules allowed one other area's models beyond that, each with the reason it must stay.
# Keep this empty: add a function to the owning area instead.
ALLOWED: dict[str, set[str]] = {}


def _area_modules() -> list[Path]:
    return sorted((WEBAPP / "blueprints").rglob("*.py"))


def test_no_area_reads_another_areas_tables():
    offenders = {}
    for path in _area_modules():
        name = str(path.relative_to(WEBAPP / "blueprints"))
        found = _other_areas_models(path) - SHARED_MODELS - ALLOWED.get(name, set())
        if found:
            offenders[name] = sorted(found)
    assert offenders == {}


def test_the_allow_list_names_only_imports_that_exist():
    """A stale entry would let the next model import in silently."""
    stale = {name: allowed - _other_areas_models(WEBAPP / "blueprints" / name) for name, allowed in ALLOWED.items()}
    assert {name: found for name, found in stale.items() if found} == {}


def test_shared_code_knows_no_area():
    """webapp/core holds building blocks with no knowledge of any area (the app factory and the
    CLI wiring, next to it, may list the areas)."""
    importing = [str(p.relative_to(ROOT)) for p in (WEBAPP / "core").rglob("*.py")
                 if "webapp.blueprints" in p.read_text(encoding="utf-8")]
    assert importing == []


def test_the_model_import_check_sees_imports_inside_functions(tmp_path):
    """The check above must fail on the shape it replaced: a model import inside a function."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from webapp.blueprints.pills.models import Pill\n    from webapp.blueprints import drugs\n"
                      "from webapp.blueprints.content import models\n")
    assert _area_model_imports(sample) == {"webapp.blueprints.pills.models", "webapp.blueprints.content.models"}
