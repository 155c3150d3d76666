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

_READ_THREADS = {"type": "boolean", "nullable": True}
SUBSCRIPTIONS_READ: Schema = {
    "anyOf": [
        _object({"rid": _STRING, "readThreads": _READ_THREADS}, ["rid"]),
        _object({"roomId": _STRING, "readThreads": _READ_THREADS}, ["roomId"]),
    ]
}

INQUIRY_TAKE = _object({"inquiryId": _STRING, "userId": _STRING}, ["inquiryId"])

ROOMS_INFO = _object({"roomId": _STRING, "roomName": _STRING}, [])

CHANNELS_INFO: Schema = {
    "oneOf": [
        _object({"roomId": _STRING}, ["roomId"]),
        _object({"roomName": _STRING}, ["roomName"]),
    ]
}

_STRING_ARRAY = {"type": "array", "items": _STRING}
_STRING_OR_BOOLEAN = {"anyOf": [_NULLABLE_STRING, {"type": "boolean", "nullable": True}]}

ROOMS_LIST = _object(
    {
        **PAGINATION,
        "query": _NULLABLE_STRING,
        "fields": _NULLABLE_STRING,
        "createdAt": _NULLABLE_STRING,
        "customFields": _NULLABLE_STRING,
        "closedAt": _NULLABLE_STRING,
        "agents": {**_STRING_ARRAY, "nullable": True},
        "roomName": _NULLABLE_STRING,
        "departmentId": {"oneOf": [_STRING, _STRING_ARRAY]},
        "open": _STRING_OR_BOOLEAN,
        "onhold": _STRING_OR_BOOLEAN,
        "queued": _STRING_OR_BOOLEAN,
        "tags": {**_STRING_ARRAY, "nullable": True},
        "units": _STRING_ARRAY,
    },
    [],
)

INQUIRIES_LIST = _object({**PAGINATION, "department": _NULLABLE_STRING}, [])

_OBJECT_ARRAY = {"type": "array", "items": {"type": "object"}, "nullable": True}
_NULLABLE_OBJECT = {"type": "object", "nullable": True}

# chat.sendMessage: the message object lists its known keys but allows others (Rocket.Chat's
# schema has no `additionalProperties: false` there, nor `required`); we store only known keys.
CHAT_SEND_MESSAGE = _object(
    {
        "message": {
            "type": "object",
            "properties": {
                "_id": _NULLABLE_STRING,
                "rid": _STRING,
                "tmid": _NULLABLE_STRING,
                "msg": _NULLABLE_STRING,
                "alias": _NULLABLE_STRING,
                "emoji": _NULLABLE_STRING,
                "tshow": {"type": "boolean", "nullable": True},
                "avatar": _NULLABLE_STRING,
                "attachments": _OBJECT_ARRAY,
                "blocks": _OBJECT_ARRAY,
                "customFields": _NULLABLE_OBJECT,
            },
        },
        "previewUrls": {**_STRING_ARRAY, "nullable": True},
    },
    ["message"],
)

_STRING_OR_STRINGS = {"oneOf": [_STRING, _STRING_ARRAY]}
_POST_MESSAGE_FIELDS = {
    "text": _NULLABLE_STRING,
    "alias": _NULLABLE_STRING,
    "emoji": _NULLABLE_STRING,
    "avatar": _NULLABLE_STRING,
    "attachments": _OBJECT_ARRAY,
}

CHAT_POST_MESSAGE: Schema = {
    "oneOf": [
        _object(
            {"roomId": _STRING_OR_STRINGS, **_POST_MESSAGE_FIELDS, "tmid": _STRING, "customFields": _NULLABLE_OBJECT},
            ["roomId"],
        ),
        _object({"channel": _STRING_OR_STRINGS, **_POST_MESSAGE_FIELDS, "customFields": _NULLABLE_OBJECT}, ["channel"]),
    ]
}
