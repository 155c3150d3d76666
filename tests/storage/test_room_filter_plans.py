"""livechat/rooms' customFields filter is answered from an index on both databases, and the
migration that adds it indexes the rooms that already exist."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from omnicontacts.bootstrap import prepare_database
from omnicontacts.livechat import repository
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import alembic_config, upgrade
from tests.factories import closed_room_doc, contact_doc, store_with
from tests.storage.plans import Explaining, letters, settle
from tests.support import backends, drop_schema, settings_for

ROOMS = 3000


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings, schema = settings_for(request.param, tmp_path)
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


def _rooms(count: int) -> list[dict[str, Any]]:
    contact = contact_doc("Room Owner")
    rooms = []
    for index in range(count):
        room = closed_room_doc(contact, closed_minutes=index)
        room["livechatData"] = {"topic": f"{letters(index)} Billing", "priority": index}
        rooms.append(room)
    return rooms


async def _listing(settings: Settings, fields: dict[str, str], *, explain: bool) -> Any:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            criteria = repository.RoomCriteria(custom_fields=fields)
            if not explain:
                return [
                    room["_id"] for room in await repository.list_rooms(conn, criteria, sort=None, offset=0, count=25)
                ]
            await settle(conn, gin_index="rooms_fields_trgm", tables=("rooms",))
            explaining = Explaining(conn)
            await repository.list_rooms(explaining, criteria, sort=None, offset=0, count=25)  # type: ignore[arg-type]
            return explaining.plans[0]
    finally:
        await storage.close()


@pytest.mark.parametrize("needle", [letters(42), "zz"])
def test_the_custom_fields_filter_is_served_by_an_index(database: Settings, needle: str) -> None:
    prepare_database(database)
    store_with(database, [], _rooms(ROOMS))

    plan = asyncio.run(_listing(database, {"topic": needle}, explain=True))

    if database.database_url.startswith("sqlite"):
        assert "rooms_fields_fts" in plan
        assert "SCAN rooms " not in plan + " "
    else:
        assert "rooms_fields_trgm" in plan
        assert "Seq Scan" not in plan
        assert "rooms_listing" not in plan


def test_rooms_that_exist_are_indexed_by_the_migration(database: Settings) -> None:
    command.upgrade(alembic_config(database), "0005")
    rooms = _rooms(3)
    rooms[2]["livechatData"] = {"topic": "Shipping"}

    async def insert_as_before() -> None:
        storage = await open_storage(database)
        try:
            async with storage.transaction() as conn:
                for room in rooms:
                    await conn.execute(
                        "INSERT INTO rooms (id, t, open, ts, closed_at, doc) VALUES ($1, 'l', false, $2, $3, $4)",
                        room["_id"],
                        room["ts"],
                        room["closedAt"],
                        json.dumps(room),
                    )
        finally:
            await storage.close()

    asyncio.run(insert_as_before())
    upgrade(database)

    assert asyncio.run(_listing(database, {"topic": "shipping"}, explain=False)) == [rooms[2]["_id"]]
    assert asyncio.run(_listing(database, {"topic": letters(1).lower()}, explain=False)) == [rooms[1]["_id"]]
    assert asyncio.run(_listing(database, {"priority": "1"}, explain=False)) == []
