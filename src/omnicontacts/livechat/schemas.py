"""Request schemas of the livechat endpoints, as Rocket.Chat's rest-typings declare them."""

from omnicontacts.restapi import limits
from omnicontacts.restapi.limits import string
from omnicontacts.restapi.validation import Schema

_ID = string(limits.ID)
_NULLABLE_ID = string(limits.ID, nullable=True)
_TOKEN = string(limits.TOKEN)
_SHORT = string(limits.SHORT)
_NULLABLE_SHORT = string(limits.SHORT, nullable=True)
_NULLABLE_TEXT = string(limits.TEXT, nullable=True)
_NULLABLE_SEARCH = string(limits.SEARCH, nullable=True)
_NULLABLE_NUMBER = {"type": "number", "nullable": True}
PAGINATION = {"count": _NULLABLE_NUMBER, "offset": _NULLABLE_NUMBER, "sort": _NULLABLE_TEXT}


def _object(properties: dict[str, object], required: list[str]) -> Schema:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


USERS_TYPE_POST = _object({"username": string(limits.USERNAME)}, ["username"])

USERS_TYPE_LIST = _object(
    {
        "text": _NULLABLE_SEARCH,
        "onlyAvailable": {"type": "boolean", "nullable": True},
        "excludeId": _NULLABLE_ID,
        "showIdleAgents": {"type": "boolean", "nullable": True},
        **PAGINATION,
        "query": _NULLABLE_TEXT,
    },
    [],
)

AGENT_STATUS = _object(
    {
        "status": {"type": "string", "enum": ["available", "not-available"], "nullable": True},
        "agentId": _NULLABLE_ID,
    },
    [],
)

MESSAGE = _object(
    {
        "token": _TOKEN,
        "rid": _ID,
        "msg": string(limits.MESSAGE),
        "_id": _NULLABLE_ID,
        "agent": _object({"agentId": _ID, "username": string(limits.USERNAME)}, ["agentId", "username"]),
    },
    ["token", "rid", "msg"],
)

MESSAGES_HISTORY = _object(
    {
        "searchText": _NULLABLE_SEARCH,
        "token": _TOKEN,
        **PAGINATION,
        "ls": _NULLABLE_SHORT,
        "end": _NULLABLE_SHORT,
        "limit": _NULLABLE_NUMBER,
    },
    ["token"],
)

ROOM_MESSAGES = _object({**PAGINATION, "searchTerm": _NULLABLE_SEARCH}, [])

ROOM_CLOSE = _object({"token": _TOKEN, "rid": _ID}, ["token", "rid"])

ROOM_CLOSE_BY_USER = _object(
    {
        "rid": _ID,
        "comment": string(limits.COMMENT, nullable=True),
        "tags": {"type": "array", "maxItems": limits.LIST, "items": _SHORT, "nullable": True},
        "generateTranscriptPdf": {"type": "boolean", "nullable": True},
        "transcriptEmail": _object(
            {
                "sendToVisitor": {"type": "boolean"},
                "requestData": _object(
                    {"email": string(limits.EMAIL), "subject": string(limits.TEXT)}, ["email", "subject"]
                ),
            },
            ["sendToVisitor"],
        ),
        "forceClose": {"type": "boolean", "nullable": True},
    },
    ["rid"],
)

CUSTOM_FIELD = _object(
    {"token": _TOKEN, "key": _SHORT, "value": string(limits.TEXT), "overwrite": {"type": "boolean"}},
    ["token", "key", "value", "overwrite"],
)

CUSTOM_FIELDS = _object(
    {
        "token": _TOKEN,
        "customFields": {
            "type": "array",
            "maxItems": limits.LIST,
            "items": _object(
                {"key": _SHORT, "value": string(limits.TEXT), "overwrite": {"type": "boolean"}},
                ["key", "value", "overwrite"],
            ),
        },
    },
    ["token", "customFields"],
)

ROOM_ID_QUERY = _object({"roomId": _ID}, ["roomId"])

_READ_THREADS = {"type": "boolean", "nullable": True}
SUBSCRIPTIONS_READ: Schema = {
    "anyOf": [
        _object({"rid": _ID, "readThreads": _READ_THREADS}, ["rid"]),
        _object({"roomId": _ID, "readThreads": _READ_THREADS}, ["roomId"]),
    ]
}

INQUIRY_TAKE = _object({"inquiryId": _ID, "userId": _ID}, ["inquiryId"])

ROOMS_INFO = _object({"roomId": _ID, "roomName": string(limits.NAME)}, [])

CHANNELS_INFO: Schema = {
    "oneOf": [
        _object({"roomId": _ID}, ["roomId"]),
        _object({"roomName": string(limits.NAME)}, ["roomName"]),
    ]
}

_ID_ARRAY = {"type": "array", "maxItems": limits.LIST, "items": _ID}
_STRING_OR_BOOLEAN = {"anyOf": [_NULLABLE_SHORT, {"type": "boolean", "nullable": True}]}

ROOMS_LIST = _object(
    {
        **PAGINATION,
        "query": _NULLABLE_TEXT,
        "fields": _NULLABLE_TEXT,
        "createdAt": _NULLABLE_TEXT,
        "customFields": _NULLABLE_TEXT,
        "closedAt": _NULLABLE_TEXT,
        "agents": {**_ID_ARRAY, "nullable": True},
        "roomName": string(limits.NAME, nullable=True),
        "departmentId": {"oneOf": [_ID, _ID_ARRAY]},
        "open": _STRING_OR_BOOLEAN,
        "onhold": _STRING_OR_BOOLEAN,
        "queued": _STRING_OR_BOOLEAN,
        "tags": {"type": "array", "maxItems": limits.LIST, "items": _SHORT, "nullable": True},
        "units": _ID_ARRAY,
    },
    [],
)

INQUIRIES_LIST = _object({**PAGINATION, "department": _NULLABLE_ID}, [])

_OBJECT_ARRAY = {"type": "array", "maxItems": limits.LIST, "items": {"type": "object"}, "nullable": True}
_NULLABLE_OBJECT = {"type": "object", "nullable": True, "maxProperties": limits.FIELDS}
_NULLABLE_NAME = string(limits.NAME, nullable=True)

# chat.sendMessage: the message object lists its known keys but allows others (Rocket.Chat's
# schema has no `additionalProperties: false` there, nor `required`); we store only known keys.
CHAT_SEND_MESSAGE = _object(
    {
        "message": {
            "type": "object",
            "properties": {
                "_id": _NULLABLE_ID,
                "rid": _ID,
                "tmid": _NULLABLE_ID,
                "msg": string(limits.MESSAGE, nullable=True),
                "alias": _NULLABLE_NAME,
                "emoji": _NULLABLE_SHORT,
                "tshow": {"type": "boolean", "nullable": True},
                "avatar": _NULLABLE_TEXT,
                "attachments": _OBJECT_ARRAY,
                "blocks": _OBJECT_ARRAY,
                "customFields": _NULLABLE_OBJECT,
            },
        },
        "previewUrls": {"type": "array", "maxItems": limits.LIST, "items": string(limits.TEXT), "nullable": True},
    },
    ["message"],
)

# A room id, or `#name` / `@username`, or several.
_CHANNEL = string(limits.ID)
_STRING_OR_STRINGS = {"oneOf": [_CHANNEL, {"type": "array", "maxItems": limits.LIST, "items": _CHANNEL}]}
_POST_MESSAGE_FIELDS = {
    "text": string(limits.MESSAGE, nullable=True),
    "alias": _NULLABLE_NAME,
    "emoji": _NULLABLE_SHORT,
    "avatar": _NULLABLE_TEXT,
    "attachments": _OBJECT_ARRAY,
}

CHAT_POST_MESSAGE: Schema = {
    "oneOf": [
        _object(
            {"roomId": _STRING_OR_STRINGS, **_POST_MESSAGE_FIELDS, "tmid": _ID, "customFields": _NULLABLE_OBJECT},
            ["roomId"],
        ),
        _object({"channel": _STRING_OR_STRINGS, **_POST_MESSAGE_FIELDS, "customFields": _NULLABLE_OBJECT}, ["channel"]),
    ]
}
