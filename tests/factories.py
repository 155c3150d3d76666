"""Build stored records through the project's own repositories, for tests that need data
the public API under test does not create itself (e.g. closed conversations for history)."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from omnicontacts import ids
from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.timeutil import to_iso
from tests.support import RunningServer

BASE_TIME = datetime(2024, 11, 19, 11, 30, 39, 710000, tzinfo=UTC)


def contact_doc(name: str = "John Doe", **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": ids.object_id(),
        "createdAt": to_iso(BASE_TIME),
        "name": name,
        "emails": [{"address": "mail@example.com"}],
        "phones": [],
        "channels": [],
        "customFields": {},
        "unknown": False,
        "conflictingFields": [],
        "_updatedAt": to_iso(BASE_TIME),
    }
    doc.update(fields)
    return doc


def closed_room_doc(
    contact: dict[str, Any],
    *,
    closed_minutes: int,
    source: dict[str, Any] | None = None,
    open_room: bool = False,
) -> dict[str, Any]:
    """A livechat room of the contact, closed `closed_minutes` after BASE_TIME (or still open)."""
    opened = BASE_TIME + timedelta(minutes=closed_minutes - 5)
    room: dict[str, Any] = {
        "_id": ids.meteor_id(),
        "t": "l",
        "fname": contact.get("name"),
        "msgs": 3,
        "ts": to_iso(opened),
        "v": {"_id": "visitor-1", "username": "guest-1", "token": "token-1", "status": "online"},
        "source": source or {"type": "widget", "destination": "example.com"},
        "contactId": contact["_id"],
        "usersCount": 2,
        "cl": False,
        "queuedAt": to_iso(opened),
        "_updatedAt": to_iso(opened),
    }
    if open_room:
        room["open"] = True
    else:
        closed = to_iso(BASE_TIME + timedelta(minutes=closed_minutes))
        room.update(
            {
                "closedAt": closed,
                "closedBy": {"_id": "agent-1", "username": "agent"},
                "closer": "user",
                "lastMessage": {"msg": "bye", "ts": closed},
                "tags": ["billing"],
            }
        )
    return room


async def _store(settings: Settings, contacts: list[dict[str, Any]], rooms: list[dict[str, Any]]) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            for contact in contacts:
                await contacts_repository.insert_contact(conn, contact)
            for room in rooms:
                await livechat_repository.insert_room(conn, room)
    finally:
        await storage.close()


def store(server: RunningServer, contacts: Sequence[dict[str, Any]] = (), rooms: Sequence[dict[str, Any]] = ()) -> None:
    store_with(server.settings, contacts, rooms)


def store_with(
    settings: Settings, contacts: Sequence[dict[str, Any]] = (), rooms: Sequence[dict[str, Any]] = ()
) -> None:
    """Store records in the database `settings` names (no server needed)."""
    asyncio.run(_store(settings, list(contacts), list(rooms)))
