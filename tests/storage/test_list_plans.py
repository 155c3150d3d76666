"""Every filter of the Contact Center's contact list is served by an index (migration 0012), never
by reading every contact: the statements the repository runs are explained on each database."""

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from omnicontacts.bootstrap import prepare_database
from omnicontacts.contacts import repository
from omnicontacts.contacts.repository import ListFilters
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from tests.factories import contact_doc, store_with
from tests.storage.plans import Explaining, letters, settle
from tests.support import backends, drop_schema, settings_for

CONTACTS = 3000
RARE = 500  # one contact in RARE has the rare value of each filter


def _doc(index: int) -> dict[str, Any]:
    rare = index % RARE == 0
    doc = contact_doc(f"{letters(index).title()} Person", emails=[{"address": f"{letters(index)}@x.io"}])
    doc["channels"] = [
        {
            "name": "sms" if rare else "widget",
            "visitor": {"visitorId": f"visitor-{index}", "source": {"type": "sms" if rare else "widget"}},
            "blocked": rare,
            "verified": False,
        }
    ]
    doc["lastChat"] = {"_id": f"room-{index}", "ts": f"20{10 + index % 10}-01-01T00:00:{index % 60:02d}.000Z"}
    if rare:
        doc["contactManager"] = "manager-1"
        doc["conflictingFields"] = [{"field": "name", "value": "Other"}]
        doc["lastChat"]["ts"] = "2030-06-01T00:00:00.000Z"
    return doc


@pytest.fixture(scope="module", params=backends())
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp_path: Path = tmp_path_factory.mktemp("list-plans")
    settings, schema = settings_for(request.param, tmp_path)
    prepare_database(settings)
    store_with(settings, [_doc(index) for index in range(CONTACTS)])
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


async def _plan(settings: Settings, filters: ListFilters, sort: str, after: tuple[str | None, str] | None) -> str:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await settle(conn, gin_index="contacts_search_trgm", tables=("contacts", "contact_channels"))
            explaining = Explaining(conn)
            await repository.list_page(explaining, filters, sort=sort, count=26, after=after)  # type: ignore[arg-type]
            await repository.list_total(explaining, filters)  # type: ignore[arg-type]
            return "\n".join(explaining.plans)
    finally:
        await storage.close()


CASES = [
    (ListFilters(channel_type="sms"), "name", None, "contact_channels_type"),
    (ListFilters(blocked=True), "name", None, "contact_channels_blocked"),
    (ListFilters(manager="manager-1"), "name", None, "contacts_manager"),
    (ListFilters(last_chat_from="2030-01-01T00:00:00.000Z"), "name", None, "contacts_last_chat"),
    (ListFilters(conflicts=True), "name", None, "contacts_conflicts"),
    (ListFilters(), "created", ("2024-11-19T11:30:39.710Z", "f" * 24), "contacts_created_order"),
    (ListFilters(), "name", ("M", "0" * 24), "contacts_name_order"),
]


@pytest.mark.parametrize(("filters", "sort", "after", "index"), CASES)
def test_list_filters_are_served_by_an_index(
    filled: Settings, filters: ListFilters, sort: str, after: tuple[str | None, str] | None, index: str
) -> None:
    plan = asyncio.run(_plan(filled, filters, sort, after))

    assert index in plan, plan
    # No whole-table read: SQLite's plain "SCAN contacts", PostgreSQL's sequential scan.
    assert re.search(r"SCAN contacts\b(?! USING (COVERING )?INDEX contacts_(name|created)_order)", plan) is None, plan
    assert "Seq Scan" not in plan, plan
