"""The ASGI application: routers, error rendering and the storage lifespan."""

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from omnicontacts import __version__
from omnicontacts.accounts.routes import root_router as accounts_root_router
from omnicontacts.accounts.routes import router as accounts_router
from omnicontacts.apidocs import docs_page
from omnicontacts.apidocs.openapi import build_document
from omnicontacts.contacts.events_routes import router as contact_events_router
from omnicontacts.contacts.routes import router as contacts_router
from omnicontacts.customfields.routes import router as customfields_router
from omnicontacts.departments.routes import router as departments_router
from omnicontacts.livechat.chat_routes import router as chat_router
from omnicontacts.livechat.directory_routes import router as directory_router
from omnicontacts.livechat.routes import router as livechat_router
from omnicontacts.mail.sender import MailSender
from omnicontacts.observability import metrics
from omnicontacts.observability.middleware import label_routes, observe, observe_answer
from omnicontacts.observability.routes import code_revision, metrics_endpoint, ready_endpoint
from omnicontacts.portability.routes import router as portability_router
from omnicontacts.realtime import endpoint as realtime
from omnicontacts.restapi import cors
from omnicontacts.restapi.routing import AppState, Endpoint, Router, internal_error, json_response
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.ui.routes import install as install_ui
from omnicontacts.widget import assets as widget_assets
from omnicontacts.widget import transcripts as widget_transcripts
from omnicontacts.widget.routes import router as widget_router

API_ROUTERS: list[Router] = [
    accounts_router,
    contacts_router,
    contact_events_router,
    customfields_router,
    departments_router,
    livechat_router,
    chat_router,
    directory_router,
    portability_router,
    realtime.router,
    widget_router,
]


class OmnicontactsApp(FastAPI):
    """FastAPI, with the API's parameter-free paths dispatched straight to their endpoint.

    Those requests need nothing of FastAPI's middleware stack or router: each endpoint already
    authenticates, validates, renders every error itself and never lets an exception out. A dict
    lookup replaces the walk through the middleware layers and the route list, which was most of
    the framework's cost on a hot read (docs/performance.md). Everything else (paths with
    parameters, the docs, the lifespan, unknown paths) goes through FastAPI as before.
    """

    def __init__(
        self, *args: Any, direct_endpoints: dict[tuple[str, str], Endpoint], access_log: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._direct_endpoints = direct_endpoints
        # The metrics' labels as one string object per endpoint (hashed once, compared by identity).
        self._direct_labelled = {
            key: (endpoint, sys.intern(key[0]), sys.intern(key[1])) for key, endpoint in direct_endpoints.items()
        }
        self._access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every HTTP request, direct or routed, passes here: its id, metrics and access log.
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if not self._access_log and not scope.get("root_path"):
            direct = self._direct_labelled.get((scope["path"], scope["method"]))
            if direct is not None:  # the hot path: an API path without parameters, never OPTIONS
                scope["app"] = self
                await observe_answer(scope, receive, send, *direct, self._cors_headers)
                return
        await observe(scope, receive, send, self._dispatch, log_access=self._access_log)

    def _cors_headers(self, response: Response) -> Sequence[tuple[bytes, bytes]]:
        return cors.response_headers(self.state._state.get("omni"))

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith("/api/"):
            await cors.handle(scope, receive, send, self._route, getattr(self.state, "omni", None))
            return
        await super().__call__(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not scope.get("root_path"):
            endpoint = self._direct_endpoints.get((scope["path"], scope["method"]))
            if endpoint is not None:
                scope["app"] = self
                scope["omni.endpoint"] = scope["path"]
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _internal_error(request: Request, error: Exception) -> Response:
    """What escapes a route outside the API's endpoints (the docs pages, unknown paths) still
    answers Rocket.Chat's JSON 500, never a text page."""
    return internal_error(error, f"{request.method} {request.url.path}")


async def _not_found(request: Request) -> Response:
    return json_response(b'{"success":false,"error":"Resource not found"}', 404)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage = await open_storage(settings)
        app.state.omni = AppState(settings=settings, storage=storage)
        metrics.add_pool_sampler(storage.usage)
        flusher = asyncio.create_task(metrics.flush_forever())
        warm = asyncio.create_task(asyncio.to_thread(code_revision))  # read once, off the request path
        app.state.realtime = await realtime.start(app.state.omni)
        widget_transcripts.install()
        app.state.mail_sender = mail_sender = MailSender(storage)
        mail_sender.start()
        try:
            yield
        finally:
            await mail_sender.stop()
            await realtime.stop(app.state.realtime)
            warm.cancel()
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            metrics.flush()
            metrics.remove_pool_sampler(storage.usage)
            metrics.worker_exited(os.getpid())
            await storage.close()

    mounted = [("/api/v1/", endpoint) for router in API_ROUTERS for endpoint in router.endpoints]
    mounted += [("/api/", endpoint) for endpoint in accounts_root_router.endpoints]
    direct = {(prefix + e.path, e.method): e for prefix, e in mounted if "{" not in e.path}
    app = OmnicontactsApp(
        direct_endpoints=direct,
        access_log=settings.access_log,
        title="omnicontacts",
        version=__version__,
        lifespan=lifespan,
        # Our own document and page replace FastAPI's: its document lists no Starlette route,
        # and its page loads Swagger UI from a CDN.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # FastAPI's built-in OpenTelemetry hooks cost 7-15% of a hot request; we export none of it.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.add_exception_handler(Exception, _internal_error)
    # A path ending in "/" (a token or id that ends in a slash) is an unknown path answered in
    # JSON, not a 307 to the path without it.
    app.router.redirect_slashes = False
    for prefix, endpoint in mounted:
        app.router.routes.append(endpoint.route(prefix))
    document = orjson.dumps(build_document(mounted, title="omnicontacts", version=__version__))

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    app.router.routes += [
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/docs", docs_page.docs, methods=["GET"]),
        Route("/docs/init.js", docs_page.init_script, methods=["GET"]),
        Route("/docs/assets/{name}", docs_page.asset, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/readyz", ready_endpoint, methods=["GET"]),
    ]
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    app.router.routes.append(Route("/api/{rest:path}", _not_found, methods=methods))
    app.router.routes.append(WebSocketRoute("/websocket", realtime.websocket_endpoint))
    app.router.routes.extend(widget_assets.routes())
    install_ui(app, mounted)
    # Last, so that every route added above (by any package) names itself in the metrics.
    label_routes(app.router.routes)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory`: each worker process reads the same environment."""
    from omnicontacts import supervision
    from omnicontacts.observability import logs

    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    supervision.exit_with_supervisor()
    return create_app(settings)
