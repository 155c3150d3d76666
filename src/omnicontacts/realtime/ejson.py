"""EJSON on the wire: stored documents keep ISO-8601 times; DDP clients want `{"$date": ms}`.

Only keys that hold times are converted (a message's text that happens to look like a date stays
text). The widget reads `ts` as a Date and breaks on an ISO string.
"""

import re
from datetime import UTC, datetime
from typing import Any

import orjson

DATE_KEYS = frozenset(
    {
        "ts",
        "_updatedAt",
        "lm",
        "ls",
        "lr",
        "closedAt",
        "editedAt",
        "takenAt",
        "queuedAt",
        "lastMessageTs",
        "firstResponseTs",
        "createdAt",
        "lastActivity",
        "lastLogin",
        "tokenExpires",
        "estimatedInactivityCloseTimeAt",
        "startedAt",
        "updatedAt",
    }
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


def iso_to_ms(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.astimezone(UTC).timestamp() * 1000)


def date(text: str) -> dict[str, int]:
    return {"$date": iso_to_ms(text)}


def to_ejson(value: Any, key: str | None = None) -> Any:
    """A copy of a stored document with its times as EJSON dates."""
    if isinstance(value, dict):
        return {name: to_ejson(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [to_ejson(item) for item in value]
    if key in DATE_KEYS and isinstance(value, str) and _ISO.match(value):
        return date(value)
    return value


def from_ejson(value: Any) -> Any:
    """Incoming EJSON: `{"$date": ms}` becomes an ISO string, the form services take."""
    if isinstance(value, dict):
        if len(value) == 1 and "$date" in value and isinstance(value["$date"], int | float):
            moment = datetime.fromtimestamp(value["$date"] / 1000, UTC)
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        return {name: from_ejson(item) for name, item in value.items()}
    if isinstance(value, list):
        return [from_ejson(item) for item in value]
    return value


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
