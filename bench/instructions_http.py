"""Instructions per contacts.get request over HTTP, metrics on against off, counted by valgrind.

    uv run python -m bench.instructions_http --schema s10k [--requests 1000] [--rounds 3]

Starts the project server (one uvicorn worker on the app factory, as `bench.run` does) and
`bench.variants:no_metrics` in turn, each under callgrind with instrumentation off until the
measurement, then sends `--requests` sequential keep-alive contacts.get requests per round, and one
scrape of `/metrics` (which sums what they recorded), and counts what the server process
executed for them: uvicorn's HTTP parsing, the app, asyncpg's
side of the queries, everything the worker does per request. Instruction counts do not depend
on what else the machine is doing, which a shared machine's req/s do. The database's own work
is in the PostgreSQL processes and not counted: it is the same for both.
"""

import argparse
import asyncio
import glob
import http.client
import os
import socket
import statistics
import subprocess
import time

from bench.common import BENCH_DATABASE_URL
from bench.run import ENDPOINTS, check_schema, login, make_servers, sample_ids

VARIANTS = {"on": "omnicontacts.app:app_from_environment", "off": "bench.variants:no_metrics"}


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True)


def _totals(pattern: str, seen: set[str]) -> int:
    fresh = [path for path in glob.glob(pattern) if path not in seen]
    assert len(fresh) == 1, fresh
    seen.update(fresh)
    with open(fresh[0]) as dump:
        for line in dump:
            if line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {fresh[0]}")


def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> None:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--schema", default="s10k")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    endpoint = ENDPOINTS["contacts.get"]
    check_schema(args.database_url, args.schema, migrate=False)
    samples, _ = asyncio.run(sample_ids(args.database_url, args.schema, 2_000))
    paths = endpoint.paths(samples[endpoint.sample])
    results: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for name, app in VARIANTS.items():
        server = make_servers(args.database_url, args.schema, "uvicorn", 4, app)["project"]
        pattern = f"/tmp/omnicontacts-cg-{name}-{os.getpid()}.*"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={pattern[:-2]}.%p",
            *server.command,
        ]
        process = subprocess.Popen(command, env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 600
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{name}: the server under valgrind did not start") from None
                    time.sleep(1)
            headers = login(server.base_url)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            for path in paths[:200]:  # warm: the first requests of a process pay one-time costs
                _get(conn, path, headers)
            _get(conn, "/metrics", {})
            conn.close()
            seen = set(glob.glob(pattern))
            for round_ in range(args.rounds):
                # A new connection per round: uvicorn closes one left idle for 5 s.
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
                _control(process.pid, "--zero")
                _control(process.pid, "--instr=on")
                for index in range(args.requests):
                    _get(conn, paths[(round_ * args.requests + index) % len(paths)], headers)
                # A scrape sums what the requests recorded (the once-a-second flush's work),
                # inside the window; with the metrics off it finds nothing to sum.
                _get(conn, "/metrics", {})
                _control(process.pid, "--instr=off")
                _control(process.pid, "--dump")
                conn.close()
                results[name].append(_totals(pattern, seen) / args.requests)
                print(f"  metrics {name:<3} round {round_ + 1}: {results[name][-1]:,.0f} instructions per request")
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for path in glob.glob(pattern) + glob.glob(pattern[:-2]):
                os.unlink(path)
    on, off = (statistics.median(results[name]) for name in ("on", "off"))
    print(f"metrics on  {on:,.0f} instructions per contacts.get over HTTP (median of {args.rounds} x {args.requests})")
    print(f"metrics off {off:,.0f}")
    print(f"recording   {on - off:,.0f} ({(on - off) / on * 100:.2f} % of the worker's work per request)")


if __name__ == "__main__":
    main()
