"""Request schemas of the livechat endpoints, as Rocket.Chat's rest-typings declare them."""

from omnicontacts.restapi.validation import Schema

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_NULLABLE_NUMBER = {"type": "number", "nullable": True}
PAGINATION = {"count": _NULLABLE_NUMBER, "offset": _NULLABLE_NUMBER, "sort": _NULLABLE_STRING}


def _object(properties: dict[str, object], required: list[str]) -> Schema:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


USERS_TYPE_POST = _object({"username": _STRING}, ["username"])

USERS_TYPE_LIST = _object(
    {
        "text": _NULLABLE_STRING,
        "onlyAvailable": {"type": "boolean", "nullable": True},
        "excludeId": _NULLABLE_STRING,
        "showIdleAgents": {"type": "boolean", "nullable": True},
        **PAGINATION,
        "query": _NULLABLE_STRING,
    },
    [],
)

AGENT_STATUS = _object(
    {
        "status": {"type": "string", "enum": ["available", "not-available"], "nullable": True},
        "agentId": _NULLABLE_STRING,
    },
    [],
)

MESSAGE = _object(
    {
        "token": _STRING,
        "rid": _STRING,
        "msg": _STRING,
        "_id": _NULLABLE_STRING,
        "agent": _object({"agentId": _STRING, "username": _STRING}, ["agentId", "username"]),
    },
    ["token", "rid", "msg"],
)

MESSAGES_HISTORY = _object(
    {
        "searchText": _NULLABLE_STRING,
        "token": _STRING,
        **PAGINATION,
        "ls": _NULLABLE_STRING,
        "end": _NULLABLE_STRING,
        "limit": _NULLABLE_NUMBER,
    },
    ["token"],
)

ROOM_MESSAGES = _object({**PAGINATION, "searchTerm": _NULLABLE_STRING}, [])

ROOM_CLOSE = _object({"token": _STRING, "rid": _STRING}, ["token", "rid"])

ROOM_CLOSE_BY_USER = _object(
    {
        "rid": _STRING,
        "comment": _NULLABLE_STRING,
        "tags": {"type": "array", "items": _STRING, "nullable": True},
        "generateTranscriptPdf": {"type": "boolean", "nullable": True},
        "transcriptEmail": _object(
            {
                "sendToVisitor": {"type": "boolean"},
                "requestData": _object({"email": _STRING, "subject": _STRING}, ["email", "subject"]),
            },
            ["sendToVisitor"],
        ),
        "forceClose": {"type": "boolean", "nullable": True},
    },
    ["rid"],
)

CUSTOM_FIELD = _object(
    {"token": _STRING, "key": _STRING, "value": _STRING, "overwrite": {"type": "boolean"}},
    ["token", "key", "value", "overwrite"],
)

CUSTOM_FIELDS = _object(
    {
        "token": _STRING,
        "customFields": {
            "type": "array",
            "items": _object(
                {"key": _STRING, "value": _STRING, "overwrite": {"type": "boolean"}}, ["key", "value", "overwrite"]
            ),
        },
    },
    ["token", "customFields"],
)

ROOM_ID_QUERY = _object({"roomId": _STRING}, ["roomId"])

INQUIRY_TAKE = _object({"inquiryId": _STRING, "userId": _STRING}, ["inquiryId"])

ROOMS_INFO = _object({"roomId": _STRING, "roomName": _STRING}, [])

CHANNELS_INFO: Schema = {
    "oneOf": [
        _object({"roomId": _STRING}, ["roomId"]),
        _object({"roomName": _STRING}, ["roomName"]),
    ]
}
