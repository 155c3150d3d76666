"""The realtime layer of one worker: its sessions (hub), its listener (fanout) and the
translation of changes into stream events (dispatch). Started and stopped by the app's lifespan."""

import asyncio
import contextlib
import time
from typing import Any

from omnicontacts import changes
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.realtime import session
from omnicontacts.realtime.dispatch import Dispatcher
from omnicontacts.realtime.fanout import Fanout, record_change
from omnicontacts.realtime.hub import Hub
from omnicontacts.restapi.routing import AppState
from omnicontacts.storage import Connection

_running: list["Realtime"] = []


def open_connections() -> int:
    """Open DDP WebSocket connections in this process (for the metrics endpoint)."""
    return sum(len(runtime.hub.sessions) for runtime in _running)


class Realtime:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.hub = Hub()
        self.dispatcher = Dispatcher(state, self.hub)
        self.fanout = Fanout(state.settings, state.storage, self._deliver)
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        changes.install_publisher(record_change)
        changes.add_local_listener(self.state.logins.on_change)
        await self.fanout.start()
        self._sweeper = asyncio.create_task(self._sweep())
        _running.append(self)

    async def stop(self) -> None:
        if self in _running:
            _running.remove(self)
        changes.remove_local_listener(self.state.logins.on_change)
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.fanout.stop()

    async def _deliver(self, payloads: list[dict[str, Any]]) -> None:
        """Every committed change, from any worker: first to the authentication cache (a revoked
        login stops being honoured here), then to the stream subscribers."""
        for payload in payloads:
            if "c" in payload:
                self.state.logins.on_change(payload["c"], payload.get("i") or {})
        await self.dispatcher.deliver(payloads)

    async def _sweep(self) -> None:
        """One timer for all sessions instead of one per connection."""
        while True:
            await asyncio.sleep(min(session.IDLE_SECONDS / 4, 1.0))
            now = time.monotonic()
            for each in list(self.hub.sessions):
                if isinstance(each, session.Session):
                    each.check_idle(now)

    async def broadcast(
        self, conn: Connection, stream: str, event: str, args: list[Any], *, origin: str | None
    ) -> None:
        """A client's own event (typing) to every listener on every worker but its sender."""
        await self.fanout.broadcast(conn, stream, event, args, origin)

    async def note_followed_room(self, conn: Connection, rid: str) -> None:
        """Remember who serves a room a client starts following, so that agent's status
        changes reach it as `agentStatus` (changes of agent come as their own event)."""
        if rid in self.hub.served_by:
            return
        room = await livechat_repository.find_room(conn, rid)
        self.hub.served_by[rid] = ((room or {}).get("servedBy") or {}).get("_id")
