"""All SQL of outgoing mail: the outbox rows that wait, are claimed, sent or given up."""

from typing import Any

from omnicontacts import ids, jsonutil
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


async def pending_at_least(conn: Connection, limit: int) -> bool:
    """Whether `limit` or more mails wait; reads at most `limit` index entries, whatever the backlog."""
    count = await conn.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM mail_outbox WHERE status = $1 LIMIT $2) AS waiting", PENDING, limit
    )
    return int(count or 0) >= limit


async def insert(conn: Connection, doc: dict[str, Any], now_ms: int) -> str:
    mail_id = ids.meteor_id()
    await conn.execute(
        "INSERT INTO mail_outbox (id, status, attempts, next_attempt_at, created_at, doc) "
        "VALUES ($1, $2, 0, $3, $4, $5)",
        mail_id,
        PENDING,
        now_ms,
        now_iso(),
        jsonutil.dumps_str(doc),
    )
    return mail_id


async def any_due(conn: Connection, now_ms: int) -> bool:
    """A read, no lock: most rounds find nothing and should not take SQLite's write lock."""
    row = await conn.fetchval(
        "SELECT 1 FROM mail_outbox WHERE status = $1 AND next_attempt_at <= $2 LIMIT 1", PENDING, now_ms
    )
    return row is not None


async def claim_due(conn: Connection, now_ms: int, lease_ms: int, limit: int) -> list[tuple[str, int, dict[str, Any]]]:
    """Up to `limit` due mails, leased to the caller until `now + lease`: another worker skips
    them meanwhile, and takes them again if this one dies before it reports. The caller holds a
    transaction around this call."""
    lock = " FOR UPDATE SKIP LOCKED" if conn.dialect == "postgresql" else ""
    rows = await conn.fetch(
        "SELECT id, attempts, doc FROM mail_outbox WHERE status = $1 AND next_attempt_at <= $2 "
        "ORDER BY next_attempt_at LIMIT $3" + lock,
        PENDING,
        now_ms,
        limit,
    )
    claimed = []
    for row in rows:
        attempts = int(row["attempts"]) + 1
        await conn.execute(
            "UPDATE mail_outbox SET attempts = $2, next_attempt_at = $3 WHERE id = $1",
            row["id"],
            attempts,
            now_ms + lease_ms,
        )
        claimed.append((str(row["id"]), attempts, jsonutil.loads(row["doc"])))
    return claimed


async def mark_sent(conn: Connection, mail_id: str) -> None:
    await conn.execute("UPDATE mail_outbox SET status = $2, last_error = NULL WHERE id = $1", mail_id, SENT)


async def mark_failed(conn: Connection, mail_id: str, error: str, *, retry_at_ms: int | None) -> None:
    """Try again at `retry_at_ms`, or give up for good when it is None."""
    if retry_at_ms is None:
        await conn.execute(
            "UPDATE mail_outbox SET status = $2, last_error = $3 WHERE id = $1", mail_id, FAILED, error[:1000]
        )
        return
    await conn.execute(
        "UPDATE mail_outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1", mail_id, retry_at_ms, error[:1000]
    )


async def find(conn: Connection, mail_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT status, attempts, last_error, doc FROM mail_outbox WHERE id = $1", mail_id)
    if row is None:
        return None
    return {
        "status": row["status"],
        "attempts": int(row["attempts"]),
        "last_error": row["last_error"],
        "doc": jsonutil.loads(row["doc"]),
    }
