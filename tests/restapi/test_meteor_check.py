"""Meteor's check() wording, on the patterns the legacy and livechat routes use."""

from typing import Any

import pytest

from omnicontacts.restapi.errors import Failure
from omnicontacts.restapi.meteor_check import ANY, BOOLEAN, OBJECT, STRING, Maybe, ObjectIncluding, check

PATTERN = {
    "token": STRING,
    "name": Maybe(STRING),
    "extra": Maybe(OBJECT),
    "anything": Maybe(ANY),
    "items": Maybe([ObjectIncluding({"key": STRING, "on": BOOLEAN})]),
    "nested": Maybe({"username": STRING}),
}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("text", "Expected object, got string"),
        (None, "Expected object, got null"),
        ([], "Expected plain object"),
        ({}, "Missing key 'token'"),
        ({"name": 1}, "Expected string, got number in field name"),
        ({"token": "t", "name": None}, "Expected string, got null in field name"),
        ({"token": "t", "odd key": 1}, "Unknown key in field odd key"),
        ({"token": "t", "extra": []}, "Expected plain object in field extra"),
        ({"token": "t", "items": {"a": 1}}, 'Expected array, got {"a":1} in field items'),
        (
            {"token": "t", "items": [{"key": "k", "on": True}, {"key": 2}]},
            "Expected string, got number in field items[1].key",
        ),
        ({"token": "t", "items": [{"key": "k"}]}, "Missing key 'on' in field items[0]"),
        ({"token": "t", "nested": {"username": "u", "class": 1}}, "Unknown key in field nested.class"),
        ({"token": "t", "nested": {}}, "Missing key 'username' in field nested"),
    ],
)
def test_failures_read_as_meteor_writes_them(value: Any, message: str) -> None:
    with pytest.raises(Failure) as raised:
        check(value, PATTERN)

    assert raised.value.body() == {"success": False, "error": f"Match error: {message}"}


def test_what_matches() -> None:
    value = {"token": "t", "anything": [1, None], "items": [{"key": "k", "on": False, "more": 1}], "extra": {"a": 1}}

    assert check(value, PATTERN) is value


def test_odd_keys_are_quoted_in_paths() -> None:
    with pytest.raises(Failure) as raised:
        check({"a b": {"default": 1}}, {"a b": {"default": STRING}})

    assert raised.value.body()["error"] == 'Match error: Expected string, got number in field ["a b"]["default"]'
