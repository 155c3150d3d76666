"""Meteor's `check()`, for the few livechat routes Rocket.Chat validates with it instead of AJV.

Those routes answer a failed check with 400 `{"success": false, "error": "Match error: ..."}`
(no errorType), in Meteor's words: `Missing key 'x'`, `Unknown key in field x`,
`Expected string, got number in field x`.
"""

from typing import Any

from omnicontacts.restapi.errors import Failure


def _js_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def match_error(message: str, path: str = "") -> Failure:
    return Failure(f"Match error: {message}" + (f" in field {path}" if path else ""))


def expect_object(value: Any, path: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise match_error(f"Expected object, got {_js_type(value)}", path)
    return value


def expect_string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise match_error(f"Expected string, got {_js_type(value)}", path)
    return value


def expect_boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise match_error(f"Expected boolean, got {_js_type(value)}", path)
    return value


def maybe_string(value: Any, path: str) -> str | None:
    """`Match.Maybe(String)`: absent, null or a string."""
    if value is None or isinstance(value, str):
        return value
    raise match_error("Failed Match.OneOf, Match.Maybe or Match.Optional validation", path)


def required_key(params: dict[str, Any], key: str, path: str = "") -> Any:
    if key not in params:
        raise match_error(f"Missing key '{key}'", path)
    return params[key]


def no_unknown_keys(params: dict[str, Any], allowed: tuple[str, ...], path: str = "") -> None:
    for key in params:
        if key not in allowed:
            raise match_error("Unknown key", f"{path}.{key}" if path else key)
