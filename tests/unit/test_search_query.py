"""The search query model: parsing, the spec's limits and typing rules, canonical digests."""

from __future__ import annotations

from typing import Any

import pytest

from parlour.conversations import search_columns
from parlour.conversations.search_fields import FIELDS, KINDS
from parlour.core.text import fold, indexed_words, is_word, word_pattern, words
from parlour.errors import ParameterInvalid, ParameterNotFound
from parlour.search.query import (
    MAX_GROUP_ITEMS,
    Condition,
    Group,
    Kind,
    conditions,
    digest,
    parse,
)


def _f(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _error(raw: Any) -> ParameterInvalid | ParameterNotFound:
    with pytest.raises((ParameterInvalid, ParameterNotFound)) as caught:
        parse(raw, FIELDS)
    return caught.value  # type: ignore[return-value]


def test_single_filter() -> None:
    node = parse(_f("created_at", ">", 1306054154), FIELDS)
    assert node == Condition("created_at", Kind.DATE, ">", 1306054154)


def test_nested_groups_two_deep() -> None:
    raw = {
        "operator": "AND",
        "value": [
            {"operator": "OR", "value": [_f("open", "=", True), _f("read", "=", False)]},
            {"operator": "OR", "value": [_f("state", "=", "snoozed"), _f("priority", "=", "x")]},
        ],
    }
    node = parse(raw, FIELDS)
    assert isinstance(node, Group) and node.operator == "AND"
    assert [c.field for c in conditions(node)] == ["open", "read", "state", "priority"]


def test_three_levels_of_groups_are_too_deep() -> None:
    inner = {"operator": "OR", "value": [_f("open", "=", True)]}
    raw = {"operator": "AND", "value": [{"operator": "OR", "value": [inner]}]}
    error = _error(raw)
    assert error.code == "parameter_invalid"
    assert error.field == "query.value[0].value[0]"
    assert "nested too deeply" in error.message


def test_at_most_15_filters_per_group() -> None:
    assert parse({"operator": "OR", "value": [_f("open", "=", True)] * MAX_GROUP_ITEMS}, FIELDS)
    error = _error({"operator": "OR", "value": [_f("open", "=", True)] * 16})
    assert error.field == "query.value"
    assert "16 filters" in error.message and "at most 15" in error.message


@pytest.mark.parametrize(
    ("raw", "field", "words_in_message"),
    [
        ({"operator": "AND", "value": []}, "query.value", "at least one"),
        ({"operator": "AND", "value": "x"}, "query.value", "list"),
        ("open", "query", "must be an object"),
        (_f("nope", "=", 1), "query.field", "'nope' is not a searchable conversation field"),
        (_f("open", "==", True), "query.operator", "must be one of"),
        (_f("open", "and", True), "query.operator", "must be one of"),
        (_f("created_at", "~", "1"), "query.operator", "~ does not apply to created_at"),
        (_f("tag_ids", "~", "1"), "query.operator", "~ does not apply to tag_ids"),
        (_f("source.body", ">", "a"), "query.operator", "> does not apply"),
        (_f("open", ">", True), "query.operator", "> does not apply"),
        (_f("created_at", ">", "foorbar"), "query.value", "Unix timestamp"),
        (_f("created_at", ">", 1.5), "query.value", "Unix timestamp"),
        (_f("created_at", ">", True), "query.value", "Unix timestamp"),
        (_f("created_at", ">", 2**60), "query.value", "out of range"),
        (_f("admin_assignee_id", "=", "abc"), "query.value", "an integer"),
        (_f("open", "=", "maybe"), "query.value", "true or false"),
        (_f("open", "=", 2), "query.value", "true or false"),
        (_f("state", "=", 5), "query.value", "takes a string"),
        (_f("state", "IN", "open"), "query.value", "takes a list"),
        (_f("state", "IN", []), "query.value", "at least one"),
        (_f("state", "IN", ["open", None]), "query.value[1]", "null"),
        (_f("state", "IN", [["open"]]), "query.value[0]", "single"),
        (_f("state", "~", ""), "query.value", "non-empty"),
        (_f("created_at", ">", None), "query.value", "null only works with = and !="),
        (_f("state", "=", "a\x00b"), "query.value", "NUL"),
        (_f("state", "=", "x" * 2000), "query.value", "at most"),
        (_f("custom_attributes.", "=", 1), "query.field", "custom attribute name"),
        (_f('custom_attributes.a"b', "=", 1), "query.field", "quotes"),
        (_f("custom_attributes.Plan", "IN", ["a", 1]), "query.value", "one type"),
        (_f("custom_attributes.Plan", "~", 5), "query.operator", "~ does not apply"),
        (_f("custom_attributes.Plan", "=", {"a": 1}), "query.value", "string, a number"),
    ],
)
def test_invalid_queries_name_the_problem(raw: Any, field: str, words_in_message: str) -> None:
    error = _error(raw)
    assert error.code == "parameter_invalid"
    assert error.field == field
    assert words_in_message in error.message


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (None, "query"),
        ({"operator": "=", "value": 1}, "query.field"),
        ({"field": "open", "value": 1}, "query.operator"),
        ({"field": "open", "operator": "="}, "query.value"),
        ({"operator": "OR"}, "query.value"),
    ],
)
def test_missing_parts_are_parameter_not_found(raw: Any, field: str) -> None:
    error = _error(raw)
    assert error.code == "parameter_not_found"
    assert error.field == field


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("created_at", "1306054154", 1306054154),  # Intercom's own example sends a string
        ("created_at", -5, -5),
        ("admin_assignee_id", "42", 42),  # the SDKs' docstrings call it a string
        ("open", True, True),
        ("open", 1, True),  # python-intercom's typed models turn True into 1
        ("open", 0, False),
        ("open", "TRUE", True),  # the Node examples send "true"
        ("tag_ids", 7, "7"),  # ids may come as integers
        ("source.body", "Support", "Support"),  # kept as given; folding happens in matching
        ("custom_attributes.Seats", 2.5, 2.5),
        ("custom_attributes.VIP", False, False),
    ],
)
def test_values_are_normalised_to_the_field_type(field: str, raw: Any, value: Any) -> None:
    node = parse(_f(field, "=", raw), FIELDS)
    assert isinstance(node, Condition)
    assert node.value == value and type(node.value) is type(value)


def test_null_and_lists() -> None:
    assert parse(_f("admin_assignee_id", "=", None), FIELDS).value is None  # type: ignore[union-attr]
    node = parse(_f("tag_ids", "NIN", [1, "2"]), FIELDS)
    assert isinstance(node, Condition)
    assert node.value == ("1", "2") and node.negated and node.positive == "IN"


def test_custom_attribute_kind_follows_the_value() -> None:
    kinds = {
        value: parse(_f("custom_attributes.Plan", "=", value), FIELDS).kind  # type: ignore[union-attr]
        for value in ("Pro", 3, True)
    }
    assert kinds == {"Pro": Kind.TEXT, 3: Kind.NUMBER, True: Kind.BOOLEAN}


def test_digest_is_stable_and_tells_queries_apart() -> None:
    one = parse(
        {"operator": "AND", "value": [_f("open", "=", 1), _f("read", "=", "false")]}, FIELDS
    )
    same = parse(
        {"value": [_f("open", "=", True), _f("read", "=", False)], "operator": "AND"}, FIELDS
    )
    other = parse(
        {"operator": "OR", "value": [_f("open", "=", True), _f("read", "=", False)]}, FIELDS
    )
    assert digest(one) == digest(same) != digest(other)
    assert len(digest(one)) == 32


def test_every_searchable_field_has_a_sql_target() -> None:
    assert set(KINDS) == set(search_columns.TARGETS)


def test_the_whitelist_covers_intercoms_table() -> None:
    """Every field of the 2.14 `searchConversations` table is searchable."""
    from tests.contract.intercom_spec import spec_document

    description = spec_document()["paths"]["/conversations/search"]["post"]["description"]
    table = description.split("### Accepted Fields")[1].split("### Accepted Operators")[0]
    cells = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("|")}
    fields = {cell for cell in cells if cell != "Field" and not cell.startswith(":")}
    assert len(fields) > 50
    assert fields <= set(KINDS), fields - set(KINDS)


# The text rules search relies on (core/text.py).


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("NAÏVE", "naïve"),
        ("STRASSE", "straße"),
        ("ΟΔΟΣ", "οδος"),
        ("e\u0301", "\u00e9"),
        ("Ǆ", "ǆ"),
    ],
)
def test_fold_makes_case_and_composition_variants_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_words_keep_marks_and_split_on_punctuation() -> None:
    assert words("hindi हिन्दी, e-mail can't a_b 42") == [
        "hindi", "हिन्दी", "e", "mail", "can", "t", "a_b", "42"
    ]  # fmt: skip
    assert is_word("हिन्दी") and not is_word("e-mail") and not is_word("")


def test_indexed_words_and_patterns() -> None:
    stored = indexed_words("<p>I need <b>SUPPORT</b> &amp; support!</p><p>Straße</p>")
    assert stored == " i need support strasse "
    assert word_pattern("=", "Support!") == " support "
    assert word_pattern("=", "need support") is None  # not one word: matches nothing
    assert word_pattern("~", "PPOR") == "ppor"
    assert word_pattern("^", "Sup") == " sup"
    assert word_pattern("$", "ORT") == "ort "
    assert word_pattern("~", "a b") is None
    assert indexed_words("") == "" and indexed_words("<p>!!</p>") == ""
