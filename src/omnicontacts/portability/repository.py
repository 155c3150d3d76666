"""SQL of imports: each import's progress document and its report of rejected rows."""

from typing import Any

from omnicontacts import jsonutil
from omnicontacts.restapi.query import limit_offset
from omnicontacts.storage import Connection


async def insert_job(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO imports (id, file_sha256, status, created_at, doc) VALUES ($1, $2, $3, $4, $5)",
        doc["_id"],
        doc["fileSha256"],
        doc["status"],
        doc["createdAt"],
        jsonutil.dumps_str(doc),
    )


async def save_job(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE imports SET status = $2, file_sha256 = $3, doc = $4 WHERE id = $1",
        doc["_id"],
        doc["status"],
        doc["fileSha256"],
        jsonutil.dumps_str(doc),
    )


async def find_job(conn: Connection, job_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if for_update and conn.dialect == "postgresql" else ""
    text = await conn.fetchval("SELECT doc FROM imports WHERE id = $1" + suffix, job_id)
    return None if text is None else jsonutil.loads(text)


async def unfinished_job_for_file(conn: Connection, sha256: str) -> dict[str, Any] | None:
    """The newest import of this very file that stopped before its end (a killed process)."""
    text = await conn.fetchval(
        "SELECT doc FROM imports WHERE file_sha256 = $1 AND status IN ('queued', 'running') "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        sha256,
    )
    return None if text is None else jsonutil.loads(text)


async def add_rejections(conn: Connection, job_id: str, rejections: list[tuple[int, str]]) -> None:
    if rejections:
        await conn.executemany(
            "INSERT INTO import_rejections (import_id, line, reason) VALUES ($1, $2, $3)",
            [(job_id, line, reason) for line, reason in rejections],
        )


async def rejections_page(conn: Connection, job_id: str, *, offset: int, count: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT line, reason FROM import_rejections WHERE import_id = $1 ORDER BY line {limit_offset(count, offset)}",
        job_id,
    )
    return [{"line": int(row["line"]), "reason": row["reason"]} for row in rows]


async def jobs_with_dropped_indexes(conn: Connection) -> list[dict[str, Any]]:
    """Imports whose document lists indexes they dropped and have not built again (a handful of
    rows at most: one per import ever run, and this runs once per import and start-up)."""
    rows = await conn.fetch("SELECT doc FROM imports WHERE doc LIKE '%\"indexesDropped\"%' ORDER BY created_at, id")
    return [jsonutil.loads(row["doc"]) for row in rows]
