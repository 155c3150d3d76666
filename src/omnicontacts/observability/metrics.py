"""Prometheus metrics, shared by every worker process.

Each request appends one tuple (endpoint, method, status, seconds) to a per-process list: no
lock, no shared memory write, no Python call. Once a second, and before every scrape, the list
is summed into counts, sums and histogram buckets and handed to prometheus-client, so every
request is counted exactly. In multi-worker mode (`PROMETHEUS_MULTIPROC_DIR`, set by `omnicontacts serve`)
prometheus-client keeps each worker's values in a memory-mapped file and `/metrics` sums them,
so any worker answers for all of them; another worker's last second may not be in it yet.
"""

import asyncio
import os
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Callable
from itertools import groupby, repeat
from math import fsum
from operator import itemgetter

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FLUSH_INTERVAL = 1.0

REQUESTS = Counter(
    "omnicontacts_http_requests",
    "HTTP requests answered, by endpoint (route template), method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "omnicontacts_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by endpoint and method.",
    ["endpoint", "method"],
    buckets=BUCKETS,
)
DB_CONNECTIONS_IN_USE = Gauge(
    "omnicontacts_db_connections_in_use",
    "Database connections held by requests or jobs right now (sampled once a second).",
    multiprocess_mode="livesum",
)
DB_CONNECTIONS_OPEN = Gauge(
    "omnicontacts_db_connections_open",
    "Database connections open in the pools (sampled once a second).",
    multiprocess_mode="livesum",
)
# The realtime layer calls .inc() when a websocket is accepted and .dec() when it closes.
WEBSOCKET_CONNECTIONS = Gauge(
    "omnicontacts_websocket_connections",
    "Open websocket connections.",
    multiprocess_mode="livesum",
)

Observation = tuple[str, str, int, float]  # endpoint, method, status, seconds
_labels = itemgetter(0, 1, 2)
_pair = itemgetter(0, 1)
_duration = itemgetter(3)


class RequestStats:
    """Per-process requests, waiting to be handed to prometheus-client."""

    def __init__(self) -> None:
        # One list for the life of the process: the request path keeps its bound `append`.
        self.pending: list[Observation] = []
        self.record = self.pending.append

    def flush(self) -> None:
        """Sum the requests since the last flush into the metrics. Each request's share of this
        work runs inside C (map, zip, Counter, sorted, groupby, fsum); Python runs once per label set."""
        # The event loop's thread is the only one appending: nothing arrives between these two.
        batch = self.pending.copy()
        self.pending.clear()
        if not batch:
            return
        for (endpoint, method, status), count in Tally(map(_labels, batch)).items():
            REQUESTS.labels(endpoint, method, str(status)).inc(count)
        pairs = list(map(_pair, batch))
        seconds = list(map(_duration, batch))
        buckets = Tally(zip(pairs, map(bisect_left, repeat(BUCKETS), seconds), strict=True))
        # Positions ordered by label pair only (a stable sort: one run when all pairs are equal).
        for pair, positions in groupby(sorted(range(len(pairs)), key=pairs.__getitem__), key=pairs.__getitem__):
            child = LATENCY.labels(*pair)
            # Histogram has no "observe n values"; its bucket and sum values are what observe() adds to.
            child._sum.inc(fsum(map(seconds.__getitem__, positions)))
            for index in range(len(BUCKETS) + 1):
                in_bucket = buckets.get((pair, index))
                if in_bucket:
                    child._buckets[index].inc(in_bucket)


STATS = RequestStats()

PoolSampler = Callable[[], tuple[int, int]]  # (in use, open)
_samplers: list[PoolSampler] = []


def add_pool_sampler(sampler: PoolSampler) -> None:
    _samplers.append(sampler)


def remove_pool_sampler(sampler: PoolSampler) -> None:
    if sampler in _samplers:
        _samplers.remove(sampler)


def flush() -> None:
    STATS.flush()
    in_use = opened = 0
    for sampler in _samplers:
        used, size = sampler()
        in_use += used
        opened += size
    DB_CONNECTIONS_IN_USE.set(in_use)
    DB_CONNECTIONS_OPEN.set(opened)


async def flush_forever() -> None:
    while True:
        await asyncio.sleep(FLUSH_INTERVAL)
        flush()


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_VARIABLE))


def exposition() -> bytes:
    """The text format of every metric, summed over all workers in multi-worker mode."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def worker_exited(pid: int) -> None:
    """Drop a finished worker's live gauges (its counters stay in the totals)."""
    if multiprocess():
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid)  # type: ignore[no-untyped-call]
