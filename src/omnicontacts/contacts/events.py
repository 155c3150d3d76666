"""The contact's audit trail: who merged, blocked, unblocked, verified or erased it, and when.

Rocket.Chat keeps no such history; `omnichannel/contacts.events` serves it. Events are written in
the same transaction as the change they describe, so the trail never claims what did not happen.
"""

from typing import Any, Literal

from omnicontacts import ids, jsonutil
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_after

EventKind = Literal["created", "merged", "blocked", "unblocked", "verified", "erased", "conflicts-resolved"]


def actor_user(user_id: str, username: str) -> dict[str, Any]:
    return {"type": "user", "_id": user_id, "username": username}


def actor_visitor(visitor_id: str) -> dict[str, Any]:
    return {"type": "visitor", "_id": visitor_id}


SYSTEM_ACTOR: dict[str, Any] = {"type": "system"}


async def record_contact_event(
    conn: Connection,
    contact_id: str,
    kind: EventKind,
    *,
    actor: dict[str, Any],
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one event (inside the caller's transaction) and answer its document. Events of one
    contact never share a time, so the log reads back in the order things happened."""
    newest = await conn.fetchval(
        "SELECT ts FROM contact_events WHERE contact_id = $1 ORDER BY ts DESC LIMIT 1", contact_id
    )
    event = {
        "_id": ids.meteor_id(),
        "contactId": contact_id,
        "type": kind,
        "ts": now_after(newest),
        "actor": actor,
        "changes": changes or {},
    }
    await conn.execute(
        "INSERT INTO contact_events (id, contact_id, ts, doc) VALUES ($1, $2, $3, $4)",
        event["_id"],
        contact_id,
        event["ts"],
        jsonutil.dumps_str(event),
    )
    return event
