"""livechat/rooms at scale: every accepted sort is read from an index in its own order (no
sequential scan, no sort of the matches) and the unfiltered total from the kept count, on both
databases; the kept count stays exact through inserts, deletes and changes of type, and the
migration that adds it counts the rooms that already exist."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from omnicontacts.livechat import repository
from omnicontacts.livechat.repository import RoomCriteria
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import alembic_config, upgrade
from tests.factories import closed_room_doc, contact_doc, store_with
from tests.storage.plans import Explaining, settle
from tests.support import backends, drop_schema, settings_for

ROOMS = 2000
SORTS = [
    {"closedAt": 1},
    {"closedAt": -1},
    {"fname": 1},
    {"fname": -1},
    {"open": 1},
    {"open": -1},
    {"ts": 1},
    {"ts": -1},
    {"_id": 1},
    {"_id": -1},
    None,
]


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings, schema = settings_for(request.param, tmp_path)
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


def _rooms(count: int) -> list[dict[str, Any]]:
    rooms = []
    for index in range(count):
        contact = contact_doc(f"Guest {index % 97}")
        rooms.append(closed_room_doc(contact, closed_minutes=index, open_room=index % 10 == 0))
    return rooms


def _ordered_reads(dialect: str, plan: str) -> list[str]:
    """What in a plan reads every room or sorts the matches instead of reading them in order."""
    if dialect == "sqlite":
        lines = plan.splitlines()
        found = [line for line in lines if "TEMP B-TREE" in line]
        found += [line for line in lines if "SCAN rooms" in line and "USING" not in line]
        return found
    found = [part for part in ("Seq Scan", "'Sort'", "Sort Key", "Bitmap") if part in plan]
    return found


async def _plans(settings: Settings, sort: dict[str, int] | None) -> tuple[str, str]:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await settle(conn, gin_index="rooms_fname_trgm", tables=("rooms",))
            explaining = Explaining(conn)
            await repository.list_rooms(explaining, RoomCriteria(), sort=sort, offset=0, count=25)  # type: ignore[arg-type]
            await repository.count_rooms(explaining, RoomCriteria())  # type: ignore[arg-type]
            return explaining.plans[0], explaining.plans[1]
    finally:
        await storage.close()


@pytest.mark.parametrize("sort", SORTS, ids=lambda sort: json.dumps(sort))
def test_every_sort_reads_an_index_in_order_and_the_total_is_kept(
    database: Settings, sort: dict[str, int] | None
) -> None:
    upgrade(database)
    store_with(database, [], _rooms(ROOMS))

    page, total = asyncio.run(_plans(database, sort))

    assert _ordered_reads("sqlite" if database.database_url.startswith("sqlite") else "postgresql", page) == []
    assert "rooms" in page
    # The total reads the small table of counts, never the rooms.
    assert "room_counts" in total
    assert "rooms " not in total.replace("room_counts", "") and "'rooms'" not in total


async def _counts(settings: Settings) -> tuple[int, int]:
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            kept = await repository.count_rooms(conn, RoomCriteria())
            counted = int(await conn.fetchval("SELECT count(*) FROM rooms WHERE t = 'l'"))
            return kept, counted
    finally:
        await storage.close()


async def _in_transaction(settings: Settings, *statements: tuple[str, tuple[Any, ...]]) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            for sql, args in statements:
                await conn.execute(sql, *args)
    finally:
        await storage.close()


async def _delete(settings: Settings, room_ids: list[str]) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await repository.delete_rooms_with_everything(conn, room_ids)
    finally:
        await storage.close()


async def _rolled_back_insert(settings: Settings, room: dict[str, Any]) -> None:
    storage = await open_storage(settings)
    try:
        with pytest.raises(RuntimeError):
            async with storage.transaction() as conn:
                await repository.insert_room(conn, room)
                raise RuntimeError("rolled back")
    finally:
        await storage.close()


def _raw_room(room_id: str, kind: str) -> tuple[str, tuple[Any, ...]]:
    return (
        "INSERT INTO rooms (id, t, open, ts, doc) VALUES ($1, $2, true, '2026-01-01T00:00:00.000Z', '{}')",
        (room_id, kind),
    )


def test_the_kept_total_follows_every_write(database: Settings) -> None:
    upgrade(database)
    rooms = _rooms(30)
    store_with(database, [], rooms)
    assert asyncio.run(_counts(database)) == (30, 30)

    asyncio.run(_delete(database, [rooms[0]["_id"], rooms[1]["_id"]]))
    assert asyncio.run(_counts(database)) == (28, 28)

    asyncio.run(_rolled_back_insert(database, _rooms(1)[0]))
    assert asyncio.run(_counts(database)) == (28, 28)

    # Several rooms in one statement, a room of another type, and changes of type.
    asyncio.run(
        _in_transaction(
            database,
            (
                "INSERT INTO rooms (id, t, open, ts, doc) VALUES "
                "('many-1', 'l', true, '2026-01-01T00:00:00.000Z', '{}'), "
                "('many-2', 'l', true, '2026-01-01T00:00:00.000Z', '{}'), "
                "('many-3', 'd', true, '2026-01-01T00:00:00.000Z', '{}')",
                (),
            ),
            _raw_room("other", "c"),
        )
    )
    assert asyncio.run(_counts(database)) == (30, 30)
    asyncio.run(_in_transaction(database, ("UPDATE rooms SET t = 'l' WHERE id = $1", ("other",))))
    assert asyncio.run(_counts(database)) == (31, 31)
    asyncio.run(_in_transaction(database, ("UPDATE rooms SET t = 'p' WHERE id IN ($1, $2)", ("many-1", "many-3"))))
    assert asyncio.run(_counts(database)) == (30, 30)
    asyncio.run(_in_transaction(database, ("DELETE FROM rooms WHERE t = 'l'", ())))
    assert asyncio.run(_counts(database)) == (0, 0)
    if database.database_url.startswith("postgresql"):
        asyncio.run(_in_transaction(database, _raw_room("kept", "l")))
        assert asyncio.run(_counts(database)) == (1, 1)
        asyncio.run(_in_transaction(database, ("TRUNCATE rooms CASCADE", ()), _raw_room("new", "l")))
        assert asyncio.run(_counts(database)) == (1, 1)


def test_rooms_that_exist_are_counted_by_the_migration(database: Settings) -> None:
    command.upgrade(alembic_config(database), "0012")
    asyncio.run(_in_transaction(database, _raw_room("before-1", "l"), _raw_room("before-2", "l"), _raw_room("x", "d")))

    upgrade(database)

    assert asyncio.run(_counts(database)) == (2, 2)
    asyncio.run(_in_transaction(database, _raw_room("after-1", "l")))
    assert asyncio.run(_counts(database)) == (3, 3)
