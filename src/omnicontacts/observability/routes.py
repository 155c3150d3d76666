"""`/metrics` (Prometheus) and `/readyz` (database reachable, schema at the code's revision)."""

import asyncio
from functools import lru_cache

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnicontacts.observability import metrics
from omnicontacts.restapi.routing import AppState, json_response

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def metrics_endpoint(request: Request) -> Response:
    metrics.flush()
    body = await asyncio.to_thread(metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE)


@lru_cache(maxsize=1)
def code_revision() -> str:
    """The newest migration this code ships (read once from the migration scripts)."""
    from alembic.script import ScriptDirectory

    from omnicontacts.settings import Settings
    from omnicontacts.storage.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(Settings())).get_current_head()
    return str(head)


async def ready_endpoint(request: Request) -> Response:
    """200 when the database answers and its schema is at this code's revision, else 503 saying which."""
    state: AppState | None = getattr(request.app.state, "omni", None)
    head = await asyncio.to_thread(code_revision)
    body: dict[str, object] = {"ready": False, "database": "unavailable", "schema": None, "expected_schema": head}
    if state is not None:
        try:
            async with asyncio.timeout(5), state.storage.connection() as conn:
                body["schema"] = await conn.fetchval("SELECT version_num FROM alembic_version")
            body["database"] = "ok"
        except Exception as error:  # the reason is the answer here, not a failure of this endpoint
            body["database"] = f"error: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    body["ready"] = body["database"] == "ok" and body["schema"] == head
    return json_response(orjson.dumps(body), 200 if body["ready"] else 503)
