"""Every statement a write path runs is served by an index on both databases.

A real server runs each write path through HTTP (a conversation that lands on a pre-registered
contact, taken, served and closed by an agent; a visitor's registration merged into its contacts;
a contact renamed, blocked, unblocked and deleted; a visitor erased) while its storage records
every statement with its first arguments. Each statement is then explained on the same database,
filled with enough contacts and rooms that reading them all costs more than a lookup, and the test
fails on any plan that reads a big table whole (`tests/storage/plans.py`, `scans`). A statement
added to these paths later is covered without touching this file.
"""

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bench.generate import Plan, contact_doc, make_plan, room_doc
from omnicontacts.bootstrap import prepare_database
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from tests.factories import store_with
from tests.livechat.steps import create_agent, create_contact, fetch_inquiry, new_token, set_setting
from tests.storage.plans import RecordingStorage, Statement, explain, scans
from tests.support import ADMIN_PASSWORD, ADMIN_USERNAME, Api, _start, backends, drop_schema, settings_for

CONTACTS, ROOMS = 2000, 6000


@dataclass
class Recorded:
    settings: Settings
    api: Api
    storage: RecordingStorage


def _room(plan: Plan, index: int) -> dict[str, Any]:
    """The generator's closed room; one in ten still open (other visitors' conversations)."""
    room = room_doc(plan, index)
    if index % 10 == 0:
        for key in ("closedAt", "closedBy", "closer"):
            room.pop(key)
        room["open"] = True
    return room


@pytest.fixture(scope="module", params=backends())
def recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    settings, schema = settings_for(request.param, tmp_path_factory.mktemp(request.param))
    prepare_database(settings)
    plan = make_plan(CONTACTS, ROOMS, 11)
    contacts = [contact_doc(plan, index) for index in range(CONTACTS)]
    store_with(settings, contacts, [_room(plan, index) for index in range(ROOMS)])
    handle, base_url = _start(settings)
    try:
        api = Api(base_url)
        api = api.as_user(api.login(ADMIN_USERNAME, ADMIN_PASSWORD))
        app: Any = handle.server.config.app
        state = app.state.omni
        recording = RecordingStorage(state.storage)
        state.storage = recording
        yield Recorded(settings, api, recording)
    finally:
        handle.server.should_exit = True
        handle.thread.join(timeout=10)
        if schema is not None:
            drop_schema(settings.database_url, schema)


def _conversation(api: Api) -> None:
    """A visitor whose email and phone a pre-registered contact holds: register, open (the
    contact is found and merged), three messages, an agent takes the inquiry, renames, closes."""
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    create_contact(api, "Pre Registered", ["pre.registered@example.com"], ["+15550001111"])
    widget = api.anonymous()
    token = new_token()
    visitor = {"token": token, "name": "Pre R.", "email": "pre.registered@example.com", "phone": "+15550001111"}
    assert widget.post("livechat/visitor", {"visitor": visitor}).status_code == 200
    room = widget.get("livechat/room", params={"token": token}).json()["room"]
    for text in ("Hello", "Where is my order?", "Thanks"):
        assert widget.post("livechat/message", {"token": token, "rid": room["_id"], "msg": text}).status_code == 200
    inquiry = fetch_inquiry(agent, room["_id"])
    assert inquiry is not None
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).status_code == 200
    # A registration while the room is open renames it, its inquiry and its subscriptions.
    assert widget.post("livechat/visitor", {"visitor": {**visitor, "name": "Pre Registered"}}).status_code == 200
    assert agent.post("livechat/message", {"token": token, "rid": room["_id"], "msg": "x"}).status_code in (200, 400)
    assert agent.post("livechat/room.closeByUser", {"rid": room["_id"], "comment": "done"}).status_code == 200
    second = widget.get("livechat/room", params={"token": token}).json()["room"]
    assert widget.post("livechat/room.close", {"token": token, "rid": second["_id"]}).status_code == 200


def _contact_lifecycle(api: Api) -> None:
    """A contact renamed (its rooms, subscriptions and inquiries follow), blocked, unblocked,
    deleted; a visitor erased with everything they left."""
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    widget = api.anonymous()
    token = new_token()
    visitor = widget.post("livechat/visitor", {"visitor": {"token": token, "name": "Life Cycle"}}).json()["visitor"]
    room = widget.get("livechat/room", params={"token": token}).json()["room"]
    contact_id = room["contactId"]
    updated = api.post("omnichannel/contacts.update", {"contactId": contact_id, "name": "Renamed Person"})
    assert updated.status_code == 200, updated.text
    source = {key: value for key, value in room["source"].items() if key in ("type", "id")}
    association = {"visitorId": visitor["_id"], "source": source}
    assert api.post("omnichannel/contacts.block", {"visitor": association}).status_code == 200
    assert api.post("omnichannel/contacts.unblock", {"visitor": association}).status_code == 200
    assert api.post("omnichannel/contacts.delete", {"contactId": contact_id}).status_code == 200

    other = new_token()
    assert widget.post("livechat/visitor", {"visitor": {"token": other, "name": "Gone"}}).status_code == 200
    gone = widget.get("livechat/room", params={"token": other}).json()["room"]
    assert widget.post("livechat/room.close", {"token": other, "rid": gone["_id"]}).status_code == 200
    assert widget.delete(f"livechat/visitor/{other}").status_code == 200


async def _explain_all(settings: Settings, statements: list[Statement]) -> dict[str, list[str]]:
    storage = await open_storage(settings)
    found: dict[str, list[str]] = {}
    try:
        async with storage.transaction() as conn:
            if conn.dialect == "postgresql":
                for table in ("contacts", "contact_emails", "contact_phones", "contact_channels", "rooms"):
                    await conn.execute(f"ANALYZE {table}")
                # The tables are small: this asks whether an index can serve, not whether it pays.
                await conn.execute("SET LOCAL enable_seqscan = off")
            for statement in statements:
                problems = scans(conn.dialect, statement.sql, await explain(conn, statement))
                if problems:
                    found[statement.sql] = problems
    finally:
        await storage.close()
    return found


@pytest.mark.parametrize("flow", [_conversation, _contact_lifecycle], ids=["conversation", "contact-lifecycle"])
def test_every_statement_of_a_write_path_is_served_by_an_index(recorded: Recorded, flow: Callable[[Api], None]) -> None:
    recorded.storage.statements.clear()
    flow(recorded.api)
    statements = list(recorded.storage.statements.values())
    assert len(statements) > 20  # the flow ran through the recording storage

    found = asyncio.run(_explain_all(recorded.settings, statements))

    assert found == {}, "\n".join(f"{sql}\n    {problems}" for sql, problems in found.items())
