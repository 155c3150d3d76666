"""Every read of the Contact Center's saved filters is a range of the table's primary key
(user_id, name), never a read of every user's filters: the statements are explained on each
database."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnicontacts.bootstrap import prepare_database
from omnicontacts.savedfilters import repository
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from tests.storage.plans import Explaining
from tests.support import backends, drop_schema, settings_for


@pytest.fixture(scope="module", params=backends())
def prepared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp_path: Path = tmp_path_factory.mktemp("saved-filter-plans")
    settings, schema = settings_for(request.param, tmp_path)
    prepare_database(settings)
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


async def _plans(settings: Settings) -> list[str]:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            if conn.dialect == "postgresql":
                # The table is empty here: ask whether the key can serve, not whether it pays.
                await conn.execute("ANALYZE ui_saved_filters")
                await conn.execute("SET LOCAL enable_seqscan = off")
            explaining = Explaining(conn)
            await repository.list_for_user(explaining, "user-1", 50)  # type: ignore[arg-type]
            await repository.count_for_user(explaining, "user-1")  # type: ignore[arg-type]
            await repository.exists(explaining, "user-1", "Mine")  # type: ignore[arg-type]
            return explaining.plans
    finally:
        await storage.close()


def test_saved_filters_are_read_through_their_key(prepared: Settings) -> None:
    plans = asyncio.run(_plans(prepared))

    assert len(plans) == 3
    for plan in plans:
        assert "ui_saved_filters_pkey" in plan or "sqlite_autoindex_ui_saved_filters_1" in plan, plan
        assert "Seq Scan" not in plan, plan
        assert "SCAN ui_saved_filters" not in plan, plan
    # The list comes in name order straight from the key: nothing sorted afterwards.
    assert "Sort" not in plans[0] and "TEMP B-TREE" not in plans[0], plans[0]
