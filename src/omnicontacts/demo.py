"""Demo data: contacts reached over several channels, with closed conversations.

Written through the same repositories the API uses, in one transaction, and only once: running
`omnicontacts demo` again leaves an already-filled database alone.
"""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.progress import Progress

from omnicontacts import ids
from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.timeutil import to_iso

FIRST = [
    "Ana",
    "Bruno",
    "Chen",
    "Dara",
    "Elif",
    "Farah",
    "Goran",
    "Hana",
    "Ivan",
    "Jun",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Vera",
    "Wen",
    "Yusuf",
]
LAST = [
    "Almeida",
    "Brooks",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Rossi",
    "Silva",
    "Tanaka",
    "Weber",
]
SOURCES: list[dict[str, Any]] = [
    {"type": "widget", "destination": "www.example.com"},
    {"type": "api"},
    {"type": "email", "id": "support-inbox", "alias": "Support inbox"},
    {"type": "sms", "id": "sms-gateway", "alias": "SMS"},
    {"type": "app", "id": "whatsapp", "alias": "WhatsApp", "label": "WhatsApp"},
]
TOPICS = [
    "Where is my order?",
    "I want to change my plan",
    "Refund request",
    "Login problem",
    "Invoice question",
    "Delivery address update",
]
DEMO_AGENT = {"_id": "demo-agent", "username": "demo.agent"}


def _closed_room(
    rng: random.Random,
    contact: dict[str, Any],
    visitor: dict[str, Any],
    source: dict[str, Any],
    opened: datetime,
) -> dict[str, Any]:
    closed = opened + timedelta(minutes=rng.randint(3, 90))
    room_id = ids.meteor_id()
    topic = rng.choice(TOPICS)
    return {
        "_id": room_id,
        "t": "l",
        "fname": contact["name"],
        "msgs": rng.randint(2, 12),
        "usersCount": 2,
        "ts": to_iso(opened),
        "lm": to_iso(closed),
        "v": {
            "_id": visitor["_id"],
            "username": visitor["username"],
            "token": visitor["token"],
            "status": "online",
        },
        "source": source,
        "contactId": contact["_id"],
        "servedBy": {"_id": DEMO_AGENT["_id"], "username": DEMO_AGENT["username"], "ts": to_iso(opened)},
        "closedAt": to_iso(closed),
        "closedBy": dict(DEMO_AGENT),
        "closer": "user",
        "tags": [rng.choice(["billing", "delivery", "account", "sales"])],
        "lastMessage": {"_id": ids.meteor_id(), "rid": room_id, "msg": topic, "ts": to_iso(closed)},
        "verified": False,
        "priorityWeight": 99,
        "livechatData": {},
        "_updatedAt": to_iso(closed),
    }


def build_demo_contact(rng: random.Random, index: int, now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One contact with one to three channels and up to four closed rooms per channel."""
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    slug = name.lower().replace(" ", ".")
    created = now - timedelta(days=rng.randint(30, 400))
    contact: dict[str, Any] = {
        "_id": ids.object_id(),
        "createdAt": to_iso(created),
        "name": name,
        "emails": [{"address": f"{slug}.{index}@example.com"}],
        "phones": [{"phoneNumber": f"+1555{index:07d}"}],
        "channels": [],
        "customFields": {},
        "unknown": False,
        "conflictingFields": [],
        "_updatedAt": to_iso(created),
    }
    rooms: list[dict[str, Any]] = []
    for source in rng.sample(SOURCES, rng.randint(1, 3)):
        visitor = {"_id": ids.meteor_id(), "username": f"guest-demo-{index}", "token": ids.meteor_id(24)}
        opened = created + timedelta(days=rng.randint(1, 25))
        channel_rooms = []
        for _ in range(rng.randint(1, 4)):
            channel_rooms.append(_closed_room(rng, contact, visitor, source, opened))
            opened += timedelta(days=rng.randint(1, 20))
        last = channel_rooms[-1]
        association: dict[str, Any] = {"type": source["type"]}
        if "id" in source:
            association["id"] = source["id"]
        contact["channels"].append(
            {
                "name": source.get("label") or source["type"],
                "visitor": {"visitorId": visitor["_id"], "source": association},
                "blocked": False,
                "verified": False,
                "details": source,
                "lastChat": {"_id": last["_id"], "ts": last["ts"]},
            }
        )
        rooms.extend(channel_rooms)
    newest = max(rooms, key=lambda room: room["ts"])
    contact["lastChat"] = {"_id": newest["_id"], "ts": newest["ts"]}
    return contact, rooms


async def fill_demo_data(settings: Settings, count: int) -> int:
    storage = await open_storage(settings)
    rng = random.Random(20241119)
    now = datetime.now(UTC)
    try:
        async with storage.transaction() as conn:
            if await conn.fetchval("SELECT 1 FROM meta WHERE key = 'demo_data'"):
                return 0
            with Progress() as progress:
                task = progress.add_task("demo contacts", total=count)
                for index in range(count):
                    contact, rooms = build_demo_contact(rng, index, now)
                    await contacts_repository.insert_contact(conn, contact)
                    for room in rooms:
                        await livechat_repository.insert_room(conn, room)
                    progress.advance(task)
            await conn.execute("INSERT INTO meta (key, value) VALUES ('demo_data', 1)")
        return count
    finally:
        await storage.close()
