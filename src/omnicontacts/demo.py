"""Demo data that shows the product: agents, visitors on several channels, real conversations.

Everything is made the way the product makes it: through the REST API of an in-process app
(visitors register, open rooms, write; agents answer and close with a comment and tags;
a manager confirms contacts, fills custom fields and blocks a channel), and, for the channels
that no REST endpoint opens (email, SMS, WhatsApp, which Rocket.Chat's apps open), through the
same room service the API uses. Nothing is written as raw SQL, so every count, message, event
and index is what a real conversation leaves behind.

It runs once: `omnicontacts demo` on a filled database leaves it alone.
"""

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.progress import Progress

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.accounts import service as accounts_service
from omnicontacts.accounts.passwords import hash_password
from omnicontacts.livechat import agents, rooms
from omnicontacts.restapi.routing import AppState
from omnicontacts.settings import Settings
from omnicontacts.timeutil import now_iso

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
# What is said in a conversation about each topic: visitor, agent, visitor; then the closing note and tags.
SCRIPTS: dict[str, tuple[list[str], str, list[str]]] = {
    "Where is my order?": (
        [
            "Hi, where is my order? It was due on Monday.",
            "It left our warehouse yesterday, tracking follows.",
            "Thanks!",
        ],
        "Shipped, tracking number sent",
        ["delivery"],
    ),
    "I want to change my plan": (
        ["I want to change my plan to the yearly one.", "Done: the yearly plan starts next month.", "Perfect."],
        "Plan changed to yearly",
        ["sales", "billing"],
    ),
    "Refund request": (
        ["The blender arrived broken, can I get a refund?", "Sorry about that, a refund is on its way.", "Great."],
        "Refund sent",
        ["refund"],
    ),
    "Login problem": (
        ["I cannot log in, it says my password is wrong.", "I sent you a reset link by email.", "It works now."],
        "Password reset",
        ["account"],
    ),
    "Invoice question": (
        ["Can I get the March invoice with my VAT number?", "Here it is, with the VAT number added.", "Thank you."],
        "Invoice reissued",
        ["billing"],
    ),
    "Delivery address update": (
        ["I moved, please ship to my new address.", "Updated: the next delivery goes to the new address.", "Cheers."],
        "Address updated",
        ["delivery", "account"],
    ),
}
AGENTS = [("ana.agent", "Ana Costa"), ("bruno.agent", "Bruno Weber")]
AGENT_PASSWORD = "demo-agent"
CUSTOM_FIELDS = [("plan", "Plan"), ("customerId", "Customer id")]
# The contacts the README and docs/quickstart.md point at: each shows one thing.
STORY = [
    ("Dara Silva", ["widget", "email", "app"], "known, three channels, custom fields"),
    ("Bruno Costa", ["api", "sms"], "known, the SMS channel blocked"),
    ("Mateo Rossi", "email", "unknown: nobody confirmed this contact"),
    ("Priya Nakamura", "app", "known, with a name conflict to resolve"),
    ("Omar Haddad", "widget", "waiting in the queue, not served yet"),
]


@dataclass
class _Demo:
    client: httpx.AsyncClient
    state: AppState
    rng: random.Random
    agent_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    manager: dict[str, str] = field(default_factory=dict)

    async def call(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = await self.client.request(method, f"/api/v1/{path}", headers=headers, **kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"demo step {method} {path} failed: {response.status_code} {response.text}")
        return response.json()


def _source(kind: str) -> dict[str, Any]:
    return next(source for source in SOURCES if source["type"] == kind)


@asynccontextmanager
async def _running_app(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AppState]]:
    from omnicontacts.app import create_app

    # The demo writes through the API as its own agents, far faster than a person: the API's rate
    # limiter (for clients from outside) does not count this process's in-memory calls.
    app = create_app(settings.model_copy(update={"test_mode": "demo"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://www.example.com") as client:
            yield client, app.state.omni


async def _agents(demo: _Demo) -> None:
    state = demo.state
    # Hashed before the transaction opens: bcrypt holds no database.
    password_hash = await asyncio.to_thread(hash_password, AGENT_PASSWORD, state.settings.bcrypt_rounds)
    async with state.storage.transaction() as conn:
        for username, name in AGENTS:
            await accounts_service.create_user(
                conn,
                username=username,
                password_hash=password_hash,
                email=f"{username}@example.com",
                name=name,
                roles=["user"],
                verified=True,
            )
            await agents.add(conn, "agent", username)
        await agents.add(conn, "manager", AGENTS[0][0])
    for username, _ in AGENTS:
        login = await demo.call("POST", "login", json={"user": username, "password": AGENT_PASSWORD})
        headers = {"X-User-Id": login["data"]["userId"], "X-Auth-Token": login["data"]["authToken"]}
        demo.agent_headers[login["data"]["userId"]] = headers
        await demo.call("POST", "users.setStatus", headers=headers, json={"status": "online", "message": ""})
        await demo.call("POST", "livechat/agent.status", headers=headers, json={"status": "available"})
    demo.manager = next(iter(demo.agent_headers.values()))
    for field_id, label in CUSTOM_FIELDS:
        data = {"field": field_id, "label": label, "scope": "visitor", "visibility": "public", "type": "input"}
        await demo.call(
            "POST",
            "livechat/custom-fields.save",
            headers=demo.manager,
            json={"customFieldId": None, "customFieldData": data},
        )


async def _open_room(demo: _Demo, token: str, kind: str) -> dict[str, Any]:
    if kind in ("widget", "api"):
        cookies = {"Cookie": "rc_room_type=l; rc_is_widget=t"} if kind == "widget" else None
        return (await demo.call("GET", "livechat/room", params={"token": token}, headers=cookies))["room"]  # type: ignore[no-any-return]
    # Email, SMS and WhatsApp rooms are opened by integrations, not by a REST call: use the service.
    state = demo.state
    async with state.storage.transaction() as conn:
        room, _ = await rooms.open_room(
            conn, token, room_id=None, agent_id=None, source=_source(kind), settings=state.config.settings
        )
    return room


async def _conversation(demo: _Demo, token: str, kind: str, topic: str, *, close: bool = True) -> dict[str, Any]:
    lines, comment, tags = SCRIPTS[topic]
    room = await _open_room(demo, token, kind)
    rid = room["_id"]
    await demo.call("POST", "livechat/message", json={"token": token, "rid": rid, "msg": lines[0]})
    agent = demo.agent_headers.get((room.get("servedBy") or {}).get("_id", ""))
    if agent is None:
        return room  # nobody serves it: it waits in the queue
    await demo.call("POST", "chat.sendMessage", headers=agent, json={"message": {"rid": rid, "msg": lines[1]}})
    await demo.call("POST", "livechat/message", json={"token": token, "rid": rid, "msg": lines[2]})
    if close:
        if demo.rng.random() < 0.75:
            body = {"rid": rid, "comment": comment, "tags": tags}
            await demo.call("POST", "livechat/room.closeByUser", headers=agent, json=body)
        else:
            await demo.call("POST", "livechat/room.close", json={"token": token, "rid": rid})
    return room


async def _contact(
    demo: _Demo,
    index: int,
    name: str,
    kind: str,
    *,
    conversations: int,
    known: bool,
    custom_fields: dict[str, str] | None = None,
    queued: bool = False,
) -> tuple[str, str]:
    """A person writing to us over one channel (`kind`): their contact's id and their visitor's id.

    A known customer was entered by an agent first (`omnichannel/contacts`), and the first
    conversation joins that contact through the visitor's email and phone. Someone nobody entered
    gets a new `unknown` contact. As in Rocket.Chat, a contact holds the channel its conversations
    came over; the same person writing over another channel would make another contact (merging
    them is the paid edition's verification), so each demo person keeps to one channel.
    """
    slug = name.lower().replace(" ", ".")
    email, phone = f"{slug}@example.com", f"+1555{index:07d}"
    contact_id = ""
    if known:
        body: dict[str, Any] = {"name": name, "emails": [email], "phones": [phone]}
        if custom_fields:
            body["customFields"] = custom_fields
        contact_id = (await demo.call("POST", "omnichannel/contacts", headers=demo.manager, json=body))["contactId"]
    token = f"demo-visitor-{index}"
    visitor = {"token": token, "name": name, "email": email, "phone": phone}
    registered = await demo.call("POST", "livechat/visitor", json={"visitor": visitor})
    for number in range(conversations):
        topic = demo.rng.choice(TOPICS)
        last = queued and number == conversations - 1
        room = await _conversation(demo, token, kind, topic, close=not last)
        contact_id = room.get("contactId") or contact_id
    return contact_id, registered["visitor"]["_id"]


async def _routing(demo: _Demo, method: str) -> None:
    """Set `Livechat_Routing_Method` as `POST settings/:_id` does (the demo has no admin login)."""
    async with demo.state.storage.transaction() as conn:
        doc = await accounts_repository.find_setting(conn, "Livechat_Routing_Method")
        if doc is None:
            raise RuntimeError("Livechat_Routing_Method is not seeded")
        doc["value"] = method
        doc["_updatedAt"] = now_iso()
        await accounts_repository.save_setting(conn, doc)
        await accounts_repository.bump_config_version(conn)
    await demo.client.get("/api/v1/me")  # reload the settings cache


async def _story(demo: _Demo) -> None:
    await _contact(
        demo,
        0,
        "Dara Silva",
        "widget",
        conversations=3,
        known=True,
        custom_fields={"plan": "Premium", "customerId": "C-1001"},
    )
    _, bruno = await _contact(demo, 1, "Bruno Costa", "sms", conversations=2, known=True)
    sms = {"visitorId": bruno, "source": {"type": "sms", "id": "sms-gateway"}}
    await demo.call("POST", "omnichannel/contacts.block", headers=demo.manager, json={"visitor": sms})
    await _contact(demo, 2, "Mateo Rossi", "email", conversations=1, known=False)
    await _contact(demo, 3, "Priya Nakamura", "app", conversations=1, known=True)
    # The visitor now gives another name: a confirmed contact keeps its own and records a conflict.
    await demo.call(
        "POST", "livechat/visitor", json={"visitor": {"token": "demo-visitor-3", "name": "Priya N. Tanaka"}}
    )


async def fill_demo_data(settings: Settings, count: int) -> int:
    """Create the agents and `count` contacts (at least the five of the story); answer how many contacts."""
    count = max(count, len(STORY))
    async with _running_app(settings) as (client, state):
        async with state.storage.connection() as conn:
            if await conn.fetchval("SELECT 1 FROM meta WHERE key = 'demo_data'"):
                return 0
        demo = _Demo(client, state, random.Random(20241119))
        await client.get("/api/v1/me")  # any request loads the settings cache (this one answers 401)
        with Progress() as progress:
            task = progress.add_task("demo contacts", total=count)
            await _agents(demo)
            await _story(demo)
            progress.advance(task, len(STORY) - 1)
            names = {name for name, _, _ in STORY}
            for index in range(len(STORY), count):
                name = f"{demo.rng.choice(FIRST)} {demo.rng.choice(LAST)}"
                while name in names:
                    name = f"{demo.rng.choice(FIRST)} {demo.rng.choice(LAST)}"
                names.add(name)
                kind = SOURCES[index % len(SOURCES)]["type"]
                plan = {"plan": demo.rng.choice(["Basic", "Plus", "Premium"])}
                known = demo.rng.random() < 0.7
                await _contact(
                    demo, index, name, kind, conversations=demo.rng.randint(1, 3), known=known, custom_fields=plan
                )
                progress.advance(task)
            # The last visitor comes while conversations are picked by hand: they wait in the queue
            # (livechat/inquiries.list) until an agent takes them. Then the default routing again.
            await _routing(demo, "Manual_Selection")
            await _contact(demo, 4, "Omar Haddad", "widget", conversations=1, known=False, queued=True)
            await _routing(demo, "Auto_Selection")
            progress.advance(task)
        async with state.storage.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('demo_data', 1)")
    return count
