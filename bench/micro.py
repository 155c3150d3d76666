"""The framework's cost per request, without network or database noise.

    uv run python -m bench.micro [--requests 20000] [--profile contacts.get]

Calls each ASGI app in-process, one request after another on uvloop, with a stub database that
answers at once with fixed rows (a real contact document, 10 real room documents). What the
project costs beyond the floor here is the Python it runs around the same queries: ASGI layers,
routing, the endpoint wrapper, validation, the storage wrapper, rendering. uvicorn's HTTP parsing
and asyncpg's protocol work are the same for both and are not in these figures.
"""

import argparse
import asyncio
import cProfile
import pstats
import time
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
import uvloop

from bench import floor, variants
from bench.generate import contact_doc, make_plan, room_doc
from omnicontacts.accounts.config_cache import ConfigCache
from omnicontacts.accounts.passwords import hash_login_token
from omnicontacts.app import create_app
from omnicontacts.restapi.routing import AppState
from omnicontacts.settings import Settings

TOKEN = "t" * 43
USER_ID = "benchuser00000001"
PLAN = make_plan(100, 1000, 7)
CONTACT = orjson.dumps(contact_doc(PLAN, 1)).decode()
ROOMS = [{"doc": orjson.dumps(room_doc(PLAN, index)).decode()} for index in range(10)]
AUTH_ROW = {
    "id": USER_ID,
    "username": "bench",
    "roles": '["admin","user"]',
    "active": True,
    "config_version": 1,
    "created_at": "2100-01-01T00:00:00.000Z",  # a login token that has not expired
}
HASHED = hash_login_token(TOKEN)

PATHS = {
    "contacts.get": ("/api/v1/omnichannel/contacts.get", b"contactId=63b0cd010ca389c35a000005"),
    "contacts.history": ("/api/v1/omnichannel/contacts.history", b"contactId=63b0cd010ca389c35a000005&count=25"),
}


SUSPEND = False  # --suspend: each query waits one event-loop turn, as a real one waits for I/O


async def _io() -> None:
    if SUSPEND:
        await asyncio.sleep(0)


class StubConnection:
    """Fixed answers by statement; asyncpg's Record is a Mapping, so are these rows."""

    dialect = "postgresql"
    commits = 0  # the endpoint wrapper's retry check reads it

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        await _io()
        return AUTH_ROW if args[0] == HASHED else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        await _io()
        if sql.startswith("SELECT doc"):
            return CONTACT
        if sql.startswith("SELECT count"):
            return len(ROOMS)
        return 1

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        await _io()
        return ROOMS


class StubStorage:
    dialect = "postgresql"

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[StubConnection]:
        yield StubConnection()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StubConnection]:
        yield StubConnection()

    async def close(self) -> None:
        return None


class StubPool:
    """What the floor uses of asyncpg's pool: `acquire()` as an async context manager."""

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[StubConnection]:
        yield StubConnection()

    def acquire(self) -> Any:
        return self._acquire()


def project_state() -> AppState:
    config = ConfigCache()
    config.version = 1
    config.permission_roles = {
        "view-livechat-contact": frozenset({"admin"}),
        "view-livechat-contact-history": frozenset({"admin"}),
    }
    config.settings = {"API_Default_Count": 50, "API_Upper_Count_Limit": 100, "API_Allow_Infinite_Count": True}
    return AppState(settings=Settings(), storage=StubStorage(), config=config)  # type: ignore[arg-type]


App = Callable[..., Any]


def apps() -> dict[str, App]:
    """The apps to compare, each wired to the stub database."""
    state = project_state()
    full = create_app(Settings())
    full.state.omni = state
    found: dict[str, App] = {"project": full}
    for name in ("no_middleware", "direct", "no_observability"):
        app = getattr(variants, name)()
        # The variants build their own project app: reach it through the closure to set its state.
        inner = next(cell.cell_contents for cell in app.__closure__ if hasattr(cell.cell_contents, "state"))
        inner.state.omni = state
        found[name] = app
    floor._pool = StubPool()
    found["floor"] = floor.app
    return found


def scope_for(endpoint: str) -> dict[str, Any]:
    path, query = PATHS[endpoint]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 3000),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [
            (b"host", b"127.0.0.1:3000"),
            (b"x-user-id", USER_ID.encode()),
            (b"x-auth-token", TOKEN.encode()),
        ],
    }


async def one(app: App, endpoint: str) -> bytes:
    messages: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(message)

    await app(scope_for(endpoint), receive, send)
    assert messages[0]["status"] == 200, messages
    return bytes(messages[1]["body"])


async def per_request_us(app: App, endpoint: str, requests: int) -> float:
    for _ in range(500):
        await one(app, endpoint)
    started = time.perf_counter()
    for _ in range(requests):
        await one(app, endpoint)
    return (time.perf_counter() - started) / requests * 1e6


async def measure(requests: int, rounds: int) -> None:
    candidates = apps()
    for endpoint in PATHS:
        bodies = {name: await one(app, endpoint) for name, app in candidates.items()}
        assert len(set(bodies.values())) == 1, f"{endpoint}: bodies differ"
        timings: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(rounds):
            for name, app in candidates.items():
                timings[name].append(await per_request_us(app, endpoint, requests))
        best = {name: min(values) for name, values in timings.items()}
        print(f"\n{endpoint}: µs per request in-process (best of {rounds} x {requests}), same body from all")
        for name, value in best.items():
            print(f"  {name:<14} {value:7.1f} µs   (+{value - best['floor']:5.1f} over the floor)")


async def profile(endpoint: str, requests: int) -> None:
    app = apps()["project"]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        await one(app, endpoint)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--suspend", action="store_true", help="each stub query yields to the event loop once")
    parser.add_argument("--profile", choices=list(PATHS), default=None, help="cProfile the project instead")
    args = parser.parse_args()
    global SUSPEND
    SUSPEND = args.suspend
    if args.profile:
        uvloop.run(profile(args.profile, args.requests))
    else:
        uvloop.run(measure(args.requests, args.rounds))


if __name__ == "__main__":
    main()
