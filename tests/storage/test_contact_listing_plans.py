"""contacts.search without a term at scale: every accepted sort is read from an index in its own
order (no sequential scan, no sort of the matches), a deep offset is counted off inside the index
without reading a contact, and the total comes from the kept count, on both databases; the kept
count stays exact through every kind of write, and the migration that adds it counts the contacts
that already exist."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from omnicontacts.contacts import repository
from omnicontacts.contacts.repository import ListFilters
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import alembic_config, upgrade
from tests.factories import contact_doc, store_with
from tests.storage.plans import Explaining, letters, settle
from tests.support import backends, drop_schema, settings_for

CONTACTS = 3000
DEEP = 2000
# sort -> the index that serves it
SORTS: list[tuple[dict[str, int] | None, str]] = [
    (None, "contacts_name_order"),
    ({"name": 1}, "contacts_name_order"),
    ({"name": -1}, "contacts_name_order"),
    ({"lastChat.ts": 1}, "contacts_last_chat_order"),
    ({"lastChat.ts": -1}, "contacts_last_chat_order"),
    ({"createdAt": 1}, "contacts_created_order"),
    ({"createdAt": -1}, "contacts_created_order"),
    ({"_updatedAt": 1}, "contacts_updated_order"),
    ({"_updatedAt": -1}, "contacts_updated_order"),
    ({"_id": 1}, "contacts_id_order"),
    ({"_id": -1}, "contacts_id_order"),
    ({"unknown": 1}, "contacts_id_order"),
    ({"unknown": -1}, "contacts_id_order"),
]


def _doc(index: int) -> dict[str, Any]:
    """Contacts with every kind of value the sorts meet: missing names and last chats, ties,
    unknown ones and disabled ones."""
    minute = f"{index % 60:02d}"
    doc = contact_doc(
        f"{letters(index % 700).title()} Person",
        createdAt=f"2025-0{1 + index % 9}-01T00:{minute}:00.000Z",
        _updatedAt=f"2026-0{1 + index % 7}-01T00:{minute}:00.000Z",
        unknown=index % 5 == 0,
    )
    if index % 11 == 0:
        del doc["name"]
    if index % 3:
        doc["lastChat"] = {"_id": f"room-{index}", "ts": f"2026-0{1 + index % 8}-02T00:00:00.000Z"}
    if index % 13 == 0:
        doc["enabled"] = False
    return doc


@pytest.fixture(scope="module", params=backends())
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp_path: Path = tmp_path_factory.mktemp("contact-listing-plans")
    settings, schema = settings_for(request.param, tmp_path)
    upgrade(settings)
    store_with(settings, [_doc(index) for index in range(CONTACTS)])
    asyncio.run(_vacuum(settings))
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


async def _vacuum(settings: Settings) -> None:
    """PostgreSQL: the table as autovacuum leaves it, its pages marked all-visible, so that an
    index-only walk is priced as one (it need not visit the table)."""
    storage = await open_storage(settings)
    try:
        if storage.dialect == "postgresql":
            async with storage.connection() as conn:
                await conn.execute("VACUUM (ANALYZE) contacts")
    finally:
        await storage.close()


def _dialect(settings: Settings) -> str:
    return "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"


def _unordered_reads(dialect: str, plan: str) -> list[str]:
    """What in a plan reads every contact or sorts the matches instead of reading them in order."""
    lines = plan.splitlines()
    if dialect == "sqlite":
        found = [line for line in lines if "TEMP B-TREE" in line]
        found += [line for line in lines if "SCAN contacts" in line and "USING" not in line]
        return found
    return [part for part in ("Seq Scan", "Sort", "Bitmap") if part in plan]


async def _plans(settings: Settings, sort: dict[str, int] | None, *, unknown: bool) -> list[str]:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await settle(conn, gin_index="contacts_search_trgm", tables=("contacts",))
            if conn.dialect == "postgresql":
                # 3,000 rows: a bitmap of all of them and a sort is cheap here, not at 1M.
                await conn.execute("SET LOCAL enable_bitmapscan = off")
            explaining = Explaining(conn)
            for offset in (0, DEEP):
                await repository.search_page(
                    explaining,  # type: ignore[arg-type]
                    term="",
                    unknown=unknown,
                    sort=sort,
                    offset=offset,
                    count=25,
                )
            await repository.search_total(explaining, term="", unknown=unknown)  # type: ignore[arg-type]
            return explaining.plans
    finally:
        await storage.close()


@pytest.mark.parametrize("unknown", [False, True], ids=["known", "unknown"])
@pytest.mark.parametrize(("sort", "index"), SORTS, ids=[json.dumps(sort) for sort, _ in SORTS])
def test_every_sort_reads_its_index_in_order_and_the_total_is_kept(
    filled: Settings, sort: dict[str, int] | None, index: str, unknown: bool
) -> None:
    dialect = _dialect(filled)
    first, deep, total = asyncio.run(_plans(filled, sort, unknown=unknown))

    # PostgreSQL may read its primary key in order for `_id` (and `unknown`, which orders by id
    # alone as the filter fixes it) and test the few other columns (no sort either way).
    by_id = index == "contacts_id_order"
    assert index in first or (by_id and dialect == "postgresql" and "contacts_pkey" in first), first
    assert _unordered_reads(dialect, first) == [], first
    # The deep page counts its offset off inside the index (an index-only walk) and reads only
    # the page's contacts by id; the page itself (25 rows) is put back in order.
    assert index in deep, deep
    if dialect == "sqlite":
        assert f"COVERING INDEX {index}" in deep, deep
        assert [line for line in deep.splitlines() if "SCAN contacts" in line and "USING" not in line] == []
    else:
        assert "Index Only Scan" in deep and "Seq Scan" not in deep and "Bitmap" not in deep, deep
    # The total reads the small table of counts, never the contacts.
    assert "contact_counts" in total
    assert "contacts " not in total.replace("contact_counts", "") and "'contacts'" not in total


async def _pages(settings: Settings, sort: dict[str, int] | None) -> tuple[list[str], list[str], int, int]:
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            page = await repository.search_page(conn, term="", unknown=False, sort=sort, offset=DEEP, count=25)
            streamed: list[str] = []
            async for texts in repository.search_all(conn, term="", unknown=False, sort=sort, offset=DEEP):
                streamed += [json.loads(text)["_id"] for text in texts]
            kept = await repository.search_total(conn, term="", unknown=False)
            counted = int(await conn.fetchval("SELECT count(*) FROM contacts WHERE enabled AND unknown = $1", False))
            return [doc["_id"] for doc in page], streamed[:25], kept, counted
    finally:
        await storage.close()


@pytest.mark.parametrize(("sort", "index"), SORTS, ids=[json.dumps(sort) for sort, _ in SORTS])
def test_a_deep_page_holds_the_rows_of_the_plain_listing(
    filled: Settings, sort: dict[str, int] | None, index: str
) -> None:
    page, streamed, kept, counted = asyncio.run(_pages(filled, sort))

    # The streamed listing (count=0) reads the rows in one walk: the same 25, in the same order.
    assert len(page) == 25
    assert page == streamed
    assert kept == counted


# --- the kept count through writes -----------------------------------------------------------


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings, schema = settings_for(request.param, tmp_path)
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


COUNTED = "SELECT count(*) FROM contacts WHERE enabled AND unknown = $1"


async def _counts(settings: Settings) -> tuple[int, int, int, int]:
    """(kept, counted) for known contacts, then for unknown ones; the list's total as well."""
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            known = await repository.search_total(conn, term="", unknown=False)
            listed = await repository.list_total(conn, ListFilters())
            assert listed == known
            unknown = await repository.search_total(conn, term="", unknown=True)
            return (
                known,
                int(await conn.fetchval(COUNTED, False)),
                unknown,
                int(await conn.fetchval(COUNTED, True)),
            )
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


async def _save(settings: Settings, doc: dict[str, Any]) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await repository.save_contact(conn, doc)
    finally:
        await storage.close()


async def _rolled_back_insert(settings: Settings, doc: dict[str, Any]) -> None:
    storage = await open_storage(settings)
    try:
        with pytest.raises(RuntimeError):
            async with storage.transaction() as conn:
                await repository.insert_contact(conn, doc)
                raise RuntimeError("rolled back")
    finally:
        await storage.close()


def _raw_contact(contact_id: str, *, unknown: bool | None, enabled: bool = True) -> tuple[str, tuple[Any, ...]]:
    return (
        "INSERT INTO contacts (id, name, search_text, unknown, enabled, pre_registration, created_at, updated_at, "
        "doc) VALUES ($1, 'Raw', 'raw', $2, $3, false, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{}')",
        (contact_id, unknown, enabled),
    )


def test_the_kept_total_follows_every_write(database: Settings) -> None:
    upgrade(database)
    docs = [contact_doc(f"Person {index}", unknown=index % 4 == 0) for index in range(20)]
    store_with(database, docs)
    assert asyncio.run(_counts(database)) == (15, 15, 5, 5)

    asyncio.run(_rolled_back_insert(database, contact_doc("Gone")))
    assert asyncio.run(_counts(database)) == (15, 15, 5, 5)

    # Saves through the repository: disabling (contacts.delete), becoming known, an unchanged save.
    asyncio.run(_save(database, docs[1] | {"enabled": False}))
    asyncio.run(_save(database, docs[0] | {"unknown": False}))
    asyncio.run(_save(database, docs[2] | {"name": "Renamed"}))
    assert asyncio.run(_counts(database)) == (15, 15, 4, 4)
    asyncio.run(_save(database, docs[1] | {"enabled": True, "unknown": True}))
    assert asyncio.run(_counts(database)) == (15, 15, 5, 5)

    # Several contacts in one statement, a disabled one and one without `unknown`.
    asyncio.run(
        _in_transaction(
            database,
            (
                "INSERT INTO contacts (id, name, search_text, unknown, enabled, pre_registration, created_at, "
                "updated_at, doc) VALUES "
                "('many-1', 'A', 'a', false, true, false, '2026', '2026', '{}'), "
                "('many-2', 'B', 'b', true, true, false, '2026', '2026', '{}'), "
                "('many-3', 'C', 'c', false, false, false, '2026', '2026', '{}')",
                (),
            ),
            _raw_contact("no-flag", unknown=None),
        )
    )
    assert asyncio.run(_counts(database)) == (16, 16, 6, 6)
    asyncio.run(
        _in_transaction(
            database,
            ("UPDATE contacts SET unknown = false WHERE id = $1", ("no-flag",)),
            ("UPDATE contacts SET enabled = true, unknown = true WHERE id = $1", ("many-3",)),
            ("UPDATE contacts SET unknown = NULL WHERE id = $1", ("many-1",)),
        )
    )
    assert asyncio.run(_counts(database)) == (16, 16, 7, 7)
    asyncio.run(_in_transaction(database, ("DELETE FROM contacts WHERE unknown", ())))
    assert asyncio.run(_counts(database)) == (16, 16, 0, 0)
    asyncio.run(_in_transaction(database, ("DELETE FROM contacts", ())))
    assert asyncio.run(_counts(database)) == (0, 0, 0, 0)
    if _dialect(database) == "postgresql":
        asyncio.run(_in_transaction(database, _raw_contact("kept", unknown=False)))
        assert asyncio.run(_counts(database)) == (1, 1, 0, 0)
        asyncio.run(_in_transaction(database, ("TRUNCATE contacts CASCADE", ()), _raw_contact("new", unknown=True)))
        assert asyncio.run(_counts(database)) == (0, 0, 1, 1)


def test_contacts_that_exist_are_counted_by_the_migration(database: Settings) -> None:
    command.upgrade(alembic_config(database), "0016")
    asyncio.run(
        _in_transaction(
            database,
            _raw_contact("before-1", unknown=False),
            _raw_contact("before-2", unknown=True),
            _raw_contact("before-3", unknown=False, enabled=False),
            _raw_contact("before-4", unknown=False),
        )
    )

    upgrade(database)

    assert asyncio.run(_counts(database)) == (2, 2, 1, 1)
    asyncio.run(_in_transaction(database, _raw_contact("after-1", unknown=True)))
    assert asyncio.run(_counts(database)) == (2, 2, 2, 2)
