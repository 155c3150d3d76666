"""Prometheus metrics, shared by every worker process.

Each request is counted in plain per-process dicts (a few dict operations, no lock, no shared
memory write) and the totals are handed to prometheus-client once a second and before every
scrape. In multi-worker mode (`PROMETHEUS_MULTIPROC_DIR`, set by `omnicontacts serve`)
prometheus-client keeps each worker's values in a memory-mapped file and `/metrics` sums them,
so any worker answers for all of them; another worker's last second may not be in it yet.
"""

import asyncio
import os
from bisect import bisect_left
from collections.abc import Callable

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

_Totals = list[float]  # [count, sum of seconds, then one count per bucket and +Inf]


class RequestStats:
    """Per-process request totals, waiting to be handed to prometheus-client."""

    def __init__(self) -> None:
        self._totals: dict[tuple[str, str, int], _Totals] = {}

    def record(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        totals = self._totals.get((endpoint, method, status))
        if totals is None:
            totals = self._totals[(endpoint, method, status)] = [0.0] * (len(BUCKETS) + 3)
        totals[0] += 1
        totals[1] += seconds
        totals[2 + bisect_left(BUCKETS, seconds)] += 1

    def flush(self) -> None:
        pending, self._totals = self._totals, {}
        latency: dict[tuple[str, str], _Totals] = {}
        for (endpoint, method, status), totals in pending.items():
            REQUESTS.labels(endpoint, method, str(status)).inc(totals[0])
            merged = latency.setdefault((endpoint, method), [0.0] * (len(BUCKETS) + 3))
            for index, value in enumerate(totals):
                merged[index] += value
        for (endpoint, method), totals in latency.items():
            child = LATENCY.labels(endpoint, method)
            # Histogram has no "observe n values"; its bucket and sum values are what observe() adds to.
            child._sum.inc(totals[1])
            for index, bucket_count in enumerate(totals[2:]):
                if bucket_count:
                    child._buckets[index].inc(bucket_count)


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
