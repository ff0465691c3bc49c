"""House rules checked on the source: `graph/` and `nodes/` never import `server/`, and nodes
never read the environment (settings reach them only through the graph's `Context`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("graph", "nodes")


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (REPO / package).rglob("*.py"))


def imported_modules(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in {"environ", "getenv"} for alias in node.names)
        ):
            return True
    return False


def test_the_rules_see_every_module() -> None:
    files = sources()
    assert len(files) > 20
    assert REPO / "nodes" / "lanes" / "commerce.py" in files


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_graph_and_nodes_never_import_server_nor_read_the_environment(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    forbidden = [m for m in imported_modules(tree) if m == "server" or m.startswith("server.")]
    assert forbidden == [], f"{path.relative_to(REPO)} imports {forbidden}"
    assert not reads_environment(tree), f"{path.relative_to(REPO)} reads the environment"


def test_the_checks_catch_a_violation() -> None:
    bad = ast.parse("import os\nfrom server.settings import get_settings\nx = os.environ['A']\n")
    assert imported_modules(bad) == ["os", "server.settings"]
    assert reads_environment(bad)
    assert reads_environment(ast.parse("from os import getenv\n"))
    assert not reads_environment(ast.parse("import os\np = os.path.join('a', 'b')\n"))
