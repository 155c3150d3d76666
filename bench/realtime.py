"""Realtime benchmarks: commit-to-client latency, idle connections, reconnect storm.

    uv run python -m bench.realtime latency --mode one --rate 1000 --seconds 10
    uv run python -m bench.realtime latency --mode workers2
    uv run python -m bench.realtime latency --mode two-processes
    uv run python -m bench.realtime idle --connections 10000
    uv run python -m bench.realtime storm --clients 1000

Servers are `omnicontacts serve` processes on ports from --port (default 4400) over PostgreSQL
(--database-url, schema --schema, made and migrated here). Clients are widgets: DDP handshake,
`livechat:setUpConnection`, then `stream-room-messages` of their visitor's room.

latency: a writer process inserts messages through the livechat repository (so through the
same publish path as the API) at --rate per second, each in its own transaction, and stamps the
wall-clock time just before COMMIT into the text; every client records arrival minus stamp.
The figure therefore includes the commit itself, NOTIFY, the server's read of the row, the
send, and the client's own parsing (clients and writer share this machine).
"""

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

from bench.common import ADMIN_PASSWORD, ADMIN_USERNAME, bench_settings
from omnicontacts import changes, ids
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.realtime.fanout import record_change
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import upgrade
from omnicontacts.timeutil import now_iso

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/realtime2"
EXECUTABLE = str(Path(sys.executable).parent / "omnicontacts")


# --- servers -------------------------------------------------------------------------------------


@contextlib.contextmanager
def servers(settings: Settings, ports: list[int], workers: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "ADMIN_USERNAME": ADMIN_USERNAME}
    env["ADMIN_PASS"] = ADMIN_PASSWORD
    if settings.database_schema:
        env["DATABASE_SCHEMA"] = settings.database_schema
    processes = [
        subprocess.Popen(
            [EXECUTABLE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            deadline = time.monotonic() + 180
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/api/info", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server on {port} did not start")
                time.sleep(0.2)
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn's workers), in KiB."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    for each in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


# --- data ----------------------------------------------------------------------------------------


def make_rooms(base_url: str, count: int) -> list[tuple[str, str]]:
    """(token, rid) of `count` visitors with an open room each, through the public API."""
    rooms = []
    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as client:
        for index in range(count):
            token = f"bench-{ids.meteor_id()}"
            visitor = {"visitor": {"token": token, "name": f"Bench {index}"}}
            assert client.post("livechat/visitor", json=visitor).status_code == 200
            room = client.get("livechat/room", params={"token": token}).json()["room"]
            rooms.append((token, room["_id"]))
    return rooms


# --- clients -------------------------------------------------------------------------------------


async def widget(url: str, token: str, rid: str) -> ClientConnection:
    ws = await connect(url, open_timeout=60, ping_interval=None, max_size=None)
    await ws.recv()  # server_id
    await ws.send('{"msg":"connect","version":"1","support":["1"]}')
    await ws.recv()  # connected
    await ws.send(
        orjson.dumps(
            {"msg": "method", "method": "livechat:setUpConnection", "params": [{"token": token}], "id": "1"}
        ).decode()
    )
    await ws.recv()  # result
    await ws.recv()  # updated
    args = {"useCollection": False, "args": [{"token": token, "visitorToken": token}]}
    await ws.send(
        orjson.dumps({"msg": "sub", "id": "s", "name": "stream-room-messages", "params": [rid, args]}).decode()
    )
    ready = orjson.loads(await ws.recv())
    if ready.get("msg") != "ready":
        raise RuntimeError(f"subscription refused: {ready}")
    return ws


async def open_widgets(
    urls: list[str], rooms: list[tuple[str, str]], count: int, batch: int = 200
) -> list[ClientConnection]:
    clients: list[ClientConnection] = []
    for start in range(0, count, batch):
        clients += await asyncio.gather(
            *(
                widget(urls[index % len(urls)], *rooms[index % len(rooms)])
                for index in range(start, min(start + batch, count))
            )
        )
    return clients


async def collect(ws: ClientConnection, samples: list[float], stop: asyncio.Event) -> None:
    with contextlib.suppress(Exception):
        async for frame in ws:
            now = time.time()
            data = orjson.loads(frame)
            if data.get("msg") == "changed":
                text = data["fields"]["args"][0].get("msg", "")
                if text.startswith("bench "):
                    samples.append(now - float(text.split()[2]))
            elif data.get("msg") == "ping":
                await ws.send('{"msg":"pong"}')
            if stop.is_set():
                return


# --- writer (its own process, so it does not share a core's event loop with the clients) --------


def writer_process(
    settings_json: str, rooms: list[tuple[str, str]], rate: int, seconds: float, start_at: float
) -> None:
    asyncio.run(_writer(Settings.model_validate_json(settings_json), rooms, rate, seconds, start_at))


async def _writer(settings: Settings, rooms: list[tuple[str, str]], rate: int, seconds: float, start_at: float) -> None:
    changes.install_publisher(record_change)
    storage = await open_storage(settings)
    tick = 0.01
    per_tick = max(1, round(rate * tick))
    sequence = 0
    await asyncio.sleep(max(0.0, start_at - time.time()))
    began = time.monotonic()

    async def write(seq: int) -> None:
        _, rid = rooms[seq % len(rooms)]
        async with storage.transaction() as conn:
            ts = now_iso()
            message = {"_id": ids.meteor_id(), "rid": rid, "ts": ts, "u": {"_id": "bench"}, "_updatedAt": ts}
            message["msg"] = f"bench {seq} {time.time():.6f}"
            await livechat_repository.insert_message(conn, message)
            # The stamp goes in before COMMIT, so the figure covers the commit too.
            message["msg"] = f"bench {seq} {time.time():.6f}"
            await conn.execute(
                "UPDATE messages SET doc = $2 WHERE id = $1", message["_id"], orjson.dumps(message).decode()
            )

    pending: set[asyncio.Task[None]] = set()
    while time.monotonic() - began < seconds:
        for _ in range(per_tick):
            task = asyncio.create_task(write(sequence))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sequence += 1
        next_tick = began + (sequence / per_tick) * tick
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
    if pending:
        await asyncio.gather(*pending)
    await storage.close()
    print(json.dumps({"written": sequence, "seconds": round(time.monotonic() - began, 2)}), flush=True)


# --- runs ----------------------------------------------------------------------------------------


def prepare(args: argparse.Namespace) -> Settings:
    settings = bench_settings(args.database_url, args.schema)
    upgrade(settings)
    return settings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_latency(args: argparse.Namespace) -> dict[str, Any]:
    settings = prepare(args)
    ports = [args.port, args.port + 1] if args.mode == "two-processes" else [args.port]
    workers = 2 if args.mode == "workers2" else 1
    with servers(settings, ports, workers):
        urls = [f"ws://127.0.0.1:{port}/websocket" for port in ports]
        rooms = make_rooms(f"http://127.0.0.1:{ports[0]}", args.rooms)

        async def measure() -> list[float]:
            clients = await open_widgets(urls, rooms, args.clients)
            samples: list[float] = []
            stop = asyncio.Event()
            readers = [asyncio.create_task(collect(ws, samples, stop)) for ws in clients]
            start_at = time.time() + 1.0
            writer = multiprocessing.get_context("spawn").Process(
                target=writer_process,
                args=(settings.model_dump_json(), rooms, args.rate, args.seconds, start_at),
            )
            writer.start()
            while writer.is_alive():
                await asyncio.sleep(0.2)
            # Late deliveries count too: wait for all of them (or 15 s) rather than cut the tail.
            expected = args.rate * args.seconds * args.clients // args.rooms
            deadline = time.monotonic() + 15
            while len(samples) < expected and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            stop.set()
            for ws in clients:
                await ws.close()
            await asyncio.gather(*readers, return_exceptions=True)
            return samples

        samples = asyncio.run(measure())
    expected = args.rate * args.seconds * args.clients // args.rooms
    return {
        "mode": args.mode,
        "rate": args.rate,
        "seconds": args.seconds,
        "clients": args.clients,
        "rooms": args.rooms,
        "deliveries": len(samples),
        "expected_deliveries": expected,
        "p50_ms": round(percentile(samples, 0.50) * 1000, 2) if samples else None,
        "p99_ms": round(percentile(samples, 0.99) * 1000, 2) if samples else None,
        "max_ms": round(max(samples) * 1000, 2) if samples else None,
    }


def run_idle(args: argparse.Namespace) -> dict[str, Any]:
    settings = prepare(args)
    with servers(settings, [args.port], 1) as (process,):
        rooms = make_rooms(f"http://127.0.0.1:{args.port}", args.rooms)
        url = f"ws://127.0.0.1:{args.port}/websocket"

        async def hold() -> dict[str, Any]:
            await asyncio.sleep(1.0)
            before = rss_kib(process.pid)
            began = time.monotonic()
            clients = await open_widgets([url], rooms, args.connections)
            opened = time.monotonic() - began
            await asyncio.sleep(2.0)
            after = rss_kib(process.pid)
            # Still serving: a ping answered by one of the last clients.
            await clients[-1].send('{"msg":"ping","id":"alive"}')
            alive = orjson.loads(await asyncio.wait_for(clients[-1].recv(), 10)) == {"msg": "pong", "id": "alive"}
            await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
            return {
                "connections": len(clients),
                "open_seconds": round(opened, 1),
                "rss_before_mib": round(before / 1024, 1),
                "rss_after_mib": round(after / 1024, 1),
                "rss_per_1000_mib": round((after - before) / 1024 / (len(clients) / 1000), 2),
                "still_answering": alive,
            }

        return asyncio.run(hold())


def run_storm(args: argparse.Namespace) -> dict[str, Any]:
    settings = prepare(args)
    with servers(settings, [args.port], 1):
        rooms = make_rooms(f"http://127.0.0.1:{args.port}", args.rooms)
        url = f"ws://127.0.0.1:{args.port}/websocket"

        async def storm() -> dict[str, Any]:
            rounds = []
            for _ in range(args.rounds):
                began = time.monotonic()
                results = await asyncio.gather(
                    *(widget(url, *rooms[index % len(rooms)]) for index in range(args.clients)), return_exceptions=True
                )
                took = time.monotonic() - began
                clients = [result for result in results if isinstance(result, ClientConnection)]
                errors = [repr(result) for result in results if not isinstance(result, ClientConnection)]
                # Everyone drops at once, as after a network blip, and comes back at once.
                await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
                rounds.append(
                    {
                        "connected": len(clients),
                        "errors": len(errors),
                        "seconds": round(took, 2),
                        "first_errors": errors[:3],
                    }
                )
            return {"clients": args.clients, "rounds": rounds}

        return asyncio.run(storm())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["latency", "idle", "storm"])
    parser.add_argument("--mode", choices=["one", "workers2", "two-processes"], default="one")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--schema", default="rtbench")
    parser.add_argument("--port", type=int, default=4400)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = {"latency": run_latency, "idle": run_idle, "storm": run_storm}[args.what](args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
