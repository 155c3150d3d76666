"""Request schemas of the contacts family, in AJV's JSON-Schema dialect (see restapi.validation)."""

from omnicontacts.restapi.validation import Schema

PAGINATION = {
    "count": {"type": "number"},
    "offset": {"type": "number"},
    "sort": {"type": "string"},
}

CONTACTS_GET: Schema = {
    "type": "object",
    "properties": {"contactId": {"type": "string", "isNotEmpty": True}},
    "required": ["contactId"],
    "additionalProperties": False,
}

CONTACTS_HISTORY: Schema = {
    "type": "object",
    "properties": {
        "contactId": {"type": "string"},
        "source": {"type": "string"},
        **PAGINATION,
    },
    "required": ["contactId"],
    "additionalProperties": False,
}

_STRING_LIST = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}

CONTACTS_CREATE: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "emails": _STRING_LIST,
        "phones": _STRING_LIST,
        "customFields": {"type": "object", "nullable": True},
        "contactManager": {"type": "string", "nullable": True},
    },
    "required": ["name", "emails", "phones"],
    "additionalProperties": False,
}

CONTACTS_UPDATE: Schema = {
    "type": "object",
    "properties": {
        "contactId": {"type": "string"},
        "name": {"type": "string"},
        "emails": {**_STRING_LIST, "nullable": True},
        "phones": {**_STRING_LIST, "nullable": True},
        "customFields": {"type": "object", "nullable": True},
        "contactManager": {"type": "string", "nullable": True},
        "wipeConflicts": {"type": "boolean", "nullable": True},
    },
    "required": ["contactId"],
    "additionalProperties": False,
}

CONTACTS_CONFLICTS: Schema = {
    "type": "object",
    "properties": {
        "contactId": {"type": "string"},
        "name": {"type": "string", "nullable": True},
        "contactManager": {"type": "string", "nullable": True},
        "customFields": {"type": "object"},
        "wipeConflicts": {"type": "boolean", "nullable": True},
    },
    "required": ["contactId"],
    "additionalProperties": False,
}

CONTACTS_SEARCH: Schema = {
    "type": "object",
    "properties": {
        "searchText": {"type": "string"},
        "unknown": {"type": "boolean"},
        **PAGINATION,
    },
    "additionalProperties": False,
}


def _only(key: str, extra: Schema) -> Schema:
    return {
        "type": "object",
        "properties": {key: {"type": "string", **extra, "isNotEmpty": True}},
        "required": [key],
        "additionalProperties": False,
    }


# Exactly one of the three keys: AJV reports one line per failing branch, then the oneOf line.
CONTACTS_CHECK_EXISTENCE: Schema = {
    "oneOf": [
        _only("contactId", {}),
        _only("email", {"format": "basic_email"}),
        _only("phone", {}),
    ]
}

CONTACTS_CHANNELS: Schema = {
    "type": "object",
    "properties": {"contactId": {"type": "string"}},
    "required": ["contactId"],
    "additionalProperties": False,
}

# Rocket.Chat's source for this schema was not found (spec §9.1); `{contactId}` is what its
# client sends and what every sibling schema looks like.
CONTACTS_DELETE: Schema = {
    "type": "object",
    "properties": {"contactId": {"type": "string"}},
    "required": ["contactId"],
    "additionalProperties": False,
}

VISITOR_ASSOCIATION: Schema = {
    "type": "object",
    "properties": {
        "visitorId": {"type": "string"},
        "source": {
            "type": "object",
            "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
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
