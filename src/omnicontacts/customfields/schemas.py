"""Request schemas of livechat custom field definitions, in AJV's dialect (see restapi.validation)."""

from omnicontacts.restapi.validation import Schema

CUSTOM_FIELDS_LIST: Schema = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "count": {"type": "number"},
        "offset": {"type": "number"},
        "sort": {"type": "string"},
    },
    "additionalProperties": False,
}

CUSTOM_FIELD_DATA: Schema = {
    "type": "object",
    "properties": {
        "field": {"type": "string"},
        "label": {"type": "string"},
        "scope": {"type": "string", "enum": ["visitor", "room"]},
        "visibility": {"type": "string"},
        "type": {"type": "string"},
        "regexp": {"type": "string"},
        "required": {"type": "boolean"},
        "defaultValue": {"type": "string"},
        "options": {"type": "string"},
        "public": {"type": "boolean"},
        "searchable": {"type": "boolean"},
    },
    "required": ["field", "label", "scope", "visibility"],
    "additionalProperties": False,
}

CUSTOM_FIELDS_SAVE: Schema = {
    "type": "object",
    "properties": {
        "customFieldId": {"type": "string", "nullable": True},
        "customFieldData": CUSTOM_FIELD_DATA,
    },
    "required": ["customFieldData"],
    "additionalProperties": False,
}

CUSTOM_FIELDS_DELETE: Schema = {
    "type": "object",
    "properties": {"customFieldId": {"type": "string"}},
    "required": ["customFieldId"],
    "additionalProperties": False,
}
