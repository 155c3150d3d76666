"""Every contacts.search a client can send with a term of three characters or more is answered
from an index, never by reading every contact: the statements the repository runs are explained
on each database."""

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from omnicontacts.bootstrap import prepare_database
from omnicontacts.contacts import repository
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from tests.factories import contact_doc, store_with
from tests.storage.plans import Explaining, letters, settle
from tests.support import backends, drop_schema, settings_for


async def _plan(settings: Settings, term: str) -> str:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await settle(conn, gin_index="contacts_search_trgm", tables=("contacts", "contact_number_keys"))
            explaining = Explaining(conn)
            await repository.search_page(
                explaining,  # type: ignore[arg-type]
                term=term,
                unknown=False,
                sort=None,
                offset=0,
                count=25,
            )
            return explaining.plans[0]
    finally:
        await storage.close()


# Enough rows that reading them all costs the planner more than an index lookup.
CONTACTS = 3000


@pytest.fixture(params=backends())
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings, schema = settings_for(request.param, tmp_path)
    prepare_database(settings)
    store_with(
        settings,
        [
            contact_doc(
                f"{letters(index).title()} Person", emails=[{"address": f"{letters(index)}.{1000 + index}@x.io"}]
            )
            | {"phones": [{"phoneNumber": f"+1 555 {index:04d}"}]}
            for index in range(CONTACTS)
        ],
    )
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


NUMBERS = {"sqlite": "contact_number_keys", "postgresql": "contact_number_keys_pkey"}
TRIGRAMS = {"sqlite": "contacts_fts", "postgresql": "contacts_search_trgm"}


@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("555 0142", NUMBERS),
        ("5 0142", NUMBERS),
        (f"{letters(42)}.1042@", NUMBERS),
        (letters(42), TRIGRAMS),
        (f"{letters(7)} per", TRIGRAMS),
    ],
)
def test_search_terms_are_served_by_an_index(filled: Settings, term: str, index: dict[str, str]) -> None:
    plan = asyncio.run(_plan(filled, term))

    dialect = "sqlite" if filled.database_url.startswith("sqlite") else "postgresql"
    assert index[dialect] in plan
    # A whole-table read: SQLite's "SCAN contacts" (with or without an index), PostgreSQL's
    # sequential scan or a walk of the listing index.
    assert re.search(r"SCAN contacts\b", plan) is None
    assert "Seq Scan" not in plan
    assert "contacts_listing" not in plan
