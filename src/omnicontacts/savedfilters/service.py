"""Saved filters: a user's named sets of contact-list filters (search text, filters, sort), kept
on the server so they follow the user from browser to browser. No HTTP imports.

A filter set is a small mapping of the contact list's URL parameters to their values; the page
decides which parameters exist, this module only bounds what is stored.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from omnicontacts import jsonutil
from omnicontacts.savedfilters import repository
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso

MAX_NAME = 60
MAX_PER_USER = 50
MAX_PARAMETERS = 16
MAX_KEY = 32
MAX_VALUE = 256


class Rejected(Exception):
    """A save the limits refuse; `reason` is one of "name_missing", "name_too_long", "too_many",
    "too_big"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SavedFilter:
    name: str
    query: dict[str, str]
    created_at: str


def clean_name(name: str) -> str:
    """The name as stored: surrounding spaces dropped, inner runs of blanks made one space."""
    return " ".join(name.split())


def _parameters(query: Mapping[str, str]) -> dict[str, str]:
    kept = {key: value for key, value in query.items() if value}
    if len(kept) > MAX_PARAMETERS or any(len(k) > MAX_KEY or len(v) > MAX_VALUE for k, v in kept.items()):
        raise Rejected("too_big")
    return dict(sorted(kept.items()))


async def list_filters(conn: Connection, user_id: str) -> list[SavedFilter]:
    found = []
    for row in await repository.list_for_user(conn, user_id, MAX_PER_USER):
        stored = jsonutil.loads(row["query"])
        query = {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}
        found.append(SavedFilter(name=row["name"], query=query, created_at=row["created_at"]))
    return found


async def save(conn: Connection, user_id: str, name: str, query: Mapping[str, str]) -> str:
    """Store `query` under `name` for the user, replacing a filter of the same name; answers the
    name as stored. A new name beyond MAX_PER_USER is refused."""
    name = clean_name(name)
    if not name:
        raise Rejected("name_missing")
    if len(name) > MAX_NAME:
        raise Rejected("name_too_long")
    parameters = _parameters(query)
    async with conn.transaction():
        await repository.lock_user(conn, user_id)
        replacing = await repository.exists(conn, user_id, name)
        if not replacing and await repository.count_for_user(conn, user_id) >= MAX_PER_USER:
            raise Rejected("too_many")
        await repository.upsert(conn, user_id, name, jsonutil.dumps_str(parameters), now_iso())
    return name


async def delete(conn: Connection, user_id: str, name: str) -> bool:
    async with conn.transaction():
        return await repository.delete(conn, user_id, name) > 0
