"""All SQL of the accounts domain: users, login tokens, roles, permissions, settings."""

from typing import Any

from omnicontacts import changes, jsonutil
from omnicontacts.storage import Connection, Row

CONFIG_VERSION_KEY = "config_version"

AUTH_SQL = """
SELECT u.id, u.username, u.roles, u.active, t.created_at,
       (SELECT value FROM meta WHERE key = 'config_version') AS config_version
FROM login_tokens t JOIN users u ON u.id = t.user_id
WHERE t.hashed_token = $1 AND t.user_id = $2 AND u.active
"""


async def find_user_by_token(conn: Connection, user_id: str, hashed_token: str) -> Row | None:
    """The active user of a login token, with the token's issue time (`created_at`): the caller
    checks it against `Accounts_LoginExpiration` once its settings are fresh. A deactivated
    user's tokens answer nothing, as a logged-out one's."""
    return await conn.fetchrow(AUTH_SQL, hashed_token, user_id)


RESUME_SQL = """
SELECT u.id, u.username, u.roles, t.created_at
FROM login_tokens t JOIN users u ON u.id = t.user_id
WHERE t.hashed_token = $1 AND u.active
"""


async def find_user_by_hashed_token(conn: Connection, hashed_token: str) -> Row | None:
    """The user a login token belongs to, without their id (a DDP `login` resume)."""
    return await conn.fetchrow(RESUME_SQL, hashed_token)


async def config_version(conn: Connection) -> int:
    value = await conn.fetchval("SELECT value FROM meta WHERE key = $1", CONFIG_VERSION_KEY)
    return int(value or 0)


async def bump_config_version(conn: Connection) -> None:
    """Every worker compares this number on its next authentication query and reloads what
    changed; the announcement makes them run that query instead of trusting a cached login."""
    updated = await conn.execute("UPDATE meta SET value = value + 1 WHERE key = $1", CONFIG_VERSION_KEY)
    if not updated:
        await conn.execute("INSERT INTO meta (key, value) VALUES ($1, 1)", CONFIG_VERSION_KEY)
    await changes.publish(conn, "config")


# --- users -------------------------------------------------------------------------------------


async def insert_user(
    conn: Connection,
    *,
    user_id: str,
    username: str,
    email: str | None,
    password_hash: str | None,
    roles: list[str],
    active: bool,
    created_at: str,
    doc: dict[str, Any],
) -> None:
    await conn.execute(
        "INSERT INTO users (id, username, username_key, email_key, password_hash, roles, active, "
        "created_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        user_id,
        username,
        username.lower(),
        email.lower() if email else None,
        password_hash,
        jsonutil.dumps_str(roles),
        active,
        created_at,
        jsonutil.dumps_str(doc),
    )
    await _write_roles(conn, user_id, roles)


async def update_user(conn: Connection, user_id: str, doc: dict[str, Any]) -> None:
    emails = doc.get("emails") or []
    await conn.execute(
        "UPDATE users SET username = $2, username_key = $3, email_key = $4, roles = $5, active = $6, "
        "doc = $7 WHERE id = $1",
        user_id,
        doc["username"],
        doc["username"].lower(),
        emails[0]["address"].lower() if emails else None,
        jsonutil.dumps_str(doc.get("roles", [])),
        bool(doc.get("active", True)),
        jsonutil.dumps_str(doc),
    )
    await _write_roles(conn, user_id, doc.get("roles", []))
    await changes.publish(conn, "user", _id=user_id)


async def _write_roles(conn: Connection, user_id: str, roles: list[str]) -> None:
    """Mirror the document's roles into `user_roles`, the index of who holds which role."""
    await conn.execute("DELETE FROM user_roles WHERE user_id = $1", user_id)
    if roles:
        await conn.executemany(
            "INSERT INTO user_roles (role, user_id) VALUES ($1, $2)", [(role, user_id) for role in dict.fromkeys(roles)]
        )


async def count_users(conn: Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM users"))


async def find_user_doc(conn: Connection, user_id: str) -> dict[str, Any] | None:
    text = await conn.fetchval("SELECT doc FROM users WHERE id = $1", user_id)
    return None if text is None else jsonutil.loads(text)


async def find_user_doc_for_update(conn: Connection, user_id: str) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if conn.dialect == "postgresql" else ""
    text = await conn.fetchval("SELECT doc FROM users WHERE id = $1" + suffix, user_id)
    return None if text is None else jsonutil.loads(text)


async def find_user_docs(conn: Connection, user_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not user_ids:
        return {}
    placeholders = ", ".join(f"${index}" for index in range(1, len(user_ids) + 1))
    rows = await conn.fetch(f"SELECT id, doc FROM users WHERE id IN ({placeholders})", *user_ids)
    return {row["id"]: jsonutil.loads(row["doc"]) for row in rows}


async def find_user_by_username(conn: Connection, username: str) -> dict[str, Any] | None:
    text = await conn.fetchval("SELECT doc FROM users WHERE username_key = $1", username.lower())
    return None if text is None else jsonutil.loads(text)


async def find_login_row(conn: Connection, *, username: str | None, email: str | None) -> Row | None:
    if username is not None:
        return await conn.fetchrow("SELECT id, password_hash, doc FROM users WHERE username_key = $1", username.lower())
    return await conn.fetchrow("SELECT id, password_hash, doc FROM users WHERE email_key = $1", email)


async def username_or_email_taken(conn: Connection, username: str, email: str | None) -> tuple[bool, bool]:
    username_taken = bool(await conn.fetchval("SELECT 1 FROM users WHERE username_key = $1", username.lower()))
    email_taken = bool(email) and bool(
        await conn.fetchval("SELECT 1 FROM users WHERE email_key = $1", (email or "").lower())
    )
    return username_taken, email_taken


async def delete_user(conn: Connection, user_id: str) -> int:
    await conn.execute("DELETE FROM login_tokens WHERE user_id = $1", user_id)
    await changes.publish(conn, "login", _id=user_id)
    await conn.execute("DELETE FROM user_roles WHERE user_id = $1", user_id)
    # The Contact Center's saved filters are the user's own (SQLite may not enforce the cascade).
    await conn.execute("DELETE FROM ui_saved_filters WHERE user_id = $1", user_id)
    return await conn.execute("DELETE FROM users WHERE id = $1", user_id)


async def role_has_users(conn: Connection, role: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM user_roles WHERE role = $1 LIMIT 1", role))


async def find_users_with_role(conn: Connection, role: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT u.doc FROM user_roles r JOIN users u ON u.id = r.user_id "
        "WHERE r.role = $1 ORDER BY u.username_key, u.id",
        role,
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


# --- login tokens ------------------------------------------------------------------------------


async def insert_login_token(conn: Connection, user_id: str, hashed_token: str, created_at: str) -> None:
    await conn.execute(
        "INSERT INTO login_tokens (hashed_token, user_id, created_at) VALUES ($1, $2, $3)",
        hashed_token,
        user_id,
        created_at,
    )


async def delete_login_token(conn: Connection, user_id: str, hashed_token: str) -> None:
    await conn.execute("DELETE FROM login_tokens WHERE hashed_token = $1", hashed_token)
    await changes.publish(conn, "login", _id=user_id)


# --- failed logins (accounts/login_guard.py) --------------------------------------------------


async def login_failures_since(conn: Connection, key: str, since_ms: int) -> int:
    """Failures counted under `key` whose last one is not older than `since_ms` (else none)."""
    value = await conn.fetchval(
        "SELECT failures FROM login_failures WHERE key = $1 AND last_failure_at >= $2", key, since_ms
    )
    return int(value or 0)


async def count_login_failure(conn: Connection, key: str, now_ms: int, window_start_ms: int) -> None:
    """One more failure; the count restarts when the previous one is older than the window."""
    await conn.execute(
        "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2) "
        "ON CONFLICT (key) DO UPDATE SET "
        "failures = CASE WHEN login_failures.last_failure_at < $3 THEN 1 ELSE login_failures.failures + 1 END, "
        "last_failure_at = $2",
        key,
        now_ms,
        window_start_ms,
    )


async def clear_login_failures(conn: Connection, keys: list[str]) -> None:
    await conn.executemany("DELETE FROM login_failures WHERE key = $1", [(key,) for key in keys])


# --- roles, permissions, settings --------------------------------------------------------------


async def upsert_missing(conn: Connection, table: str, rows: list[tuple[Any, ...]], columns: str) -> None:
    """Insert rows whose id is not there yet (`table`/`columns` are our own constants)."""
    width = len(rows[0]) if rows else 0
    placeholders = ", ".join(f"${index}" for index in range(1, width + 1))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT (id) DO NOTHING"
    for row in rows:
        await conn.execute(sql, *row)


async def role_ids(conn: Connection) -> set[str]:
    return {row["id"] for row in await conn.fetch("SELECT id FROM roles")}


async def all_permissions(conn: Connection) -> list[Row]:
    return await conn.fetch("SELECT id, roles, doc FROM permissions ORDER BY id")


async def find_permission(conn: Connection, permission_id: str) -> dict[str, Any] | None:
    text = await conn.fetchval("SELECT doc FROM permissions WHERE id = $1", permission_id)
    return None if text is None else jsonutil.loads(text)


async def save_permission(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE permissions SET roles = $2, doc = $3 WHERE id = $1",
        doc["_id"],
        jsonutil.dumps_str(doc["roles"]),
        jsonutil.dumps_str(doc),
    )


async def all_settings(conn: Connection) -> list[Row]:
    return await conn.fetch("SELECT id, value, doc FROM settings ORDER BY id")


async def find_setting(conn: Connection, setting_id: str) -> dict[str, Any] | None:
    text = await conn.fetchval("SELECT doc FROM settings WHERE id = $1", setting_id)
    return None if text is None else jsonutil.loads(text)


async def save_setting(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE settings SET value = $2, doc = $3 WHERE id = $1",
        doc["_id"],
        jsonutil.dumps_str(doc["value"]),
        jsonutil.dumps_str(doc),
    )
