"""The import rules of ARCHITECTURE.md, checked by parsing every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "parlour"
RESOURCES = ("admins", "contacts", "conversations", "sla_rules", "tags", "teams", "workspaces")
RULE_MODULES = (
    "conversations/timeline.py",
    "conversations/state.py",
    "conversations/statistics.py",
    "conversations/sla.py",
    "conversations/routing.py",
    "conversations/search_fields.py",
    "search/query.py",
)
# SQL construction for search: storage-level, like repositories.
SEARCH_STORAGE = ("search/compile.py", "conversations/search_columns.py", "db/text_search.py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(pattern: str) -> list[Path]:
    return sorted(PACKAGE.glob(pattern))


def _violations(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in paths
        for name in sorted(_imports(path))
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_rule_modules_are_pure() -> None:
    paths = [PACKAGE / m for m in RULE_MODULES] + _modules("core/*.py")
    forbidden = (
        "fastapi",
        "starlette",
        "sqlalchemy",
        "parlour.db",
        "parlour.api",
        "time",
        "datetime.datetime.now",
        "requests",
        "httpx",
        "os",
    )
    # core.clock is the one place allowed to read the system time.
    paths = [p for p in paths if p.name not in ("clock.py", "ids.py")]
    assert _violations(paths, forbidden) == []


def test_services_do_not_speak_http() -> None:
    paths = [PACKAGE / r / "service.py" for r in RESOURCES]
    paths.append(PACKAGE / "conversations" / "lifecycle.py")  # the write-side service
    assert _violations(paths, ("fastapi", "starlette", "parlour.api")) == []
    for path in paths:
        assert ".commit()" not in path.read_text(), f"{path.name} must not commit"


def test_routers_do_not_build_sql_or_import_other_routers() -> None:
    for resource in RESOURCES:
        router = PACKAGE / resource / "router.py"
        if not router.exists():
            continue
        others = tuple(f"parlour.{r}.router" for r in RESOURCES if r != resource)
        assert _violations([router], ("sqlalchemy", *others)) == []


def test_repositories_only_touch_storage() -> None:
    paths = [PACKAGE / r / "repository.py" for r in RESOURCES]
    paths += [PACKAGE / m for m in SEARCH_STORAGE]
    assert _violations(paths, ("fastapi", "starlette", "parlour.api")) == []


@pytest.mark.parametrize(
    "resource", ["admins", "contacts", "conversations", "sla_rules", "tags", "teams"]
)
def test_each_resource_has_the_four_files(resource: str) -> None:
    for name in ("router.py", "schemas.py", "service.py", "repository.py"):
        assert (PACKAGE / resource / name).exists(), f"{resource}/{name} missing"


def test_tables_live_in_db_models() -> None:
    outside = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "__tablename__" in path.read_text() and "db/models" not in str(path)
    ]
    assert outside == []


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if ast.get_docstring(ast.parse(path.read_text())) is None
    ]
    assert missing == []
