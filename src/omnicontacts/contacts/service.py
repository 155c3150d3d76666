"""Contacts rules. Never imports HTTP code: the routes, the CLI and the UI all call these."""

from typing import Any

from omnicontacts.contacts import repository
from omnicontacts.restapi.errors import Failure
from omnicontacts.storage import Connection


async def contact_history(
    conn: Connection,
    contact_id: str,
    *,
    source: str | None,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> dict[str, Any]:
    """Closed conversations of an enabled contact, newest closed first unless sorted otherwise.

    `source` (a case-insensitive substring of the room's source type or alias) is open to every
    user: Rocket.Chat keeps it for its paid edition, we do not.
    """
    if not await repository.enabled_exists(conn, contact_id):
        raise Failure("error-contact-not-found")
    source = source if isinstance(source, str) and source else None
    history = await repository.history_page(conn, contact_id, source=source, sort=sort, offset=offset, count=count)
    total = await repository.history_total(conn, contact_id, source=source)
    return {"history": history, "count": len(history), "offset": offset, "total": total}
