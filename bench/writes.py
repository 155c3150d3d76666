"""Write paths under load: conversations, renames, blocks; and a bystander while one client reads
everything.

    uv run python -m bench.writes --schema s1m                                  # PostgreSQL
    uv run python -m bench.writes --database-url sqlite:////path/s100k.db       # SQLite
    uv run python -m bench.writes --database-url sqlite:////path/s100k.db --scenarios bystander

Starts the project as bench.run does (one uvicorn worker on the app factory), then for each
scenario runs `--clients` concurrent clients (httpx, keep-alive) for `--duration` seconds, `--runs`
times, and reports medians:

- `conversation`: a new visitor with an email and a phone registers, opens a room (which looks
  for a pre-registered contact with that email or phone, and makes a contact), sends three
  messages and closes the room. Conversations per second, and p50/p99 of the room opening.
- `rename`: contacts.update with a new name on a contact that has closed rooms (the rooms, and
  the subscriptions and inquiries of its visitors, take the new name). Requests per second, p50, p99.
- `block`: contacts.block then contacts.unblock of one channel of a contact.
- `bystander`: one client reads the whole contact list (`contacts.search?count=0`) over and over
  while wrk (8 connections) asks for single contacts (`contacts.get`); the bystander's p50/p99.
  Without it, the same wrk run alone, for comparison.

Every client is in this process and shares the machine's two cores with the server and the
database: figures are for comparing sizes and versions measured in the same window.
"""

import argparse
import asyncio
import json
import secrets
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import BENCH_DATABASE_URL
from bench.run import RESULTS, Server, login, make_servers, write_lua


async def _sample(url: str, schema: str | None, size: int) -> dict[str, list[Any]]:
    """Contacts with closed rooms (renames) and their first channel (blocks)."""
    if url.startswith("sqlite"):
        raw = sqlite3.connect(url.split("sqlite:///", 1)[1])
        raw.row_factory = sqlite3.Row
        # Spread over the table: every n-th contact by rowid.
        total = raw.execute("SELECT max(seq) FROM contacts").fetchone()[0] or 1
        step = max(1, total // (size * 2))
        rows = raw.execute(
            "SELECT c.id, c.doc FROM contacts c WHERE c.seq % ? = 0 AND c.enabled AND EXISTS "
            "(SELECT 1 FROM rooms r WHERE r.contact_id = c.id) LIMIT ?",
            (step, size),
        ).fetchall()
        raw.close()
    else:
        conn = await asyncpg.connect(url, server_settings={"search_path": f"{schema},public"})
        try:
            rows = await conn.fetch(
                "SELECT c.id, c.doc FROM (SELECT id FROM contacts TABLESAMPLE SYSTEM (1) LIMIT $1) s "
                "JOIN contacts c ON c.id = s.id WHERE c.enabled AND c.doc::jsonb -> 'channels' <> '[]'::jsonb",
                size,
            )
        finally:
            await conn.close()
    contacts = [row["id"] for row in rows]
    channels = []
    for row in rows:
        doc = json.loads(row["doc"])
        for channel in doc.get("channels") or []:
            channels.append(channel["visitor"])
            break
    return {"contacts": contacts, "channels": channels}


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def _drive(
    base_url: str, headers: dict[str, str], scenario: str, clients: int, duration: float, samples: dict[str, list[Any]]
) -> dict[str, Any]:
    deadline = time.monotonic() + duration
    latencies: list[float] = []  # the scenario's measured step, ms
    done = 0
    errors = 0
    counter = iter(range(10**9))

    async def conversation(client: httpx.AsyncClient) -> None:
        nonlocal done, errors
        token = secrets.token_hex(12)
        number = next(counter)
        visitor = {
            "token": token,
            "name": f"Bench Visitor {number}",
            "email": f"bench.{token}@example.net",
            "phone": f"+1999{secrets.randbelow(10**9):09d}",
        }
        response = await client.post("/api/v1/livechat/visitor", json={"visitor": visitor})
        started = time.monotonic()
        opened = await client.get("/api/v1/livechat/room", params={"token": token})
        latencies.append((time.monotonic() - started) * 1000)
        if response.status_code != 200 or opened.status_code != 200:
            errors += 1
            return
        rid = opened.json()["room"]["_id"]
        for text in ("Hello", "Where is my order?", "Thanks"):
            sent = await client.post("/api/v1/livechat/message", json={"token": token, "rid": rid, "msg": text})
            errors += sent.status_code != 200
        closed = await client.post("/api/v1/livechat/room.close", json={"token": token, "rid": rid})
        errors += closed.status_code != 200
        done += 1

    async def rename(client: httpx.AsyncClient) -> None:
        nonlocal done, errors
        contacts = samples["contacts"]
        contact_id = contacts[next(counter) % len(contacts)]
        started = time.monotonic()
        response = await client.post(
            "/api/v1/omnichannel/contacts.update",
            json={"contactId": contact_id, "name": f"Renamed {secrets.token_hex(4)}"},
            headers=headers,
        )
        latencies.append((time.monotonic() - started) * 1000)
        errors += response.status_code != 200
        done += 1

    async def block(client: httpx.AsyncClient) -> None:
        nonlocal done, errors
        channels = samples["channels"]
        association = channels[next(counter) % len(channels)]
        for path in ("contacts.block", "contacts.unblock"):
            started = time.monotonic()
            response = await client.post(f"/api/v1/omnichannel/{path}", json={"visitor": association}, headers=headers)
            latencies.append((time.monotonic() - started) * 1000)
            errors += response.status_code != 200
            done += 1

    work = {"conversation": conversation, "rename": rename, "block": block}[scenario]

    async def one_client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    await work(client)
                except httpx.HTTPError:  # a timeout: counted, with the time it took
                    errors += 1
                    latencies.append((time.monotonic() - started) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.monotonic() - started
    return {
        "per_s": done / elapsed,
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
        "errors": errors,
        "count": done,
    }


def _bystander(
    server: Server, headers: dict[str, str], contacts: list[str], duration: int, paging: bool
) -> dict[str, Any]:
    """wrk on contacts.get (8 connections) while, with `paging`, one client reads every contact."""
    stop = threading.Event()
    pages = 0

    def pager() -> None:
        nonlocal pages
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as client:
            while not stop.is_set():
                with client.stream("GET", "/api/v1/omnichannel/contacts.search", params={"count": 0}) as response:
                    for _ in response.iter_bytes():
                        if stop.is_set():
                            break
                pages += 1

    thread = threading.Thread(target=pager, daemon=True)
    with tempfile.TemporaryDirectory() as directory:
        paths = [f"/api/v1/omnichannel/contacts.get?contactId={value}" for value in contacts]
        script = write_lua(paths, headers, Path(directory), "bystander")
        if paging:
            thread.start()
            time.sleep(1)
        command = ["wrk", "-t1", "-c8", f"-d{duration}s", "--timeout", "10s", "-s", str(script), server.base_url]
        completed = subprocess.run(command, capture_output=True, text=True, check=True)
        stop.set()
        if paging:
            thread.join(timeout=120)
    raw = json.loads([line for line in completed.stdout.splitlines() if line.startswith("RESULT ")][-1][7:])
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "per_s": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": errors,
        "full_lists_read": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--schema", default="s10k")
    parser.add_argument("--label", default=None)
    parser.add_argument("--scenarios", default="conversation,rename,block")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--app", default="omnicontacts.app:app_from_environment")
    args = parser.parse_args()
    sqlite = args.database_url.startswith("sqlite")
    schema = None if sqlite else args.schema
    label = args.label or (Path(args.database_url).stem if sqlite else args.schema)
    samples = asyncio.run(_sample(args.database_url, schema, 2000))
    print(f"{label}: {len(samples['contacts'])} contacts sampled", flush=True)
    server = make_servers(args.database_url, schema or "", "uvicorn", args.pool_size, args.app)["project"]
    results: dict[str, list[dict[str, Any]]] = {}
    peak_kb = 0
    try:
        server.start()
        headers = login(server.base_url)
        for scenario in args.scenarios.split(","):
            variants = ["alone", "paging"] if scenario == "bystander" else [scenario]
            for run in range(args.runs):
                for variant in variants:
                    if scenario == "bystander":
                        item = _bystander(server, headers, samples["contacts"], args.duration, variant == "paging")
                    else:
                        item = asyncio.run(
                            _drive(server.base_url, headers, scenario, args.clients, args.duration, samples)
                        )
                    name = f"bystander-{variant}" if scenario == "bystander" else scenario
                    results.setdefault(name, []).append(item)
                    print(
                        f"  {name:<20} run {run + 1}: "
                        + "  ".join(
                            f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
                            for key, value in item.items()
                        ),
                        flush=True,
                    )
            peak_kb = max(peak_kb, server.memory_kb()["VmHWM"])
    finally:
        server.stop()
    summary = {
        name: {key: statistics.median(item[key] for item in items) for key in ("per_s", "p50_ms", "p99_ms")}
        | {"errors": sum(item["errors"] for item in items), "runs": len(items)}
        for name, items in results.items()
    }
    print(f"\n{label}: medians of {args.runs} runs, {args.clients} clients, peak worker RSS {peak_kb / 1024:.0f} MB")
    for name, row in summary.items():
        print(
            f"  {name:<20} {row['per_s']:9.1f}/s  p50 {row['p50_ms']:8.2f} ms  p99 {row['p99_ms']:8.2f} ms  "
            f"errors {row['errors']}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = RESULTS / f"writes-{label}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    output.write_text(
        json.dumps(
            {
                "label": label,
                "settings": vars(args) | {"database_url": "(omitted)"},
                "summary": summary,
                "runs": results,
                "peak_rss_kb": peak_kb,
            },
            indent=2,
        )
    )
    print(f"raw results: {output}")


if __name__ == "__main__":
    main()
