"""Meteor's `check(value, {...})` for the legacy visitor endpoints, with Meteor's error words.

Those routes validate with `check`, not AJV, so a failure answers 400
`{"success": false, "error": "Match error: <description>"}` without `errorType`. Only what the
legacy endpoints use is supported: string keys, plain-object keys and nested key maps, each
required or optional ("Match.Maybe": absent or null is accepted).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnicontacts.restapi.errors import Failure

_IDENTIFIER = re.compile(r"^[a-z_$][0-9a-z_$]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Key:
    """One key of a `check` object pattern: `kind` is "string", "object" or a nested key map."""

    kind: "str | Mapping[str, Key]"
    optional: bool = False


Pattern = Mapping[str, Key]


class _Mismatch(Exception):
    def __init__(self, message: str, path: str = "") -> None:
        self.message = message
        self.path = path


def _type_name(value: Any) -> str:
    """JavaScript's `typeof`, with null named as Meteor names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def _prepend(key: str, path: str) -> str:
    """Meteor's field path: `a.b`, or `["odd key"]` for keys that are not identifiers."""
    head = key if _IDENTIFIER.match(key) else f'["{key}"]'
    if not path:
        return head
    return f"{head}{path}" if path.startswith("[") else f"{head}.{path}"


def _test_object(value: Any, pattern: Pattern) -> None:
    if not isinstance(value, dict):
        raise _Mismatch(f"Expected object, got {_type_name(value)}")
    required = {name for name, key in pattern.items() if not key.optional}
    # Meteor walks the value's keys in order: a bad or unknown key is reported before any
    # missing one.
    for name, item in value.items():
        key = pattern.get(name)
        if key is None:
            # Meteor names the unknown key as it is, without the path quoting.
            raise _Mismatch("Unknown key", name)
        required.discard(name)
        if key.optional and item is None:
            continue
        try:
            _test(item, key.kind)
        except _Mismatch as mismatch:
            raise _Mismatch(mismatch.message, _prepend(name, mismatch.path)) from None
    for name in pattern:
        if name in required:
            raise _Mismatch(f"Missing key '{name}'")


def _test(value: Any, kind: "str | Pattern") -> None:
    if kind == "string":
        if not isinstance(value, str):
            raise _Mismatch(f"Expected string, got {_type_name(value)}")
    elif kind == "object":
        if not isinstance(value, dict):
            raise _Mismatch(f"Expected object, got {_type_name(value)}")
    elif isinstance(kind, Mapping):
        _test_object(value, kind)


def check(value: Any, pattern: Pattern) -> dict[str, Any]:
    """Answer `value` when it matches; raise Meteor's Match error otherwise."""
    try:
        _test_object(value, pattern)
    except _Mismatch as mismatch:
        suffix = f" in field {mismatch.path}" if mismatch.path else ""
        raise Failure(f"Match error: {mismatch.message}{suffix}") from None
    return value  # type: ignore[no-any-return]
