"""The project's app with layers of the stack peeled off, to price each layer (ablation runs).

    uv run python -m bench.run --schema s10k --app bench.variants:no_middleware --label s10k-no-middleware

Every variant runs the project's own endpoints (`Endpoint._serve`: authentication, permission
check, validation, handler, rendering) unchanged and answers the same bytes; only what sits
between uvicorn and `_serve` differs:

- `project`: `omnicontacts.app.app_from_environment`, as served. Since the app dispatches
  parameter-free API paths straight to their endpoint (`OmnicontactsApp`), this is about `direct`.
- `no_middleware`: FastAPI's middleware stack skipped (ServerError, ExceptionTelemetry, BodyLimit,
  Exception, AsyncExitStack) but FastAPI's router walked, as every request did before that change.
- `direct`: no router either: the path is looked up in a dict and `_serve` called with a Request.
  It priced the change the app then made.
- `*_no_reset`: the same, with the asyncpg pool given a `reset` callback that sends nothing:
  asyncpg still clears listeners and rolls back an open transaction on release, but skips its
  default reset query (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`), one
  round trip per request. `floor_no_reset` is the floor with that pool.
- `project_inferred_total`: contacts.history takes its total from the page when the page is not
  full, instead of a count query (a proposal for `contacts/service.py`).
- `project_gc_freeze`, `project_gc_off`: the collector out of the way (it was not the cost).
- `no_observability`: the app without the wrapper every HTTP request passes through (request id,
  metrics, access-log switch, CORS check); `project` against it prices that wrapper.
- `no_metrics`: the project with the per-request metrics recording replaced by a call that does
  nothing (ids, headers and all else unchanged); `project` against it prices the metrics
  (`bench/metrics_cost.py`).
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request

from omnicontacts.app import API_ROUTERS, app_from_environment
from omnicontacts.storage.postgres import PostgresStorage

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def project() -> FastAPI:
    return app_from_environment()


def no_middleware() -> App:
    app = app_from_environment()

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)  # lifespan: the project's own
            return
        scope["app"] = app
        await app.router(scope, receive, send)

    return serve


def direct() -> App:
    app = app_from_environment()
    endpoints = {
        ("/api/v1/" + endpoint.path, endpoint.method): endpoint
        for router in API_ROUTERS
        for endpoint in router.endpoints
    }

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        endpoint = endpoints.get((scope["path"], scope["method"]))
        if endpoint is None:
            scope["app"] = app
            await app.router(scope, receive, send)
            return
        scope["app"] = app
        scope.setdefault("path_params", {})
        response = await endpoint._serve(Request(scope, receive, send))
        await response(scope, receive, send)

    return serve


def _without_reset_query() -> None:
    """Make PostgresStorage.open give its pool a reset callback that sends nothing."""
    original = PostgresStorage.open.__func__  # type: ignore[attr-defined]

    async def reset(connection: Any) -> None:
        return None

    async def open_(cls: type[PostgresStorage], url: str, *, schema: str | None, pool_size: int) -> PostgresStorage:
        import asyncpg

        create_pool = asyncpg.create_pool

        def create_pool_without_reset(*args: Any, **kwargs: Any) -> Any:
            return create_pool(*args, reset=reset, **kwargs)

        asyncpg.create_pool = create_pool_without_reset
        try:
            return await original(cls, url, schema=schema, pool_size=pool_size)  # type: ignore[no-any-return]
        finally:
            asyncpg.create_pool = create_pool

    PostgresStorage.open = classmethod(open_)  # type: ignore[assignment,method-assign]


def project_no_reset() -> FastAPI:
    _without_reset_query()
    return project()


def direct_no_reset() -> App:
    _without_reset_query()
    return direct()


def floor_no_reset() -> App:
    from bench import floor

    _without_reset_query()
    return floor.app


def project_gc_freeze() -> FastAPI:
    """The project, with everything alive after start-up moved out of the collector's sight."""
    import gc

    app = project()
    gc.collect()
    gc.freeze()
    return app


def project_gc_off() -> FastAPI:
    """The project with the cyclic garbage collector off (a measurement, not a proposal)."""
    import gc

    gc.disable()
    return project()


def project_inferred_total() -> FastAPI:
    """The project, with contacts.history's total taken from the page when the page is not full
    (then no row is left beyond it, so the count query is not needed): a proposal, measured."""
    from omnicontacts.contacts import repository, service
    from omnicontacts.restapi.errors import Failure

    async def contact_history(
        conn: Any, contact_id: str, *, source: str | None, sort: Any, offset: int, count: int
    ) -> dict[str, Any]:
        if not await repository.enabled_exists(conn, contact_id):
            raise Failure("error-contact-not-found")
        source = source if isinstance(source, str) and source else None
        history = await repository.history_page(conn, contact_id, source=source, sort=sort, offset=offset, count=count)
        if (count == 0 or len(history) < count) and (history or offset == 0):
            total = offset + len(history)
        else:
            total = await repository.history_total(conn, contact_id, source=source)
        return {"history": history, "count": len(history), "offset": offset, "total": total}

    service.contact_history = contact_history
    return project()


def no_observability() -> App:
    """The app without its request wrapper (request id, metrics, access-log switch, CORS check):
    what every request cost before that wrapper, to price it against `project`."""
    app = app_from_environment()

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await app._route(scope, receive, send)  # type: ignore[attr-defined]
        else:
            await app(scope, receive, send)

    return serve


def metrics_off() -> None:
    """Make this process's request wrapper record no metrics: its `record` (a list's `append`)
    becomes `id`, another one-argument C call that keeps nothing, so only the recording differs."""
    from omnicontacts.observability import middleware

    middleware.record = id


def metrics_on() -> None:
    from omnicontacts.observability import metrics, middleware

    middleware.record = metrics.STATS.record


def no_metrics() -> FastAPI:
    metrics_off()
    return project()
