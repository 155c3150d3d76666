"""The raw floor: the project's SQL and bytes with no framework in between.

    DATABASE_URL=... DATABASE_SCHEMA=s10k uv run uvicorn bench.floor:app --loop uvloop --http httptools

A bare ASGI callable on the same server stack as the project (uvicorn, uvloop, httptools, an
asyncpg pool of the same size and search_path). Per request it runs exactly the statements the
project runs (the authentication query unless the login was checked in the last second, as the
project's workers remember it, then the endpoint's queries, same SQL text, so the same prepared
statements) and answers byte-identical bodies and headers. It skips everything else:
routing tables, request objects, permission lookups, parameter validation, error rendering.
The runner checks the bodies against the project's before measuring.

At startup the floor also drives the project's own repository and service functions against a
recording connection and refuses to start if their SQL differs from the floor's: if the project
changes its queries, the floor has to be updated, rather than silently measuring something else.
"""

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import orjson

from omnicontacts.accounts.passwords import hash_login_token
from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.restapi.query import like_pattern, total_from_page
from omnicontacts.storage.postgres import PostgresStorage

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

AUTH_SQL = """
SELECT u.id, u.username, u.roles, u.active, t.created_at,
       (SELECT value FROM meta WHERE key = 'config_version') AS config_version
FROM login_tokens t JOIN users u ON u.id = t.user_id
WHERE t.hashed_token = $1 AND t.user_id = $2
"""
GET_SQL = "SELECT doc FROM contacts WHERE id = $1 AND enabled"
EXISTS_SQL = "SELECT 1 FROM contacts WHERE id = $1 AND enabled"
HISTORY_SQL = (
    "SELECT doc FROM rooms WHERE contact_id = $1 AND closed_at IS NOT NULL "
    "ORDER BY closed_at DESC, id DESC LIMIT {count} OFFSET {offset}"
)
TOTAL_SQL = "SELECT count(*) FROM rooms WHERE contact_id = $1 AND closed_at IS NOT NULL"
SEARCH_WHERE = "enabled AND unknown = $1 AND search_text LIKE $2 ESCAPE '\\'"
SEARCH_SQL = (
    "SELECT doc FROM contacts WHERE " + SEARCH_WHERE + " ORDER BY name ASC NULLS FIRST, id ASC LIMIT {count} OFFSET 0"
)
SEARCH_TOTAL_SQL = "SELECT count(*) FROM contacts WHERE " + SEARCH_WHERE
# A number: its candidates from the key range of contact_number_keys, checked on the row.
NUMBER_SEARCH_WHERE = (
    "id IN (SELECT contact_id FROM contact_number_keys WHERE key >= $3 AND key < $4) AND " + SEARCH_WHERE
)
NUMBER_SEARCH_SQL = (
    "SELECT doc FROM contacts WHERE "
    + NUMBER_SEARCH_WHERE
    + " ORDER BY name ASC NULLS FIRST, id ASC LIMIT {count} OFFSET 0"
)
NUMBER_SEARCH_TOTAL_SQL = "SELECT count(*) FROM contacts WHERE " + NUMBER_SEARCH_WHERE
EMAIL_EXISTS_SQL = "SELECT 1 FROM contact_emails WHERE address = $1 LIMIT 1"
# Rocket.Chat's contacts.search is an unanchored case-insensitive regex over name, emails and
# phones that reads every contact. The same question without the trigram index: every contact's
# lower-cased name, and every email and phone, tested against the pattern.
BASELINE_WHERE = (
    "enabled AND unknown = $1 AND (lower(name) LIKE $2 ESCAPE '\\' "
    "OR id IN (SELECT contact_id FROM contact_emails WHERE lower(address) LIKE $2 ESCAPE '\\') "
    "OR id IN (SELECT contact_id FROM contact_phones WHERE lower(phone) LIKE $2 ESCAPE '\\'))"
)
BASELINE_SQL = (
    "SELECT doc FROM contacts WHERE " + BASELINE_WHERE + " ORDER BY name ASC NULLS FIRST, id ASC LIMIT {count} OFFSET 0"
)
BASELINE_TOTAL_SQL = "SELECT count(*) FROM contacts WHERE " + BASELINE_WHERE
# The same projection as the project, by construction.
HISTORY_FIELDS = contacts_repository.HISTORY_FIELDS
GET_PATH = "/api/v1/omnichannel/contacts.get"
HISTORY_PATH = "/api/v1/omnichannel/contacts.history"
SEARCH_PATH = "/api/v1/omnichannel/contacts.search"
BASELINE_SEARCH_PATH = "/baseline/omnichannel/contacts.search"
EXISTENCE_PATH = "/api/v1/omnichannel/contacts.checkExistence"
JSON_HEADERS = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
CONTENT_TYPE = (b"content-type", b"application/json")

# Calibration only: burn this many µs of Python per request, to see what a given amount of
# extra Python per request costs over the wire (bench/run.py --floor-spin-us).
SPIN_SECONDS = float(os.environ.get("FLOOR_SPIN_US", "0")) / 1e6

_pool: Any = None  # the asyncpg pool inside the project's storage
# As the project's workers do (accounts/auth_cache.py): a login checked less than this many
# seconds ago is not queried again. FLOOR_AUTH_CACHE_SECONDS=0 queries on every request.
AUTH_CACHE_SECONDS = float(os.environ.get("FLOOR_AUTH_CACHE_SECONDS", "1.0"))
_logins: dict[tuple[str, str], tuple[float, Any]] = {}
_storage: PostgresStorage | None = None


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode()), CONTENT_TYPE]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    assert _pool is not None
    if SPIN_SECONDS:
        deadline = time.perf_counter() + SPIN_SECONDS
        while time.perf_counter() < deadline:
            pass
    headers = dict(scope["headers"])
    user_id = headers.get(b"x-user-id", b"").decode()
    token = headers.get(b"x-auth-token", b"").decode()
    params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
    path = scope["path"]
    contact_id = params.get("contactId", "")
    async with _pool.acquire() as conn:
        hashed = hash_login_token(token)
        known = _logins.get((user_id, hashed))
        if known is not None and known[0] > time.monotonic():
            user = known[1]
        else:
            user = await conn.fetchrow(AUTH_SQL, hashed, user_id)
            if user is not None and AUTH_CACHE_SECONDS > 0:
                _logins[(user_id, hashed)] = (time.monotonic() + AUTH_CACHE_SECONDS, user)
        if user is None:
            await _answer(send, 401, b'{"status":"error","message":"You must be logged in to do this."}')
            return
        if path == GET_PATH:
            doc = await conn.fetchval(GET_SQL, contact_id)
            if doc is None:
                await _answer(send, 404, b'{"success":false,"error":"Not found"}')
                return
            await _answer(send, 200, b'{"contact":' + doc.encode() + b',"success":true}')
            return
        if path == HISTORY_PATH:
            if not await conn.fetchval(EXISTS_SQL, contact_id):
                await _answer(send, 400, b'{"success":false,"error":"error-contact-not-found"}')
                return
            count = min(int(params.get("count", 50)), 100)
            offset = int(params.get("offset", 0))
            rows = await conn.fetch(HISTORY_SQL.format(count=count, offset=offset), contact_id)
            total = total_from_page(offset, count, len(rows))
            if total is None:
                total = await conn.fetchval(TOTAL_SQL, contact_id)
            history = []
            for row in rows:
                room = orjson.loads(row["doc"])
                history.append({key: room[key] for key in HISTORY_FIELDS if key in room})
            body = {"history": history, "count": len(history), "offset": offset, "total": total, "success": True}
            await _answer(send, 200, orjson.dumps(body))
            return
        if path in (SEARCH_PATH, BASELINE_SEARCH_PATH):
            term = params.get("searchText", "").lower()
            count = min(int(params.get("count", 50)), 100)
            args: tuple[Any, ...] = (False, like_pattern(term))
            if path == BASELINE_SEARCH_PATH:
                page, total_sql = BASELINE_SQL, BASELINE_TOTAL_SQL
            elif (prefix := contacts_repository.number_probe(term)) is not None:
                page, total_sql = NUMBER_SEARCH_SQL, NUMBER_SEARCH_TOTAL_SQL
                args += (prefix, prefix + "\x7f")
            else:
                page, total_sql = SEARCH_SQL, SEARCH_TOTAL_SQL
            rows = await conn.fetch(page.format(count=count), *args)
            found = total_from_page(0, count, len(rows))
            if found is None:
                found = await conn.fetchval(total_sql, *args)
            # The stored documents spliced in as stored (the project parses them to expand
            # contact managers, which these contacts do not have).
            docs = b",".join(row["doc"].encode() for row in rows)
            tail = b'],"count":%d,"offset":0,"total":%d,"success":true}' % (count, found)
            await _answer(send, 200, b'{"contacts":[' + docs + tail)
            return
        if path == EXISTENCE_PATH:
            exists = await conn.fetchval(EMAIL_EXISTS_SQL, params.get("email", ""))
            await _answer(
                send, 200, b'{"exists":true,"success":true}' if exists else b'{"exists":false,"success":true}'
            )
            return
    await _answer(send, 404, b'{"success":false,"error":"Resource not found"}')


async def _lifespan(receive: Receive, send: Send) -> None:
    global _pool, _storage
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await check_same_sql()
                # The project's own pool (same size, search_path and connection reset on release).
                _storage = await PostgresStorage.open(
                    os.environ["DATABASE_URL"],
                    schema=os.environ.get("DATABASE_SCHEMA") or None,
                    pool_size=int(os.environ.get("DB_POOL_SIZE", "10")),
                )
                _pool = _storage._pool
            except Exception as error:
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _storage is not None:
                await _storage.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


# --- the startup check: the project's statements, recorded ---------------------------------------


class RecordingConnection:
    """Answers like a database holding enabled contacts, every listing `rows` long; remembers
    each statement. A full page makes the project count; a short one lets it read the total."""

    dialect = "postgresql"

    def __init__(self, rows: int = 0) -> None:
        self.statements: list[str] = []
        self.rows = rows

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        self.statements.append(sql)
        return [{"doc": '{"_id":"x"}'}] * self.rows

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return 1 if sql.lstrip().upper().startswith(("SELECT 1", "SELECT COUNT")) else '{"_id":"x"}'


async def project_statements() -> dict[str, list[str]]:
    """The SQL the project's request path runs, per endpoint and case (authentication first)."""
    from omnicontacts.accounts import repository as accounts_repository
    from omnicontacts.contacts import service

    async def record(rows: int, call: Callable[[Any], Awaitable[Any]]) -> list[str]:
        conn = RecordingConnection(rows)
        await accounts_repository.find_user_by_token(conn, "user", "token")  # type: ignore[arg-type]
        await call(conn)
        return conn.statements

    def search(term: str) -> Callable[[Any], Awaitable[Any]]:
        return lambda conn: service.search_contacts(
            conn, search_text=term, unknown=False, sort=None, offset=0, count=50
        )

    def history(conn: Any) -> Awaitable[Any]:
        return service.contact_history(conn, "contact", source=None, sort=None, offset=0, count=25)

    return {
        "contacts.get": await record(0, lambda conn: contacts_repository.find_enabled_doc_text(conn, "contact")),
        "contacts.history": await record(3, history),
        "contacts.history (full page)": await record(25, history),
        "contacts.search": await record(1, search("term")),
        "contacts.search (full page)": await record(50, search("term")),
        "contacts.search (number, full page)": await record(50, search("555-0123")),
        "contacts.checkExistence": await record(
            0, lambda conn: service.contact_exists(conn, contact_id=None, email="a@b.c", phone=None)
        ),
    }


FLOOR_STATEMENTS = {
    "contacts.get": [AUTH_SQL, GET_SQL],
    "contacts.history": [AUTH_SQL, EXISTS_SQL, HISTORY_SQL.format(count=25, offset=0)],
    "contacts.history (full page)": [AUTH_SQL, EXISTS_SQL, HISTORY_SQL.format(count=25, offset=0), TOTAL_SQL],
    "contacts.search": [AUTH_SQL, SEARCH_SQL.format(count=50)],
    "contacts.search (full page)": [AUTH_SQL, SEARCH_SQL.format(count=50), SEARCH_TOTAL_SQL],
    "contacts.search (number, full page)": [AUTH_SQL, NUMBER_SEARCH_SQL.format(count=50), NUMBER_SEARCH_TOTAL_SQL],
    "contacts.checkExistence": [AUTH_SQL, EMAIL_EXISTS_SQL],
}


async def check_same_sql() -> None:
    project = await project_statements()
    for endpoint, statements in FLOOR_STATEMENTS.items():
        if project[endpoint] != statements:
            raise RuntimeError(f"{endpoint}: the project now runs {project[endpoint]!r}, the floor {statements!r}")
