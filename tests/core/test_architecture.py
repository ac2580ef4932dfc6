"""How the packages depend on each other, read from their source with `ast`.

Every import statement is an edge, the ones inside functions too: an import deferred into a
function still makes its module depend on the other, and hiding an import circle that way is
what this test exists to prevent. So a function-local import must say why it is there.
"""

from __future__ import annotations

import ast
import io
import tokenize
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "community", "referrals", "leads", "journey", "console")
DOMAINS = ("community", "referrals", "leads", "journey")
# The factory composes the app from every domain; it is the one module of core that imports them.
COMPOSITION_ROOT = "core.app"
# Who may depend on whom (a package on itself goes without saying).
ALLOWED = {
    "core": set(),
    "community": {"core", "referrals"},  # share links are referrals' to build
    "referrals": {"core"},
    "leads": {"core", "community", "referrals"},
    "journey": {"core", "community", "referrals", "leads"},  # reads them all through their services
    "console": {"core", "community", "referrals", "leads", "journey"},  # pages call every domain's services
}


def module_names() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = module_names()


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    is_package = MODULES[importer].name == "__init__.py"
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def targets(importer: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The modules of the four packages an import statement loads (a submodule when one is named)."""
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        module = resolve(importer, node)
        names = {f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module for alias in node.names}
    return {name for name in names if name in MODULES}


def function_level(tree: ast.Module) -> set[ast.AST]:
    """The import statements inside function bodies."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside |= {sub for sub in ast.walk(node) if isinstance(sub, ast.Import | ast.ImportFrom)}
    return inside


def parsed(name: str) -> tuple[ast.Module, str]:
    source = MODULES[name].read_text()
    return ast.parse(source), source


def edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name in MODULES:
        tree, _ = parsed(name)
        imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
        graph[name] = set().union(*(targets(name, node) for node in imports)) - {name}
    return graph


def circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of the graph (its first node repeated at the end), or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return error.args[1]
    return None


def package_of(module: str) -> str:
    return module.split(".")[0]


def crossings(graph: dict[str, set[str]]) -> list[str]:
    """Imports from one package into another that ALLOWED does not list."""
    return sorted(
        f"{module} -> {target}"
        for module, imported in graph.items()
        for target in imported
        if package_of(target) != package_of(module)
        and package_of(target) not in ALLOWED[package_of(module)]
        and module != COMPOSITION_ROOT
    )


def test_the_circle_finder_finds_circles():
    found = circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert found is not None and sorted(set(found)) == ["a", "b", "c"]
    assert circle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_another_in_a_circle():
    assert circle(edges()) is None


def test_packages_depend_one_way():
    """core knows no domain (but the factory), community and referrals never import leads."""
    assert crossings(edges()) == []


def test_the_package_graph_has_no_circle():
    assert circle(ALLOWED) is None


def test_an_import_against_the_grain_is_caught():
    graph = {"community.services.threads": {"leads.models"}, "core.auth": {"community.models"}}
    assert crossings(graph) == ["community.services.threads -> leads.models", "core.auth -> community.models"]


def test_schemas_import_no_service():
    """Schemas sit below services: what they validate against lives in models or core."""
    graph = edges()
    wrong = [
        f"{module} -> {target}"
        for module, imported in graph.items()
        if ".schemas" in module
        for target in imported
        if ".services" in target
    ]
    assert wrong == []


def test_journey_reads_the_other_domains_only_through_their_services():
    """Journey listens to every domain and reads what they hold through their services, never their
    models (tables), routes or tasks."""
    graph = edges()
    wrong = [
        f"{module} -> {target}"
        for module, imported in graph.items()
        if package_of(module) == "journey"
        for target in imported
        if package_of(target) in ("community", "referrals", "leads") and ".services" not in target
    ]
    assert wrong == []


def commented_lines(source: str) -> set[int]:
    return {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }


def unexplained_local_imports(source: str) -> list[int]:
    """Lines of function-local imports with no comment on them, nor on the line above their run
    of consecutive imports."""
    tree = ast.parse(source)
    comments = commented_lines(source)
    local = sorted(function_level(tree), key=lambda node: node.lineno)
    import_lines = {line for node in local for line in range(node.lineno, node.end_lineno + 1)}
    bare = []
    for node in local:
        above = node.lineno - 1
        while above in import_lines:
            above -= 1  # up to the line before this run of imports
        own = range(node.lineno, node.end_lineno + 1)
        if above not in comments and not comments.intersection(own):
            bare.append(node.lineno)
    return bare


@pytest.mark.parametrize("name", sorted(MODULES))
def test_function_local_imports_say_why(name):
    _, source = parsed(name)
    assert unexplained_local_imports(source) == []


def test_an_unexplained_local_import_is_caught():
    source = "def f():\n    import json\n\n    # why\n    import csv\n    import io\n\n\n"
    source += "def g():\n    import os  # why\n"
    assert unexplained_local_imports(source) == [2]
