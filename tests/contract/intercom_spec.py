"""Validate bodies against component schemas of Intercom's own OpenAPI description.

openapi-core cannot build a whole-document validator over Intercom's 2.14 file (one unrelated
operation declares an unresolvable path parameter), so each body is validated against a
component schema with OAS 3.0 semantics (`nullable` honoured), references resolved by
`referencing` over the whole document.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_URI = "urn:intercom:2.14"


def spec_path(version: str = "2.14") -> Path:
    """Intercom's spec, vendored beside this module (override with PARLOUR_INTERCOM_SPEC_DIR).

    A copy of ../shared/reference/intercom-openapi (MIT, see LICENSE.md there) so the
    contract tests run on any clone, wherever it is checked out.
    """
    root = os.environ.get("PARLOUR_INTERCOM_SPEC_DIR")
    base = Path(root) if root else Path(__file__).resolve().parent / "intercom-openapi"
    return base / version / "api.intercom.io.yaml"


@cache
def spec_document(version: str = "2.14") -> dict[str, Any]:
    """The parsed OpenAPI document."""
    with spec_path(version).open() as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


@cache
def _registry(version: str) -> Registry:
    resource = Resource.from_contents(spec_document(version), default_specification=DRAFT4)
    return Registry().with_resource(f"urn:intercom:{version}", resource)


def errors_against(schema_name: str, body: Any, version: str = "2.14") -> list[str]:
    """Every violation of `#/components/schemas/<schema_name>` by `body`."""
    validator = OAS30Validator(
        {"$ref": f"urn:intercom:{version}#/components/schemas/{schema_name}"},
        registry=_registry(version),
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def assert_valid(schema_name: str, body: Any, version: str = "2.14") -> None:
    """Fail with every violation listed."""
    problems = errors_against(schema_name, body, version)
    assert not problems, f"{schema_name} violations:\n" + "\n".join(problems)


def response_schema_name(path: str, method: str, status: str, version: str = "2.14") -> str:
    """The component schema the spec names for a response (following a top-level allOf)."""
    operation = spec_document(version)["paths"][path][method.lower()]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    if "$ref" not in schema and "allOf" in schema:
        schema = schema["allOf"][0]
    ref: str = schema["$ref"]
    return ref.rsplit("/", 1)[1]
