"""Who a login token belongs to, remembered by each worker for at most `LIFETIME` seconds.

Without it every authenticated request pays one database round trip before its own statements.
An entry is dropped as soon as this worker learns that it may be wrong:

- at once, when this worker itself announces the change (logout, a user changed or deleted,
  roles, permissions or settings changed): `changes.publish` calls `on_change` synchronously;
- when any worker's change is delivered by the realtime fan-out (PostgreSQL `LISTEN`, within
  milliseconds of the commit; SQLite's events table, within its poll interval);
- in any case after `LIFETIME` seconds, even when the fan-out's listener is disconnected.

So a token revoked anywhere is refused everywhere within `LIFETIME` seconds at the latest.
Token expiry is checked on every hit (the entry keeps the token's issue time). An entry read
while a change was being announced is not stored (`generation`), so it cannot outlive it.
"""

import time
from collections.abc import Mapping
from typing import Generic, TypeVar

# The longest a revoked token, a removed permission or a deactivated user can still be honoured
# by a worker that has not heard of the change (docs/architecture.md, "Authentication").
LIFETIME = 1.0
# A worker serving more distinct tokens than this in one second starts over (memory bound).
MAX_ENTRIES = 10_000

# Changes after which a user's entries (`_id` or `u` names the user) or every entry are dropped.
USER_TOPICS = frozenset({"user", "login"})
ALL_TOPICS = frozenset({"config"})

T = TypeVar("T")


class AuthCache(Generic[T]):
    def __init__(self, lifetime: float = LIFETIME) -> None:
        self.lifetime = lifetime
        self.generation = 0
        # (user id, hashed token) → (monotonic deadline, the user, the token's issue time)
        self._entries: dict[tuple[str, str], tuple[float, T, str]] = {}

    def get(self, user_id: str, hashed_token: str) -> tuple[T, str] | None:
        """The user and the token's issue time, if known and still fresh."""
        key = (user_id, hashed_token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() >= entry[0]:
            del self._entries[key]
            return None
        return entry[1], entry[2]

    def put(self, user_id: str, hashed_token: str, user: T, created_at: str, generation: int) -> None:
        """Remember a row read when `generation` was current; nothing if a change came meanwhile."""
        if generation != self.generation or self.lifetime <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[(user_id, hashed_token)] = (time.monotonic() + self.lifetime, user, created_at)

    def forget_user(self, user_id: str) -> None:
        self.generation += 1
        for key in [key for key in self._entries if key[0] == user_id]:
            del self._entries[key]

    def forget_all(self) -> None:
        self.generation += 1
        self._entries.clear()

    def on_change(self, topic: str, ids: Mapping[str, str]) -> None:
        """A change announced by this worker or delivered from any worker."""
        if topic in ALL_TOPICS:
            self.forget_all()
        elif topic in USER_TOPICS:
            user_id = ids.get("_id") or ids.get("u")
            if user_id:
                self.forget_user(user_id)
            else:
                self.forget_all()

    def __len__(self) -> int:
        return len(self._entries)
