"""Wiring into the app: the `/websocket` route and the lifespan hooks."""

from starlette.websockets import WebSocket

from omnicontacts.realtime import methods as _methods  # noqa: F401  (registers the built-in methods)
from omnicontacts.realtime.rest import router
from omnicontacts.realtime.runtime import Realtime, open_connections
from omnicontacts.realtime.session import Session
from omnicontacts.restapi.routing import AppState

__all__ = ["open_connections", "router", "start", "stop", "websocket_endpoint"]


async def start(state: AppState) -> Realtime:
    runtime = Realtime(state)
    await runtime.start()
    return runtime


async def stop(runtime: Realtime) -> None:
    await runtime.stop()


async def websocket_endpoint(ws: WebSocket) -> None:
    runtime: Realtime = ws.app.state.realtime
    await ws.accept()
    await Session(runtime, ws.app.state.omni, ws).run()
