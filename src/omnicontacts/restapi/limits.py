"""Input limits: the most a client may send or have stored, in one place.

Two layers use them. Every request passes `check_input` (routing.py) before anything reads it:
the body's size, nesting depth, array sizes and string lengths have a ceiling whatever the
endpoint, and no string may hold a NUL character (PostgreSQL cannot store one in text or jsonb,
so it is refused on both databases alike). Then each field's own, tighter limit is a `maxLength`
/ `maxItems` / `maxProperties` in its endpoint's schema, built from the constants below, so a
too-long value gets AJV's words (`must NOT have more than 256 characters`).

The figures follow what real clients send: Rocket.Chat's ids are 17 or 24 characters, widget
tokens 17 to 36, RFC 5321 caps an address at 254, E.164 a phone number at 15 digits; message text
follows the `Message_MaxAllowedSize` setting (5,000 by default) under the MESSAGE ceiling.
docs/compatibility.md lists them.
"""

from typing import Any

from omnicontacts.restapi.errors import ApiError, InvalidParams

# --- per field ----------------------------------------------------------------------------------
ID = 128  # any record id a client names (contactId, rid, userId, _id, inquiryId, ...)
TOKEN = 256  # a visitor's widget token
NAME = 256  # a person's, a room's or a field's display name
USERNAME = 128
EMAIL = 254
PHONE = 64
PASSWORD = 1024  # hashed once with SHA-256 before bcrypt; longer says nothing more
SEARCH = 256  # a search term or filter text
SHORT = 128  # keys, tags, departments, statuses, sources and other short words
TEXT = 1024  # custom field values, a closing comment's line, a pattern, JSON filter strings
COMMENT = 5000  # a closing comment: one message at Rocket.Chat's default Message_MaxAllowedSize
STATUS_TEXT = 120  # Rocket.Chat's own cap on a user's status message
MESSAGE = 65536  # the ceiling under Message_MaxAllowedSize
LONG = 65536  # any other single string (attachment text, block JSON)

LIST = 100  # emails, phones, tags, agents, custom field lists
FIELDS = 100  # keys of a customFields object

# Paging: offsets and counts are integers JavaScript can count exactly, as Rocket.Chat's are.
MAX_SAFE_INTEGER = 2**53 - 1

# --- every request ------------------------------------------------------------------------------
MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ITEMS = 1000  # entries of any one array or object
MAX_STRING = LONG
MAX_QUERY_PARAMETERS = 1000  # as Node's `qs` parameterLimit


class BodyTooLarge(ApiError):
    status = 413

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": "request entity too large"}


def string(max_length: int, **extra: Any) -> dict[str, Any]:
    """A string schema bounded to `max_length` characters."""
    return {"type": "string", "maxLength": max_length, **extra}


def too_long(limit: int) -> str:
    return f"must NOT have more than {limit} characters"


def _fail(message: str) -> InvalidParams:
    return InvalidParams([message])


def _walk(value: Any, depth: int) -> None:
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise _fail(too_long(MAX_STRING))
        if "\x00" in value:
            raise _fail("must NOT contain the NUL character")
        return
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = value
    else:
        return
    if depth >= MAX_DEPTH:
        raise _fail(f"must NOT have more than {MAX_DEPTH} levels of nesting")
    if len(value) > MAX_ITEMS:
        raise _fail(f"must NOT have more than {MAX_ITEMS} items")
    if isinstance(value, dict):
        for key, item in items:
            _walk(key, depth + 1)
            _walk(item, depth + 1)
    else:
        for item in items:
            _walk(item, depth + 1)


def check_input(value: Any) -> None:
    """Raise InvalidParams when the decoded input breaks a request-wide limit."""
    _walk(value, 0)


def json_needs_check(body: bytes) -> bool:
    """Whether a JSON body could break a request-wide limit at all. A body shorter than every
    ceiling, with fewer brackets than the depth limit and no escaped NUL, cannot: most bodies
    skip the walk."""
    return len(body) > 2 * MAX_ITEMS or b"\\u0000" in body or body.count(b"[") + body.count(b"{") > MAX_DEPTH


def text_needs_check(text: str) -> bool:
    """The same for a query string or a form body (still percent-encoded)."""
    return len(text) > 2 * MAX_ITEMS or "%00" in text or "\x00" in text
