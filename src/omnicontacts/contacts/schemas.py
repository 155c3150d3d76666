"""Request schemas of the contacts family, in AJV's JSON-Schema dialect (see restapi.validation)."""

from omnicontacts.restapi import limits
from omnicontacts.restapi.limits import string
from omnicontacts.restapi.validation import Schema

_ID = string(limits.ID)
_NULLABLE_ID = string(limits.ID, nullable=True)
# A customFields object: a bounded number of keys, each value a bounded text when it is text.
CUSTOM_FIELDS = {
    "type": "object",
    "nullable": True,
    "maxProperties": limits.FIELDS,
    "additionalProperties": {"maxLength": limits.TEXT},
}

PAGINATION = {
    "count": {"type": "number"},
    "offset": {"type": "number"},
    "sort": string(limits.TEXT),
}

CONTACTS_GET: Schema = {
    "type": "object",
    "properties": {"contactId": string(limits.ID, isNotEmpty=True)},
    "required": ["contactId"],
    "additionalProperties": False,
}

CONTACTS_HISTORY: Schema = {
    "type": "object",
    "properties": {
        "contactId": _ID,
        "source": string(limits.SHORT),
        **PAGINATION,
    },
    "required": ["contactId"],
    "additionalProperties": False,
}

_EMAILS = {"type": "array", "maxItems": limits.LIST, "items": string(limits.EMAIL), "uniqueItems": True}
_PHONES = {"type": "array", "maxItems": limits.LIST, "items": string(limits.PHONE), "uniqueItems": True}

CONTACTS_CREATE: Schema = {
    "type": "object",
    "properties": {
        "name": string(limits.NAME),
        "emails": _EMAILS,
        "phones": _PHONES,
        "customFields": CUSTOM_FIELDS,
        "contactManager": _NULLABLE_ID,
    },
    "required": ["name", "emails", "phones"],
    "additionalProperties": False,
}

CONTACTS_UPDATE: Schema = {
    "type": "object",
    "properties": {
        "contactId": _ID,
        "name": string(limits.NAME),
        "emails": {**_EMAILS, "nullable": True},
        "phones": {**_PHONES, "nullable": True},
        "customFields": CUSTOM_FIELDS,
        "contactManager": _NULLABLE_ID,
        "wipeConflicts": {"type": "boolean", "nullable": True},
    },
    "required": ["contactId"],
    "additionalProperties": False,
}

CONTACTS_CONFLICTS: Schema = {
    "type": "object",
    "properties": {
        "contactId": _ID,
        "name": string(limits.NAME, nullable=True),
        "contactManager": _NULLABLE_ID,
        "customFields": {**CUSTOM_FIELDS, "nullable": False},
        "wipeConflicts": {"type": "boolean", "nullable": True},
    },
    "required": ["contactId"],
    "additionalProperties": False,
}

CONTACTS_SEARCH: Schema = {
    "type": "object",
    "properties": {
        "searchText": string(limits.SEARCH),
        "unknown": {"type": "boolean"},
        **PAGINATION,
    },
    "additionalProperties": False,
}


def _only(key: str, max_length: int, extra: Schema) -> Schema:
    return {
        "type": "object",
        "properties": {key: {"type": "string", "maxLength": max_length, **extra, "isNotEmpty": True}},
        "required": [key],
        "additionalProperties": False,
    }


# Exactly one of the three keys: AJV reports one line per failing branch, then the oneOf line.
CONTACTS_CHECK_EXISTENCE: Schema = {
    "oneOf": [
        _only("contactId", limits.ID, {}),
        _only("email", limits.EMAIL, {"format": "basic_email"}),
        _only("phone", limits.PHONE, {}),
    ]
}

CONTACTS_CHANNELS: Schema = {
    "type": "object",
    "properties": {"contactId": _ID},
    "required": ["contactId"],
    "additionalProperties": False,
}

# Rocket.Chat's source for this schema was not found (spec §9.1); `{contactId}` is what its
# client sends and what every sibling schema looks like.
CONTACTS_DELETE: Schema = {
    "type": "object",
    "properties": {"contactId": _ID},
    "required": ["contactId"],
    "additionalProperties": False,
}

VISITOR_ASSOCIATION: Schema = {
    "type": "object",
    "properties": {
        "visitorId": _ID,
        "source": {
            "type": "object",
            "properties": {"type": string(limits.SHORT), "id": _ID},
            "required": ["type"],
        },
    },
    "required": ["visitorId", "source"],
}

CONTACTS_BLOCK: Schema = {
    "type": "object",
    "properties": {"visitor": VISITOR_ASSOCIATION},
    "required": ["visitor"],
    "additionalProperties": False,
}
