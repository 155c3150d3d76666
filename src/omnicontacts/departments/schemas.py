"""Request schemas of livechat departments, in AJV's dialect (see restapi.validation). Bodies
of the writing routes are checked with Meteor's `check` in the service, as Rocket.Chat does."""

from omnicontacts.restapi import limits
from omnicontacts.restapi.limits import string
from omnicontacts.restapi.validation import Schema

_PAGE = {
    "count": {"type": "number"},
    "offset": {"type": "number"},
    "sort": string(limits.TEXT),
    "query": string(limits.TEXT),
    "fields": string(limits.TEXT),
}

DEPARTMENTS_LIST: Schema = {
    "type": "object",
    "properties": {
        **_PAGE,
        "text": string(limits.SEARCH),
        "onlyMyDepartments": {"type": "string", "enum": ["true", "false"]},
        "enabled": {"type": "string", "enum": ["true", "false"]},
        "excludeDepartmentId": string(limits.ID),
        "showArchived": {"type": "string", "enum": ["true", "false"]},
    },
    "additionalProperties": False,
}

DEPARTMENT_AGENTS_LIST: Schema = {"type": "object", "properties": _PAGE, "additionalProperties": False}
