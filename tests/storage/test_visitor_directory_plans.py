"""Every visitor directory query a client can send is answered from an index, never by reading
every visitor or every room: the statements the repository runs are explained on each database."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from omnicontacts.bootstrap import prepare_database
from omnicontacts.livechat import directory_repository as repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.settings import Settings
from omnicontacts.storage import Connection, open_storage
from tests.factories import closed_room_doc, contact_doc
from tests.storage.plans import Explaining, letters, settle
from tests.support import backends, drop_schema, settings_for

VISITORS = 3000


def _visitor(index: int) -> dict[str, Any]:
    return {
        "_id": f"visitor-{index:05d}",
        "username": f"guest-{index}",
        "name": f"{letters(index).title()} Person",
        "token": f"token-{index}",
        "ts": f"2024-01-01T00:{index // 60 % 60:02d}:{index % 60:02d}.000Z",
        "visitorEmails": [{"address": f"{letters(index)}@x.io"}],
        # A third never chatted.
        **(
            {}
            if index % 3 == 0
            else {"lastChat": {"_id": f"room-{index}", "ts": f"2024-02-01T00:00:{index % 60:02d}.{index:03d}Z"}}
        ),
        "phone": [{"phoneNumber": f"+1555{index:05d}"}],
        "_updatedAt": "2024-01-01T00:00:00.000Z",
    }


async def _fill(settings: Settings) -> None:
    storage = await open_storage(settings)
    contact = contact_doc("Owner")
    try:
        async with storage.transaction() as conn:
            for index in range(VISITORS):
                await livechat_repository.insert_visitor(conn, _visitor(index))
                room = closed_room_doc(contact, closed_minutes=index)
                room["v"] = {"_id": f"visitor-{index:05d}", "username": f"guest-{index}"}
                room["servedBy"] = {"_id": "agent-1", "username": "agent"}
                await livechat_repository.insert_room(conn, room)
    finally:
        await storage.close()


@pytest.fixture(scope="module", params=backends())
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings, schema = settings_for(request.param, tmp_path_factory.mktemp(request.param))
    prepare_database(settings)
    asyncio.run(_fill(settings))
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


Query = Callable[[Connection], Awaitable[Any]]


class ExplainingAll(Explaining):
    """Explains the counts too (they answer 0)."""

    async def fetchval(self, sql: str, *args: Any) -> int:
        await self.fetch(sql, *args)
        return 0


async def _plans(settings: Settings, query: Query) -> str:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await settle(
                conn, gin_index="visitors_search_trgm", tables=("visitors", "visitor_emails", "visitor_phones", "rooms")
            )
            explaining = ExplainingAll(conn)
            await query(explaining)  # type: ignore[arg-type]
            return "\n".join(explaining.plans)
    finally:
        await storage.close()


def _search(term: str, sort: dict[str, int] | None = None) -> Query:
    return lambda conn: repository.search_page(conn, term=term, sort=sort, offset=0, count=25)


def _total(term: str) -> Query:
    return lambda conn: repository.search_total(conn, term=term)


QUERIES: dict[str, Query] = {
    "name substring": _search(letters(42)[1:6]),
    "username": _search("guest-1042"),
    "email": _search(f"{letters(42)}@x.io"),
    "total": _total(letters(42)[1:6]),
    "no term": _search(""),
    "last chat first": _search("", {"lastChat.ts": 1}),
    "last chat newest": _search("", {"lastChat.ts": -1}),
    "name substring by last chat": _search(letters(42)[1:6], {"lastChat.ts": -1}),
    "autocomplete": lambda conn: repository.name_prefix_page(conn, prefix=letters(7)[:3], exceptions=["a"], limit=10),
    "chat history": lambda conn: repository.rooms_of_visitor_page(conn, "visitor-00042", sort=None, offset=0, count=25),
    "chat history total": lambda conn: repository.rooms_of_visitor_total(conn, "visitor-00042"),
    "search chats": lambda conn: repository.chats_of_visitor(
        conn,
        "visitor-00042",
        repository.ChatFilter(closed_only=True, served_only=True, source="widget"),
        sort=None,
        offset=0,
        count=25,
    ),
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_directory_queries_are_served_by_an_index(filled: Settings, name: str) -> None:
    plan = asyncio.run(_plans(filled, QUERIES[name]))

    # A whole-table read: SQLite's "SCAN visitors"/"SCAN rooms" without an index, PostgreSQL's
    # sequential scan.
    assert re.search(r"SCAN (visitors|rooms)\b(?! USING)", plan) is None, plan
    assert "Seq Scan" not in plan, plan
    if name in ("name substring", "total"):
        assert ("visitors_fts" in plan) or ("visitors_search_trgm" in plan), plan
    if name.startswith("last chat"):
        # Read in the index's order: no sort step at all.
        assert "visitors_last_chat" in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
    if name == "autocomplete":
        assert "visitors_search_prefix" in plan, plan
    if name.startswith("chat") or name == "search chats":
        assert "rooms_visitor" in plan, plan
