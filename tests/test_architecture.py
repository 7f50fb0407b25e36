"""The layering of ARCHITECTURE.md, held: every module's imports parsed and checked.

Layers, bottom up: `core` and `errors` (pure), `db` (storage plumbing), the rule modules
(pure), storage (repositories and search SQL), use cases (services, commands, commit
steps, jobs), the HTTP edge (routers, schemas, and the `api` plumbing they share), and the
composition (`app`, `routes`, `wiring`, `openapi`, `cli`, `demo`), which alone may import
everything. Also held: no import cycles (type-checking imports included), no imports
inside functions, one module touching `Session.info`, and a size budget per module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
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
    "conversations/derived.py",
    "conversations/search_fields.py",
    "search/query.py",
)
# Queries and SQL construction: repositories, and what they are split into.
STORAGE = (
    *(f"{r}/repository.py" for r in RESOURCES),
    "webhooks/repository.py",
    "conversations/rows.py",
    "conversations/write_repository.py",
    "conversations/search_pages.py",
    "conversations/search_counts.py",
    "conversations/search_columns.py",
    "search/compile.py",
)
# Decisions: services, the conversation write model and its commands, commit-time steps.
USE_CASES = (
    *(f"{r}/service.py" for r in RESOURCES),
    "webhooks/service.py",
    "webhooks/delivery.py",
    "webhooks/outbox.py",
    "conversations/search_service.py",
    "conversations/writes.py",
    "conversations/inputs.py",
    "conversations/replies.py",
    "conversations/links.py",
    "conversations/edits.py",
    "conversations/entries.py",
    "conversations/jobs.py",
)
ROUTERS = tuple(
    name
    for name in (*(f"{r}/router.py" for r in RESOURCES), "webhooks/router.py",
                 "conversations/write_router.py")
    if (PACKAGE / name).exists()
)  # fmt: skip
# Jobs own their transactions, as a request's dependency does (the others only flush).
JOBS = ("conversations/jobs.py", "webhooks/delivery.py")
COMPOSITION = ("parlour.app", "parlour.routes", "parlour.wiring", "parlour.openapi",
               "parlour.openapi_links", "parlour.cli", "parlour.demo")  # fmt: skip
HTTP = ("fastapi", "starlette", "parlour.api")
# Modules over the size budget, and why each may be.
SIZE_BUDGET = 500
LARGER = {
    # Migrations are history: once released they are never edited, only added to.
    "db/migrations/versions/2026_11_25_0001_initial_schema.py": "a released migration",
    "db/migrations/versions/2026_11_30_0008_conversation_group_counts.py": "a released migration",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(path: Path) -> Iterator[tuple[ast.stmt, str]]:
    """(node, name) of every import in the file, anywhere, module-level names resolved."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                # A submodule imported by name is that module; a name in a module is it.
                full = f"{node.module}.{alias.name}"
                yield node, full if full in MODULES else node.module


def _imports(path: Path) -> set[str]:
    return {name for _, name in _imported(path)}


def _violations(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in paths
        for name in sorted(_imports(path))
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def _outside(paths: list[Path], allowed: tuple[str, ...]) -> list[str]:
    """Imports of Parlour modules that are not under one of `allowed`."""
    return [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in paths
        for name in sorted(_imports(path))
        if name.startswith("parlour")
        and not any(name == a or name.startswith(a + ".") for a in allowed)
    ]


def _paths(names: tuple[str, ...]) -> list[Path]:
    return [PACKAGE / name for name in names]


def test_the_lists_name_real_modules() -> None:
    for name in (*RULE_MODULES, *STORAGE, *USE_CASES, *JOBS, *LARGER):
        assert (PACKAGE / name).exists(), name


def test_core_and_rules_are_pure() -> None:
    paths = _paths(RULE_MODULES) + sorted(PACKAGE.glob("core/*.py"))
    forbidden = (*HTTP, "sqlalchemy", "parlour.db", "time", "datetime.datetime.now",
                 "requests", "httpx", "os")  # fmt: skip
    # core.clock is the one place allowed to read the system time; ids draw randomness.
    paths = [p for p in paths if p.name not in ("clock.py", "ids.py")]
    assert _violations(paths, forbidden) == []
    allowed = ("parlour.core", "parlour.errors", "parlour.conversations", "parlour.search.query")
    assert _outside(paths, allowed) == []
    rules = {_module_name(p) for p in _paths(RULE_MODULES)}
    conversations = [
        f"{p.relative_to(PACKAGE)} imports {name}"
        for p in paths
        for name in _imports(p)
        if name.startswith("parlour.conversations") and name not in rules
    ]
    assert conversations == [], "rule modules import only other rule modules"


def test_db_imports_nothing_above_itself() -> None:
    paths = sorted(PACKAGE.glob("db/**/*.py"))
    assert _outside(paths, ("parlour.db", "parlour.core", "parlour.errors")) == []


def test_storage_does_not_reach_up() -> None:
    allowed = ("parlour.db", "parlour.core", "parlour.errors", "parlour.search",
               *(_module_name(p) for p in _paths(RULE_MODULES + STORAGE)))  # fmt: skip
    assert _outside(_paths(STORAGE), allowed) == []
    assert _violations(_paths(STORAGE), HTTP) == []


def test_use_cases_do_not_speak_http_or_commit() -> None:
    paths = _paths(USE_CASES)
    assert _violations(paths, (*HTTP, *COMPOSITION)) == []
    jobs = _paths(JOBS)
    assert [p.name for p in paths if ".commit()" in p.read_text() and p not in jobs] == []
    routers = tuple(_module_name(p) for p in _paths(ROUTERS))
    assert _violations(paths, routers) == []


def test_routers_do_not_build_sql_or_import_other_resources_routers() -> None:
    for path in _paths(ROUTERS):
        if not path.exists():
            continue
        resource = path.parent.name
        others = tuple(_module_name(p) for p in _paths(ROUTERS) if p.parent.name != resource)
        assert _violations([path], ("sqlalchemy", *others, *COMPOSITION)) == []


def test_api_is_plumbing_not_composition() -> None:
    """`api/` serves the routers: it imports no router, no resource but the caller's
    authentication, and nothing of the composition that mounts it."""
    allowed = ("parlour.api", "parlour.core", "parlour.db", "parlour.errors", "parlour.config",
               "parlour.state", "parlour.workspaces.service")  # fmt: skip
    assert _outside(sorted(PACKAGE.glob("api/*.py")), allowed) == []


def test_state_and_scheduler_stay_below_the_edge() -> None:
    allowed = ("parlour.config", "parlour.core", "parlour.db", "parlour.scheduler")
    assert _outside(_paths(("state.py", "scheduler.py")), allowed) == []


def test_no_imports_inside_functions() -> None:
    """Every import is at a module's top level (a `TYPE_CHECKING` block there included):
    an import hidden in a function is how a cycle gets dodged instead of removed."""
    found = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        top = set()
        for node in tree.body:
            top.add(node)
            if isinstance(node, ast.If):  # `if TYPE_CHECKING:`
                top.update(node.body)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and node not in top:
                found.append(f"{name}:{node.lineno}")
    assert found == []


def _graph() -> dict[str, set[str]]:
    return {
        name: {i for i in _imports(path) if i in MODULES and i != name}
        for name, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    """Type-checking imports count: a cycle through them is still a cycle of meaning."""
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_modules_stay_small() -> None:
    over = {
        str(path.relative_to(PACKAGE)): len(path.read_text().splitlines())
        for path in MODULES.values()
        if len(path.read_text().splitlines()) > SIZE_BUDGET
    }
    assert {name: n for name, n in over.items() if name not in LARGER} == {}


def test_only_the_unit_of_work_touches_session_info() -> None:
    """What a write did travels in `db.unit_of_work`'s typed fields, not ad-hoc keys."""
    touching = [
        str(path.relative_to(PACKAGE))
        for path in MODULES.values()
        if ".info[" in path.read_text() or ".info.get(" in path.read_text()
        or ".info.pop(" in path.read_text() or ".info.setdefault(" in path.read_text()
    ]
    assert touching == ["db/unit_of_work.py"]


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
