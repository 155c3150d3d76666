"""The project's app with layers of the stack peeled off, to price each layer (ablation runs).

    uv run python -m bench.run --schema s10k --app bench.variants:no_middleware --label s10k-no-middleware

Every variant runs the project's own endpoints (`Endpoint._serve`: authentication, permission
check, validation, handler, rendering) unchanged and answers the same bytes; only what sits
between uvicorn and `_serve` differs:

- `project`: `omnicontacts.app.app_from_environment`, as served.
- `no_middleware`: FastAPI's middleware stack skipped (ServerError, ExceptionTelemetry, BodyLimit,
  Exception, AsyncExitStack); Starlette's router still matches the path against every route.
- `asgi_routes`: the project's app, but each endpoint's Route calls `_serve` as a plain ASGI app,
  without Starlette's `request_response` adapter (a Request, two closures and an exception
  wrapper per request) — what a small change in `restapi/routing.py` gives.
- `direct`: no router either: the path is looked up in a dict and `_serve` called with a Request
  (what a Route does through `request_response`, minus its exception wrapper).
- `*_no_reset`: the same, with the asyncpg pool given a `reset` callback that sends nothing:
  asyncpg still clears listeners and rolls back an open transaction on release, but skips its
  default reset query (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`), one
  round trip per request. `floor_no_reset` is the floor with that pool.
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


def asgi_routes() -> FastAPI:
    app = app_from_environment()
    for route in app.router.routes:
        serve = getattr(route, "endpoint", None)
        if getattr(serve, "__name__", "") == "_serve":

            async def asgi(scope: Scope, receive: Receive, send: Send, serve: Any = serve) -> None:
                response = await serve(Request(scope, receive, send))
                await response(scope, receive, send)

            route.app = asgi  # type: ignore[attr-defined]
    return app


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
