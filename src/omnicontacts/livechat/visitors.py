"""Visitors: the people on the widget side, known by the token their browser keeps.

Registration upserts by token, and only by token: a visitor is who holds its token (Rocket.Chat
also adopts a visitor found by phone or email; see docs/compatibility.md). It merges what the
visitor tells into their contacts, and applies registered visitor custom fields. Erasure
removes every conversation of the visitor's contacts and disables them.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omnicontacts import ids
from omnicontacts.contacts import lifecycle
from omnicontacts.departments import service as departments
from omnicontacts.livechat import repository
from omnicontacts.livechat.custom_fields import apply_visitor_values
from omnicontacts.restapi import limits
from omnicontacts.restapi.errors import Failure, MeteorError
from omnicontacts.restapi.meteor_check import BOOLEAN, Maybe, ObjectIncluding, Text, check
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

# Rocket.Chat's `validateEmail`: a local part, an @, and a dotted domain with a 2+ letter TLD.
_EMAIL = re.compile(
    r'^(([^<>()\[\]\\.,;:\s@"]+(\.[^<>()\[\]\\.,;:\s@"]+)*)|(".+"))@'
    r"((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))$"
)

# What an erased visitor keeps: its id, `disabled` and `_updatedAt`.
ERASED_FIELDS = (
    "department",
    "contactManager",
    "token",
    "visitorEmails",
    "phone",
    "name",
    "livechatData",
    "lastChat",
    "ip",
    "host",
    "userAgent",
    "username",
    "ts",
    "status",
)

# The optional strings of a registration (Meteor's `Match.Maybe(String)`); other keys pass unchecked.
OPTIONAL_STRINGS = ("name", "email", "department", "phone", "username")

# Rocket.Chat's check() of a registration: other keys of `visitor` pass unchecked.
# Each string is bounded (restapi/limits.py), which Meteor words as a failed Match.Where.
_LIMITS = {
    "name": limits.NAME,
    "email": limits.EMAIL,
    "department": limits.ID,
    "phone": limits.PHONE,
    "username": limits.USERNAME,
}
REGISTRATION_PATTERN = {
    "visitor": ObjectIncluding(
        {
            "token": Text(limits.TOKEN),
            **{key: Maybe(Text(_LIMITS[key])) for key in OPTIONAL_STRINGS},
            "customFields": Maybe(
                [ObjectIncluding({"key": Text(limits.SHORT), "value": Text(limits.TEXT), "overwrite": BOOLEAN})]
            ),
        }
    )
}


@dataclass
class Registration:
    token: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    username: str | None = None
    department: str | None = None
    visitor_id: str | None = None
    custom_fields: list[lifecycle.CustomFieldValue] = field(default_factory=list)


def parse_registration(body: dict[str, Any]) -> Registration:
    """`POST livechat/visitor`'s body, checked the way Rocket.Chat's `check()` does."""
    visitor = check(body, REGISTRATION_PATTERN)["visitor"]
    token = visitor["token"]
    values = {key: visitor.get(key) for key in OPTIONAL_STRINGS}
    custom_fields = [
        lifecycle.CustomFieldValue(key=item["key"], value=item["value"], overwrite=item["overwrite"])
        for item in visitor.get("customFields") or []
    ]
    visitor_id = visitor.get("id")
    return Registration(
        token=token,
        name=values["name"],
        email=values["email"],
        phone=values["phone"],
        username=values["username"],
        department=values["department"],
        visitor_id=visitor_id if isinstance(visitor_id, str) and visitor_id else None,
        custom_fields=custom_fields,
    )


def valid_email(address: str) -> bool:
    """Rocket.Chat's `validateEmail`."""
    return _EMAIL.match(address) is not None


def _checked_email(email: str) -> str:
    address = email.strip().lower()
    if not _EMAIL.match(address):
        raise MeteorError("error-invalid-email", f"Invalid email {address}", {"function": "Livechat.validateEmail"})
    return address


async def find_by_token(conn: Connection, token: str) -> dict[str, Any]:
    visitor = await repository.find_visitor_by_token(conn, token)
    if visitor is None:
        raise Failure("invalid-token")
    return visitor


async def register(conn: Connection, data: Registration) -> dict[str, Any]:
    """Create or update the visitor, merge it into its contacts, apply its custom fields."""
    if not data.token.strip():
        raise MeteorError("error-invalid-token", "Token cannot be empty", {"method": "livechat/visitor"})
    email = _checked_email(data.email) if data.email else None
    department = await departments.department_for_visitor(conn, data.department) if data.department else None

    now = now_iso()
    # Lock order (docs/architecture.md): the visitor first, then the guest counter, contacts, rooms.
    visitor = await repository.find_visitor_by_token(conn, data.token, for_update=True)
    if visitor is None:
        visitor = await _insert_new_visitor(conn, data, now)
    _apply_registration(visitor, data, email, now)
    if department is not None:
        visitor["department"] = department
    await repository.save_visitor(conn, visitor)

    incoming = lifecycle.Incoming(
        names=[data.name] if data.name else [],
        usernames=[data.username or visitor.get("username") or ""],
        emails=[email] if email else [],
        phones=[data.phone] if data.phone else [],
    )
    await lifecycle.register_guest_data(conn, visitor, incoming)
    if data.custom_fields:
        visitor = await apply_visitor_values(conn, visitor, data.custom_fields)
    # Rooms after contacts: the package's lock order.
    if visitor.get("name"):
        await _rename_open_rooms(conn, visitor["_id"], visitor["name"])
    return visitor


async def _insert_new_visitor(conn: Connection, data: Registration, now: str) -> dict[str, Any]:
    """A new visitor owning `data.token`, or the one a concurrent registration of the same token
    has just stored (the insert is an upsert on the token, so racing first registrations never
    fail and never make two visitors).

    The visitor's identity is its token alone. An email or phone that another visitor already
    has never selects that visitor: that would hand its conversations to whoever typed the
    address. The new visitor reaches the right contact through the contact lifecycle instead.
    A client-chosen `id` is kept only while no visitor has it.
    """
    wanted_id = data.visitor_id
    if wanted_id and await repository.find_visitor(conn, wanted_id) is not None:
        wanted_id = None
    number = await repository.next_guest_number(conn)
    while True:
        visitor = {"_id": wanted_id or ids.meteor_id(), "username": data.username or f"guest-{number}", "ts": now}
        visitor["token"] = data.token
        visitor["_updatedAt"] = now
        if await repository.insert_visitor_if_new(conn, visitor):
            return visitor
        existing = await repository.find_visitor_by_token(conn, data.token, for_update=True)
        if existing is not None:
            return existing
        # The id was taken in between (or the token belongs to an erased visitor): a fresh id.
        if await repository.token_taken(conn, data.token):
            raise MeteorError("error-invalid-token", "Token cannot be used", {"method": "livechat/visitor"})
        wanted_id = None


def _apply_registration(visitor: dict[str, Any], data: Registration, email: str | None, now: str) -> None:
    visitor["status"] = "online"
    if data.phone:
        visitor["phone"] = [{"phoneNumber": data.phone}]
    if data.name:
        visitor["name"] = data.name
    if email:
        visitor["visitorEmails"] = [{"address": email}]
    visitor["_updatedAt"] = now


async def _rename_open_rooms(conn: Connection, visitor_id: str, name: str) -> None:
    """Rocket.Chat refreshes the visitor's open rooms after a registration: the room, its
    inquiry and the agents' subscriptions take the name the visitor just gave."""
    for room in await repository.open_rooms_of_visitor(conn, visitor_id):
        room["fname"] = name
        room["_updatedAt"] = now_iso()
        await repository.save_room(conn, room)
        inquiry = await repository.find_inquiry_by_room(conn, room["_id"])
        if inquiry is not None and inquiry.get("name") != name:
            inquiry["name"] = name
            await repository.save_inquiry(conn, inquiry)
        for subscription in await repository.room_subscriptions(conn, room["_id"]):
            subscription["name"] = name
            subscription["fname"] = name
            await repository.save_subscription(conn, subscription)


async def remove_guest(conn: Connection, visitor_id: str, *, keep_open_rooms: bool = False) -> dict[str, Any]:
    """Erase what one visitor left behind and disable it: its id stays, its personal data goes.

    Every conversation goes with its messages, subscriptions and inquiry; with `keep_open_rooms`
    the ones still open stay, so the agent serving them can still close them. Answers what was
    erased and what was kept, for the contact's audit trail.
    """
    kept = [room["_id"] for room in await repository.open_rooms_of_visitor(conn, visitor_id)] if keep_open_rooms else []
    erased = sorted(set(await repository.room_ids_of_visitor(conn, visitor_id)) - set(kept))
    await repository.delete_rooms_with_everything(conn, erased)
    visitor = await repository.find_visitor(conn, visitor_id, for_update=True)
    if visitor is not None:
        for name in ERASED_FIELDS:
            visitor.pop(name, None)
        visitor["disabled"] = True
        visitor["_updatedAt"] = now_iso()
        await repository.save_visitor(conn, visitor)
    return {"visitorId": visitor_id, "erasedRooms": erased, "openRoomsKept": kept}


async def erase(conn: Connection, token: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """`DELETE livechat/visitor/:token`: the visitor's contacts, every visitor on their channels,
    and all their conversations. Refused while a conversation is open, unless the workspace keeps
    visitors' HTTP data (Rocket.Chat ties the two together; we keep its rule)."""
    visitor = await repository.find_visitor_by_token(conn, token, for_update=True)
    if visitor is None:
        raise MeteorError("invalid-token")
    if await repository.open_rooms_of_visitor(conn, visitor["_id"]) and not settings.get(
        "Livechat_Allow_collect_and_store_HTTP_header_informations"
    ):
        raise MeteorError("visitor-has-open-rooms", "Cannot remove visitors with opened rooms")
    visitor_ids = await lifecycle.erase_contacts_of_visitor(conn, visitor["_id"])
    for visitor_id in visitor_ids or [visitor["_id"]]:
        await remove_guest(conn, visitor_id)
    return {"_id": visitor["_id"], "ts": now_iso()}
