"""What changed, told to whoever listens (the realtime layer), and only once it is committed.

A domain calls `publish` inside the transaction that makes the change, with the ids a listener
needs to read the rows back. The publisher the realtime layer installs at start-up records the
change in that same transaction (PostgreSQL `pg_notify`, or an events row on SQLite), so a change
that rolls back is never announced. Without a realtime layer nothing is recorded.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence

from omnicontacts.storage import Connection

# The kinds of change a listener can follow, with the ids each carries:
#   "message": rid, _id (stored, edited or deleted)   "room": rid (taken, transferred, closed, changed)
#   "inquiry": _id, rid (queued, taken, returned)     "subscription": rid, u (the user's id)
#   "visitor": token                                  "import": _id (progress of a bulk import)
#   "user": _id (a user's document changed: status, roles, active, or the user was deleted)
#   "agent": rid, agent (the room's serving agent changed; "" when it went back to the queue)
#   "login": _id (a login token of that user was revoked)   "config": (permissions or settings)
# A publisher records changes of one topic, one per ids mapping, in one statement.
Publisher = Callable[[Connection, str, Sequence[Mapping[str, str]]], Awaitable[None]]


async def _nobody_listens(conn: Connection, topic: str, ids: Sequence[Mapping[str, str]]) -> None:
    return None


_publisher: Publisher = _nobody_listens
# Told synchronously of every change this process announces, before it commits (the worker's
# authentication cache drops what the change may make wrong; accounts/auth_cache.py).
LocalListener = Callable[[str, Mapping[str, str]], None]
_local_listeners: list[LocalListener] = []


def install_publisher(publisher: Publisher | None) -> None:
    """Set by the realtime layer at start-up; None goes back to announcing nothing."""
    global _publisher
    _publisher = publisher or _nobody_listens


def add_local_listener(listener: LocalListener) -> None:
    _local_listeners.append(listener)


def remove_local_listener(listener: LocalListener) -> None:
    if listener in _local_listeners:
        _local_listeners.remove(listener)


async def publish(conn: Connection, topic: str, **ids: str) -> None:
    """Announce a change made in the transaction open on `conn`; it is delivered after commit."""
    for listener in _local_listeners:
        listener(topic, ids)
    await _publisher(conn, topic, [ids])


async def publish_many(conn: Connection, topic: str, each: Sequence[Mapping[str, str]]) -> None:
    """Announce several changes of one topic (a renamed contact's rooms) in one round trip."""
    if not each:
        return
    for ids in each:
        for listener in _local_listeners:
            listener(topic, ids)
    await _publisher(conn, topic, each)
