"""Request schemas of livechat custom field definitions, in AJV's dialect (see restapi.validation)."""

from omnicontacts.restapi import limits
from omnicontacts.restapi.limits import string
from omnicontacts.restapi.validation import Schema

CUSTOM_FIELDS_LIST: Schema = {
    "type": "object",
    "properties": {
        "text": string(limits.SEARCH),
        "count": {"type": "number"},
        "offset": {"type": "number"},
        "sort": string(limits.TEXT),
    },
    "additionalProperties": False,
}

CUSTOM_FIELD_DATA: Schema = {
    "type": "object",
    "properties": {
        "field": string(limits.SHORT),
        "label": string(limits.NAME),
        "scope": {"type": "string", "enum": ["visitor", "room"]},
        "visibility": string(limits.SHORT),
        "type": string(limits.SHORT),
        "regexp": string(limits.TEXT),
        "required": {"type": "boolean"},
        "defaultValue": string(limits.TEXT),
        "options": string(limits.TEXT),
        "public": {"type": "boolean"},
        "searchable": {"type": "boolean"},
    },
    "required": ["field", "label", "scope", "visibility"],
    "additionalProperties": False,
}

CUSTOM_FIELDS_SAVE: Schema = {
    "type": "object",
    "properties": {
        "customFieldId": string(limits.SHORT, nullable=True),
        "customFieldData": CUSTOM_FIELD_DATA,
    },
    "required": ["customFieldData"],
    "additionalProperties": False,
}

CUSTOM_FIELDS_DELETE: Schema = {
    "type": "object",
    "properties": {"customFieldId": string(limits.SHORT)},
    "required": ["customFieldId"],
    "additionalProperties": False,
}
