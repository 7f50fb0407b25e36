"""Intercom's search query (`search_request.query`), parsed and checked against a resource's fields.

Pure: JSON in, an immutable tree out, or a 400 `parameter_invalid` naming the problem and
where it is (`query.value[1].operator`). Which fields a resource has and what each holds is
the resource's business (a `Fields`, e.g. `conversations.search_fields.FIELDS`); turning a
tree into SQL is `search.compile`'s.

The rules, from Intercom's 2.14 description of `searchConversations`:

- A query is one filter `{field, operator, value}` or a group `{operator: AND|OR, value: [...]}`
  of filters and groups. Groups nest at most 2 deep ("max 2 nested filters": a group may
  hold groups, those only filters) and hold 1 to 15 items ("max 15 filters for each AND or
  OR group").
- Operators: `=` `!=` `IN` `NIN` for every type; `<` `>` (and the schema's `<=` `>=`) for
  integers and dates; `~` (contains) `!~` `^` (starts with) `$` (ends with) for strings.
  `>` and `<` are strict; `>=` and `<=` include the bound.
- Values must have the field's type: dates are Unix timestamps in seconds (an integer, or a
  string of digits as Intercom's own example sends), integers likewise, booleans `true` /
  `false` (also `1`/`0` and `"true"`/`"false"`, which the official SDKs send). `null` works
  with `=` (the field has no value) and `!=`. `IN`/`NIN` take a non-empty list.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from parlour.errors import ParameterInvalid, ParameterNotFound

MAX_DEPTH = 2
MAX_GROUP_ITEMS = 15
MAX_LIST_ITEMS = 100
MAX_STRING = 1_024
MAX_IDENTIFIER = 255
MAX_ATTRIBUTE_NAME = 190
MAX_INTEGER = 2**53

GROUP_OPERATORS = ("AND", "OR")
OPERATORS = ("=", "!=", "IN", "NIN", "<", "<=", ">", ">=", "~", "!~", "^", "$")
# Each negative operator is the negation of a positive one: a row without a value (null,
# or no element at all) does not match `=` and therefore matches `!=`.
NEGATIONS = {"!=": "=", "NIN": "IN", "!~": "~"}
LIST_OPERATORS = frozenset({"IN", "NIN"})
EQUALITY = frozenset({"=", "!=", "IN", "NIN"})
ORDERING = EQUALITY | {"<", "<=", ">", ">="}
STRING = EQUALITY | {"~", "!~", "^", "$"}

_INTEGER_TEXT = re.compile(r"-?[0-9]{1,16}")

Value = str | int | float | bool | None


class Kind(Enum):
    """What a field holds, which decides its operators and how values compare."""

    IDENTIFIER = "identifier"  # ids: exact, `=` `!=` `IN` `NIN`
    KEYWORD = "keyword"  # lowercase codes (state, priority): case-insensitive strings
    TEXT = "text"  # free text: case-insensitive strings
    WORDS = "words"  # free text matched word by word (`source.body`)
    INTEGER = "integer"
    DATE = "date"  # Unix timestamp, seconds
    BOOLEAN = "boolean"
    NUMBER = "number"  # a custom attribute's number (integer or not)


OPERATORS_BY_KIND: Mapping[Kind, frozenset[str]] = {
    Kind.IDENTIFIER: EQUALITY,
    Kind.KEYWORD: STRING,
    Kind.TEXT: STRING,
    Kind.WORDS: STRING,
    Kind.INTEGER: ORDERING,
    Kind.DATE: ORDERING,
    Kind.BOOLEAN: EQUALITY,
    Kind.NUMBER: ORDERING,
}


@dataclass(frozen=True, slots=True)
class Fields:
    """A resource's searchable fields: a whitelist of names and kinds, plus custom attributes.

    A name under `custom_prefix` (`custom_attributes.Plan`) is a custom attribute whose
    kind follows the value searched for (string, number or boolean).
    """

    resource: str
    kinds: Mapping[str, Kind]
    custom_prefix: str | None = "custom_attributes."

    def lookup(self, name: str) -> tuple[Kind | None, str | None]:
        """(kind, None) for a listed field, (None, attribute) for a custom attribute."""
        kind = self.kinds.get(name)
        if kind is not None:
            return kind, None
        if self.custom_prefix and name.startswith(self.custom_prefix):
            return None, name[len(self.custom_prefix) :]
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter, its value normalised to the field's type (a tuple for `IN`/`NIN`)."""

    field: str
    kind: Kind
    operator: str
    value: Value | tuple[Value, ...]
    attribute: str | None = None  # the custom attribute's name

    @property
    def negated(self) -> bool:
        """True for `!=`, `NIN` and `!~`: the negation of `positive`."""
        return self.operator in NEGATIONS

    @property
    def positive(self) -> str:
        """The operator whose negation this is (itself when not negated)."""
        return NEGATIONS.get(self.operator, self.operator)


@dataclass(frozen=True, slots=True)
class Group:
    """`AND` or `OR` over filters and groups."""

    operator: str
    items: tuple[Node, ...]


Node = Condition | Group


def _invalid(message: str, where: str) -> ParameterInvalid:
    return ParameterInvalid(message, field=where)


def parse(raw: Any, fields: Fields, *, where: str = "query") -> Node:
    """The query tree of `raw` (the request's `query`), or a 400 naming what is wrong."""
    if raw is None:
        raise ParameterNotFound(f"{where} is required", field=where)
    return _node(raw, fields, where, 0)


def _node(raw: Any, fields: Fields, where: str, depth: int) -> Node:
    if not isinstance(raw, dict):
        raise _invalid(
            f"{where} must be an object: a filter {{field, operator, value}} "
            "or a group {operator: AND|OR, value: [...]}",
            where,
        )
    if raw.get("operator") in GROUP_OPERATORS:
        return _group(raw, fields, where, depth + 1)
    return _condition(raw, fields, where)


def _group(raw: dict[str, Any], fields: Fields, where: str, depth: int) -> Group:
    if depth > MAX_DEPTH:
        raise _invalid(
            f"{where} is nested too deeply: AND/OR groups nest at most {MAX_DEPTH} levels",
            where,
        )
    items = raw.get("value")
    if items is None:
        raise ParameterNotFound(f"{where}.value is required", field=f"{where}.value")
    if not isinstance(items, list):
        raise _invalid(f"{where}.value must be a list of filters", f"{where}.value")
    if not items:
        raise _invalid(f"{where}.value must hold at least one filter", f"{where}.value")
    if len(items) > MAX_GROUP_ITEMS:
        raise _invalid(
            f"{where}.value has {len(items)} filters; an AND or OR group holds at most "
            f"{MAX_GROUP_ITEMS}",
            f"{where}.value",
        )
    return Group(
        operator=raw["operator"],
        items=tuple(
            _node(item, fields, f"{where}.value[{i}]", depth) for i, item in enumerate(items)
        ),
    )


def _condition(raw: dict[str, Any], fields: Fields, where: str) -> Condition:
    name = raw.get("field")
    if name is None:
        raise ParameterNotFound(f"{where}.field is required", field=f"{where}.field")
    if not isinstance(name, str):
        raise _invalid(f"{where}.field must be a string", f"{where}.field")
    try:
        kind, attribute = fields.lookup(name)
    except KeyError:
        shown = name if len(name) <= 64 else name[:64] + "…"
        raise _invalid(
            f"{where}.field: {shown!r} is not a searchable {fields.resource} field",
            f"{where}.field",
        ) from None
    operator = raw.get("operator")
    if operator is None:
        raise ParameterNotFound(f"{where}.operator is required", field=f"{where}.operator")
    if operator not in OPERATORS:
        raise _invalid(
            f"{where}.operator must be one of {', '.join(OPERATORS)} "
            f"(or AND/OR with a list of filters)",
            f"{where}.operator",
        )
    if "value" not in raw:
        raise ParameterNotFound(f"{where}.value is required", field=f"{where}.value")
    if attribute is not None:
        _check_attribute(attribute, name, f"{where}.field")
        kind, value = _custom_value(raw["value"], operator, name, f"{where}.value")
        _check_operator(kind, operator, name, where)
    else:
        assert kind is not None
        _check_operator(kind, operator, name, where)
        value = _typed_value(raw["value"], kind, operator, name, f"{where}.value")
    return Condition(field=name, kind=kind, operator=operator, value=value, attribute=attribute)


def _check_operator(kind: Kind, operator: str, name: str, where: str) -> None:
    allowed = OPERATORS_BY_KIND[kind]
    if operator not in allowed:
        raise _invalid(
            f"{where}.operator: {operator} does not apply to {name} ({_describe(kind)}); "
            f"use one of {', '.join(o for o in OPERATORS if o in allowed)}",
            f"{where}.operator",
        )


def _describe(kind: Kind) -> str:
    return {
        Kind.IDENTIFIER: "an id",
        Kind.KEYWORD: "a string",
        Kind.TEXT: "a string",
        Kind.WORDS: "a string",
        Kind.INTEGER: "an integer",
        Kind.DATE: "a Unix timestamp",
        Kind.BOOLEAN: "a boolean",
        Kind.NUMBER: "a number",
    }[kind]


def _check_attribute(attribute: str, name: str, where: str) -> None:
    if not attribute or len(attribute) > MAX_ATTRIBUTE_NAME:
        raise _invalid(
            f"{where}: {name!r} needs a custom attribute name of 1 to "
            f"{MAX_ATTRIBUTE_NAME} characters",
            where,
        )
    if any(c in '"\\' or ord(c) < 32 for c in attribute):
        raise _invalid(
            f"{where}: custom attribute names cannot contain quotes, backslashes or "
            "control characters",
            where,
        )


def _typed_value(
    raw: Any, kind: Kind, operator: str, name: str, where: str
) -> Value | tuple[Value, ...]:
    if operator in LIST_OPERATORS:
        items = _list(raw, operator, name, where)
        return tuple(
            _scalar(item, kind, operator, name, f"{where}[{i}]") for i, item in enumerate(items)
        )
    if raw is None:
        if operator not in ("=", "!="):
            raise _invalid(f"{where}: null only works with = and !=", where)
        return None
    return _scalar(raw, kind, operator, name, where)


def _list(raw: Any, operator: str, name: str, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise _invalid(f"{where}: {operator} on {name} takes a list of values", where)
    if not raw:
        raise _invalid(f"{where}: {operator} needs at least one value", where)
    if len(raw) > MAX_LIST_ITEMS:
        raise _invalid(f"{where}: {operator} takes at most {MAX_LIST_ITEMS} values", where)
    return raw


def _scalar(raw: Any, kind: Kind, operator: str, name: str, where: str) -> Value:
    if raw is None:
        raise _invalid(f"{where}: null cannot be one of the values of {operator}", where)
    if isinstance(raw, list | dict):
        raise _invalid(f"{where}: {name} takes a single {_describe(kind)} with {operator}", where)
    if kind is Kind.IDENTIFIER:
        return _identifier(raw, name, where)
    if kind in (Kind.KEYWORD, Kind.TEXT, Kind.WORDS):
        return _string(raw, operator, name, where)
    if kind in (Kind.INTEGER, Kind.DATE):
        return _integer(raw, kind, name, where)
    if kind is Kind.BOOLEAN:
        return _boolean(raw, name, where)
    raise AssertionError(kind)  # NUMBER only comes from custom attributes


def _identifier(raw: Any, name: str, where: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _invalid(f"{where}: {name} takes an id (a string)", where)
    text = str(raw)
    if len(text) > MAX_IDENTIFIER:
        raise _invalid(f"{where}: {name} ids are at most {MAX_IDENTIFIER} characters", where)
    return _no_nul(text, where)


def _string(raw: Any, operator: str, name: str, where: str) -> str:
    if not isinstance(raw, str):
        raise _invalid(f"{where}: {name} takes a string, not {_json_type(raw)}", where)
    if len(raw) > MAX_STRING:
        raise _invalid(f"{where}: values are at most {MAX_STRING} characters", where)
    if operator in ("~", "!~", "^", "$") and not raw:
        raise _invalid(f"{where}: {operator} needs a non-empty string", where)
    return _no_nul(raw, where)


def _integer(raw: Any, kind: Kind, name: str, where: str) -> int:
    expected = "a Unix timestamp in seconds (an integer)" if kind is Kind.DATE else "an integer"
    if isinstance(raw, str) and _INTEGER_TEXT.fullmatch(raw):
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        shown = raw if not isinstance(raw, str) or len(raw) <= 64 else raw[:64] + "…"
        raise _invalid(f"{where}: {name} takes {expected}, not {shown!r}", where)
    number = int(raw)
    if not -MAX_INTEGER < number < MAX_INTEGER:
        raise _invalid(f"{where}: {number} is out of range for {name}", where)
    return number


def _boolean(raw: Any, name: str, where: str) -> bool:
    if isinstance(raw, bool):
        return raw
    # python-intercom's typed models turn True into 1; the Node examples send "true".
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise _invalid(f"{where}: {name} takes true or false, not {raw!r}", where)


def _custom_value(
    raw: Any, operator: str, name: str, where: str
) -> tuple[Kind, Value | tuple[Value, ...]]:
    if operator in LIST_OPERATORS:
        items = _list(raw, operator, name, where)
        kinds = {_custom_kind(item, name, f"{where}[{i}]") for i, item in enumerate(items)}
        if len(kinds) > 1:
            raise _invalid(f"{where}: the values of {operator} must all have one type", where)
        kind = kinds.pop()
        values = tuple(_custom_scalar(item, kind, operator, name, where) for item in items)
        return kind, values
    if raw is None:
        if operator not in ("=", "!="):
            raise _invalid(f"{where}: null only works with = and !=", where)
        return Kind.TEXT, None
    kind = _custom_kind(raw, name, where)
    return kind, _custom_scalar(raw, kind, operator, name, where)


def _custom_kind(raw: Any, name: str, where: str) -> Kind:
    if isinstance(raw, bool):
        return Kind.BOOLEAN
    if isinstance(raw, int | float):
        return Kind.NUMBER
    if isinstance(raw, str):
        return Kind.TEXT
    raise _invalid(f"{where}: {name} takes a string, a number or a boolean", where)


def _custom_scalar(raw: Any, kind: Kind, operator: str, name: str, where: str) -> Value:
    if kind is Kind.TEXT:
        return _string(raw, operator, name, where)
    if kind is Kind.NUMBER:
        if isinstance(raw, int) and not -MAX_INTEGER < raw < MAX_INTEGER:
            raise _invalid(f"{where}: {raw} is out of range", where)
        return raw  # type: ignore[no-any-return]
    return bool(raw)


def _no_nul(text: str, where: str) -> str:
    if "\x00" in text:
        raise _invalid(f"{where} must not contain NUL characters", where)
    return text


def _json_type(raw: Any) -> str:
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, int | float):
        return "a number"
    return "an object" if isinstance(raw, dict) else type(raw).__name__


def conditions(node: Node) -> Iterator[Condition]:
    """Every filter of the tree, depth first."""
    if isinstance(node, Condition):
        yield node
        return
    for item in node.items:
        yield from conditions(item)


def canonical(node: Node) -> Any:
    """A JSON-able form of the tree: equal for queries that mean the same filters."""
    if isinstance(node, Group):
        return {"op": node.operator, "of": [canonical(item) for item in node.items]}
    value = list(node.value) if isinstance(node.value, tuple) else node.value
    return [node.field, node.operator, value]


def digest(node: Node) -> str:
    """A short stable fingerprint of the tree (cursors carry it instead of the query)."""
    encoded = json.dumps(canonical(node), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]
