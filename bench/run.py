"""Drive the project server and the floor app with wrk and compare them.

    uv run python -m bench.run --schema s10k            # 10k contacts / 100k rooms
    uv run python -m bench.run --schema s1m --runs 5    # 1M contacts / 10M rooms

For one data set (made by bench.generate): start the project (one uvicorn worker on the app
factory, as `omnicontacts serve --workers 1` runs it) and the floor app, log in, check that both
answer byte-identical bodies and headers for sampled ids, then for each endpoint run wrk
(1 thread, 64 connections) against each server in turn, alternating project/floor, `--runs`
times for `--duration` seconds after one warm-up run each. The wrk script rotates over many
contact ids sampled from the data. Reports medians of req/s, p50 and p99, the project/floor
ratio and each server's peak RSS; raw results go to bench/results/<label>-<time>.json.
"""

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg

from bench.common import ADMIN_PASSWORD, ADMIN_USERNAME, BENCH_DATABASE_URL, bench_settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVER_ENV_DROP = ("ADMIN_USERNAME", "ADMIN_PASS", "ADMIN_EMAIL", "PORT", "HOST", "WORKERS")


@dataclass
class Endpoint:
    name: str
    path: str  # with {id} where the (URL-encoded) sampled value goes
    sample: str  # which sample fills {id}
    servers: tuple[str, ...] = ("project", "floor")
    same_as: str | None = None  # must answer what the project answers on this endpoint
    low_concurrency: bool = False  # a full scan: driven with --scan-connections

    def paths(self, values: list[str]) -> list[str]:
        return [self.path.format(id=quote(value, safe="")) for value in values]


ENDPOINTS = {
    "contacts.get": Endpoint("contacts.get", "/api/v1/omnichannel/contacts.get?contactId={id}", "contacts"),
    "contacts.history": Endpoint(
        "contacts.history", "/api/v1/omnichannel/contacts.history?contactId={id}&count=25", "with_rooms"
    ),
    "contacts.search": Endpoint(
        "contacts.search", "/api/v1/omnichannel/contacts.search?searchText={id}", "search_terms"
    ),
    # The floor app running Rocket.Chat's query shape (a scan of every contact) for the same terms.
    "contacts.search.scan": Endpoint(
        "contacts.search.scan",
        "/baseline/omnichannel/contacts.search?searchText={id}",
        "search_terms",
        servers=("floor",),
        same_as="contacts.search",
        low_concurrency=True,
    ),
    "contacts.checkExistence": Endpoint(
        "contacts.checkExistence", "/api/v1/omnichannel/contacts.checkExistence?email={id}", "emails"
    ),
}


# --- data samples --------------------------------------------------------------------------------


async def sample_ids(url: str, schema: str, size: int) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Contact ids in a fixed pseudo-random order: any enabled contact, and ones with closed rooms."""
    conn = await asyncpg.connect(url, server_settings={"search_path": f"{schema},public"})
    try:
        contacts = [
            row["id"]
            for row in await conn.fetch("SELECT id FROM contacts WHERE enabled ORDER BY md5(id) LIMIT $1", size)
        ]
        rows = await conn.fetch(
            "SELECT c.id, (SELECT count(*) FROM rooms r WHERE r.contact_id = c.id AND r.closed_at IS NOT NULL) AS n "
            "FROM (SELECT id FROM contacts WHERE enabled ORDER BY md5(id || 'h') LIMIT $1) c",
            size * 2,
        )
        with_rooms = [row["id"] for row in rows if row["n"] > 0][:size]
        totals = [row["n"] for row in rows if row["n"] > 0][:size]
        # Selective search terms: an email's local part with its '@', or a phone number without
        # its leading '+' and first digit; each matches one contact.
        keys = await conn.fetch(
            "SELECT (SELECT min(address) FROM contact_emails e WHERE e.contact_id = c.id) AS email, "
            "(SELECT min(phone) FROM contact_phones p WHERE p.contact_id = c.id) AS phone "
            "FROM (SELECT id FROM contacts WHERE enabled ORDER BY md5(id || 's') LIMIT $1) c",
            size,
        )
        emails = [row["email"] for row in keys if row["email"]]
        terms = [
            row["email"].split("@")[0] + "@" if index % 2 == 0 else row["phone"][2:]
            for index, row in enumerate(keys)
            if row["email"] and row["phone"]
        ]
        sizes = {
            row["key"]: row["value"]
            for row in await conn.fetch("SELECT key, value FROM meta WHERE key IN ('bench_contacts', 'bench_rooms')")
        }
        stats = {
            "contacts": sizes.get("bench_contacts") or await conn.fetchval("SELECT count(*) FROM contacts"),
            "rooms": sizes.get("bench_rooms") or await conn.fetchval("SELECT count(*) FROM rooms"),
            "history_sample_mean_total": statistics.fmean(totals) if totals else 0,
            "history_sample_mean_page": statistics.fmean(min(total, 25) for total in totals) if totals else 0,
            "database_size_bytes": await conn.fetchval("SELECT pg_database_size(current_database())"),
        }
        return {"contacts": contacts, "with_rooms": with_rooms, "search_terms": terms, "emails": emails}, stats
    finally:
        await conn.close()


def check_schema(url: str, schema: str, *, migrate: bool) -> None:
    """The data set must be at the project's latest migration (a data migration on 10M rooms can
    take hours: regenerate instead, or say --migrate)."""
    from alembic.script import ScriptDirectory

    from omnicontacts.bootstrap import prepare_database
    from omnicontacts.storage.migrate import alembic_config

    settings = bench_settings(url, schema)
    if migrate:
        prepare_database(settings)
        return
    head = ScriptDirectory.from_config(alembic_config(settings)).get_current_head()

    async def current() -> str | None:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(f'SELECT version_num FROM "{schema}".alembic_version')  # type: ignore[no-any-return]
        finally:
            await conn.close()

    version = asyncio.run(current())
    if version != head:
        sys.exit(f"schema {schema} is at migration {version}, the project at {head}: regenerate it or pass --migrate")


# --- servers -------------------------------------------------------------------------------------


def _free_port(taken: tuple[int, ...] = ()) -> int:
    """Any free port, or the first free one of BENCH_PORTS (`4350-4399`) on a machine where each
    user keeps to a range; not one of `taken` (chosen for a server that has not bound it yet)."""
    first, _, last = os.environ.get("BENCH_PORTS", "").partition("-")
    candidates = range(int(first), int(last or first) + 1) if first else [0]
    for candidate in candidates:
        if candidate in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise SystemExit(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=Path)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log = RESULTS / f"{self.name}.log"
        with self.log.open("wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start: see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def memory_kb(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS since start) of the server process, which is the worker."""
        assert self.process is not None
        values = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
        return values


def make_servers(
    url: str, schema: str, via: str, pool_size: int, app: str = "omnicontacts.app:app_from_environment"
) -> dict[str, Server]:
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROP}
    env.update({"DATABASE_URL": url, "DATABASE_SCHEMA": schema, "DB_POOL_SIZE": str(pool_size)})
    uvicorn_flags = ["--workers", "1", "--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    servers = {}
    port = _free_port()
    if via == "serve":
        project = [str(Path(sys.executable).parent / "omnicontacts"), "serve", "--workers", "1", "--port", str(port)]
    else:
        project = [sys.executable, "-m", "uvicorn", app, "--factory"]
        project += ["--port", str(port), *uvicorn_flags, "--log-level", "warning"]
    servers["project"] = Server("project", project, env, port)
    port = _free_port(taken=(port,))
    floor = [sys.executable, "-m", "uvicorn", "bench.floor:app", "--port", str(port), *uvicorn_flags]
    servers["floor"] = Server("floor", [*floor, "--log-level", "warning"], env, port)
    return servers


def login(base_url: str) -> dict[str, str]:
    body = json.dumps({"user": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/login", data=body, headers={"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        data = json.loads(response.read())["data"]
    return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}


def fetch(base_url: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(base_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def check_identical(servers: dict[str, Server], endpoint: Endpoint, values: list[str], headers: dict[str, str]) -> None:
    """Same status, body and headers (but Date and X-Request-Id) as the project, else stop."""
    reference = ENDPOINTS[endpoint.same_as] if endpoint.same_as else endpoint
    for path, reference_path in zip(endpoint.paths(values), reference.paths(values), strict=True):
        answers = {}
        for name, server in servers.items():
            status, response_headers, body = fetch(
                server.base_url, reference_path if name == "project" else path, headers
            )
            # Date, and the request id (new per request) are the only headers allowed to differ.
            for name_to_skip in ("date", "Date", "x-request-id"):
                response_headers.pop(name_to_skip, None)
            answers[name] = (status, sorted(response_headers.items()), body)
        for name, answer in answers.items():
            if answer != answers["project"]:
                raise SystemExit(
                    f"project and {name} differ on {path}:\n  project {answers['project']!r}\n  {name} {answer!r}"
                )
        if answers["project"][0] != 200:
            raise SystemExit(f"{path}: status {answers['project'][0]}: {answers['project'][2]!r}")


# --- CPU accounting: who used the two cores during a run -------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU seconds spent busy on the whole machine since boot (all cores)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def process_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds used so far by each of these processes that still exists."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return seconds


def used_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds used since `before` by the processes alive at both times."""
    after = process_seconds(pids)
    return sum(after[pid] - before[pid] for pid in after if pid in before)


def children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _backend_pids(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row["pid"] for row in rows]
    finally:
        await conn.close()


def quiet_machine(limit_cores: float, max_wait: float) -> float:
    """Wait (at most `max_wait` s) until the machine is idle; answer the cores busy in the last second."""
    deadline = time.monotonic() + max_wait
    while True:
        before = busy_seconds()
        time.sleep(1)
        busy = busy_seconds() - before
        if busy <= limit_cores or time.monotonic() > deadline:
            return busy
        time.sleep(2)


# --- wrk -----------------------------------------------------------------------------------------

LUA = """
local paths = {%(paths)s}
local count = #paths
local index = 0
wrk.headers["X-User-Id"] = "%(user)s"
wrk.headers["X-Auth-Token"] = "%(token)s"

request = function()
  index = index %% count + 1
  return wrk.format("GET", paths[index])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"mean_us":%%.1f,"max_us":%%d}\\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
"""


def write_lua(paths: list[str], headers: dict[str, str], directory: Path, name: str) -> Path:
    script = directory / f"{name}.lua"
    quoted = ",\n".join(json.dumps(path) for path in paths)
    script.write_text(LUA % {"paths": quoted, "user": headers["X-User-Id"], "token": headers["X-Auth-Token"]})
    return script


@dataclass
class Measurement:
    server: str
    endpoint: str
    run: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    errors: int
    rss_max_kb: int
    hwm_kb: int
    connections: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # cores used during the run, by whom
    attempts: int = 1
    raw: dict[str, Any] = field(default_factory=dict)


def run_wrk(
    server: Server,
    script: Path,
    *,
    duration: int,
    connections: int,
    threads: int,
    endpoint: str,
    run: int,
    database_url: str,
) -> Measurement:
    assert server.process is not None
    backends = asyncio.run(_backend_pids(database_url))
    busy_before = busy_seconds()
    server_before = process_seconds([server.process.pid])
    backends_before = process_seconds(backends)
    wrk_before = children_seconds()
    wall_before = time.monotonic()
    samples: list[int] = []
    stop = threading.Event()

    def sample_memory() -> None:
        while not stop.is_set():
            samples.append(server.memory_kb()["VmRSS"])
            stop.wait(0.25)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script)]
    completed = subprocess.run([*command, server.base_url], capture_output=True, text=True, check=False)
    stop.set()
    sampler.join()
    wall = time.monotonic() - wall_before
    cpu = {
        "server": used_since(server_before, [server.process.pid]) / wall,
        "postgres": used_since(backends_before, backends) / wall,
        "wrk": (children_seconds() - wrk_before) / wall,
        "machine": (busy_seconds() - busy_before) / wall,
    }
    cpu["other"] = cpu["machine"] - cpu["server"] - cpu["postgres"] - cpu["wrk"]
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed: {completed.stdout}\n{completed.stderr}")
    raw = json.loads(lines[-1][len("RESULT ") :])
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return Measurement(
        server=server.name,
        endpoint=endpoint,
        run=run,
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        errors=errors,
        rss_max_kb=max(samples, default=0),
        hwm_kb=server.memory_kb()["VmHWM"],
        connections=connections,
        cpu=cpu,
        raw=raw,
    )


def measure(
    args: argparse.Namespace, server: Server, script: Path, endpoint: str, run: int, duration: int, connections: int
) -> Measurement:
    """One wrk run on a quiet machine; measured again (up to --attempts) if other processes got busy."""
    best: Measurement | None = None
    for attempt in range(1, args.attempts + 1):
        quiet_machine(args.quiet, args.max_wait)
        item = run_wrk(
            server,
            script,
            duration=duration,
            connections=connections,
            threads=args.threads,
            endpoint=endpoint,
            run=run,
            database_url=args.database_url,
        )
        item.attempts = attempt
        if best is None or item.cpu["other"] < best.cpu["other"]:
            best = item
        if item.cpu["other"] <= args.quiet:
            break
        print(f"  (other processes used {item.cpu['other']:.2f} cores: measuring again)", flush=True)
    assert best is not None
    return best


# --- report --------------------------------------------------------------------------------------


def summarize(measurements: list[Measurement]) -> dict[str, dict[str, dict[str, float]]]:
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for item in measurements:
        summary.setdefault(item.endpoint, {}).setdefault(item.server, {})
    for endpoint, per_server in summary.items():
        for server in per_server:
            runs = [item for item in measurements if item.endpoint == endpoint and item.server == server]
            per_server[server] = {
                "rps": statistics.median(item.rps for item in runs),
                "p50_ms": statistics.median(item.p50_ms for item in runs),
                "p99_ms": statistics.median(item.p99_ms for item in runs),
                "rps_min": min(item.rps for item in runs),
                "rps_max": max(item.rps for item in runs),
                "errors": sum(item.errors for item in runs),
                "connections": runs[0].connections,
                # CPU per request, whatever the concurrency: the app server's and PostgreSQL's.
                "server_cpu_ms": statistics.median(1000 * item.cpu["server"] / item.rps for item in runs),
                "postgres_cpu_ms": statistics.median(1000 * item.cpu["postgres"] / item.rps for item in runs),
                "peak_rss_mb": max(item.hwm_kb for item in runs) / 1024,
                "runs": len(runs),
            }
        if "project" in per_server and "floor" in per_server:
            per_server["ratio"] = {"rps": per_server["project"]["rps"] / per_server["floor"]["rps"]}
    return summary


def print_table(label: str, summary: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"\n{label}: medians")
    print(
        f"{'endpoint':<24} {'server':<8} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'app CPU/req':>11} {'pg CPU/req':>10} {'peak RSS':>9} {'errors':>6}"
    )
    for endpoint, per_server in summary.items():
        for server in ("project", "floor"):
            if server in per_server:
                row = per_server[server]
                print(
                    f"{endpoint:<24} {server:<8} {int(row['connections']):>5} {row['rps']:>8.0f} "
                    f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['server_cpu_ms'] * 1000:>9.0f}us "
                    f"{row['postgres_cpu_ms'] * 1000:>8.0f}us {row['peak_rss_mb']:>7.1f}MB {int(row['errors']):>6}"
                )
        if "ratio" in per_server:
            print(f"{endpoint:<24} {'ratio':<8} {'':>5} {per_server['ratio']['rps']:>8.3f}  (project/floor req/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--schema", default="s10k")
    parser.add_argument("--label", default=None, help="name of the result file (default: the schema)")
    parser.add_argument(
        "--endpoints", default="contacts.get,contacts.history", help=f"comma-separated, of: {', '.join(ENDPOINTS)}"
    )
    parser.add_argument("--servers", default="project,floor", help="comma-separated: project, floor")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=12, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per server and endpoint")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--scan-connections", type=int, default=2, help="connections for full-scan endpoints")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--sample", type=int, default=20_000, help="contact ids the wrk script rotates over")
    parser.add_argument("--pool-size", type=int, default=10, help="database pool size of both servers")
    parser.add_argument("--quiet", type=float, default=0.25, help="cores other processes may use during a run")
    parser.add_argument("--attempts", type=int, default=3, help="tries per run when other processes were busy")
    parser.add_argument("--max-wait", type=float, default=90, help="seconds to wait for a quiet machine")
    parser.add_argument(
        "--app", default="omnicontacts.app:app_from_environment", help="app factory of the project server (ablations)"
    )
    parser.add_argument("--floor-spin-us", type=float, default=0, help="calibration: extra Python µs in the floor")
    parser.add_argument(
        "--migrate", action="store_true", help="apply pending migrations first (may rewrite big tables)"
    )
    parser.add_argument("--via", choices=("uvicorn", "serve"), default="uvicorn", help="how to start the project")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install -y wrk")
    label = args.label or args.schema
    endpoints = [ENDPOINTS[name] for name in args.endpoints.split(",")]

    check_schema(args.database_url, args.schema, migrate=args.migrate)
    samples, data = asyncio.run(sample_ids(args.database_url, args.schema, args.sample))
    print(f"{label}: {data}", flush=True)
    servers = {
        name: server
        for name, server in make_servers(args.database_url, args.schema, args.via, args.pool_size, args.app).items()
        if name in args.servers.split(",")
    }
    if args.floor_spin_us and "floor" in servers:
        servers["floor"].env = {**servers["floor"].env, "FLOOR_SPIN_US": str(args.floor_spin_us)}
    measurements: list[Measurement] = []
    started_at = time.strftime("%Y%m%dT%H%M%S")
    try:
        for server in servers.values():
            server.start()
        headers = login(servers["project"].base_url if "project" in servers else servers["floor"].base_url)
        if "project" in servers and len(servers) > 1:
            for endpoint in endpoints:
                check_identical(servers, endpoint, samples[endpoint.sample][:50], headers)
            print("project and floor answer identical bytes", flush=True)
        with tempfile.TemporaryDirectory() as directory:
            for endpoint in endpoints:
                script = write_lua(endpoint.paths(samples[endpoint.sample]), headers, Path(directory), endpoint.name)
                chosen = [server for name, server in servers.items() if name in endpoint.servers]
                connections = args.scan_connections if endpoint.low_concurrency else args.connections

                for server in chosen:
                    measure(args, server, script, endpoint.name, 0, args.warmup, connections)
                for run in range(1, args.runs + 1):
                    for server in chosen:
                        item = measure(args, server, script, endpoint.name, run, args.duration, connections)
                        measurements.append(item)
                        cpu = item.cpu
                        print(
                            f"  {endpoint.name:<18} {server.name:<8} run {run}: {item.rps:8.0f} req/s  "
                            f"p50 {item.p50_ms:6.2f} ms  p99 {item.p99_ms:6.2f} ms  "
                            f"RSS {item.rss_max_kb / 1024:5.1f} MB  errors {item.errors}  cores: server "
                            f"{cpu['server']:.2f} pg {cpu['postgres']:.2f} wrk {cpu['wrk']:.2f} "
                            f"other {cpu['other']:.2f}",
                            flush=True,
                        )
    finally:
        for server in servers.values():
            server.stop()
    summary = summarize(measurements)
    print_table(label, summary)
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = RESULTS / f"{label}-{started_at}.json"
    output.write_text(
        json.dumps(
            {
                "label": label,
                "schema": args.schema,
                "started_at": started_at,
                "data": data,
                "settings": {key: value for key, value in vars(args).items() if key != "database_url"},
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                "summary": summary,
                "measurements": [asdict(item) for item in measurements],
            },
            indent=2,
        )
    )
    print(f"\nraw results: {output.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
