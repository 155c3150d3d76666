"""Custom field values a visitor gives (`livechat/custom.field(s)` and registration).

Visitor-scope values go to the visitor's `livechatData` and to every contact holding one of the
visitor's channels (spec §6.3); room-scope values go to the visitor's open room. `overwrite: false`
keeps a value that is already there.
"""

from typing import Any

from omnicontacts.contacts import lifecycle
from omnicontacts.contacts.lifecycle import CustomFieldValue
from omnicontacts.livechat import repository
from omnicontacts.restapi.errors import Failure
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso


def _merged(data: dict[str, Any], values: list[CustomFieldValue]) -> dict[str, Any]:
    merged = dict(data)
    for item in values:
        if item.overwrite or not merged.get(item.key):
            merged[item.key] = item.value
    return merged


def _check_pattern(definition: dict[str, Any], value: str) -> None:
    if not lifecycle.matches_pattern(definition.get("regexp"), value):
        raise Failure(f"Invalid value for {definition['_id']} field")


async def _set_visitor_values(conn: Connection, visitor: dict[str, Any], values: list[CustomFieldValue]) -> None:
    data = visitor.get("livechatData") or {}
    merged = _merged(data, values)
    if merged != data:
        visitor["livechatData"] = merged
        visitor["_updatedAt"] = now_iso()
        await repository.save_visitor(conn, visitor)
    await lifecycle.apply_visitor_custom_fields(conn, visitor["_id"], values)


async def _set_room_values(conn: Connection, visitor: dict[str, Any], values: list[CustomFieldValue]) -> None:
    found = await repository.find_open_room_of_visitor(conn, visitor["_id"])
    # Read again under the row lock, so a message stored meanwhile is not overwritten.
    room = await repository.find_room(conn, found["_id"], for_update=True) if found is not None else None
    if room is None or not room.get("open"):
        return
    data = room.get("livechatData") or {}
    merged = _merged(data, values)
    if merged != data:
        room["livechatData"] = merged
        room["_updatedAt"] = now_iso()
        await repository.save_room(conn, room)


async def apply_visitor_values(
    conn: Connection, visitor: dict[str, Any], values: list[CustomFieldValue]
) -> dict[str, Any]:
    """Registration's `customFields`: only registered, visible visitor fields count; others are
    ignored silently. A required visitor field missing from the list is an error."""
    definitions = [
        item for item in await repository.custom_fields(conn, "visitor") if item.get("visibility") != "hidden"
    ]
    keys = [item.key for item in values]
    missing = [item["_id"] for item in definitions if item.get("required") and item["_id"] not in keys]
    if missing:
        raise Failure(f"Missing required custom fields: {', '.join(missing)}")
    known = {item["_id"] for item in definitions}
    valid = [item for item in values if item.key in known]
    if valid:
        await _set_visitor_values(conn, visitor, valid)
    return visitor


async def set_one(conn: Connection, token: str, value: CustomFieldValue) -> None:
    """`livechat/custom.field`."""
    visitor = await repository.find_visitor_by_token(conn, token, for_update=True)
    if visitor is None:
        raise Failure("invalid-token")
    definition = await repository.find_custom_field(conn, value.key)
    if definition is None:
        raise Failure("invalid-custom-field")
    _check_pattern(definition, value.value)
    if definition.get("scope") == "room":
        await _set_room_values(conn, visitor, [value])
    else:
        await _set_visitor_values(conn, visitor, [value])


async def set_many(conn: Connection, token: str, values: list[CustomFieldValue]) -> list[CustomFieldValue]:
    """`livechat/custom.fields`: every key must be a registered field. Answers the applied
    values, room-scope ones first, as Rocket.Chat lists them."""
    visitor = await repository.find_visitor_by_token(conn, token, for_update=True)
    if visitor is None:
        raise Failure("invalid-token")
    definitions = {item["_id"]: item for item in await repository.custom_fields(conn)}
    if not values:
        raise Failure("invalid-custom-field")
    room_values: list[CustomFieldValue] = []
    visitor_values: list[CustomFieldValue] = []
    for item in values:
        definition = definitions.get(item.key)
        if definition is None:
            raise Failure("invalid-custom-field")
        _check_pattern(definition, item.value)
        (room_values if definition.get("scope") == "room" else visitor_values).append(item)
    # Contacts before rooms: the package's lock order (docs/architecture.md).
    if visitor_values:
        await _set_visitor_values(conn, visitor, visitor_values)
    if room_values:
        await _set_room_values(conn, visitor, room_values)
    return [*room_values, *visitor_values]
