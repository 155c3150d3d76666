"""CPU per contacts.get request with and without the request wrapper, interleaved in one process.

    uv run python -m bench.overhead [--chunks 60] [--size 200] [--compare wrapper|metrics]

Alternates chunks of in-process requests (bench.micro's apps and stub database) and reports the
median CPU time (process time, which other processes on a busy machine disturb far less than wall
time) per request of each side, and their difference:

- `wrapper`: `project` against `no_observability`: what the request id, the metrics and the CORS
  check cost per request together.
- `metrics`: the same `project` app with its metrics recording on and off
  (`bench.variants.metrics_on/off`), chunk by chunk: what the metrics alone cost.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import uvloop

from bench import variants
from bench.micro import apps, one
from omnicontacts.observability import metrics


async def main(chunks: int, size: int, compare: str) -> None:
    candidates = apps()
    sides: dict[str, tuple[Any, Callable[[], None]]]
    if compare == "metrics":
        project = candidates["project"]
        sides = {"metrics on": (project, variants.metrics_on), "metrics off": (project, variants.metrics_off)}
    else:
        sides = {
            "project": (candidates["project"], variants.metrics_on),
            "no_observability": (candidates["no_observability"], variants.metrics_on),
        }
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for app, setup in sides.values():
        setup()
        for _ in range(size):
            await one(app, "contacts.get")
    for _ in range(chunks):
        for name, (app, setup) in sides.items():
            setup()
            started = time.process_time()
            for _ in range(size):
                await one(app, "contacts.get")
            metrics.flush()  # the once-a-second summing is part of what the metrics cost
            samples[name].append((time.process_time() - started) / size * 1e6)
    variants.metrics_on()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    first, second = sides
    for name in sides:
        print(f"{name:<18} {medians[name]:7.2f} µs CPU per request (median of {chunks} chunks of {size})")
    difference = medians[first] - medians[second]
    print(f"{'difference':<18} {difference:7.2f} µs ({difference / medians[first] * 100:.1f} % of {first})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=60)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--compare", choices=("wrapper", "metrics"), default="wrapper")
    args = parser.parse_args()
    uvloop.run(main(args.chunks, args.size, args.compare))
