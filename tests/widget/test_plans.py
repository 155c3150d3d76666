"""The queries the widget and mail layers add are served by indexes on both databases."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from omnicontacts.bootstrap import prepare_database
from omnicontacts.mail import outbox
from omnicontacts.settings import Settings
from omnicontacts.storage import Connection, open_storage
from omnicontacts.widget import repository
from tests.storage.plans import Explaining
from tests.support import backends, drop_schema, settings_for


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings, schema = settings_for(request.param, tmp_path)
    prepare_database(settings)
    yield settings
    if schema is not None:
        drop_schema(settings.database_url, schema)


async def _seed(conn: Connection) -> None:
    for index in range(300):
        await outbox.insert(conn, {"to": f"{index}@example.com"}, 1_000 + index)
        await repository.insert_page_view(conn, f"token-{index}", f"2026-01-01T00:00:{index % 60:02d}.000Z", "x", {})
    if conn.dialect == "postgresql":
        await conn.execute("ANALYZE mail_outbox")
        await conn.execute("ANALYZE livechat_page_views")
        await conn.execute("SET LOCAL enable_seqscan = off")


async def _explain(conn: Connection, sql: str, *args: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect == "sqlite" else "EXPLAIN "
    return "\n".join(str(dict(row)) for row in await conn.fetch(prefix + sql, *args))


async def _plans(settings: Settings) -> dict[str, str]:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await _seed(conn)
            explaining = Explaining(conn)
            await outbox.claim_due(explaining, 5_000, 1_000, 20)  # type: ignore[arg-type]
            await repository.page_views_of_token(explaining, "token-7", 50)  # type: ignore[arg-type]
            plans = {"claim": explaining.plans[0], "page views": explaining.plans[1]}
            plans["pending"] = await _explain(
                conn,
                "SELECT count(*) FROM (SELECT 1 FROM mail_outbox WHERE status = $1 LIMIT $2) AS waiting",
                outbox.PENDING,
                10,
            )
            plans["due"] = await _explain(
                conn,
                "SELECT 1 FROM mail_outbox WHERE status = $1 AND next_attempt_at <= $2 LIMIT 1",
                outbox.PENDING,
                5_000,
            )
            plans["expiry"] = await _explain(conn, "DELETE FROM livechat_page_views WHERE expire_at < $1", "2026")
            plans["message"] = await _explain(conn, "SELECT doc FROM messages WHERE id = $1 AND rid = $2", "m", "r")
            return plans
    finally:
        await storage.close()


def test_widget_and_mail_queries_use_indexes(database: Settings) -> None:
    plans = asyncio.run(_plans(database))
    expected = {
        "claim": "mail_outbox_due",
        "due": "mail_outbox_due",
        "pending": "mail_outbox_due",
        "page views": "livechat_page_views_token",
        "expiry": "livechat_page_views_expiry",
    }
    for name, index in expected.items():
        assert index in plans[name], f"{name}: {plans[name]}"
    assert "messages_pkey" in plans["message"] or "sqlite_autoindex_messages_1" in plans["message"], plans["message"]
    for name, plan in plans.items():
        assert "Seq Scan" not in plan and "SCAN mail_outbox" not in plan and "SCAN livechat_page_views" not in plan, (
            f"{name}: {plan}"
        )
