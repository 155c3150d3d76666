"""From a committed change to stream events: read the rows the change names, and emit what
Rocket.Chat's clients expect on each stream. Rows are read only when someone here listens."""

import time
from typing import Any

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.realtime import streams
from omnicontacts.realtime.ejson import to_ejson
from omnicontacts.realtime.hub import Hub, Outbox, changed_frame
from omnicontacts.restapi.routing import AppState
from omnicontacts.storage import Connection

# A change of agent announced while a room's followers here had just left it (Rocket.Chat's
# widget drops and renews all its subscriptions when its socket reconnects) is kept this long
# for the next client to follow the room, which would otherwise never hear of it.
UNHEARD_AGENT_SECONDS = 10.0
UNHEARD_AGENT_MAX = 10_000

AGENT_FIELDS = ("_id", "username", "name", "status", "phone", "customFields", "livechat")


def agent_data(user: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """What the widget learns of the agent serving it (Rocket.Chat's getAgentInfo projection;
    emails only with `Livechat_show_agent_email`)."""
    data = {key: user[key] for key in AGENT_FIELDS if key in user}
    if settings.get("Livechat_show_agent_email", True) and user.get("emails"):
        data["emails"] = user["emails"]
    return data


class Dispatcher:
    def __init__(self, state: AppState, hub: Hub) -> None:
        self.state = state
        self.hub = hub
        self._unheard_agent: dict[str, tuple[str | None, float]] = {}

    async def deliver(self, payloads: list[dict[str, Any]]) -> None:
        """Events in commit order. The messages of a burst are read in one query first: one
        round trip per message would cap a worker at a few hundred messages a second."""
        wanted = [
            payload["i"]["_id"]
            for payload in payloads
            if payload.get("c") == "message" and self._wants_message(payload["i"].get("rid", ""))
        ]
        messages: dict[str, dict[str, Any]] = {}
        if wanted:
            async with self.state.storage.connection() as conn:
                messages = await livechat_repository.find_messages(conn, list(dict.fromkeys(wanted)))
        for payload in payloads:
            if "s" in payload:
                self.hub.emit(payload["s"], payload["e"], payload["a"], origin=payload.get("o"))
            elif payload.get("c") == "message":
                await self._on_message(payload.get("i") or {}, messages)
            else:
                handler = getattr(self, f"_on_{payload.get('c')}", None)
                if handler is not None:
                    await handler(payload.get("i") or {})

    def _wants_message(self, rid: str) -> bool:
        return (
            self.hub.has(streams.ROOM_MESSAGES, rid)
            or self.hub.has(streams.ROOM_MESSAGES, streams.MY_MESSAGES)
            or self.hub.has(streams.NOTIFY_ROOM, f"{rid}/deleteMessage")
        )

    async def _on_message(self, ids: dict[str, str], messages: dict[str, dict[str, Any]]) -> None:
        rid, message_id = ids.get("rid", ""), ids.get("_id", "")
        if not self._wants_message(rid):
            return
        message = messages.get(message_id)
        if message is None:
            self.hub.emit(streams.NOTIFY_ROOM, f"{rid}/deleteMessage", [{"_id": message_id}])
            return
        if message.get("rid") != rid:
            return
        wire = [to_ejson(message)]
        self.hub.emit(streams.ROOM_MESSAGES, rid, wire)
        if self.hub.has(streams.ROOM_MESSAGES, streams.MY_MESSAGES):
            async with self.state.storage.connection() as conn:
                members = await self._members(conn, rid)
            self.hub.emit_to_users(streams.ROOM_MESSAGES, rid, wire, members, listening_on=streams.MY_MESSAGES)

    @staticmethod
    async def _members(conn: Connection, rid: str) -> set[str]:
        """Users subscribed to the room, and its agent."""
        users = {
            (member.get("u") or {}).get("_id") or ""
            for member in await livechat_repository.room_subscriptions(conn, rid)
        }
        room = await livechat_repository.find_room(conn, rid)
        served = ((room or {}).get("servedBy") or {}).get("_id")
        if served:
            users.add(served)
        users.discard("")
        return users

    async def _on_room(self, ids: dict[str, str]) -> None:
        rid = ids.get("rid", "")
        listened = self.hub.listening(streams.NOTIFY_USER)
        user_events = {event for event in listened if event.endswith("/rooms-changed")} if listened else set()
        if not user_events:
            return
        async with self.state.storage.connection() as conn:
            room = await livechat_repository.find_room(conn, rid)
            if room is None:
                return
            members = await livechat_repository.room_subscriptions(conn, rid)
        served = (room.get("servedBy") or {}).get("_id")
        users = {(member.get("u") or {}).get("_id") for member in members}
        if served:
            users.add(served)
        wire = to_ejson(room)
        for user_id in users:
            event = f"{user_id}/rooms-changed"
            if event in user_events:
                self.hub.emit(streams.NOTIFY_USER, event, ["updated", wire])

    async def _on_agent(self, ids: dict[str, str]) -> None:
        """A room got an agent (or went back to the queue: `data: null`). Every change is told,
        whatever this worker remembered of the room."""
        rid, agent_id = ids.get("rid", ""), ids.get("agent") or None
        if not self.hub.has(streams.LIVECHAT_ROOM, rid):
            self._keep_unheard(rid, agent_id)
            return
        self.hub.served_by[rid] = agent_id
        frame = await self._agent_frame(rid, agent_id)
        # The room's followers may have left while the agent was read.
        if frame is not None and not self.hub.emit(streams.LIVECHAT_ROOM, rid, frame):
            self._keep_unheard(rid, agent_id)

    async def _agent_frame(self, rid: str, agent_id: str | None) -> list[Any] | None:
        """The `agentData` event's args: the agent's public fields, or null for the queue."""
        data = None
        if agent_id is not None:
            async with self.state.storage.connection() as conn:
                agent = await accounts_repository.find_user_doc(conn, agent_id)
            if agent is None:
                return None
            data = to_ejson(agent_data(agent, self.state.config.settings))
            self.hub.agent_status[agent_id] = agent.get("status")
        return [{"type": "agentData", "data": data}]

    def _keep_unheard(self, rid: str, agent_id: str | None) -> None:
        """Kept only for a room whose followers here have just left it."""
        now = time.monotonic()
        left = self.hub.unfollowed.get(rid)
        if left is None or now - left > UNHEARD_AGENT_SECONDS:
            return
        if len(self._unheard_agent) >= UNHEARD_AGENT_MAX:
            cutoff = now - UNHEARD_AGENT_SECONDS
            self._unheard_agent = {key: kept for key, kept in self._unheard_agent.items() if kept[1] > cutoff}
            if len(self._unheard_agent) >= UNHEARD_AGENT_MAX:
                return
        self._unheard_agent[rid] = (agent_id, now)

    async def tell_unheard_agent(self, subscriber: Outbox, rid: str) -> None:
        """A client that has just started following `rid` gets a change of agent that was
        announced here moments before, while nobody followed the room."""
        self.hub.unfollowed.pop(rid, None)
        kept = self._unheard_agent.pop(rid, None)
        if kept is None or time.monotonic() - kept[1] > UNHEARD_AGENT_SECONDS:
            return
        frame = await self._agent_frame(rid, kept[0])
        if frame is not None:
            subscriber.send(changed_frame(streams.LIVECHAT_ROOM, rid, frame))

    async def _on_inquiry(self, ids: dict[str, str]) -> None:
        inquiry_id, rid = ids.get("_id", ""), ids.get("rid", "")
        queue = self.hub.has(streams.INQUIRY_QUEUE, "public")
        room = self.hub.has(streams.LIVECHAT_ROOM, rid)
        if not queue and not room:
            return
        async with self.state.storage.connection() as conn:
            inquiry = await livechat_repository.find_inquiry(conn, inquiry_id) if inquiry_id else None
            if inquiry is None and rid:
                inquiry = await livechat_repository.find_inquiry_by_room(conn, rid)
        if inquiry is None:
            self.hub.emit(streams.INQUIRY_QUEUE, "public", [{"_id": inquiry_id, "rid": rid, "type": "removed"}])
            return
        wire = to_ejson(inquiry)
        if queue:
            self.hub.emit(streams.INQUIRY_QUEUE, "public", [{**wire, "type": "changed"}])
        if room and inquiry.get("status") == "queued":
            self.hub.emit(streams.LIVECHAT_ROOM, rid, [{"type": "queueData", "data": wire}])

    async def _on_subscription(self, ids: dict[str, str]) -> None:
        rid, user_id = ids.get("rid", ""), ids.get("u", "")
        event = f"{user_id}/subscriptions-changed"
        if not self.hub.has(streams.NOTIFY_USER, event):
            return
        async with self.state.storage.connection() as conn:
            subscription = await livechat_repository.find_subscription(conn, rid, user_id)
        if subscription is None:
            self.hub.emit(streams.NOTIFY_USER, event, ["removed", {"rid": rid, "u": {"_id": user_id}}])
        else:
            self.hub.emit(streams.NOTIFY_USER, event, ["updated", to_ejson(subscription)])

    async def _on_user(self, ids: dict[str, str]) -> None:
        """An agent's status: rooms they serve that somebody here follows hear `agentStatus`."""
        user_id = ids.get("_id", "")
        rooms = [rid for rid, served in self.hub.served_by.items() if served == user_id]
        if not rooms:
            return
        async with self.state.storage.connection() as conn:
            user = await accounts_repository.find_user_doc(conn, user_id)
        status = (user or {}).get("status", "offline")
        if self.hub.agent_status.get(user_id) == status:
            return
        self.hub.agent_status[user_id] = status
        for rid in rooms:
            self.hub.emit(streams.LIVECHAT_ROOM, rid, [{"type": "agentStatus", "status": status}])
