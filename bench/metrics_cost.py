"""What recording the Prometheus metrics costs contacts.get over HTTP: metrics on against off.

    uv run python -m bench.metrics_cost --schema s10k --runs 5

Starts two project servers side by side (one uvicorn worker each, as `bench.run` starts the
project): the app as served (`on`) and `bench.variants:no_metrics` (`off`: the same app, whose
per-request recording does nothing). Then runs wrk against them in turn, `--runs` times each,
alternating on/off, after one warm-up run each. Reports per run and as medians: req/s, and the
server's CPU time per request (its process CPU seconds over the requests answered), which other
processes on a busy machine disturb far less than req/s. The cost is (off - on) / off for req/s
and (on - off) / on for CPU per request. Raw results go to bench/results/metrics-cost-<time>.json.
"""

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import BENCH_DATABASE_URL
from bench.run import (
    ENDPOINTS,
    RESULTS,
    Measurement,
    Server,
    check_schema,
    login,
    make_servers,
    quiet_machine,
    run_wrk,
    sample_ids,
    write_lua,
)

VARIANTS = {"on": "omnicontacts.app:app_from_environment", "off": "bench.variants:no_metrics"}


def cpu_us_per_request(item: Measurement) -> float:
    """Server CPU µs per answered request: `cpu["server"]` is cores used over the run's wall time."""
    requests = item.raw["requests"]
    wall = item.raw["duration_us"] / 1e6
    return item.cpu["server"] * wall / requests * 1e6 if requests else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--schema", default="s10k")
    parser.add_argument("--endpoint", default="contacts.get", choices=sorted(ENDPOINTS))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--quiet", type=float, default=0.25, help="cores other processes may use before a run")
    parser.add_argument("--max-wait", type=float, default=30, help="seconds to wait for a quiet machine")
    args = parser.parse_args()

    endpoint = ENDPOINTS[args.endpoint]
    check_schema(args.database_url, args.schema, migrate=False)
    samples, data = asyncio.run(sample_ids(args.database_url, args.schema, args.sample))
    servers: dict[str, Server] = {}
    rows: list[tuple[str, int, Measurement]] = []
    started_at = time.strftime("%Y%m%dT%H%M%S")
    load = os.getloadavg()
    try:
        for name, app in VARIANTS.items():
            server = make_servers(args.database_url, args.schema, "uvicorn", args.pool_size, app)["project"]
            server.name = f"metrics-{name}"
            servers[name] = server
            server.start()  # before the next one picks its port, so the two never pick the same
        headers = login(servers["on"].base_url)
        with tempfile.TemporaryDirectory() as directory:
            script = write_lua(endpoint.paths(samples[endpoint.sample]), headers, Path(directory), endpoint.name)

            def one(name: str, run: int, duration: int) -> Measurement:
                quiet_machine(args.quiet, args.max_wait)
                return run_wrk(
                    servers[name],
                    script,
                    duration=duration,
                    connections=args.connections,
                    threads=1,
                    endpoint=endpoint.name,
                    run=run,
                    database_url=args.database_url,
                )

            for name in VARIANTS:
                one(name, 0, args.warmup)
            for run in range(1, args.runs + 1):
                # Alternate which goes first, so a trend in the machine's load favours neither.
                for name in VARIANTS if run % 2 else reversed(VARIANTS):
                    item = one(name, run, args.duration)
                    rows.append((name, run, item))
                    print(
                        f"  metrics {name:<3} run {run}: {item.rps:8.0f} req/s  "
                        f"{cpu_us_per_request(item):6.1f} µs CPU/request  errors {item.errors}  "
                        f"cores: server {item.cpu['server']:.2f} pg {item.cpu['postgres']:.2f} "
                        f"wrk {item.cpu['wrk']:.2f} other {item.cpu['other']:.2f}",
                        flush=True,
                    )
    finally:
        for server in servers.values():
            server.stop()

    summary: dict[str, dict[str, float]] = {}
    for name in VARIANTS:
        items = [item for variant, _, item in rows if variant == name]
        summary[name] = {
            "rps": statistics.median(item.rps for item in items),
            "cpu_us": statistics.median(cpu_us_per_request(item) for item in items),
            "p50_ms": statistics.median(item.p50_ms for item in items),
        }
    rps_cost = (summary["off"]["rps"] - summary["on"]["rps"]) / summary["off"]["rps"] * 100
    cpu_cost = (summary["on"]["cpu_us"] - summary["off"]["cpu_us"]) / summary["on"]["cpu_us"] * 100
    print(f"\n{args.endpoint} on {args.schema}, medians of {args.runs} runs (load average at start {load[0]:.1f}):")
    for name in VARIANTS:
        values = summary[name]
        print(f"  metrics {name:<3} {values['rps']:8.0f} req/s  {values['cpu_us']:6.1f} µs CPU/request")
    print(f"  cost: {rps_cost:.1f} % of req/s, {cpu_cost:.1f} % of CPU per request")
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = RESULTS / f"metrics-cost-{started_at}.json"
    output.write_text(
        json.dumps(
            {
                "schema": args.schema,
                "data": data,
                "started_at": started_at,
                "load_average": load,
                "settings": {key: value for key, value in vars(args).items() if key != "database_url"},
                "summary": summary,
                "cost_percent": {"rps": rps_cost, "cpu_per_request": cpu_cost},
                "runs": [
                    {"metrics": name, "run": run, "rps": item.rps, "cpu_us_per_request": cpu_us_per_request(item)}
                    | {"cpu": item.cpu, "p50_ms": item.p50_ms, "p99_ms": item.p99_ms, "errors": item.errors}
                    for name, run, item in rows
                ],
            },
            indent=2,
        )
    )
    print(f"results: {output}")


if __name__ == "__main__":
    main()
