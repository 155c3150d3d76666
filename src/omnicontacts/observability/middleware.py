"""What happens around every HTTP request, however it is dispatched: its id, its metrics, the access log.

The API's parameter-free paths skip FastAPI's middleware stack (`app.OmnicontactsApp`), so this
is not a Starlette middleware but a wrapper the app calls on both paths.
"""

import itertools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Message, Receive, Scope, Send

from omnicontacts.observability.logs import request_id
from omnicontacts.observability.metrics import STATS

access_log = logging.getLogger("omnicontacts.access")
# Every request's metrics: one list append, summed once a second (observability/metrics.py).
record = STATS.record

# A client's own id is kept when it is short and plain, so it can be searched for in the logs
# without quoting; anything else gets a new one.
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# New ids: 16 random hex digits per process, then a decimal counter. Unique across workers and restarts
# like a UUID, without a system call per request.
_PREFIX = os.urandom(8).hex()
_counter = itertools.count(1)


def _incoming_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _SANE_ID.fullmatch(text):
                return text
            break
    return _PREFIX + str(next(_counter))


def _endpoint_label(scope: Scope) -> str:
    """The route template (bounded, unlike raw paths): room ids must not become label values."""
    label = scope.get("omni.endpoint")
    if label is not None:
        return str(label)
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


async def observe(scope: Scope, receive: Receive, send: Send, app: ASGIApp, *, log_access: bool) -> None:
    rid = _incoming_id(scope)
    token = request_id.set(rid)
    status = 500
    started = time.perf_counter()

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            # A new list: the response may hand over a list it keeps (and sends again).
            message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid.encode("latin-1"))]
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        elapsed = time.perf_counter() - started
        record((_endpoint_label(scope), scope["method"], status, elapsed))
        if log_access:
            access_log.info(
                '%s "%s %s" %d %.1fms',
                (scope.get("client") or ("-",))[0],
                scope["method"],
                scope["path"],
                status,
                elapsed * 1000,
            )
        request_id.reset(token)


class Answering(Protocol):
    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Response: ...


async def observe_answer(
    scope: Scope,
    receive: Receive,
    send: Send,
    endpoint: Answering,
    label: str,
    method: str,
    extra_headers: Callable[[Response], Sequence[tuple[bytes, bytes]]],
) -> None:
    """`observe` for the direct dispatch of an API endpoint with the access log off: the hot path.

    The same id, header, metrics and context as `observe`, but the endpoint hands its response
    back before it is sent, so the status and the headers need no wrapper around `send` (one
    coroutine call per ASGI message and a closure per request saved). `extra_headers` adds the
    app's own (CORS), decided once the endpoint has run."""
    rid = _incoming_id(scope)
    token = request_id.set(rid)
    status = 500
    started = time.perf_counter()
    try:
        response = await endpoint.answer(scope, receive, send)
        status = response.status_code
        # A new list: a response may keep the one it was built with.
        response.raw_headers = [
            *response.raw_headers,
            *extra_headers(response),
            (b"x-request-id", rid.encode("latin-1")),
        ]
        await response(scope, receive, send)
    finally:
        record((label, method, status, time.perf_counter() - started))
        request_id.reset(token)


def label_routes(routes: Iterable[BaseRoute]) -> None:
    """Make each route write its path template into the scope for the metrics' `endpoint` label
    (Starlette's router hands that over only for FastAPI's own routes)."""
    for route in routes:
        if isinstance(route, Route):
            route.app = _labelled(route.path, route.app)
        elif isinstance(route, Mount):
            route.app = _labelled(route.path + "/{path}", route.app)


def _labelled(path: str, app: ASGIApp) -> ASGIApp:
    async def labelled(scope: Scope, receive: Receive, send: Send) -> None:
        scope["omni.endpoint"] = path
        await app(scope, receive, send)

    return labelled
