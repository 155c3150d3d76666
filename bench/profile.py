"""Where a server's request path spends its CPU, under the benchmark load.

    uv run python -m bench.profile --schema s10k --endpoint contacts.get --server project

Starts the server as bench.run does, drives it with wrk for `--seconds`, samples it with py-spy
(`uv tool install py-spy`; needs ptrace) and prints the share of on-CPU samples by function:
self time, and inclusive time of the frames that matter. The collapsed stacks (flamegraph input)
are kept in bench/results/.
"""

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BENCH_DATABASE_URL
from bench.run import ENDPOINTS, RESULTS, login, make_servers, process_seconds, sample_ids, used_since, write_lua


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path.home() / ".local" / "bin" / "py-spy")
    if not Path(found).exists():
        sys.exit("py-spy not found: uv tool install py-spy")
    return found


def frame_name(frame: str) -> str:
    """'handler (omnicontacts/restapi/routing.py:123)' -> 'omnicontacts/restapi/routing.py:handler'."""
    name, _, location = frame.partition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "src/", "bench/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{name}"


def report(collapsed: Path, top: int, cpu_us_per_request: float | None = None) -> None:
    self_counts: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [frame_name(frame) for frame in stack.split(";") if not frame.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    scale = (cpu_us_per_request or 0) / total

    def render(count: int, name: str) -> str:
        per_request = f"{count * scale:7.1f} µs/req  " if cpu_us_per_request else ""
        return f"  {100 * count / total:5.1f}%  {per_request}{name}"

    print(f"\n{total} on-CPU samples" + (f", {cpu_us_per_request:.0f} µs CPU per request" if scale else ""))
    print("\nself time")
    for name, count in self_counts.most_common(top):
        print(render(count, name))
    print("\ninclusive time")
    for name, count in inclusive.most_common(top * 2):
        print(render(count, name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--schema", default="s10k")
    parser.add_argument("--endpoint", default="contacts.get", choices=list(ENDPOINTS))
    parser.add_argument("--server", default="project", choices=("project", "floor"))
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--app", default="omnicontacts.app:app_from_environment", help="project app factory")
    parser.add_argument("--native", action="store_true", help="py-spy --native: C frames too")
    parser.add_argument("--report", type=Path, default=None, help="only print the report of these collapsed stacks")
    args = parser.parse_args()
    if args.report:
        report(args.report, args.top)
        return
    endpoint = ENDPOINTS[args.endpoint]
    samples, _ = asyncio.run(sample_ids(args.database_url, args.schema, 20_000))
    servers = make_servers(args.database_url, args.schema, "uvicorn", 10, args.app)
    server = servers[args.server]
    login_server = servers["project"]
    collapsed = RESULTS / f"profile-{args.server}-{args.endpoint}-{args.schema}-{time.strftime('%H%M%S')}.txt"
    try:
        login_server.start()
        if server is not login_server:
            server.start()
        headers = login(login_server.base_url)
        with tempfile.TemporaryDirectory() as directory:
            paths = [endpoint.path.format(id=value) for value in samples[endpoint.sample]]
            script = write_lua(paths, headers, Path(directory), endpoint.name)
            wrk_command = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds + 4}s", "-s", str(script)]
            wrk = subprocess.Popen([*wrk_command, server.base_url], stdout=subprocess.PIPE, text=True)
            time.sleep(2)
            assert server.process is not None
            record = [py_spy(), "record", "--pid", str(server.process.pid), "--duration", str(args.seconds)]
            record += ["--rate", str(args.rate), "--format", "raw", "--output", str(collapsed)]
            # --native pauses the process to unwind C stacks; otherwise sample without pausing.
            record.append("--native" if args.native else "--nonblocking")
            cpu_before = process_seconds([server.process.pid])
            started = time.monotonic()
            subprocess.run(record, check=True, capture_output=True)
            cores = used_since(cpu_before, [server.process.pid]) / (time.monotonic() - started)
            output, _ = wrk.communicate()
            rps = float(next(line for line in output.splitlines() if "Requests/sec" in line).split()[-1])
            print(f"{rps:.0f} req/s, server process at {cores:.2f} cores")
    finally:
        login_server.stop()
        server.stop()
    report(collapsed, args.top, cores / rps * 1e6)
    print(f"\ncollapsed stacks: {collapsed.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
