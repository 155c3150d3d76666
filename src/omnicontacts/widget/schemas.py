"""Request schemas of the widget's calls, as Rocket.Chat's rest-typings declare them, plus the
length limits every stored field has here."""

from omnicontacts.restapi.validation import Schema

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_NULLABLE_NUMBER = {"type": "number", "nullable": True}


def _string(limit: int) -> dict[str, object]:
    return {"type": "string", "maxLength": limit}


def _object(properties: dict[str, object], required: list[str]) -> Schema:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


CONFIG = _object({"token": _NULLABLE_STRING, "department": _NULLABLE_STRING, "businessUnit": _NULLABLE_STRING}, [])

PAGE_VISITED = _object(
    {
        "token": _string(256),
        "rid": _NULLABLE_STRING,
        "pageInfo": _object(
            {
                "title": _string(1000),
                "change": _string(64),
                "location": _object({"href": _string(4096)}, ["href"]),
            },
            ["title", "change", "location"],
        ),
    },
    ["token", "pageInfo"],
)

TRANSCRIPT = _object({"rid": _STRING, "token": _STRING, "email": _string(254)}, ["rid", "token", "email"])

TRANSCRIPT_REQUEST = _object({"email": _string(254), "subject": _string(250)}, ["email", "subject"])

OFFLINE_MESSAGE = _object(
    {
        "name": _string(255),
        "email": _string(254),
        "message": _string(20000),
        "department": _NULLABLE_STRING,
        "host": {"type": "string", "nullable": True, "maxLength": 2048},
    },
    ["name", "email", "message"],
)

MESSAGE_ID_GET = _object({"token": _STRING, "rid": _STRING}, ["token", "rid"])

MESSAGE_ID_PUT = _object({"token": _STRING, "rid": _STRING, "msg": _string(20000)}, ["token", "rid", "msg"])

MESSAGE_ID_DELETE = _object(
    {"token": _STRING, "rid": _STRING, "count": _NULLABLE_NUMBER, "offset": _NULLABLE_NUMBER, "sort": _NULLABLE_STRING},
    ["token", "rid"],
)

VISITOR_STATUS = _object({"token": _STRING, "status": _string(32)}, ["token", "status"])

VISITOR_CALL_STATUS = _object(
    {"token": _STRING, "callStatus": _string(32), "rid": _STRING, "callId": _STRING},
    ["token", "callStatus", "rid", "callId"],
)
