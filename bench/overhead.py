"""CPU per contacts.get request with and without the request wrapper, interleaved in one process.

    uv run python -m bench.overhead [--chunks 60] [--size 200]

Alternates chunks of in-process requests (bench.micro's apps and stub database) between `project`
and `no_observability`, and reports the median CPU time (process time, which other processes on
a busy machine disturb far less than wall time) per request of each, and their difference: what
the request id, the metrics and the CORS check cost per request.
"""

import argparse
import statistics
import time

import uvloop

from bench.micro import apps, one


async def main(chunks: int, size: int) -> None:
    candidates = apps()
    names = ("project", "no_observability")
    samples: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        for _ in range(size):
            await one(candidates[name], "contacts.get")
    for _ in range(chunks):
        for name in names:
            started = time.process_time()
            for _ in range(size):
                await one(candidates[name], "contacts.get")
            samples[name].append((time.process_time() - started) / size * 1e6)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name in names:
        print(f"{name:<18} {medians[name]:7.1f} µs CPU per request (median of {chunks} chunks of {size})")
    print(f"{'wrapper':<18} {medians['project'] - medians['no_observability']:7.1f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=60)
    parser.add_argument("--size", type=int, default=200)
    args = parser.parse_args()
    uvloop.run(main(args.chunks, args.size))
