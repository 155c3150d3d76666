"""Meteor's `check(value, pattern)`, for the routes Rocket.Chat validates with it instead of AJV.

A failure answers 400 `{"success": false, "error": "Match error: <message>[ in field <path>]"}`
without `errorType`, in Meteor's words. Patterns mirror Meteor's: `STRING`, `BOOLEAN`, `ANY`,
`OBJECT` (any plain object), a one-item list for "an array of", a dict for an object with exactly
those keys, `ObjectIncluding({...})` for one that may carry more, and `Maybe(...)`.

Inside an object pattern Meteor tests a `Maybe`/`Optional` key against its inner pattern: the
key may be absent, but `null` is reported like any other wrong type.
"""

import re
from dataclasses import dataclass
from typing import Any

import orjson

from omnicontacts.restapi.errors import Failure

STRING = "string"
BOOLEAN = "boolean"
NUMBER = "number"
ANY = "any"


@dataclass(frozen=True)
class Maybe:
    pattern: Any


@dataclass(frozen=True)
class Text:
    """A string of at most `max_length` characters: Meteor's `Match.Where` over a String check,
    so a wrong type still reads `Expected string, got number` and a long one fails the Where."""

    max_length: int


@dataclass(frozen=True)
class ObjectIncluding:
    pattern: dict[str, Any]


OBJECT = ObjectIncluding({})

_IDENTIFIER = re.compile(r"^[a-z_$][0-9a-z_$.\[\]]*$", re.IGNORECASE)
# JavaScript's reserved words, which Meteor quotes in field paths like other odd keys.
_JS_KEYWORDS = frozenset(
    (  # noqa: SIM905 - one readable line of words rather than fifty quoted items
        "do if in for let new try var case else enum eval false null this true void with break catch class "
        "const super throw while yield delete export import public return static switch typeof default extends "
        "finally package private continue debugger function arguments interface protected implements instanceof"
    ).split()
)


class _Mismatch(Exception):
    def __init__(self, message: str, path: str = "") -> None:
        self.message = message
        self.path = path


def _typeof(value: Any) -> str:
    """JavaScript's `typeof`, with null named `null` as Meteor's messages do."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def _shown(value: Any) -> str:
    return "null" if value is None else orjson.dumps(value).decode()


def _prepend(key: str | int, path: str) -> str:
    if isinstance(key, int) or key.isdigit():
        head = f"[{key}]"
    elif not _IDENTIFIER.match(key) or key in _JS_KEYWORDS:
        head = orjson.dumps([key]).decode()
    else:
        head = key
    return f"{head}.{path}" if path and not path.startswith("[") else head + path


def _test(value: Any, pattern: Any) -> None:
    if pattern == ANY:
        return
    if pattern in (STRING, BOOLEAN, NUMBER):
        if _typeof(value) != pattern:
            raise _Mismatch(f"Expected {pattern}, got {_typeof(value)}")
        return
    if isinstance(pattern, Text):
        if not isinstance(value, str):
            raise _Mismatch(f"Expected string, got {_typeof(value)}")
        if len(value) > pattern.max_length:
            raise _Mismatch("Failed Match.Where validation")
        return
    if isinstance(pattern, Maybe):
        if value is not None:
            _test(value, pattern.pattern)
        return
    if isinstance(pattern, list):
        if not isinstance(value, list):
            raise _Mismatch(f"Expected array, got {_shown(value)}")
        for index, item in enumerate(value):
            try:
                _test(item, pattern[0])
            except _Mismatch as mismatch:
                raise _Mismatch(mismatch.message, _prepend(index, mismatch.path)) from None
        return
    if isinstance(pattern, ObjectIncluding):
        _test_object(value, pattern.pattern, unknown_keys_allowed=True)
        return
    _test_object(value, pattern, unknown_keys_allowed=False)


def _test_object(value: Any, pattern: dict[str, Any], *, unknown_keys_allowed: bool) -> None:
    if not isinstance(value, dict):
        raise _Mismatch(
            "Expected plain object" if isinstance(value, list) else f"Expected object, got {_typeof(value)}"
        )
    required = [key for key, sub in pattern.items() if not isinstance(sub, Maybe)]
    # Meteor walks the value's keys in order: a bad or unknown key is reported before a missing one.
    for key, item in value.items():
        sub = pattern.get(key)
        if sub is None:
            if unknown_keys_allowed:
                continue
            raise _Mismatch("Unknown key", key)
        try:
            _test(item, sub.pattern if isinstance(sub, Maybe) else sub)
        except _Mismatch as mismatch:
            raise _Mismatch(mismatch.message, _prepend(key, mismatch.path)) from None
    missing = [key for key in required if key not in value]
    if missing:
        raise _Mismatch(f"Missing key '{missing[0]}'")


def check(value: Any, pattern: Any) -> Any:
    """Answer `value` when it matches `pattern`; raise Meteor's Match error otherwise."""
    try:
        _test(value, pattern)
    except _Mismatch as mismatch:
        suffix = f" in field {mismatch.path}" if mismatch.path else ""
        raise Failure(f"Match error: {mismatch.message}{suffix}") from None
    return value
