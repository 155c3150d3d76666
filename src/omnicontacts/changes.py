"""What changed, told to whoever listens (the realtime layer), and only once it is committed.

A domain calls `publish` inside the transaction that makes the change, with the ids a listener
needs to read the rows back. The publisher the realtime layer installs at start-up records the
change in that same transaction (PostgreSQL `pg_notify`, or an events row on SQLite), so a change
that rolls back is never announced. Without a realtime layer nothing is recorded.
"""

from collections.abc import Awaitable, Callable, Mapping

from omnicontacts.storage import Connection

# The kinds of change a listener can follow, with the ids each carries:
#   "message": rid, _id (stored, edited or deleted)   "room": rid (taken, transferred, closed, changed)
#   "inquiry": _id, rid (queued, taken, returned)     "subscription": rid, u (the user's id)
#   "visitor": token                                  "import": _id (progress of a bulk import)
#   "user": _id (a user's document changed: status, roles)
#   "agent": rid, agent (the room's serving agent changed; "" when it went back to the queue)
Publisher = Callable[[Connection, str, Mapping[str, str]], Awaitable[None]]


async def _nobody_listens(conn: Connection, topic: str, ids: Mapping[str, str]) -> None:
    return None


_publisher: Publisher = _nobody_listens


def install_publisher(publisher: Publisher | None) -> None:
    """Set by the realtime layer at start-up; None goes back to announcing nothing."""
    global _publisher
    _publisher = publisher or _nobody_listens


async def publish(conn: Connection, topic: str, **ids: str) -> None:
    """Announce a change made in the transaction open on `conn`; it is delivered after commit."""
    await _publisher(conn, topic, ids)
