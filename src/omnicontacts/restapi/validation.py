"""Request validation with AJV's semantics and words.

Rocket.Chat validates every request with AJV v8 (`coerceTypes: true`, `allErrors: false`) and
sends AJV's messages back to the client, so we check the same keywords, in AJV's order, with the
same type coercion and the same texts. Schemas are plain JSON-Schema dicts. Only the subset the
API uses is supported.

AJV's order for one schema: the type check (with coercion), then keywords that apply to any
type (enum, const, anyOf, oneOf), then the keywords of the value's type: for strings length,
pattern, format and the custom `isNotEmpty`; for arrays item counts, uniqueItems, then items; for
objects required, additionalProperties, then properties.
"""

import math
import re
from collections.abc import Callable
from typing import Any

Schema = dict[str, Any]

_MISSING = object()

FORMATS: dict[str, Callable[[str], bool]] = {
    "basic_email": re.compile(r"^[^@]+@[^@]+$").match,  # type: ignore[dict-item]
}


class _Fail(Exception):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages


def validate(schema: Schema, data: Any, *, coerce_arrays: bool = False) -> tuple[Any, list[str]]:
    """Answer the coerced value and AJV's error messages (empty when valid)."""
    try:
        return _check(schema, data, coerce_arrays), []
    except _Fail as failure:
        return data, failure.messages


def _js_number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _type_matches(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return _is_number(value)
    if kind == "integer":
        return _is_number(value) and float(value).is_integer()
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "null":
        return value is None
    raise ValueError(f"unsupported schema type {kind}")


def _js_to_number(text: str) -> float | None:
    """JavaScript's `+text`, for the strings AJV would accept as numbers."""
    stripped = text.strip()
    if not text or not stripped:
        return None
    try:
        if stripped.lower().startswith(("0x", "0o", "0b")):
            number = float(int(stripped, 0))
        elif stripped.lower() in ("infinity", "+infinity", "-infinity", "nan", "inf", "-inf", "+inf"):
            return None
        else:
            number = float(stripped)
    except (ValueError, OverflowError):
        return None
    # `+"1e400"` is Infinity in JavaScript, and AJV's number type admits finite numbers only.
    return number if math.isfinite(number) else None


def _coerce(kind: str, value: Any) -> Any:
    """AJV's coercion of `value` to `kind`, or _MISSING when it cannot be coerced."""
    if kind == "string":
        if _is_number(value):
            return _js_number_text(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return ""
    elif kind in ("number", "integer"):
        if isinstance(value, bool):
            return 1 if value else 0
        if value is None:
            return 0
        if isinstance(value, str):
            number = _js_to_number(value)
            if number is not None and (kind == "number" or number.is_integer()):
                return int(number) if number.is_integer() else number
    elif kind == "boolean":
        if value in ("true", 1) and not isinstance(value, bool):
            return True
        if value is None or (value in ("false", 0) and not isinstance(value, bool)):
            return False
    elif kind == "null" and (value == "" or (value == 0 and not isinstance(value, bool)) or value is False):
        return None
    return _MISSING


def _check(schema: Schema, value: Any, coerce_arrays: bool) -> Any:
    declared = schema.get("type")
    kinds: list[str] = [declared] if isinstance(declared, str) else list(declared or [])
    if kinds and schema.get("nullable") and value is None:
        return None
    if kinds and not any(_type_matches(kind, value) for kind in kinds):
        value = _coerce_or_fail(kinds, value, coerce_arrays, declared)

    value = _check_any_type(schema, value, coerce_arrays)
    if isinstance(value, str):
        _check_string(schema, value)
    elif isinstance(value, list):
        value = _check_array(schema, value, coerce_arrays)
    elif isinstance(value, dict):
        value = _check_object(schema, value, coerce_arrays)
    elif _is_number(value):
        _check_number(schema, value)
    return value


def _coerce_or_fail(kinds: list[str], value: Any, coerce_arrays: bool, declared: Any) -> Any:
    if coerce_arrays and "array" in kinds and not isinstance(value, list | dict):
        return [value]
    if coerce_arrays and isinstance(value, list) and len(value) == 1:
        for kind in kinds:
            if _type_matches(kind, value[0]):
                return value[0]
    for kind in kinds:
        coerced = _coerce(kind, value)
        if coerced is not _MISSING:
            return coerced
    named = declared if isinstance(declared, str) else ",".join(kinds)
    raise _Fail([f"must be {named}"])


def _check_any_type(schema: Schema, value: Any, coerce_arrays: bool) -> Any:
    """enum, const, anyOf, oneOf. A branch that passes hands its coerced value on, as AJV's
    in-place coercion does (`{"roomId": 5}` reaches the handler as `"5"`)."""
    if "enum" in schema and value not in schema["enum"]:
        raise _Fail(["must be equal to one of the allowed values"])
    if "const" in schema and value != schema["const"]:
        raise _Fail(["must be equal to constant"])
    if "anyOf" in schema:
        collected: list[str] = []
        for branch in schema["anyOf"]:
            try:
                value = _check(branch, value, coerce_arrays)
                break
            except _Fail as failure:
                collected.extend(failure.messages)
        else:
            raise _Fail([*collected, "must match a schema in anyOf"])
    if "oneOf" in schema:
        collected = []
        passing: list[Any] = []
        for branch in schema["oneOf"]:
            try:
                passing.append(_check(branch, value, coerce_arrays))
            except _Fail as failure:
                collected.extend(failure.messages)
        if len(passing) != 1:
            raise _Fail([*collected, "must match exactly one schema in oneOf"])
        value = passing[0]
    return value


def _check_string(schema: Schema, value: str) -> None:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise _Fail([f"must NOT have more than {schema['maxLength']} characters"])
    if "minLength" in schema and len(value) < schema["minLength"]:
        raise _Fail([f"must NOT have fewer than {schema['minLength']} characters"])
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise _Fail([f'must match pattern "{schema["pattern"]}"'])
    if "format" in schema and not FORMATS[schema["format"]](value):
        raise _Fail([f'must match format "{schema["format"]}"'])
    if schema.get("isNotEmpty") and not value.strip():
        raise _Fail(['must pass "isNotEmpty" keyword validation'])


def _duplicate_pair(items: list[Any]) -> tuple[int, int] | None:
    """AJV walks from the end and reports the later index first: `items ## j and i`."""
    seen: dict[str, int] = {}
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        key = repr((type(item).__name__ if not _is_number(item) else "number", item))
        if key in seen:
            return seen[key], index
        seen[key] = index
    return None


def _check_array(schema: Schema, value: list[Any], coerce_arrays: bool) -> list[Any]:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise _Fail([f"must NOT have more than {schema['maxItems']} items"])
    if "minItems" in schema and len(value) < schema["minItems"]:
        raise _Fail([f"must NOT have fewer than {schema['minItems']} items"])
    if schema.get("uniqueItems"):
        pair = _duplicate_pair(value)
        if pair is not None:
            raise _Fail([f"must NOT have duplicate items (items ## {pair[0]} and {pair[1]} are identical)"])
    items = schema.get("items")
    if isinstance(items, dict):
        return [_check(items, item, coerce_arrays) for item in value]
    return value


def _check_number(schema: Schema, value: float | int) -> None:
    if "maximum" in schema and value > schema["maximum"]:
        raise _Fail([f"must be <= {schema['maximum']}"])
    if "minimum" in schema and value < schema["minimum"]:
        raise _Fail([f"must be >= {schema['minimum']}"])


def _check_object(schema: Schema, value: dict[str, Any], coerce_arrays: bool) -> dict[str, Any]:
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        raise _Fail([f"must NOT have more than {schema['maxProperties']} properties"])
    for name in schema.get("required", ()):
        if name not in value:
            raise _Fail([f"must have required property '{name}'"])
    properties: dict[str, Schema] = schema.get("properties", {})
    if schema.get("additionalProperties") is False:
        for name in value:
            if name not in properties:
                raise _Fail(["must NOT have additional properties"])
    extra = schema.get("additionalProperties")
    result = dict(value)
    for name, sub in properties.items():
        if name in result:
            result[name] = _check(sub, result[name], coerce_arrays)
    if isinstance(extra, dict):
        for name in result:
            if name not in properties:
                result[name] = _check(extra, result[name], coerce_arrays)
    return result
