"""Rocket.Chat's REST API rate limiter.

Every endpoint is limited per client address and route to `API_Enable_Rate_Limiter_Limit_Calls_Default`
calls per `API_Enable_Rate_Limiter_Limit_Time_Default` milliseconds (10 per 60 s), unless it
declares its own limit or opts out. The limiter is off when `API_Enable_Rate_Limiter` is false, in
development (`NODE_ENV=development`) unless `API_Enable_Rate_Limiter_Dev` is on, and entirely when
the server runs with `TEST_MODE` set, which is how Rocket.Chat's own end-to-end suites run. A user
with `api-bypass-rate-limit` (admin, bot and app by default) is never limited.

A counted request carries `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset`
(the end of the window, in milliseconds since the epoch); one over the limit gets 429
`{"success": false, "error": "Error, too many requests. ... [error-too-many-requests]"}`.

Counters: in the worker's memory on SQLite (one host, and per worker is good enough there); in one
unlogged PostgreSQL table otherwise, so every worker on every host counts against the same window.
"""

import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from omnicontacts.restapi.errors import ApiError
from omnicontacts.storage import Connection

DEFAULT_CALLS_SETTING = "API_Enable_Rate_Limiter_Limit_Calls_Default"
DEFAULT_TIME_SETTING = "API_Enable_Rate_Limiter_Limit_Time_Default"
BYPASS_PERMISSION = "api-bypass-rate-limit"


@dataclass(frozen=True)
class Limit:
    """`rateLimiterOptions` of one route: calls allowed per interval."""

    calls: int
    interval_ms: int


@dataclass(frozen=True)
class Decision:
    limit: int
    remaining: int
    reset_at_ms: int
    allowed: bool

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_at_ms).encode()),
        ]


class TooManyRequests(ApiError):
    status = 429

    def __init__(self, decision: Decision, now_ms: int) -> None:
        super().__init__()
        self.decision = decision
        self.seconds = math.ceil(max(0, decision.reset_at_ms - now_ms) / 1000)

    def body(self) -> dict[str, Any]:
        message = (
            "Error, too many requests. Please slow down. You must wait "
            f"{self.seconds} seconds before trying this endpoint again. [error-too-many-requests]"
        )
        return {"success": False, "error": message}


class CounterStore(Protocol):
    async def hit(self, conn: Connection, key: str, now_ms: int, limit: Limit) -> tuple[int, int]:
        """Count one call of `key`; answer (calls in the current window, window start in ms)."""
        ...


class MemoryCounters:
    """Fixed windows per key in this worker's memory."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}

    async def hit(self, conn: Connection, key: str, now_ms: int, limit: Limit) -> tuple[int, int]:
        interval_ms = limit.interval_ms
        start, hits = self._windows.get(key, (now_ms, 0))
        if now_ms - start >= interval_ms:
            start, hits = now_ms, 0
        hits += 1
        if len(self._windows) >= self.MAX_KEYS and key not in self._windows:
            self._forget_expired(now_ms, interval_ms)
        self._windows[key] = (start, hits)
        return hits, start

    def _forget_expired(self, now_ms: int, interval_ms: int) -> None:
        expired = [key for key, (start, _) in self._windows.items() if now_ms - start >= interval_ms]
        for key in expired or list(self._windows)[: self.MAX_KEYS // 2]:
            del self._windows[key]


# One statement, one round trip, on the request's own connection (outside any transaction): the
# window restarts when it is over, else the count goes up. Rows of one key serialize on its row
# lock, which is held only for this statement.
_HIT_SQL = """
INSERT INTO api_rate_limits (key, window_start, hits) VALUES ($1, $2, $4)
ON CONFLICT (key) DO UPDATE SET
    window_start = CASE WHEN api_rate_limits.window_start <= $2 - $3 THEN $2 ELSE api_rate_limits.window_start END,
    hits = CASE WHEN api_rate_limits.window_start <= $2 - $3 THEN $4 ELSE api_rate_limits.hits + $4 END
RETURNING hits, window_start
"""

_PURGE_SQL = "DELETE FROM api_rate_limits WHERE window_start < $1"


@dataclass
class _Seen:
    """What this worker last learnt of a shared window, and the calls it has counted since."""

    start: int
    hits: int
    pending: int
    synced_at: int


def _row_key(key: str) -> str:
    """The table's key for a counter: the SHA-256 of its name. A name holds what a client sent (a
    visitor token), which may be anything JSON or a URL can carry: a NUL or a lone surrogate that
    PostgreSQL's text refuses. The digest stores any name, in 64 characters."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class SharedCounters:
    """Windows in the `api_rate_limits` table, shared by every worker on every host.

    Each counted call is one statement, except where the answer cannot depend on it: once a window
    is known to be spent, further calls in it are refused without asking (counts only grow within
    a window); and with a limit of 100 or more, a call far below it (an eighth) is counted in the
    worker and added with the next statement, at most 250 ms later.
    """

    PURGE_EVERY_MS = 600_000
    SYNC_EVERY_MS = 250
    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._last_purge_ms = 0
        self._seen: dict[str, _Seen] = {}

    async def hit(self, conn: Connection, key: str, now_ms: int, limit: Limit) -> tuple[int, int]:
        seen = self._seen.get(key)
        if seen is not None and now_ms - seen.start >= limit.interval_ms:
            seen = None  # that window is over; its unsent calls no longer count
        if seen is not None:
            local = seen.hits + seen.pending + 1
            if seen.hits >= limit.calls:
                return local, seen.start
            if limit.calls >= 100 and local * 8 <= limit.calls and now_ms - seen.synced_at < self.SYNC_EVERY_MS:
                seen.pending += 1
                return local, seen.start
        add = 1 + (seen.pending if seen is not None else 0)
        row = await conn.fetchrow(_HIT_SQL, _row_key(key), now_ms, limit.interval_ms, add)
        assert row is not None
        hits, start = int(row["hits"]), int(row["window_start"])
        if len(self._seen) >= self.MAX_KEYS:
            self._seen.clear()
        self._seen[key] = _Seen(start=start, hits=hits, pending=0, synced_at=now_ms)
        if now_ms - self._last_purge_ms >= self.PURGE_EVERY_MS:
            # Keys of clients that went away; a day covers any sensible interval.
            self._last_purge_ms = now_ms
            await conn.execute(_PURGE_SQL, now_ms - 86_400_000)
        return hits, start


class RateLimiter:
    def __init__(self, counters: CounterStore, *, test_mode: bool, development: bool) -> None:
        self.counters = counters
        self.test_mode = test_mode
        self.development = development

    def limit_for(self, declared: Limit | None, settings: Mapping[str, Any]) -> Limit | None:
        """The limit that applies now, or None when requests go uncounted."""
        if self.test_mode or settings.get("API_Enable_Rate_Limiter") is not True:
            return None
        if self.development and settings.get("API_Enable_Rate_Limiter_Dev") is not True:
            return None
        if declared is not None:
            return declared
        calls, interval = settings.get(DEFAULT_CALLS_SETTING), settings.get(DEFAULT_TIME_SETTING)
        if isinstance(calls, bool) or isinstance(interval, bool):
            return None
        if not isinstance(calls, int) or not isinstance(interval, int) or calls <= 0 or interval <= 0:
            return None  # Rocket.Chat adds no rule when either default is unset or zero.
        return Limit(calls, interval)

    async def check(self, conn: Connection, route: str, client: str, limit: Limit) -> Decision:
        """Count this call; raise `TooManyRequests` when it is over the limit."""
        now_ms = int(time.time() * 1000)
        hits, start = await self.counters.hit(conn, f"{client} {route}", now_ms, limit)
        decision = Decision(
            limit=limit.calls,
            remaining=max(0, limit.calls - hits),
            reset_at_ms=start + limit.interval_ms,
            allowed=hits <= limit.calls,
        )
        if not decision.allowed:
            raise TooManyRequests(decision, now_ms)
        return decision
