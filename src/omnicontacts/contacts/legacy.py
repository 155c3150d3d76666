"""The legacy visitor endpoints (spec §2.1-§2.3): `omnichannel/contact` and `contact.search`.

They read and write *visitors*, not contacts. No HTTP imports here.
"""

from typing import Any

import orjson

from omnicontacts import ids
from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.contacts import legacy_repository
from omnicontacts.customfields import service as customfields_service
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.restapi import limits
from omnicontacts.restapi.errors import CodeError, MeteorError
from omnicontacts.restapi.meteor_check import OBJECT, Maybe, Text
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

# Each string is bounded (restapi/limits.py), which Meteor words as a failed Match.Where.
GET_PATTERN = {"contactId": Text(limits.ID)}

REGISTER_PATTERN = {
    "_id": Maybe(Text(limits.ID)),
    "token": Text(limits.TOKEN),
    "name": Text(limits.NAME),
    "email": Maybe(Text(limits.EMAIL)),
    "phone": Maybe(Text(limits.PHONE)),
    "username": Maybe(Text(limits.USERNAME)),
    "customFields": Maybe(OBJECT),
    "contactManager": Maybe({"username": Text(limits.USERNAME)}),
}

SEARCH_PATTERN = {
    "email": Maybe(Text(limits.EMAIL)),
    "phone": Maybe(Text(limits.PHONE)),
    "custom": Maybe(Text(limits.TEXT)),
}


def _without_token(visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    """Rocket.Chat 8.9 stopped sending the visitor's widget credential; so do we."""
    if visitor is None:
        return None
    visitor.pop("token", None)
    return visitor


async def get_visitor(conn: Connection, visitor_id: str) -> dict[str, Any] | None:
    return _without_token(await legacy_repository.find_enabled_visitor(conn, visitor_id))


async def _check_manager(conn: Connection, username: str) -> None:
    user = await accounts_repository.find_user_by_username(conn, username)
    if user is None:
        raise CodeError("error-contact-manager-not-found")
    if "livechat-agent" not in (user.get("roles") or []):
        raise CodeError("error-invalid-contact-manager")


async def _find_or_create_visitor(conn: Connection, token: str, username: str | None) -> dict[str, Any]:
    """The visitor of `token`, else a new one owning it.

    The token alone identifies a visitor. Rocket.Chat's registerContact picks, for a token it
    does not know, the visitor with the submitted email and gives it that token: whoever sends
    the request then holds that customer's conversations (and its old token stops working). Here
    an email another visitor has never selects that visitor; the new one simply has it too. The
    insert is an upsert on the token, so concurrent first registrations make one visitor.
    """
    visitor = await livechat_repository.find_visitor_by_token(conn, token, for_update=True)
    if visitor is not None:
        return visitor
    username = username or f"guest-{await livechat_repository.next_guest_number(conn)}"
    now = now_iso()
    visitor = {"_id": ids.meteor_id(), "username": username, "ts": now, "token": token, "_updatedAt": now}
    if await livechat_repository.insert_visitor_if_new(conn, visitor):
        return visitor
    existing = await livechat_repository.find_visitor_by_token(conn, token, for_update=True)
    if existing is not None:
        return existing
    # The token of an erased visitor: it stays retired.
    raise CodeError("error-invalid-contact-data")


def _apply_registration(
    visitor: dict[str, Any], body: dict[str, Any], email: str, livechat_data: dict[str, str]
) -> None:
    """Rocket.Chat's $set/$unset of registerContact, applied to the document in place."""
    phone = body.get("phone")
    manager = body.get("contactManager")
    visitor["token"] = body["token"]
    visitor["name"] = body["name"]
    visitor["livechatData"] = livechat_data
    if phone:
        visitor["phone"] = [{"phoneNumber": phone}]
    elif phone == "":
        visitor.pop("phone", None)
    if email:
        visitor["visitorEmails"] = [{"address": email}]
    else:
        visitor.pop("visitorEmails", None)
    if manager and manager.get("username"):
        visitor["contactManager"] = {"username": manager["username"]}
    else:
        visitor.pop("contactManager", None)
    visitor["_updatedAt"] = now_iso()


async def _rename_rooms(conn: Connection, visitor_id: str, name: str) -> None:
    """The visitor's rooms show the new name, and so do their inquiries and subscriptions."""
    for room_id in await livechat_repository.room_ids_of_visitor(conn, visitor_id):
        room = await livechat_repository.find_room(conn, room_id, for_update=True)
        if room is not None and room.get("fname") != name:
            room["fname"] = name
            await livechat_repository.save_room(conn, room)
    await livechat_repository.rename_inquiries_by_visitors(conn, [visitor_id], name)
    await livechat_repository.rename_subscriptions_by_visitors(conn, [visitor_id], name)


async def register_contact(conn: Connection, body: dict[str, Any]) -> str:
    """POST omnichannel/contact: create or update the visitor of `token`; answer its id."""
    token = body.get("token")
    if not token or not isinstance(token, str):
        raise CodeError("error-invalid-contact-data")
    raw_email = body.get("email")
    email = raw_email.strip().lower() if isinstance(raw_email, str) else ""
    manager = body.get("contactManager")
    if manager and manager.get("username"):
        await _check_manager(conn, manager["username"])
    visitor = await _find_or_create_visitor(conn, token, body.get("username"))
    allowed = await customfields_service.allowed_visitor_fields(conn)
    livechat_data = customfields_service.validate_custom_fields(
        allowed, body.get("customFields") or {}, ignore_additional=True
    )
    _apply_registration(visitor, body, email, livechat_data)
    await livechat_repository.save_visitor(conn, visitor)
    await _rename_rooms(conn, visitor["_id"], body["name"])
    return str(visitor["_id"])


def _parse_custom(custom: str | None) -> dict[str, Any]:
    if not custom:
        return {}
    try:
        parsed = orjson.loads(custom)
    except orjson.JSONDecodeError:
        raise MeteorError("error-invalid-params-custom") from None
    return parsed if isinstance(parsed, dict) else {}


def _as_text(value: Any) -> str:
    """The text JavaScript would make of a parsed JSON value when building a RegExp from it."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


async def search_visitor(
    conn: Connection, *, email: str | None, phone: str | None, custom: str | None
) -> dict[str, Any] | None:
    """GET omnichannel/contact.search: one enabled visitor by exact email/phone and custom
    field substrings (only searchable visitor fields count)."""
    wanted = _parse_custom(custom)
    if not email and not phone and not wanted:
        raise MeteorError("error-invalid-params")
    field_ids = await customfields_service.searchable_visitor_field_ids(conn, wanted)
    criteria = {field_id: _as_text(wanted[field_id]) for field_id in field_ids}
    visitor = await legacy_repository.find_one_by_email_phone_custom(
        conn, email=email or None, phone=phone or None, custom=criteria
    )
    return _without_token(visitor)
