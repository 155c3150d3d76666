"""One DDP session over one WebSocket: Rocket.Chat's subset of Meteor's protocol.

`connect` -> `connected`; `ping`/`pong` both ways (the server pings after `IDLE_SECONDS` of
silence and closes with 4000 when the next `IDLE_SECONDS` stay silent too); `method` ->
`result` + `updated`; `sub` -> `ready` or `nosub` with an error; `unsub` -> `nosub`. A first
message other than `connect`, or a method/sub without its id, closes with 1002 (protocol error);
a frame that is not JSON text closes with 1007. Messages of one session are handled in order.
"""

import asyncio
import contextlib
import copy
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson
from starlette.websockets import WebSocket, WebSocketState

from omnicontacts import ids, jsonutil
from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.realtime import ejson, registry, streams
from omnicontacts.realtime.errors import INTERNAL, DdpError, as_ddp_error, subscription_not_found
from omnicontacts.realtime.hub import Outbox, Subscription
from omnicontacts.restapi.routing import AppState, AuthUser
from omnicontacts.storage import Connection
from omnicontacts.storage.retry import run_retrying

if TYPE_CHECKING:
    from omnicontacts.realtime.runtime import Realtime

log = logging.getLogger("omnicontacts.realtime")

# Rocket.Chat's streamer pings after 30 s of silence and gives up 30 s later.
IDLE_SECONDS = 30.0
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED_DATA = 1007
CLOSE_SLOW_CONSUMER = 1013
CLOSE_TIMEOUT = 4000
# A DDP frame larger than this is not something a chat client sends.
MAX_FRAME = 256 * 1024
SERVER_ID = '{"msg":"server_id","server_id":"0"}'


class ProtocolError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Session(Outbox):
    def __init__(self, runtime: "Realtime", state: AppState, ws: WebSocket) -> None:
        super().__init__(ids.meteor_id())
        self.runtime = runtime
        self.state = state
        self.ws = ws
        self.user: AuthUser | None = None
        self.login_token_hash: str | None = None
        self.visitor_token: str | None = None
        self.subscriptions: dict[str, Subscription] = {}
        self.connected = False
        self.last_seen = time.monotonic()
        self.pinged = False

    # --- the loop --------------------------------------------------------------------------------

    async def run(self) -> None:
        hub = self.runtime.hub
        hub.sessions.add(self)
        self.send(SERVER_ID)
        code = 1000
        try:
            code = await self._read()
        finally:
            for subscription in self.subscriptions.values():
                hub.remove(subscription)
            self.subscriptions.clear()
            hub.sessions.discard(self)
            self.stop_flushing()
            if self.ws.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await self.ws.close(code)

    async def _read(self) -> int:
        while True:
            message = await self.ws.receive()
            self.last_seen = time.monotonic()
            self.pinged = False
            if message["type"] == "websocket.disconnect":
                return 1000
            if self.overflowed:
                return CLOSE_SLOW_CONSUMER
            text = message.get("text")
            try:
                if text is None or len(text) > MAX_FRAME:
                    raise ProtocolError(CLOSE_UNSUPPORTED_DATA)
                await self._handle(_parse(text))
            except ProtocolError as error:
                return error.code

    def _visitor_args(self) -> list[Any]:
        """A widget that named its token with livechat:setUpConnection may leave it out of a sub."""
        return [{"token": self.visitor_token}] if self.visitor_token else []

    def check_idle(self, now: float) -> None:
        """Called periodically by the runtime: ping a silent client, then drop it."""
        silent = now - self.last_seen
        if self.pinged and silent >= 2 * IDLE_SECONDS:
            self.pinged = False
            asyncio.get_running_loop().create_task(self._close(CLOSE_TIMEOUT))
        elif not self.pinged and silent >= IDLE_SECONDS:
            self.pinged = True
            self.send('{"msg":"ping"}')

    async def _close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code)

    def sign_in(self, user: AuthUser, login_token_hash: str) -> None:
        """Act as this user from now on; the token is checked again on every call."""
        self.user = user
        self.login_token_hash = login_token_hash

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user else None

    async def transmit(self, frame: str) -> None:
        await self.ws.send_text(frame)

    async def _refresh_user(self, conn: Connection) -> None:
        """Check the login token on every call, as the REST layer does on every request: a
        logout elsewhere ends the login here, and role changes apply at once."""
        if self.login_token_hash is None:
            return
        row = await accounts_repository.find_user_by_hashed_token(conn, self.login_token_hash)
        if row is None:
            self.user = None
            self.login_token_hash = None
        else:
            self.user = AuthUser(row["id"], row["username"], tuple(jsonutil.loads(row["roles"])))

    async def abort(self) -> None:
        await self._close(CLOSE_SLOW_CONSUMER)

    # --- messages --------------------------------------------------------------------------------

    async def _handle(self, packet: dict[str, Any]) -> None:
        kind = packet.get("msg")
        if not self.connected:
            if kind != "connect":
                raise ProtocolError(CLOSE_PROTOCOL_ERROR)
            self.connected = True
            self.send(ejson.dumps({"msg": "connected", "session": self.id}))
            return
        if kind == "ping":
            self.send(ejson.dumps({"msg": "pong", "id": packet["id"]}) if packet.get("id") else '{"msg":"pong"}')
        elif kind == "pong" or kind == "connect":
            return
        elif kind == "method":
            if not packet.get("method") or not packet.get("id"):
                raise ProtocolError(CLOSE_PROTOCOL_ERROR)
            await self._method(packet)
        elif kind == "sub":
            if not packet.get("name") or not packet.get("id"):
                raise ProtocolError(CLOSE_PROTOCOL_ERROR)
            await self._subscribe(packet)
        elif kind == "unsub":
            if not packet.get("id"):
                raise ProtocolError(CLOSE_PROTOCOL_ERROR)
            self._unsubscribe(str(packet["id"]))
        else:
            self.send(ejson.dumps({"msg": "error", "reason": "Bad request", "offendingMessage": packet}))

    async def _method(self, packet: dict[str, Any]) -> None:
        call_id = packet["id"]
        params = packet.get("params")
        params = ejson.from_ejson(params) if isinstance(params, list) else []
        reply: dict[str, Any] = {"msg": "result", "id": call_id}
        try:
            async with self.state.storage.connection() as conn:
                await self.state.config.ensure_fresh(conn)
                await self._refresh_user(conn)
                caller = registry.Caller(conn, self.state, self.user, self, realtime=self.runtime)
                name = str(packet["method"])
                # Each run gets the params as sent: a method may change what it was given.
                result = await run_retrying(
                    conn, lambda _: registry.call(name, caller, copy.deepcopy(params)), f"method {name}"
                )
            if result is not None:
                reply["result"] = ejson.to_ejson(result)
        except Exception as error:
            reply["error"] = _error_json(error, f"method {packet['method']}")
        self.send(ejson.dumps(reply))
        self.send(ejson.dumps({"msg": "updated", "methods": [call_id]}))

    async def _subscribe(self, packet: dict[str, Any]) -> None:
        sub_id = str(packet["id"])
        name = str(packet["name"])
        params = packet.get("params")
        params = params if isinstance(params, list) else []
        try:
            if name not in streams.STREAMS:
                raise subscription_not_found(name)
            event = params[0] if params else None
            if not isinstance(event, str) or not event or len(event) > streams.MAX_EVENT_NAME:
                raise DdpError("invalid-event-name")
            options = params[1] if len(params) > 1 else None
            args = options.get("args") if isinstance(options, dict) else None
            async with self.state.storage.connection() as conn:
                await self.state.config.ensure_fresh(conn)
                await self._refresh_user(conn)
                caller = registry.Caller(conn, self.state, self.user, self, realtime=self.runtime)
                args = args if isinstance(args, list) and args else self._visitor_args()
                if not await streams.may_read(caller, name, event, args):
                    raise DdpError("not-allowed")
                if name == streams.LIVECHAT_ROOM:
                    await self.runtime.note_followed_room(conn, event)
        except Exception as error:
            self.send(ejson.dumps({"msg": "nosub", "id": sub_id, "error": _error_json(error, f"sub {name}")}))
            return
        if sub_id in self.subscriptions:
            self.runtime.hub.remove(self.subscriptions.pop(sub_id))
        subscription = Subscription(sub_id, self, name, event)
        self.subscriptions[sub_id] = subscription
        self.runtime.hub.add(subscription)
        self.send(ejson.dumps({"msg": "ready", "subs": [sub_id]}))
        if name == streams.LIVECHAT_ROOM:
            await self.runtime.dispatcher.tell_unheard_agent(self, event)

    def _unsubscribe(self, sub_id: str) -> None:
        subscription = self.subscriptions.pop(sub_id, None)
        if subscription is None:
            return
        self.runtime.hub.remove(subscription)
        self.send(ejson.dumps({"msg": "nosub", "id": sub_id}))


def _parse(text: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
        # SockJS-style framing: a JSON array holding the message text.
        if isinstance(value, list) and value and isinstance(value[0], str):
            value = orjson.loads(value[0])
    except orjson.JSONDecodeError as error:
        raise ProtocolError(CLOSE_UNSUPPORTED_DATA) from error
    if not isinstance(value, dict):
        raise ProtocolError(CLOSE_UNSUPPORTED_DATA)
    return value


def _error_json(error: Exception, what: str) -> dict[str, Any]:
    mapped = as_ddp_error(error)
    if mapped is None:
        log.exception("realtime: unexpected error in %s", what, exc_info=error)
        mapped = INTERNAL
    return mapped.to_json()
