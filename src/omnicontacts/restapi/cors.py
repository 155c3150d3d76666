"""Cross-origin requests to the REST API, as Rocket.Chat configures them.

Off unless the `API_Enable_CORS` setting is on. Then a request that names an `Origin` (or asks a
preflight's `Access-Control-Request-Method`) is let through with the allow headers when
`API_CORS_Origin` is `*` or lists its origin (comma-separated, case-insensitive), and answered
403 with an empty body otherwise. A preflight (`OPTIONS`) is answered here, 200 with no body.
"""

from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive, Scope, Send

from omnicontacts.restapi.routing import AppState

ALLOW_METHODS = b"GET, POST, PUT, DELETE, HEAD, PATCH"
ALLOW_HEADERS = (
    b"Origin, X-Requested-With, Content-Type, Accept, X-User-Id, X-Auth-Token, x-visitor-token, Authorization"
)
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _cors_headers(scope: Scope) -> tuple[str | None, bool]:
    origin: str | None = None
    preflight = False
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value.decode("latin-1")
        elif name == b"access-control-request-method":
            preflight = True
    return origin, preflight


async def _empty(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def handle(scope: Scope, receive: Receive, send: Send, app: ASGIApp, state: AppState | None) -> None:
    """Serve one /api request with Rocket.Chat's CORS rules around `app`."""
    is_options = scope["method"] == "OPTIONS"
    if state is None or (not is_options and not state.config.setting("API_Enable_CORS", False)):
        await app(scope, receive, send)
        return
    origin, preflight = _cors_headers(scope)
    if is_options:
        # A preflight changes nothing and is rare: read the settings as they are now.
        async with state.storage.connection() as conn:
            await state.config.ensure_fresh(conn)
        if not state.config.setting("API_Enable_CORS", False):
            await app(scope, receive, send)
            return
    if origin is None and not preflight:
        await app(scope, receive, send)
        return
    allowed = str(state.config.setting("API_CORS_Origin", "*"))
    if allowed == "*":
        allow_origin = b"*"
    else:
        origins = [item.strip().lower() for item in allowed.strip().split(",")]
        if (origin or "").lower() not in origins:
            await _empty(send, 403, [])
            return
        allow_origin = (origin or "*").encode("latin-1")
    headers = [
        (b"access-control-allow-origin", allow_origin),
        (b"access-control-allow-methods", ALLOW_METHODS),
        (b"access-control-allow-headers", ALLOW_HEADERS),
    ]
    if is_options:
        await _empty(send, 200, headers)
        return

    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *headers]
        await send(message)

    await app(scope, receive, send_with_cors)
