"""Links of `/openapi.json`: which response feeds which request (stateful testing, clients).

A created conversation's id feeds every conversation operation, a contact's the contact
operations and a new conversation's body, and so on; schemathesis follows them to chain
requests (`tests/fuzz`). Part of the document `parlour.openapi` builds.
"""

from __future__ import annotations

import copy
from typing import Any

_CONVERSATION_TARGETS = (
    "retrieveConversation",
    "updateConversation",
    "replyConversation",
    "manageConversation",
    "attachTagToConversation",
    "attachContactToConversation",
    "autoAssignConversation",
    "applySlaRule",
    "removeSlaRule",
    "rateConversation",
    "deleteConversation",
)
# operationId of the producer -> (link target operationIds, parameter, runtime expression)
LINKS: dict[str, list[tuple[tuple[str, ...], str, str]]] = {
    "createConversation": [
        (_CONVERSATION_TARGETS, "conversation_id", "$response.body#/conversation_id")
    ],
    "retrieveConversation": [
        (_CONVERSATION_TARGETS, "conversation_id", "$response.body#/id"),
        (("detachTagFromConversation",), "tag_id", "$response.body#/tags/tags/0/id"),
        (("detachContactFromConversation",), "contact_id",
         "$response.body#/contacts/contacts/0/id"),
    ],
    "replyConversation": [(_CONVERSATION_TARGETS, "conversation_id", "$response.body#/id")],
    "manageConversation": [(_CONVERSATION_TARGETS, "conversation_id", "$response.body#/id")],
    "CreateContact": [
        (("ShowContact", "UpdateContact", "DeleteContact"), "contact_id", "$response.body#/id")
    ],
    "createTag": [(("findTag", "deleteTag"), "tag_id", "$response.body#/id")],
    "createSlaRule": [(("getSlaRule", "archiveSlaRule"), "rule_id", "$response.body#/id")],
    "createWebhookSubscription": [
        (("getWebhookSubscription", "deleteWebhookSubscription"), "subscription_id",
         "$response.body#/id")
    ],
}  # fmt: skip


def _path_parameters(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}


# Links that fill a request body: a new contact starts a conversation.
BODY_LINKS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "CreateContact": [
        (
            "createConversation",
            {"from": {"type": "user", "id": "$response.body#/id"}, "body": "Hello"},
        )
    ],
}


def add_links(operations: dict[str, dict[str, Any]]) -> None:
    """Add to each producer's 200 response the links to the operations its answer feeds."""
    for producer, body_links in BODY_LINKS.items():
        found = operations[producer]["responses"]["200"].setdefault("links", {})
        for target, body in body_links:
            found[target] = {"operationId": target, "requestBody": copy.deepcopy(body)}
    for producer, links in LINKS.items():
        if producer not in operations:
            continue
        response = operations[producer]["responses"]["200"]
        found = response.setdefault("links", {})
        for targets, parameter, expression in links:
            for target in targets:
                if target not in operations:
                    continue
                name = target if target not in found else f"{target}_{parameter}"
                # Every path parameter of the target that the producer also names.
                params = {parameter: expression}
                if "conversation_id" in _path_parameters(operations[target]) and (
                    parameter != "conversation_id"
                ):
                    params["conversation_id"] = "$response.body#/id"
                found[name] = {"operationId": target, "parameters": params}
