"""Latency of the listing shapes a Contact Center page asks for on every load (issue 13): one
server, one client, requests in sequence, each shape's median over `--requests` after a warm-up.

Each answer's digest (rows, order, total) is printed and saved, so that runs before and after a
change can be compared for identical answers. PostgreSQL only.

    uv run python -m bench.listings --schema s1m --runs 3 --requests 20 --label before
"""

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

import asyncpg

from bench.common import BENCH_DATABASE_URL
from bench.run import RESULTS, check_schema, fetch, login, make_servers


def shapes(contacts: int) -> dict[str, str]:
    search = "/api/v1/omnichannel/contacts.search?count=25"
    return {
        "search no term (sort name)": search,
        "search sort lastChat.ts desc": search + "&sort=" + quote(json.dumps({"lastChat.ts": -1})),
        "search sort createdAt desc": search + "&sort=" + quote(json.dumps({"createdAt": -1})),
        "search sort name desc": search + "&sort=" + quote(json.dumps({"name": -1})),
        f"search offset {contacts // 2:,}": search + f"&offset={contacts // 2}",
        "search term silva": search + "&searchText=silva",
        "search term an": search + "&searchText=an",
    }


def digest(body: bytes) -> str:
    data = json.loads(body)
    ids = [item["_id"] for item in data.get("contacts", [])]
    return hashlib.sha1(json.dumps([ids, data.get("total")]).encode()).hexdigest()[:12] + f" total={data.get('total')}"


async def contact_count(url: str, schema: str) -> int:
    conn = await asyncpg.connect(url, server_settings={"search_path": f"{schema},public"})
    try:
        value = await conn.fetchval("SELECT value FROM meta WHERE key = 'bench_contacts'")
        return int(value if value is not None else await conn.fetchval("SELECT count(*) FROM contacts"))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--label", default="")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--shapes", default="", help="comma-separated substrings of the shape names to run")
    parser.add_argument("--migrate", action="store_true", help="apply pending migrations first")
    args = parser.parse_args()

    check_schema(args.database_url, args.schema, migrate=args.migrate)
    contacts = asyncio.run(contact_count(args.database_url, args.schema))
    chosen = {
        name: path
        for name, path in shapes(contacts).items()
        if not args.shapes or any(part in name for part in args.shapes.split(","))
    }
    server = make_servers(args.database_url, args.schema, "uvicorn", 4)["project"]
    server.start()
    results: dict[str, dict[str, object]] = {}
    try:
        headers = login(server.base_url)
        for name, path in chosen.items():
            status, _, body = fetch(server.base_url, path, headers)
            if status != 200:
                sys.exit(f"{name}: HTTP {status} {body[:200]!r}")
            answer = digest(body)
            medians = []
            for _ in range(args.runs):
                times = []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    fetch(server.base_url, path, headers)
                    times.append((time.perf_counter() - started) * 1000)
                medians.append(statistics.median(times))
            p50 = statistics.median(medians)
            results[name] = {"path": path, "answer": answer, "p50_ms_per_run": medians, "p50_ms": p50}
            print(f"{name:34} p50 {p50:9.1f} ms  runs {[round(m, 1) for m in medians]}  {answer}")
    finally:
        server.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"listings-{args.schema}{'-' + args.label if args.label else ''}.json"
    out.write_text(json.dumps({"schema": args.schema, "contacts": contacts, "results": results}, indent=2))
    print(f"saved {Path(out).relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
