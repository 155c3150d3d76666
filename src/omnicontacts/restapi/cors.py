"""Cross-origin requests to the REST API (`/api/*`), answered as Rocket.Chat answers them.

Two settings: `API_Enable_CORS` (off by default) and `API_CORS_Origin` (`*`, or a comma-separated
list of origins).

- A preflight (`OPTIONS` naming an `Origin` or an `Access-Control-Request-Method`): CORS off
  answers 405 with a text saying so; with `*`, 200 with `Access-Control-Allow-Origin: *` and the
  allowed methods and headers; with a list, an origin in it gets 200 with that origin echoed and
  `Vary: Origin`, any other (or none) 403. Any other `OPTIONS` under `/api/` answers 200 `OK`:
  Rocket.Chat's router answers every `OPTIONS` itself, for known and unknown paths alike.
- Any other request is served as usual; with CORS on its answer carries
  `Access-Control-Allow-Origin: *`, `Vary: Origin` and the allowed methods and headers (Rocket.Chat
  checks the origin list on the preflight only: a browser sends none of the API's credential
  headers cross-origin without one). With CORS off nothing is added, so the default costs nothing.
"""

from collections.abc import Awaitable, Callable, Sequence

from starlette.types import Message, Receive, Scope, Send

from omnicontacts.restapi.routing import AppState

ALLOW_METHODS = b"GET, POST, PUT, DELETE, HEAD, PATCH"
ALLOW_HEADERS = (
    b"Origin, X-Requested-With, Content-Type, Accept, X-User-Id, X-Auth-Token, x-visitor-token, Authorization"
)
# The bodies are part of the wire format: clients and tests compare them.
CORS_OFF = b'CORS not enabled. Go to "Admin > General > REST Api" to enable it.'
INVALID_ORIGIN = b"Invalid origin"
PREFLIGHT_OK = b"OK"
TEXT = b"text/plain;charset=UTF-8"
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_ALLOW = [(b"access-control-allow-methods", ALLOW_METHODS), (b"access-control-allow-headers", ALLOW_HEADERS)]
# What a non-preflight request's answer carries with CORS on.
SIMPLE = [(b"vary", b"Origin"), *_ALLOW, (b"access-control-allow-origin", b"*")]


def _cors_headers(scope: Scope) -> tuple[str | None, bool]:
    origin: str | None = None
    preflight = False
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value.decode("latin-1")
        elif name == b"access-control-request-method":
            preflight = True
    return origin, preflight


async def _text(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    start_headers = [*headers, (b"content-type", TEXT), (b"content-length", str(len(body)).encode("latin-1"))]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})


async def preflight(scope: Scope, send: Send, state: AppState | None) -> None:
    """Answer an `OPTIONS` request under `/api/` (it never reaches an endpoint)."""
    origin, asks_method = _cors_headers(scope)
    if origin is None and not asks_method:
        await _text(send, 200, PREFLIGHT_OK, [])
        return
    enabled = False
    allowed = "*"
    if state is not None:
        # Preflights are anonymous and rare: read the settings as they are now.
        async with state.storage.connection() as conn:
            await state.config.ensure_fresh(conn)
        enabled = bool(state.config.setting("API_Enable_CORS", False))
        allowed = str(state.config.setting("API_CORS_Origin", "*"))
    if not enabled:
        await _text(send, 405, CORS_OFF, [])
        return
    if allowed == "*":
        await _text(send, 200, PREFLIGHT_OK, [(b"access-control-allow-origin", b"*"), *_ALLOW])
        return
    # The list is compared lower-cased, the request's origin as sent (browsers send it lower-cased).
    origins = [item.strip().lower() for item in allowed.strip().split(",")]
    if origin is None or origin not in origins:
        await _text(send, 403, INVALID_ORIGIN, [])
        return
    echoed = (b"access-control-allow-origin", origin.encode("latin-1"))
    await _text(send, 200, PREFLIGHT_OK, [(b"vary", b"Origin"), echoed, *_ALLOW])


def response_headers(state: AppState | None) -> Sequence[tuple[bytes, bytes]]:
    """What an `/api/` answer (not a preflight) carries: read when the answer is ready, after the
    endpoint has brought this worker's settings up to date, so a change applies at once."""
    if state is not None and state.config.settings.get("API_Enable_CORS"):
        return SIMPLE
    return ()


async def handle(scope: Scope, receive: Receive, send: Send, app: ASGIApp, state: AppState | None) -> None:
    """Serve one `/api/` request that is not dispatched directly, with Rocket.Chat's CORS rules."""
    if scope["method"] == "OPTIONS":
        await preflight(scope, send, state)
        return

    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = response_headers(state)
            if extra:
                message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)

    await app(scope, receive, send_with_cors)
