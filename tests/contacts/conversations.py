"""Visitors, rooms, messages, subscriptions and inquiries for contacts tests, built through the
project's repositories (the livechat endpoints that normally create them are not under test here).

`Conversation` bundles one visitor, its contact (holding the visitor's channel) and rooms.
Reads go through the same repositories, so tests can check what an endpoint left behind.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from omnicontacts import ids
from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.storage import Connection, open_storage
from omnicontacts.timeutil import now_iso
from tests.support import RunningServer

T = TypeVar("T")


def run(server: RunningServer, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run `work` on a connection of its own, in one transaction."""

    async def main() -> T:
        storage = await open_storage(server.settings)
        try:
            async with storage.transaction() as conn:
                return await work(conn)
        finally:
            await storage.close()

    return asyncio.run(main())


def visitor_doc(name: str = "Visitor Name", email: str | None = None, phone: str | None = None) -> dict[str, Any]:
    now = now_iso()
    token = ids.meteor_id()
    doc: dict[str, Any] = {
        "_id": ids.meteor_id(),
        "username": f"guest-{token[:5]}",
        "ts": now,
        "token": token,
        "name": name,
        "status": "online",
        "livechatData": {"address": "Rocket.Chat street"},
        "_updatedAt": now,
    }
    if email:
        doc["visitorEmails"] = [{"address": email}]
    if phone:
        doc["phone"] = [{"phoneNumber": phone}]
    return doc


def channel_doc(visitor: dict[str, Any], source: dict[str, Any], *, blocked: bool = False) -> dict[str, Any]:
    key = {"type": source["type"], **({"id": source["id"]} if source.get("id") else {})}
    return {
        "name": source.get("label") or source["type"],
        "visitor": {"visitorId": visitor["_id"], "source": key},
        "blocked": blocked,
        "verified": False,
        "details": source,
    }


def contact_doc(name: str, *, channels: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    now = now_iso()
    doc: dict[str, Any] = {
        "_id": ids.object_id(),
        "createdAt": now,
        "name": name,
        "emails": [],
        "phones": [],
        "channels": channels or [],
        "customFields": {},
        "unknown": True,
        "_updatedAt": now,
    }
    doc.update(fields)
    return doc


def room_doc(
    visitor: dict[str, Any], contact: dict[str, Any], source: dict[str, Any], *, open_room: bool = True
) -> dict[str, Any]:
    now = now_iso()
    room: dict[str, Any] = {
        "_id": ids.meteor_id(),
        "msgs": 1,
        "usersCount": 1,
        "lm": now,
        "ts": now,
        "fname": contact.get("name"),
        "t": "l",
        "v": {"_id": visitor["_id"], "username": visitor["username"], "token": visitor["token"], "status": "online"},
        "contactId": contact["_id"],
        "cl": False,
        "source": source,
        "queuedAt": now,
        "_updatedAt": now,
    }
    if open_room:
        room["open"] = True
        room["waitingResponse"] = True
    else:
        room.update({"closedAt": now, "closer": "user", "closedBy": {"_id": "agent-1", "username": "agent"}})
    return room


def message_doc(room: dict[str, Any], text: str) -> dict[str, Any]:
    now = now_iso()
    return {
        "_id": ids.meteor_id(),
        "rid": room["_id"],
        "msg": text,
        "ts": now,
        "u": {"_id": room["v"]["_id"], "username": room["v"]["username"]},
        "_updatedAt": now,
    }


def subscription_doc(room: dict[str, Any], agent_id: str, name: str) -> dict[str, Any]:
    return {
        "_id": ids.meteor_id(),
        "rid": room["_id"],
        "name": name,
        "fname": name,
        "open": True,
        "t": "l",
        "u": {"_id": agent_id, "username": "agent"},
        "v": dict(room["v"]),
        "ts": now_iso(),
    }


def inquiry_doc(room: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "_id": ids.object_id(),
        "rid": room["_id"],
        "name": name,
        "ts": now_iso(),
        "message": "",
        "status": "queued",
        "v": dict(room["v"]),
        "t": "l",
        "source": room["source"],
        "_updatedAt": now_iso(),
    }


@dataclass
class Conversation:
    """One visitor, the contact holding its channel, and rooms with their dependents."""

    visitor: dict[str, Any]
    contact: dict[str, Any]
    rooms: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    inquiries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def association(self) -> dict[str, Any]:
        return dict(self.contact["channels"][0]["visitor"])


def build_conversation(
    server: RunningServer,
    *,
    name: str = "Visitor Name",
    source: dict[str, Any] | None = None,
    rooms: tuple[bool, ...] = (True,),
    contact_fields: dict[str, Any] | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Conversation:
    """Store a visitor, its contact and one room per entry of `rooms` (True = open). Every room
    gets a message, an agent subscription and, while open, an inquiry."""
    source = source or {"type": "api"}
    visitor = visitor_doc(name, email, phone)
    contact = contact_doc(name, channels=[channel_doc(visitor, source)], **(contact_fields or {}))
    conversation = Conversation(visitor, contact)
    for is_open in rooms:
        room = room_doc(visitor, contact, source, open_room=is_open)
        conversation.rooms.append(room)
        conversation.messages.append(message_doc(room, "Hello"))
        conversation.subscriptions.append(subscription_doc(room, "agent-1", name))
        if is_open:
            conversation.inquiries.append(inquiry_doc(room, name))

    async def store(conn: Connection) -> None:
        await livechat_repository.insert_visitor(conn, visitor)
        await contacts_repository.insert_contact(conn, contact)
        for room in conversation.rooms:
            await livechat_repository.insert_room(conn, room)
        for message in conversation.messages:
            await livechat_repository.insert_message(conn, message)
        for subscription in conversation.subscriptions:
            await livechat_repository.insert_subscription(conn, subscription)
        for inquiry in conversation.inquiries:
            await livechat_repository.insert_inquiry(conn, inquiry)

    run(server, store)
    return conversation


def store_contacts(server: RunningServer, *contacts: dict[str, Any]) -> None:
    async def store(conn: Connection) -> None:
        for contact in contacts:
            await contacts_repository.insert_contact(conn, contact)

    run(server, store)


def find_room(server: RunningServer, room_id: str) -> dict[str, Any] | None:
    return run(server, lambda conn: livechat_repository.find_room(conn, room_id))


def find_visitor(server: RunningServer, visitor_id: str) -> dict[str, Any] | None:
    return run(server, lambda conn: livechat_repository.find_visitor(conn, visitor_id))


def find_contact(server: RunningServer, contact_id: str) -> dict[str, Any] | None:
    return run(server, lambda conn: contacts_repository.find_doc(conn, contact_id))


def room_messages(server: RunningServer, room_id: str) -> list[dict[str, Any]]:
    return run(server, lambda conn: livechat_repository.room_messages(conn, room_id, newest_first=False))


def find_subscription(server: RunningServer, room_id: str, user_id: str = "agent-1") -> dict[str, Any] | None:
    return run(server, lambda conn: livechat_repository.find_subscription(conn, room_id, user_id))


def find_inquiry(server: RunningServer, room_id: str) -> dict[str, Any] | None:
    return run(server, lambda conn: livechat_repository.find_inquiry_by_room(conn, room_id))


def create_custom_field(api: Any, field_id: str, label: str, **extra: Any) -> None:
    """A visitor-scope field through the public endpoint, as Rocket.Chat's own tests make them."""
    data = {"field": field_id, "label": label, "scope": "visitor", "visibility": "public", "type": "input", **extra}
    response = api.post("livechat/custom-fields.save", {"customFieldId": None, "customFieldData": data})
    assert response.status_code == 200, response.text
