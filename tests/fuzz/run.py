"""The long fuzz: hostile requests to every registered endpoint of a running server, over HTTP.

    uv run python -m tests.fuzz.run --url http://127.0.0.1:3000 --requests 100000

or, with `--in-process` instead of `--url`, into the app itself (as `omnicontacts serve` would run
it from the same environment: DATABASE_URL, DATABASE_SCHEMA, ADMIN_USERNAME, ADMIN_PASS), through
httpx's ASGI transport: the same requests and answers without the two HTTP stacks in between,
which on a loaded machine is several times faster. Several such runs (different seeds) may share
one database, as several server processes do.

It logs in as ADMIN_USERNAME / ADMIN_PASS, seeds a visitor, a room and a contact through the API,
then sends requests drawn by tests/fuzz/hostile.py, a third as the admin, a third anonymous and a
third with forged credentials, `--concurrency` at a time. It counts the answers by status and
exits 1 if any was 5xx or not JSON (a successful download excepted), printing the first of them
(request and answer) to reproduce.
"""

import argparse
import asyncio
import collections
import os
import random
import sys
import time
from typing import Any

import httpx

from omnicontacts.app import create_app
from omnicontacts.bootstrap import prepare_database
from omnicontacts.settings import Settings
from tests.fuzz.hostile import Drawn, Hostile, Pools, Target, targets


def is_download(response: httpx.Response) -> bool:
    """A successful export is a file (CSV or JSON Lines), not a JSON document."""
    return response.status_code == 200 and response.headers.get("content-type", "").startswith(
        ("text/csv", "application/x-ndjson")
    )


class Run:
    def __init__(self, url: str, seed: int, username: str, password: str) -> None:
        self.url = url
        self.rng = random.Random(seed)
        self.username = username
        self.password = password
        self.pools = Pools()
        self.admin: dict[str, str] = {}
        self.statuses: collections.Counter[int] = collections.Counter()
        self.failures: list[str] = []
        self.slowest: list[tuple[float, str]] = []
        self.targets: list[Target] = targets(create_app())

    async def login(self, client: httpx.AsyncClient) -> dict[str, str]:
        response = await client.post("/api/v1/login", json={"user": self.username, "password": self.password})
        response.raise_for_status()
        data = response.json()["data"]
        return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}

    async def seed(self, client: httpx.AsyncClient) -> None:
        token = f"fuzz-{self.rng.getrandbits(64):x}"
        number = self.rng.randrange(10**7)
        visitor = {
            "token": token,
            "name": "Fuzz Visitor",
            "email": f"{token}@example.com",
            "phone": f"+1555{number:07d}",
        }
        registered = (await client.post("/api/v1/livechat/visitor", json={"visitor": visitor})).json()["visitor"]
        room = (await client.get("/api/v1/livechat/room", params={"token": token})).json()["room"]
        await client.post("/api/v1/livechat/message", json={"token": token, "rid": room["_id"], "msg": "hello"})
        contact = await client.post(
            "/api/v1/omnichannel/contacts",
            json={"name": "Fuzz Contact", "emails": ["c@example.com"], "phones": ["+15550199"]},
            headers=self.admin,
        )
        self.pools.add(token, registered["_id"], room["_id"], contact.json().get("contactId"), "c@example.com")
        self.pools.add("Message_MaxAllowedSize", "API_Upper_Count_Limit", "API_Default_Count", "view-l-room")

    def draw(self) -> Drawn:
        target = self.rng.choice(self.targets)
        who = self.rng.randrange(3)
        headers = self.admin if who == 0 else {} if who == 1 else {**self.admin, "X-Auth-Token": "forged-token"}
        if who == 0 and target.path.endswith("/logout"):
            headers = {}  # the admin session outlives the run
        return Hostile(self.rng, self.pools).request(target, headers)

    async def one(self, client: httpx.AsyncClient, drawn: Drawn) -> None:
        started = time.monotonic()
        try:
            response = await client.request(
                drawn.method,
                drawn.url,
                headers=drawn.headers,
                content=drawn.content,
                data=drawn.data,
                files=drawn.files,
            )
        except httpx.HTTPError as error:
            self.statuses[0] += 1
            self.failures.append(f"transport error {error!r} for {drawn.describe()}")
            print(f"FAILURE {self.failures[-1]}", flush=True)
            return
        self.statuses[response.status_code] += 1
        elapsed = time.monotonic() - started
        if len(self.slowest) < 5 or elapsed > self.slowest[-1][0]:
            self.slowest = sorted([*self.slowest, (elapsed, drawn.describe()[:200])], reverse=True)[:5]
        problem = None
        if response.status_code >= 500:
            problem = f"{response.status_code} {response.text[:300]}"
        elif response.status_code not in (204, 304) and not is_download(response):
            try:
                response.json()
            except ValueError:
                problem = f"not JSON {response.headers.get('content-type')}: {response.text[:200]}"
        if problem is not None:
            self.failures.append(f"{problem} for {drawn.describe()}")
            print(f"FAILURE {self.failures[-1]}", flush=True)

    async def main(self, requests: int, concurrency: int, in_process: bool = False) -> None:
        if not in_process:
            limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
            async with httpx.AsyncClient(base_url=self.url, timeout=120, limits=limits) as client:
                await self.walk(client, requests, concurrency)
            return
        settings = Settings()
        await asyncio.to_thread(prepare_database, settings)  # migrations and the admin, as `serve` does
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
            async with httpx.AsyncClient(transport=transport, base_url=self.url, timeout=120) as client:
                await self.walk(client, requests, concurrency)

    async def walk(self, client: httpx.AsyncClient, requests: int, concurrency: int) -> None:
        self.admin = await self.login(client)
        await self.seed(client)
        started = time.monotonic()
        remaining = [requests]

        async def worker() -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                await self.one(client, self.draw())
                sent = requests - remaining[0]
                if sent % 1000 == 0:
                    rate = sent / (time.monotonic() - started)
                    print(f"{sent} requests, {rate:.0f}/s, {dict(sorted(self.statuses.items()))}", flush=True)
                    # A walk may have revoked the admin's session (users.delete, permissions): renew it.
                    if (await client.get("/api/v1/me", headers=self.admin)).status_code != 200:
                        self.admin = await self.login(client)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server")
    where.add_argument("--in-process", action="store_true", help="the app itself, from the environment")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--username", default=os.environ.get("ADMIN_USERNAME"))
    parser.add_argument("--password", default=os.environ.get("ADMIN_PASS"))
    args = parser.parse_args(argv)
    if not args.username or not args.password:
        parser.error("give --username/--password or set ADMIN_USERNAME/ADMIN_PASS")
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    run = Run(args.url or "http://in-process", seed, args.username, args.password)
    started = time.monotonic()
    try:
        asyncio.run(run.main(args.requests, args.concurrency, in_process=args.in_process))
    except KeyboardInterrupt:
        print("interrupted: the summary covers the requests answered so far")
    elapsed = time.monotonic() - started
    total = sum(run.statuses.values())
    summary: dict[str, Any] = {
        "seed": seed,
        "requests": total,
        "seconds": round(elapsed, 1),
        "endpoints": len(run.targets),
        "statuses": dict(sorted(run.statuses.items())),
        "5xx": sum(count for status, count in run.statuses.items() if status >= 500),
        "failures": len(run.failures),
    }
    print(summary)
    for failure in run.failures[:20]:
        print(failure)
    for seconds, described in run.slowest:
        print(f"slowest: {seconds:.2f}s {described}")
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
