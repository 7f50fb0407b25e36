"""A plain-Python evaluator of Intercom search queries over conversations as the API renders them.

The oracle of the property test: it reads a query's raw JSON and a conversation's rendered
JSON (what `GET /conversations` returns) and answers with loops and comparisons, knowing
nothing of SQL, indexes or the compiler. The matching rules are those documented in
`parlour.search.query` and `parlour.conversations.search_fields`:

- every string comparison is caseless (`core.text.fold`); ids compare exactly;
- `source.body` is a list of words: `=` a whole word (the value must be one word), `~` part
  of a word, `^`/`$` the start/end of a word;
- a field with several values (`tag_ids`, `contact_ids`, words) matches when one does;
- `!=`, `NIN`, `!~` are exactly "not `=`/`IN`/`~`": a missing value matches them;
- `<`, `>` are strict; `<=`, `>=` are not; a missing value matches none of them;
- a custom attribute matches only values of the query value's type (bool is not a number).
"""

from __future__ import annotations

from typing import Any

from parlour.core.text import fold, html_to_text, words

NEGATIONS = {"!=": "=", "NIN": "IN", "!~": "~"}
MISSING = object()

IDENTIFIERS = {
    "id",
    "source.id",
    "source.author.id",
    "contact_ids",
    "teammate_ids",
    "tag_ids",
    "statistics.last_closed_by_id",
    "conversation_rating.contact_id",
    "conversation_rating.admin_d",
    "conversation_rating.admin_id",
}
KEYWORDS = {
    "source.type",
    "source.delivered_as",
    "source.author.type",
    "channel_initiated",
    "state",
    "priority",
}
BOOLEANS = {"open", "read", "ai_agent_participated"}


def _rating(conversation: dict[str, Any]) -> dict[str, Any]:
    return conversation.get("conversation_rating") or {}


def value_of(conversation: dict[str, Any], field: str) -> Any:
    """The field's value in the rendered conversation: a scalar, None, or a list."""
    source = conversation["source"]
    author = source["author"]
    rating = _rating(conversation)
    plain = {
        "id": conversation["id"],
        "created_at": conversation["created_at"],
        "updated_at": conversation["updated_at"],
        "source.type": source["type"],
        "channel_initiated": source["type"],
        "source.id": source["id"],
        "source.delivered_as": source["delivered_as"],
        "source.subject": source["subject"],
        "source.author.id": author["id"],
        "source.author.type": author["type"],
        "source.author.name": author.get("name"),
        "source.author.email": author.get("email"),
        "source.url": source["url"],
        "contact_ids": [c["id"] for c in conversation["contacts"]["contacts"]],
        "teammate_ids": [t["id"] for t in conversation["teammates"]["teammates"]],
        "tag_ids": [t["id"] for t in conversation["tags"]["tags"]],
        "admin_assignee_id": conversation["admin_assignee_id"],
        "team_assignee_id": conversation["team_assignee_id"],
        "open": conversation["open"],
        "read": conversation["read"],
        "state": conversation["state"],
        "waiting_since": conversation["waiting_since"],
        "snoozed_until": conversation["snoozed_until"],
        "priority": conversation["priority"],
        "conversation_rating.requested_at": None,
        "conversation_rating.replied_at": rating.get("created_at"),
        "conversation_rating.score": rating.get("rating"),
        "conversation_rating.remark": rating.get("remark"),
        "conversation_rating.contact_id": (rating.get("contact") or {}).get("id"),
        "conversation_rating.admin_d": (rating.get("teammate") or {}).get("id"),
        "conversation_rating.admin_id": (rating.get("teammate") or {}).get("id"),
        "ai_agent_participated": conversation["ai_agent_participated"],
    }
    if field in plain:
        return plain[field]
    if field == "source.body":
        return words(fold(html_to_text(source["body"])))
    if field.startswith("statistics."):
        return (conversation["statistics"] or {}).get(field.split(".", 1)[1])
    if field.startswith("ai_agent."):
        return None
    if field.startswith("custom_attributes."):
        return conversation["custom_attributes"].get(field.split(".", 1)[1], MISSING)
    raise KeyError(field)


def matches(query: dict[str, Any], conversation: dict[str, Any]) -> bool:
    """Whether the conversation satisfies the (valid) query."""
    if query.get("operator") in ("AND", "OR"):
        results = [matches(item, conversation) for item in query["value"]]
        return all(results) if query["operator"] == "AND" else any(results)
    operator = query["operator"]
    positive = NEGATIONS.get(operator, operator)
    result = _positive(query["field"], positive, query["value"], conversation)
    return not result if operator in NEGATIONS else result


def _positive(field: str, operator: str, value: Any, conversation: dict[str, Any]) -> bool:
    found = value_of(conversation, field)
    if field.startswith("custom_attributes."):
        return _custom(found, operator, value)
    values = value if operator == "IN" else [value]
    if field == "source.body":
        if value is None:
            return not found
        return any(_word(found, operator, v) for v in values)
    many = found if isinstance(found, list) else ([] if found is None else [found])
    if value is None:  # `= null`: no value at all
        return not many
    return any(_scalar(field, item, operator, v) for item in many for v in values)


def _word(body_words: list[str], operator: str, value: str) -> bool:
    if operator in ("=", "IN"):
        wanted = words(fold(value))
        return len(wanted) == 1 and wanted[0] in body_words
    needle = fold(value)
    test = {
        "~": lambda w: needle in w,
        "^": lambda w: w.startswith(needle),
        "$": lambda w: w.endswith(needle),
    }[operator]
    return any(test(w) for w in body_words)


def _integer(value: Any) -> int:
    return int(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _scalar(field: str, found: Any, operator: str, value: Any) -> bool:
    if field in IDENTIFIERS:
        return str(found) == str(value)
    if field in BOOLEANS:
        return bool(found) == _boolean(value)
    if isinstance(found, int) and not isinstance(found, bool):
        return _compare(found, operator, _integer(value))
    text = found if field in KEYWORDS else fold(found)
    return _strings(text, operator, fold(value))


def _compare(found: float, operator: str, value: float) -> bool:
    return {
        "=": found == value,
        "IN": found == value,
        "<": found < value,
        "<=": found <= value,
        ">": found > value,
        ">=": found >= value,
    }[operator]


def _strings(found: str, operator: str, needle: str) -> bool:
    return {
        "=": found == needle,
        "IN": found == needle,
        "~": needle in found,
        "^": found.startswith(needle),
        "$": found.endswith(needle),
    }[operator]


def _category(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _custom(found: Any, operator: str, value: Any) -> bool:
    if value is None:
        return found is MISSING or found is None
    values = value if operator == "IN" else [value]
    for wanted in values:
        if found is MISSING or _category(found) != _category(wanted):
            continue
        if _category(wanted) == "string":
            if _strings(fold(found), operator, fold(wanted)):
                return True
        elif _category(wanted) == "boolean":
            if found == wanted:
                return True
        elif _compare(found, operator, wanted):
            return True
    return False
