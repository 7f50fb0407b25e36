"""The slice of Intercom's 2.14 OpenAPI description that Parlour ships with its own document.

`src/parlour/api/intercom_openapi.json` holds, for every Intercom operation Parlour serves,
Intercom's operation object and every component schema it references (transitively), with
Intercom's MIT licence. `parlour.openapi` builds `/openapi.json` from it. Regenerate with

    python -m tests.contract.openapi_slice

`tests/contract/test_openapi_document.py` fails when the shipped file is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from parlour.routes import ALL_ROUTERS
from tests.contract.intercom_spec import spec_document, spec_path

SHIPPED = (
    Path(__file__).resolve().parents[2] / "src" / "parlour" / "api" / "intercom_openapi.json"
)
METHODS = ("get", "put", "post", "delete", "patch")
# Schemas no served operation references that Parlour's corrections use (1.x numbered pages).
EXTRA_SCHEMAS = ("pages_link",)


def served_operation_ids() -> set[str]:
    """operationIds of every route Parlour's resource routers declare."""
    return {
        route.operation_id
        for router in ALL_ROUTERS
        for route in router.routes
        if getattr(route, "operation_id", None)
    }


def _refs(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                found.add(item)
            else:
                _refs(item, found)
    elif isinstance(value, list):
        for item in value:
            _refs(item, found)


def build_slice() -> dict[str, Any]:
    """The operations Parlour serves and the component schemas they need, from the spec."""
    spec = spec_document("2.14")
    served = served_operation_ids()
    operations: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation and operation.get("operationId") in served:
                operations[operation["operationId"]] = {
                    "method": method,
                    "path": path,
                    "operation": operation,
                }
    pending = {f"#/components/schemas/{name}" for name in EXTRA_SCHEMAS}
    _refs(operations, pending)
    schemas: dict[str, Any] = {}
    while pending:
        ref = pending.pop()
        prefix = "#/components/schemas/"
        assert ref.startswith(prefix), f"unexpected reference {ref}"
        name = ref[len(prefix) :]
        if name in schemas:
            continue
        schemas[name] = spec["components"]["schemas"][name]
        _refs(schemas[name], pending)
    licence = (spec_path("2.14").parents[1] / "LICENSE.md").read_text()
    return {
        "source": "Intercom OpenAPI 2.14, intercom/Intercom-OpenAPI "
        "descriptions/2.14/api.intercom.io.yaml: the operations Parlour serves and the "
        "component schemas they reference, unchanged (Parlour's corrections are applied by "
        "parlour.openapi)",
        "license": licence,
        "operations": dict(sorted(operations.items())),
        "schemas": dict(sorted(schemas.items())),
    }


def render() -> str:
    """The file's text."""
    return json.dumps(build_slice(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SHIPPED.write_text(render())
    print(f"wrote {SHIPPED}")
