"""This worker's open DDP sessions and who listens to which stream event.

An event is serialized once and queued on every listening session; each session's writer task
sends its queue in order. Nothing here touches the database.
"""

import asyncio
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from omnicontacts.realtime import ejson

# A session whose client reads slower than events arrive is cut off rather than allowed to
# hold an unbounded queue in memory (Rocket.Chat closes such a socket too).
MAX_QUEUED = 5000
# Rooms remembered as just unfollowed, at most (a bound on memory, not a rule).
MAX_UNFOLLOWED = 10_000


@dataclass(eq=False)
class Subscription:
    id: str
    session: "Outbox"
    stream: str
    event: str


class Outbox:
    """The sending half of a session: a FIFO of frames, written by a task that exists only while
    there is something to write (an idle connection costs no task)."""

    def __init__(self, session_id: str) -> None:
        self.id = session_id
        self.queue: deque[str] = deque()
        self.overflowed = False
        self._flusher: asyncio.Task[None] | None = None

    def send(self, frame: str) -> None:
        if self.overflowed:
            return
        if len(self.queue) >= MAX_QUEUED:
            self.overflowed = True
        self.queue.append(frame)
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            while self.queue:
                await self.transmit(self.queue.popleft())
            if self.overflowed:
                await self.abort()
        except Exception:
            # The connection is gone; its reader ends the session.
            self.queue.clear()
        finally:
            self._flusher = None

    @property
    def user_id(self) -> str | None:
        return None

    async def transmit(self, frame: str) -> None:
        raise NotImplementedError

    async def abort(self) -> None:
        """Cut off a client that does not read fast enough."""

    def stop_flushing(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()


def changed_frame(stream: str, event: str, args: list[Any]) -> str:
    """A stream event as Rocket.Chat's streamer sends it."""
    return ejson.dumps(
        {"msg": "changed", "collection": stream, "id": "id", "fields": {"eventName": event, "args": args}}
    )


class Hub:
    def __init__(self) -> None:
        self.sessions: set[Outbox] = set()
        # stream -> event -> listeners: "who listens to X" and "which events of stream S have
        # listeners" are both dict lookups, whatever the number of connections.
        self._listeners: dict[str, dict[str, set[Subscription]]] = {}
        # rid -> the agent id serving it, for rooms a client follows on stream-livechat-room:
        # which followed rooms hear `agentStatus` when a user's status changes.
        self.served_by: dict[str, str | None] = {}
        self.agent_status: dict[str, str | None] = {}
        # rid -> when its last follower on stream-livechat-room left (monotonic seconds): a
        # change of agent in the moments after may be one that follower is about to miss.
        self.unfollowed: dict[str, float] = {}

    def add(self, subscription: Subscription) -> None:
        events = self._listeners.setdefault(subscription.stream, {})
        events.setdefault(subscription.event, set()).add(subscription)

    def remove(self, subscription: Subscription) -> None:
        events = self._listeners.get(subscription.stream)
        listeners = events.get(subscription.event) if events else None
        if events is None or listeners is None:
            return
        listeners.discard(subscription)
        if not listeners:
            del events[subscription.event]
            if subscription.stream == "stream-livechat-room":
                self.served_by.pop(subscription.event, None)
                if len(self.unfollowed) >= MAX_UNFOLLOWED:
                    self.unfollowed.clear()
                self.unfollowed[subscription.event] = time.monotonic()

    def _get(self, stream: str, event: str) -> set[Subscription] | None:
        events = self._listeners.get(stream)
        return events.get(event) if events else None

    def has(self, stream: str, event: str) -> bool:
        return bool(self._get(stream, event))

    def listening(self, stream: str) -> Iterable[str]:
        """The events of `stream` somebody here listens to."""
        return self._listeners.get(stream, {}).keys()

    def emit(self, stream: str, event: str, args: list[Any], *, origin: str | None = None) -> int:
        """Queue the event on every listener but the session it came from; answers how many."""
        listeners = self._get(stream, event)
        if not listeners:
            return 0
        frame = changed_frame(stream, event, args)
        sent = 0
        for subscription in listeners:
            if subscription.session.id != origin:
                subscription.session.send(frame)
                sent += 1
        return sent

    def emit_to_users(self, stream: str, event: str, args: list[Any], users: set[str], *, listening_on: str) -> None:
        """Queue the event, named `event`, on the `listening_on` listeners who are one of `users`
        (`__my_messages__`: a user's messages of every room they are in, each under its rid)."""
        listeners = self._get(stream, listening_on)
        if not listeners:
            return
        frame = changed_frame(stream, event, args)
        for subscription in listeners:
            if subscription.session.user_id in users:
                subscription.session.send(frame)
