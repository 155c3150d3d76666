"""Server time of the Contact Center's pages on a generated data set (bench.generate).

    uv run python -m bench.ui --schema s10k
    uv run python -m bench.ui --database-url postgresql://postgres@127.0.0.1:5432/omnibench --schema s1m

Starts `omnicontacts serve` (one worker) on the data set, signs in through the login form, then
for each page asks `--requests` sampled URLs one after another, `--runs` times, and reports the
median over runs of each run's p50 and p99 of the server's own time (the `Server-Timing` header
the pages send: from the request reaching the page to the response being ready) and of the time
the client saw. Pages: the contact list (first page, a page 40 keyset steps deep, newest first,
by last chat), a search (by a name word, the most common first names, an email fragment, a phone
fragment), its result count, a profile (of contacts that have closed conversations: details,
channels, history, audit trail) and a closed conversation's transcript.
"""

import argparse
import asyncio
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

from bench.common import ADMIN_PASSWORD, ADMIN_USERNAME, BENCH_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT = re.compile(r'href="(/ui/contacts\?[^"]*after=[^"]*)" rel="next"')
TIMING = re.compile(r"app;dur=([0-9.]+)")


async def _samples(url: str, schema: str | None, size: int) -> dict[str, list[str]]:
    conn = await asyncpg.connect(url, server_settings={"search_path": schema} if schema else None)
    try:
        rows = await conn.fetch(
            "SELECT id, doc FROM contacts TABLESAMPLE SYSTEM (5) WHERE enabled AND NOT coalesce(unknown, false) "
            "LIMIT $1",
            size,
        )
        # Conversations closed long enough ago to be in every contact's history; their contacts.
        closed = await conn.fetch(
            "SELECT id, contact_id FROM rooms TABLESAMPLE SYSTEM (0.05) WHERE closed_at IS NOT NULL "
            "AND contact_id IS NOT NULL LIMIT $1",
            size,
        )
    finally:
        await conn.close()
    ids, words, emails, phones, firsts = [], [], [], [], collections.Counter[str]()
    for row in rows:
        doc = json.loads(row["doc"])
        ids.append(row["id"])
        if isinstance(doc.get("name"), str) and doc["name"].split():
            words.append(doc["name"].split()[-1][:6])
            firsts[doc["name"].split()[0]] += 1
        for email in doc.get("emails") or []:
            emails.append(email["address"].split("@")[0][-8:].upper())
        for phone in doc.get("phones") or []:
            digits = re.sub(r"\D", "", phone["phoneNumber"])
            if len(digits) >= 7:
                phones.append(digits[-7:])
    common = [name for name, _ in firsts.most_common(5)]
    return {
        "ids": ids,
        "words": words,
        "emails": emails,
        "phones": phones,
        "common": [common[i % len(common)] for i in range(size)] if common else [],
        "served": [row["contact_id"] for row in closed],
        "rooms": [row["id"] for row in closed],
    }


def _sign_in(client: httpx.Client) -> None:
    token = CSRF.search(client.get("/ui/login").text)
    assert token is not None
    response = client.post(
        "/ui/login", data={"csrf_token": token.group(1), "user": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
    )
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed: {response.status_code}")


def _deep_page(client: httpx.Client, steps: int) -> str:
    url = "/ui/contacts"
    for _ in range(steps):
        found = NEXT.search(client.get(url).text)
        if found is None:
            break
        url = found.group(1).replace("&amp;", "&")
    return url


def _measure(client: httpx.Client, urls: list[str]) -> dict[str, float]:
    server, wall = [], []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        found = TIMING.search(response.headers.get("server-timing", ""))
        assert found is not None, url
        server.append(float(found.group(1)))
    return {
        "server_p50": statistics.median(server),
        "server_p99": statistics.quantiles(server, n=100)[98] if len(server) > 1 else server[0],
        "client_p50": statistics.median(wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--schema", default="s10k")
    parser.add_argument("--port", type=int, default=4650)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--pages", default="", help="only the pages whose name contains one of these (comma-separated)")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DATABASE_SCHEMA": args.schema,
        "ADMIN_USERNAME": ADMIN_USERNAME,
        "ADMIN_PASS": ADMIN_PASSWORD,
        "ADMIN_EMAIL": "bench.admin@example.com",
    }
    command = [str(Path(sys.executable).parent / "omnicontacts"), "serve", "--host", "127.0.0.1"]
    server = subprocess.Popen([*command, "--port", str(args.port)], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(1200):
            try:
                if httpx.get(base + "/api/info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        samples = asyncio.run(_samples(args.database_url, args.schema, args.requests))
        with httpx.Client(base_url=base, timeout=60) as client:
            _sign_in(client)
            deep = _deep_page(client, 40)
            n = args.requests
            pages = {
                "list, first page": ["/ui/contacts"] * n,
                "list, 40 pages deep (keyset)": [deep] * n,
                "list, newest first": ["/ui/contacts?sort=created"] * n,
                "list, by last chat": ["/ui/contacts?sort=lastChat"] * n,
                "search, name word": ["/ui/contacts?" + urlencode({"q": w}) for w in samples["words"][:n]],
                "search, common first name": ["/ui/contacts?" + urlencode({"q": w}) for w in samples["common"][:n]],
                "search, email fragment (mixed case)": [
                    "/ui/contacts?" + urlencode({"q": e}) for e in samples["emails"][:n]
                ],
                "search, phone fragment": ["/ui/contacts?" + urlencode({"q": p}) for p in samples["phones"][:n]],
                "search count, phone fragment": [
                    "/ui/contacts/count?" + urlencode({"q": p}) for p in samples["phones"][:n]
                ],
                "profile": [f"/ui/contacts/{i}" for i in samples["ids"][:n]],
                "profile, contact with conversations": [f"/ui/contacts/{i}" for i in samples["served"][:n]],
                "transcript": [f"/ui/rooms/{i}" for i in samples["rooms"][:n]],
            }
            wanted = args.pages.split(",")
            pages = {name: urls for name, urls in pages.items() if urls and any(part in name for part in wanted)}
            for urls in pages.values():  # warm-up
                _measure(client, urls[:10])
            results: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
            for _ in range(args.runs):
                for name, urls in pages.items():
                    results[name].append(_measure(client, urls))
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary: dict[str, Any] = {}
    print(f"data set {args.schema}; {args.runs} runs of {args.requests} requests; medians over runs (ms)")
    print(f"{'page':40} {'server p50':>11} {'server p99':>11} {'client p50':>11}")
    for name, runs in results.items():
        row = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        summary[name] = row
        print(f"{name:40} {row['server_p50']:11.2f} {row['server_p99']:11.2f} {row['client_p50']:11.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"ui-{args.schema}-{int(time.time())}.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
