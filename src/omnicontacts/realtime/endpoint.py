"""Wiring into the app: the `/websocket` route and the lifespan hooks.

A DDP client logs in with the `login` method (a resume token), as Rocket.Chat's clients do. The
Contact Center's pages need no token for that: their handshake to the same origin carries the
HttpOnly session cookie, and the connection starts signed in as its user. A handshake that
carries the cookie from any other origin is refused (HTTP 403): SameSite=Strict keeps the cookie
from other sites, but a page on another port or subdomain of the same site would still send it
(cross-site WebSocket hijacking), and browsers apply no same-origin rule to WebSockets.
"""

from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from omnicontacts.accounts.passwords import hash_login_token
from omnicontacts.realtime import methods as _methods  # noqa: F401  (registers the built-in methods)
from omnicontacts.realtime.rest import router
from omnicontacts.realtime.runtime import Realtime, open_connections
from omnicontacts.realtime.session import Session
from omnicontacts.restapi.routing import AppState, AuthUser, authenticate_token
from omnicontacts.ui.session import credentials

__all__ = ["open_connections", "router", "start", "stop", "websocket_endpoint"]


async def start(state: AppState) -> Realtime:
    runtime = Realtime(state)
    await runtime.start()
    return runtime


async def stop(runtime: Realtime) -> None:
    await runtime.stop()


def same_origin(ws: WebSocket) -> bool:
    """The handshake's `Origin` names this server (the host and port the client connected to)."""
    origin = ws.headers.get("origin")
    host = ws.headers.get("host")
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


async def websocket_endpoint(ws: WebSocket) -> None:
    runtime: Realtime = ws.app.state.realtime
    state: AppState = ws.app.state.omni
    found = credentials(ws)
    user: AuthUser | None = None
    if found is not None:
        if not same_origin(ws):
            await ws.close(code=1008)  # before accept: the handshake is answered 403
            return
        async with state.storage.connection() as conn:
            user = await authenticate_token(conn, state, *found)
    await ws.accept()
    session = Session(runtime, state, ws)
    if found is not None and user is not None:
        session.sign_in(user, hash_login_token(found[1]))
    await session.run()
