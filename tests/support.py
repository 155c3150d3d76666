"""Test support: a real server on a real port, per database, and a small HTTP client for it."""

import asyncio
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from omnicontacts.accounts import service as accounts_service
from omnicontacts.app import create_app
from omnicontacts.bootstrap import prepare_database
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage

ADMIN_USERNAME = "admin.test"
ADMIN_PASSWORD = "admin.test.password"
USER_PASSWORD = "rocket.chat"
POSTGRES_URL_VARIABLE = "OMNICONTACTS_TEST_POSTGRES_URL"

# The bodies every endpoint answers for a missing permission and for missing credentials.
FORBIDDEN = {
    "success": False,
    "error": "User does not have the permissions required for this action [error-unauthorized]",
}
LOGGED_OUT = {
    "success": False,
    "error": "You must be logged in to do this.",
    "status": "error",
    "message": "You must be logged in to do this.",
}

# Rows every test starts without; accounts keep only the admin, config returns to defaults.
DATA_TABLES = (
    "department_agents",
    "departments",
    "import_rejections",
    "imports",
    "contact_import_ids",
    "contact_events",
    "contact_channels",
    "contact_emails",
    "contact_phones",
    "contact_number_keys",
    "contacts",
    "visitor_emails",
    "visitor_phones",
    "visitors",
    "room_tags",
    "rooms",
    "messages",
    "subscriptions",
    "inquiries",
    "custom_fields",
    "permissions",
    "settings",
    "roles",
    "mail_outbox",
    "livechat_page_views",
    "login_failures",
    "api_rate_limits",
    "ui_saved_filters",
)


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_URL_VARIABLE) else ["sqlite"]


class Api:
    """An HTTP client for the server under test, optionally logged in."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.client = httpx.Client(base_url=base_url, headers=headers or {}, timeout=30)

    def as_user(self, credentials: dict[str, str]) -> "Api":
        return Api(self.base_url, credentials)

    def anonymous(self) -> "Api":
        return Api(self.base_url)

    def get(self, path: str, params: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.get(f"/api/v1/{path}", params=params, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(f"/api/v1/{path}", json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.delete(f"/api/v1/{path}", **kwargs)

    def raw(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, **kwargs)

    # --- conveniences used across test modules -------------------------------------------------

    def login(self, username: str, password: str = USER_PASSWORD) -> dict[str, str]:
        response = self.anonymous().post("login", {"user": username, "password": password})
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}

    def create_user(self, username: str | None = None, **extra: Any) -> dict[str, Any]:
        username = username or f"user.{secrets.token_hex(4)}"
        body = {
            "email": f"{username}@example.com",
            "name": username,
            "username": username,
            "password": USER_PASSWORD,
            **extra,
        }
        response = self.post("users.create", body)
        assert response.status_code == 200, response.text
        return response.json()["user"]  # type: ignore[no-any-return]

    def set_permission(self, permission: str, roles: list[str]) -> None:
        response = self.post("permissions.update", {"permissions": [{"_id": permission, "roles": roles}]})
        assert response.status_code == 200, response.text


@dataclass
class RunningServer:
    name: str
    settings: Settings
    base_url: str
    admin_id: str
    admin_headers: dict[str, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_for(backend: str, workdir: Path) -> tuple[Settings, str | None]:
    common: dict[str, Any] = {
        "admin_username": ADMIN_USERNAME,
        "admin_pass": ADMIN_PASSWORD,
        "admin_email": "admin.test@example.com",
        "bcrypt_rounds": 4,
        "db_pool_size": 4,
        # As Rocket.Chat's own suites run: no API rate limiter (tests of the limiter start their own server).
        "test_mode": "true",
    }
    if backend == "sqlite":
        return Settings(database_url=f"sqlite:///{workdir / 'test.db'}", **common), None
    schema = f"omni_test_{os.getpid()}_{secrets.token_hex(3)}"
    url = os.environ[POSTGRES_URL_VARIABLE]
    return Settings(database_url=url, database_schema=schema, **common), schema


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@dataclass
class _ServerThread:
    server: uvicorn.Server
    thread: threading.Thread


def _start(settings: Settings) -> tuple[_ServerThread, str]:
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return _ServerThread(server, thread), f"http://127.0.0.1:{port}"


@contextmanager
def another_worker(settings: Settings) -> Iterator[str]:
    """One more server process's worth of app on the same database (its own caches, counters and
    pool), as `--workers 2` or a second host runs it; yields its base URL."""
    handle, base_url = _start(settings)
    try:
        yield base_url
    finally:
        handle.server.should_exit = True
        handle.thread.join(timeout=10)


def run_server(backend: str, workdir: Path, **overrides: Any) -> Iterator[RunningServer]:
    """A server on `backend`; `overrides` replace test settings (e.g. `test_mode=None` to have
    the API rate limiter on, as a production server has it)."""
    settings, schema = settings_for(backend, workdir)
    if overrides:
        settings = settings.model_copy(update=overrides)
    prepare_database(settings)
    handle, base_url = _start(settings)
    try:
        admin = Api(base_url).login(ADMIN_USERNAME, ADMIN_PASSWORD)
        yield RunningServer(backend, settings, base_url, admin["X-User-Id"], admin)
    finally:
        handle.server.should_exit = True
        handle.thread.join(timeout=10)
        if schema is not None:
            drop_schema(settings.database_url, schema)


async def _reset(settings: Settings, admin_id: str) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            for table in DATA_TABLES:
                await conn.execute(f"DELETE FROM {table}")
            await conn.execute("DELETE FROM login_tokens WHERE user_id <> $1", admin_id)
            await conn.execute("DELETE FROM user_roles WHERE user_id <> $1", admin_id)
            await conn.execute("DELETE FROM users WHERE id <> $1", admin_id)
            await conn.execute("DELETE FROM meta WHERE key <> 'config_version'")
            await accounts_service.seed_defaults(conn)
    finally:
        await storage.close()


def reset_database(server: RunningServer) -> None:
    """Every test starts from an empty store with default permissions and settings."""
    asyncio.run(_reset(server.settings, server.admin_id))


async def _execute(settings: Settings, sql: str, args: tuple[Any, ...]) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await conn.execute(sql, *args)
    finally:
        await storage.close()


def execute_behind_the_server(server: RunningServer, sql: str, *args: Any) -> None:
    """One statement on the server's database, as an operator's SQL would run it: for the few
    states no API can reach (a token's issue time, a user deactivated by hand)."""
    asyncio.run(_execute(server.settings, sql, args))
