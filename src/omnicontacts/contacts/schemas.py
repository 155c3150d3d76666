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
