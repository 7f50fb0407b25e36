"""Parlour's OpenAPI document (`/openapi.json`): the real request and response shapes.

Composition, like `app.py` (which installs it): it gathers every resource's descriptions.

Handlers read bodies through `api.body` and answer hand-built Intercom JSON, so FastAPI's
generated document (a string for every response, a 422 we never send, no bodies) would lie.
This module builds the document instead:

- Intercom operations Parlour serves take Intercom's own 2.14 operation object and the
  component schemas it references, shipped in `intercom_openapi.json` (MIT, Intercom, Inc.;
  the licence is in the file; regenerate with `python -m tests.contract.openapi_slice`), with
  the corrections below where Parlour deliberately differs or Intercom's description is wrong
  about what is sent.
- Parlour's own routes (`/parlour/...`, Intercom's Preview `/sla_rules`, the conversation
  `run_assignment_rules`) are described here, with schemas from their packages.
- Every operation lists the error statuses Parlour really answers, each an `error.list`.

A route without a description fails the build, so a new endpoint cannot go undocumented.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from parlour.api.versioning import KNOWN_VERSIONS
from parlour.openapi_links import add_links
from parlour.sla_rules.schemas import OPENAPI_SCHEMAS as SLA_RULE_SCHEMAS
from parlour.webhooks.schemas import OPENAPI_SCHEMAS as WEBHOOK_SCHEMAS

OPENAPI_VERSION = "3.0.3"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@cache
def intercom_slice() -> dict[str, Any]:
    """Intercom's operations and schemas as shipped (parsed once; callers copy)."""
    text = resources.files("parlour.api").joinpath("intercom_openapi.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


# -- errors ----------------------------------------------------------------------------------

ERROR_LIST = {
    "type": "object",
    "title": "Error list",
    "description": "Every failure: Intercom's `error.list` with the request's id.",
    "required": ["type", "request_id", "errors"],
    "properties": {
        "type": {"type": "string", "enum": ["error.list"]},
        "request_id": {
            "type": "string",
            "description": "The request's id (a UUID, or the client's own `X-Request-Id`).",
        },
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "parameter_invalid"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
            },
        },
    },
}

ERROR_RESPONSES: dict[str, dict[str, Any]] = {
    "400": _json(
        _ref("error_list"),
        "A parameter or body field is missing (`parameter_not_found`) or unusable "
        "(`parameter_invalid`), or `Intercom-Version` names no version.",
    ),
    "401": _json(_ref("error_list"), "No or unknown access token (`unauthorized`)."),
    "404": _json(_ref("error_list"), "No such resource in this workspace."),
    "409": _json(_ref("error_list"), "Conflicts with an existing resource (`conflict`)."),
    "413": _json(_ref("error_list"), "The request body is too large (`request_too_large`)."),
    "415": _json(
        _ref("error_list"), "The body is declared as something other than JSON "
        "(`unsupported_media_type`).",
    ),
    "422": _json(_ref("error_list"), "The change is not allowed (`parameter_invalid`)."),
    "429": _json(_ref("error_list"), "The token's rate limit is spent (`rate_limit_exceeded`)."),
    "501": _json(_ref("error_list"), "A form of the request Parlour does not implement."),
    "503": _json(
        _ref("error_list"), "The server is overloaded (`service_unavailable`, with "
        "`Retry-After`); nothing was done.",
    ),
}
# Any request can be refused before its handler runs: bad version header, token, size, rate,
# load shedding.
EVERY_OPERATION = ("400", "401", "413", "429", "503")


# -- Parlour's own operations -----------------------------------------------------------------

PARLOUR_SCHEMAS: dict[str, Any] = {
    "error_list": ERROR_LIST,
    **SLA_RULE_SCHEMAS,
    **WEBHOOK_SCHEMAS,
    "apply_sla_rule_request": {
        "type": "object",
        "required": ["sla_rule_id"],
        "properties": {"sla_rule_id": {"type": "string", "example": "1"}},
    },
    "rate_conversation_request": {
        "type": "object",
        "description": "At least one of `rating` and `remark`.",
        "properties": {
            "rating": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
            "remark": {"type": "string", "maxLength": 10_000, "nullable": True},
            "contact_id": {
                "type": "string",
                "nullable": True,
                "description": "The rating contact; by default the one who started it.",
            },
        },
    },
}


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _query_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


_VERSION_HEADER = {
    "name": "Intercom-Version",
    "in": "header",
    "required": False,
    "schema": _ref("intercom_version"),
}
_CONVERSATION_ID = _path_param("conversation_id", "The conversation's id")

# operationId -> (parameters, request body or None, 200 schema, extra error statuses)
PARLOUR_OPERATIONS: dict[str, tuple[list[dict[str, Any]], dict[str, Any] | None, str, tuple[str, ...]]] = {  # noqa: E501
    "autoAssignConversation": ([_CONVERSATION_ID], None, "conversation", ("404",)),
    "applySlaRule": ([_CONVERSATION_ID], _body("apply_sla_rule_request"), "conversation",
                     ("404",)),
    "removeSlaRule": ([_CONVERSATION_ID], None, "conversation", ("404",)),
    "rateConversation": ([_CONVERSATION_ID], _body("rate_conversation_request"),
                         "conversation", ("404",)),
    "listSlaRules": ([], None, "sla_rule_list", ()),
    "getSlaRule": ([_path_param("rule_id", "The SLA rule's id")], None, "sla_rule", ("404",)),
    "createSlaRule": ([], _body("create_sla_rule_request"), "sla_rule", ("409",)),
    "archiveSlaRule": ([_path_param("rule_id", "The SLA rule's id")], None, "sla_rule",
                       ("404",)),
    "listWebhookSubscriptions": ([], None, "webhook_subscription_list", ()),
    "createWebhookSubscription": ([], _body("create_webhook_subscription_request"),
                                  "webhook_subscription", ()),
    "getWebhookSubscription": (
        [_path_param("subscription_id", "The subscription's id")], None,
        "webhook_subscription", ("404",),
    ),
    "deleteWebhookSubscription": (
        [_path_param("subscription_id", "The subscription's id")], None,
        "webhook_subscription_deleted", ("404",),
    ),
    "listWebhookDeliveries": (
        [
            _query_param("status", {"type": "string", "enum": ["pending", "delivered", "dead"]},
                         "Only deliveries in this state"),
            _query_param("before", {"type": "string"}, "A delivery id: older ones only"),
            _query_param("per_page", {"type": "integer", "minimum": 1, "maximum": 150},
                         "Results per page (default 50)"),
        ],
        None, "webhook_delivery_list", (),
    ),
    "replayWebhookDelivery": (
        [_path_param("delivery_id", "The delivery's id")], None, "webhook_delivery", ("404",),
    ),
}  # fmt: skip


def _parlour_operation(generated: dict[str, Any], operation_id: str) -> dict[str, Any]:
    parameters, body, schema, statuses = PARLOUR_OPERATIONS[operation_id]
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": generated.get("summary", operation_id),
        "description": generated.get("description", ""),
        "tags": generated.get("tags", ["Parlour"]),
        "parameters": [copy.deepcopy(_VERSION_HEADER), *copy.deepcopy(parameters)],
        "responses": {"200": _json(_ref(schema), "Success")},
    }
    if body is not None:
        operation["requestBody"] = copy.deepcopy(body)
    _add_errors(operation, statuses)
    return operation


def _add_errors(operation: dict[str, Any], statuses: tuple[str, ...]) -> None:
    responses = operation["responses"]
    if "requestBody" in operation:
        statuses = (*statuses, "415")
    for status in sorted({*EVERY_OPERATION, *statuses}):
        responses[status] = copy.deepcopy(ERROR_RESPONSES[status])


# -- Intercom's operations, corrected -----------------------------------------------------------

# Error statuses beyond EVERY_OPERATION that each served Intercom operation really answers.
INTERCOM_ERRORS: dict[str, tuple[str, ...]] = {
    "identifyAdmin": (),
    "listAdmins": (),
    "retrieveAdmin": ("404",),
    "ListContacts": (),
    "CreateContact": ("409",),
    "ShowContact": ("404",),
    "UpdateContact": ("404", "409"),
    "DeleteContact": ("404",),
    "listConversations": ("404",),
    "createConversation": ("404",),
    "searchConversations": (),
    "retrieveConversation": ("404",),
    "updateConversation": ("404",),
    "deleteConversation": ("404",),
    "redactConversation": ("404",),
    "replyConversation": ("404",),
    "manageConversation": ("404",),
    "attachTagToConversation": ("404",),
    "detachTagFromConversation": ("404",),
    "attachContactToConversation": ("404",),
    "detachContactFromConversation": ("404", "422"),
    "listTags": (),
    "createTag": ("404", "409", "501"),
    "findTag": ("404",),
    "deleteTag": ("404",),
    "listTeams": (),
}

_LIST_CONVERSATIONS_PARAMETERS = [
    _query_param("page", {"type": "integer", "minimum": 1},
                 "Page number (versions 1.x, whose `pages.next` is a URL)"),
    _query_param("order", {"type": "string", "enum": ["asc", "desc"]},
                 "desc (default) or asc"),
    _query_param("sort", {"type": "string", "enum": ["created_at", "updated_at",
                                                     "waiting_since"]},
                 "The sort key (default updated_at)"),
    _query_param("display_as", {"type": "string", "enum": ["plaintext", "html"]},
                 "plaintext renders part bodies without HTML"),
    _query_param("open", {"type": "boolean"}, "Only open (true) or not open (false)"),
    _query_param("type", {"type": "string", "enum": ["admin", "user"]},
                 "Legacy filter: conversations of an admin or of a user"),
    _query_param("admin_id", {"type": "string"}, "Legacy filter: assigned to this admin"),
    _query_param("user_id", {"type": "string"}, "Legacy filter: the contact's external id"),
    _query_param("intercom_user_id", {"type": "string"}, "Legacy filter: the contact's id"),
    _query_param("email", {"type": "string"}, "Legacy filter: the contact's email"),
]  # fmt: skip
_DISPLAY_AS = _query_param(
    "display_as", {"type": "string", "enum": ["plaintext", "html"]},
    "plaintext renders part bodies without HTML",
)  # fmt: skip


def _relative_urls(value: Any) -> None:
    """Intercom documents `format: uri` on links its own examples give as paths
    (`/contacts/5ba6.../tags`), and sends them so: those are URI references."""
    if isinstance(value, dict):
        example = value.get("example")
        if value.get("format") == "uri" and isinstance(example, str) and example.startswith("/"):
            value["format"] = "uri-reference"
        for item in value.values():
            _relative_urls(item)
    elif isinstance(value, list):
        for item in value:
            _relative_urls(item)


def _correct_schemas(schemas: dict[str, Any]) -> None:
    """Where Parlour's JSON differs from Intercom's schemas on purpose, or Intercom's
    description is wrong about what Intercom sends."""
    _relative_urls(schemas)
    # Contact ids are 24 hex digits (Intercom's own example), not UUIDs: as written, with
    # `format: uuid` and exactly 24 characters, no value could be valid.
    del schemas["create_conversation_request"]["properties"]["from"]["properties"]["id"]["format"]
    # Intercom's custom attributes are also floats and booleans (its data attribute types);
    # its description lists only strings, integers, dates and object lists.
    schemas["custom_attributes"]["additionalProperties"]["anyOf"] += [
        {"type": "number"},
        {"type": "boolean"},
    ]
    # Parlour's contacts are users or leads (Intercom leaves `role` a free string).
    for name in ("create_contact_request", "update_contact_request"):
        schemas[name]["properties"]["role"]["enum"] = ["user", "lead"]
        schemas[name]["properties"]["email"]["format"] = "email"
    # Parlour accepts every version Intercom has published, and Unstable.
    schemas["intercom_version"]["enum"] = sorted(KNOWN_VERSIONS)
    # 1.x lists page by number: `pages.next` is then a URL (Intercom's `pages_link`).
    schemas["conversation_list"]["properties"]["pages"] = {
        "anyOf": [_ref("cursor_pages"), _ref("pages_link")]
    }


# Operations whose handler treats an empty body as `{}`; every other body is required.
OPTIONAL_BODIES = ("UpdateContact", "updateConversation")


def _correct_operation(operation_id: str, operation: dict[str, Any]) -> None:
    """Per-operation corrections of Intercom's description."""
    if "requestBody" in operation:
        # An absent body is `400 parameter_not_found` (Intercom leaves `required` out).
        operation["requestBody"]["required"] = operation_id not in OPTIONAL_BODIES
    if operation_id == "listConversations":
        operation["parameters"].extend(copy.deepcopy(_LIST_CONVERSATIONS_PARAMETERS))
    if operation_id == "retrieveConversation":
        # Parlour does not translate parts.
        operation["parameters"] = [
            p for p in operation["parameters"] if p.get("name") != "include_translations"
        ]
    if operation_id == "createTag":
        # Tagging and untagging companies answers 501 (Parlour has no companies): only the
        # forms Parlour serves are described.
        content = operation["requestBody"]["content"]["application/json"]
        content["schema"] = {
            "oneOf": [_ref("create_or_update_tag_request"), _ref("tag_multiple_users_request")]
        }
        content["examples"] = {
            name: example
            for name, example in content.get("examples", {}).items()
            if "companies" not in example.get("value", {})
        }


def _intercom_operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    entry = intercom_slice()["operations"][operation_id]
    operation = copy.deepcopy(entry["operation"])
    operation["responses"] = {
        status: response
        for status, response in operation["responses"].items()
        if status.startswith("2")
    }
    _correct_operation(operation_id, operation)
    _add_errors(operation, INTERCOM_ERRORS[operation_id])
    return entry["method"], entry["path"], operation


# -- the document --------------------------------------------------------------------------------


def build_document(app: FastAPI) -> dict[str, Any]:
    """The whole OpenAPI 3.0 document for the routes `app` serves."""
    shipped = intercom_slice()
    schemas: dict[str, Any] = copy.deepcopy(shipped["schemas"])
    _correct_schemas(schemas)
    clash = set(schemas) & set(PARLOUR_SCHEMAS)
    assert not clash, f"Parlour schema names clash with Intercom's: {clash}"
    schemas.update(copy.deepcopy(PARLOUR_SCHEMAS))

    paths: dict[str, dict[str, Any]] = {}
    by_id: dict[str, dict[str, Any]] = {}
    # FastAPI's generator knows every mounted route (however routers nest); only the paths,
    # methods and operation ids are taken from it.
    generated = get_openapi(title=app.title, version=app.version, routes=app.routes)
    for path, methods in generated["paths"].items():
        for method, fastapi_operation in methods.items():
            operation_id = fastapi_operation["operationId"]
            if operation_id in shipped["operations"]:
                spec_method, spec_path, operation = _intercom_operation(operation_id)
                assert (spec_method, spec_path) == (method, path), (
                    f"{operation_id}: Intercom has {spec_method} {spec_path}, "
                    f"Parlour serves {method} {path}"
                )
            elif operation_id in PARLOUR_OPERATIONS:
                operation = _parlour_operation(fastapi_operation, operation_id)
            else:
                raise LookupError(f"{method.upper()} {path} ({operation_id}) is undocumented")
            paths.setdefault(path, {})[method] = operation
            by_id[operation_id] = operation
    add_links(by_id)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": app.title,
            "version": app.version,
            "description": (
                f"{app.description}\n\nIntercom's operations are described by Intercom's "
                "OpenAPI 2.14 description (MIT licence, Copyright (c) 2022 Intercom, Inc.), "
                "corrected where Parlour differs; `/parlour/...` routes are Parlour's own."
            ),
        },
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_builder(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """`app.openapi`: the document, built once per app."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    return openapi
