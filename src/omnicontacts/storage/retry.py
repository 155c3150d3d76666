"""The one rule for running a unit of work again after a transient database failure.

A deadlock or a serialization failure (PostgreSQL), or a file another process kept locked past
the busy timeout (SQLite), rolls the transaction back with nothing written: the same work, run
again a little later, most likely goes through, so the client never sees the failure. Work that
already committed something is never run again (it would do that part twice).
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from omnicontacts.storage import Connection, is_transient

T = TypeVar("T")

log = logging.getLogger("omnicontacts.storage")

# Runs in all, the first included. The pauses between them are random (two requests that
# collided should not collide again at the same instant) and grow: up to 20, 40, 80, 160 ms.
MAX_ATTEMPTS = 5


def pause_seconds(attempt: int) -> float:
    """How long to wait after failed run number `attempt` (1-based)."""
    return random.uniform(0, 0.01 * 2**attempt)


async def run_retrying(conn: Connection, work: Callable[[int], Awaitable[T]], what: str) -> T:
    """`work(attempt)` until it succeeds, fails for good, or has run MAX_ATTEMPTS times."""
    attempt = 1
    while True:
        commits = conn.commits
        try:
            return await work(attempt)
        except Exception as error:
            if attempt >= MAX_ATTEMPTS or conn.commits != commits or not is_transient(error):
                raise
            log.info("retrying %s after a transient database error (attempt %d): %s", what, attempt, error)
        await asyncio.sleep(pause_seconds(attempt))
        attempt += 1
