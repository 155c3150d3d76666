"""Instructions per request, counted by valgrind (repeatable on a busy machine, unlike seconds).

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/oc-cg.%p \\
        .venv/bin/python -m bench.instructions [--requests 500] [--rounds 3]

Runs in-process contacts.get requests (bench.micro's stub database) through the app as served,
in rounds that alternate the metrics recording on and off (`bench.variants.metrics_on/off`). Start-up
runs uninstrumented (`--instr-atstart=no`); each measured chunk turns instrumentation on, then
off, with `callgrind_control` and reads the count from a dump. Prints instructions per request
with the metrics on and off, and the difference: what recording the metrics costs, in the
machine's own unit, whatever else the machine is doing.
"""

import argparse
import glob
import os
import statistics
import subprocess

import uvloop

from bench import variants
from bench.micro import apps, one
from omnicontacts.observability import metrics


def _control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


def _instructions(out_pattern: str, seen: set[str]) -> int:
    """The instructions (`totals:`, Ir) of the one dump written since the last call."""
    _control("--dump")
    fresh = [path for path in glob.glob(out_pattern) if path not in seen]
    assert len(fresh) == 1, fresh
    seen.update(fresh)
    with open(fresh[0]) as dump:
        for line in dump:
            if line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {fresh[0]}")


async def main(requests: int, rounds: int, out_pattern: str) -> None:
    app = apps()["project"]
    for _ in range(200):
        await one(app, "contacts.get")
    seen = set(glob.glob(out_pattern))
    per_request: dict[str, list[float]] = {"on": [], "off": []}
    for round_ in range(rounds):
        for name in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
            (variants.metrics_on if name == "on" else variants.metrics_off)()
            _control("--zero")
            _control("--instr=on")
            for _ in range(requests):
                await one(app, "contacts.get")
            metrics.flush()  # the once-a-second summing is part of what the metrics cost
            _control("--instr=off")
            per_request[name].append(_instructions(out_pattern, seen) / requests)
            print(f"  round {round_ + 1} metrics {name:<3}: {per_request[name][-1]:,.0f} instructions per request")
    on, off = (statistics.median(per_request[name]) for name in ("on", "off"))
    print(f"metrics on  {on:,.0f} instructions per request (median of {rounds} rounds of {requests})")
    print(f"metrics off {off:,.0f}")
    print(f"recording   {on - off:,.0f} ({(on - off) / on * 100:.2f} % of the in-process request)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="/tmp/oc-cg.*", help="glob of callgrind's output files")
    args = parser.parse_args()
    uvloop.run(main(args.requests, args.rounds, args.out))
