"""Accounts rules: users, logins, roles, permissions and settings. Never imports HTTP code."""

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from omnicontacts import ids, jsonutil
from omnicontacts.accounts import defaults, repository
from omnicontacts.accounts.passwords import check_password, dummy_hash, hash_login_token, hash_password
from omnicontacts.restapi.errors import MeteorError
from omnicontacts.storage import Connection
from omnicontacts.timeutil import now_iso


async def seed_defaults(conn: Connection) -> None:
    """Roles, permissions and settings that are missing get Rocket.Chat's defaults."""
    await repository.upsert_missing(
        conn,
        "roles",
        [(role_id, jsonutil.dumps_str({"_id": role_id, **doc})) for role_id, doc in defaults.ROLES.items()],
        "id, doc",
    )
    now = now_iso()
    await repository.upsert_missing(
        conn,
        "permissions",
        [
            (
                name,
                jsonutil.dumps_str(roles),
                jsonutil.dumps_str({"_id": name, "roles": roles, "_updatedAt": now}),
            )
            for name, roles in defaults.PERMISSIONS.items()
        ],
        "id, roles, doc",
    )
    await repository.upsert_missing(
        conn,
        "settings",
        [
            (
                setting_id,
                jsonutil.dumps_str(value),
                jsonutil.dumps_str(setting_doc(setting_id, value, kind, now)),
            )
            for setting_id, (value, kind) in defaults.SETTINGS.items()
        ],
        "id, value, doc",
    )
    await repository.bump_config_version(conn)


_T = TypeVar("_T")


def setting_doc(setting_id: str, value: Any, kind: str, now: str) -> dict[str, Any]:
    return {
        "_id": setting_id,
        "value": value,
        "packageValue": value,
        "type": kind,
        "public": False,
        "blocked": False,
        "hidden": False,
        "_updatedAt": now,
    }


def new_user_doc(
    *,
    username: str,
    name: str | None,
    email: str | None,
    roles: list[str],
    active: bool = True,
    verified: bool = False,
) -> dict[str, Any]:
    now = now_iso()
    doc: dict[str, Any] = {
        "_id": ids.meteor_id(),
        "createdAt": now,
        "services": {"password": {}},
        "username": username,
        "emails": [{"address": email, "verified": verified}] if email else [],
        "type": "user",
        "status": "offline",
        "active": active,
        "_updatedAt": now,
        "roles": roles,
        "name": name if name is not None else username,
        "requirePasswordChange": False,
        "settings": {},
    }
    if not email:
        del doc["emails"]
    return doc


# bcrypt runs on these threads only: at most half the cores hash at once, so a flood of logins
# queues here instead of taking every core from the requests of other users.
_HASHING = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="bcrypt")


async def _hashing(call: Callable[[], _T]) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, call)


async def hash_new_password(conn: Connection, password: str, rounds: int) -> str:
    """bcrypt in a worker thread, with the database left to other requests meanwhile. Call it
    before the transaction that stores the hash: hashing takes tens of milliseconds."""
    async with conn.released():
        return await _hashing(lambda: hash_password(password, rounds))


async def create_user(
    conn: Connection,
    *,
    username: str,
    password_hash: str,
    email: str | None,
    name: str | None,
    roles: list[str],
    active: bool = True,
    verified: bool = False,
) -> dict[str, Any]:
    """Insert a user whose password the caller hashed (`hash_new_password`), outside its transaction."""
    username_taken, email_taken = await repository.username_or_email_taken(conn, username, email)
    if username_taken:
        raise MeteorError(
            "error-field-unavailable",
            f"{username} is already in use :(",
            {"method": "insertOrUpdateUser", "field": username},
        )
    if email_taken:
        raise MeteorError(
            "error-field-unavailable",
            f"{email} is already in use :(",
            {"method": "insertOrUpdateUser", "field": email},
        )
    known_roles = await repository.role_ids(conn)
    for role in roles:
        if role not in known_roles:
            raise MeteorError("error-invalid-role", "Invalid role", {"method": "insertOrUpdateUser"})
    doc = new_user_doc(username=username, name=name, email=email, roles=roles, active=active, verified=verified)
    await repository.insert_user(
        conn,
        user_id=doc["_id"],
        username=username,
        email=email,
        password_hash=password_hash,
        roles=roles,
        active=active,
        created_at=doc["createdAt"],
        doc=doc,
    )
    return doc


async def ensure_admin(conn: Connection, *, username: str, password_hash: str, email: str | None) -> bool:
    """Create the first admin when no user exists yet; answer whether one was created."""
    if await repository.count_users(conn):
        return False
    await create_user(
        conn,
        username=username,
        password_hash=password_hash,
        email=email,
        name=username,
        roles=["admin", "user"],
        verified=True,
    )
    return True


async def login(
    conn: Connection, *, username: str | None, email: str | None, password: str, is_digest: bool, rounds: int
) -> tuple[dict[str, Any], str] | None:
    """Check the password; on success store a new login token and answer (user, raw token).

    bcrypt runs in a thread with the database released (outside any transaction), and an
    unknown user is checked against a dummy hash of the same cost: a failed login takes as long
    whether or not the username exists.
    """
    row = await repository.find_login_row(conn, username=username, email=email)
    stored = row["password_hash"] if row is not None and row["password_hash"] else None
    async with conn.released():
        against: str = stored if stored is not None else await _hashing(lambda: dummy_hash(rounds))
        matches = await _hashing(lambda: check_password(password, against, is_digest=is_digest))
    if row is None or stored is None or not matches:
        return None
    user = jsonutil.loads(row["doc"])
    if user.get("active") is False:
        return None
    token = ids.secret_token()
    async with conn.transaction():
        await repository.insert_login_token(conn, row["id"], hash_login_token(token), now_iso())
    return user, token


async def set_roles(
    conn: Connection, user_id: str, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """Add and remove roles of a user inside the caller's transaction; answer the new document."""
    doc = await repository.find_user_doc_for_update(conn, user_id)
    if doc is None:
        return None
    roles = [role for role in doc.get("roles", []) if role not in remove]
    roles.extend(role for role in add if role not in roles)
    doc["roles"] = roles
    doc["_updatedAt"] = now_iso()
    await repository.update_user(conn, user_id, doc)
    return doc


def public_user(doc: dict[str, Any]) -> dict[str, Any]:
    """A user as other users see it: the document without its `services`."""
    return {key: value for key, value in doc.items() if key != "services"}


# What `users.info` shows of anyone, and what only the user themself or a holder of
# `view-full-other-user-info` sees too (Rocket.Chat's projection; everything else stays hidden).
USER_INFO_FIELDS = frozenset(
    {
        "_id",
        "name",
        "username",
        "nickname",
        "status",
        "utcOffset",
        "type",
        "active",
        "bio",
        "reason",
        "statusText",
        "avatarETag",
        "federated",
        "statusLivechat",
        "abacAttributes",
        "freeSwitchExtension",
    }
)
FULL_USER_INFO_FIELDS = frozenset(
    {
        "emails",
        "phone",
        "statusConnection",
        "createdAt",
        "lastLogin",
        "requirePasswordChange",
        "requirePasswordChangeReason",
        "roles",
        "importIds",
    }
)


def user_info_of(doc: dict[str, Any], *, myself: bool, view_full: bool) -> dict[str, Any]:
    """`users.info`'s user: the public fields, the full ones when the caller is that user or may
    `view-full-other-user-info`, the caller's own `services` reduced to whether a password is set,
    and `canViewAllInfo`."""
    can_view_all = myself or view_full
    allowed = USER_INFO_FIELDS | FULL_USER_INFO_FIELDS if can_view_all else USER_INFO_FIELDS
    info = {key: value for key, value in doc.items() if key in allowed}
    if myself and isinstance(doc.get("services"), dict):
        services = {
            key: value for key, value in doc["services"].items() if key not in ("passwordHistory", "resume", "email")
        }
        if "password" in services:
            services["password"] = True
        info["services"] = services
    info["canViewAllInfo"] = can_view_all
    return info


DEFAULT_PREFERENCES: dict[str, Any] = {
    "language": "en",
    "newRoomNotification": "door",
    "newMessageNotification": "chime",
    "useEmojis": True,
    "convertAsciiEmoji": True,
    "saveMobileBandwidth": True,
    "collapseMediaByDefault": False,
    "autoImageLoad": True,
    "emailNotificationMode": "mentions",
    "unreadAlert": True,
    "notificationsSoundVolume": 100,
    "omnichannelTranscriptEmail": False,
    "desktopNotifications": "all",
    "pushNotifications": "all",
    "enableAutoAway": True,
    "idleTimeLimit": 300,
    "sidebarShowUnread": False,
    "sidebarSortby": "activity",
    "sidebarViewMode": "medium",
    "sidebarDisplayAvatar": True,
    "sidebarGroupByType": True,
    "muteFocusedConversations": True,
    "notifyCalendarEvents": True,
}


def user_info(doc: dict[str, Any], site_url: str = "") -> dict[str, Any]:
    """What `me` and a login's `data.me` show of the caller: never a secret."""
    info = {key: value for key, value in doc.items() if key != "services"}
    verified = [email["address"] for email in doc.get("emails") or [] if email.get("verified")]
    if verified:
        info["email"] = verified[0]
    user_preferences = (doc.get("settings") or {}).get("preferences") or {}
    info["settings"] = {"profile": {}, "preferences": {**DEFAULT_PREFERENCES, **user_preferences}}
    info["avatarUrl"] = f"{site_url}/avatar/{doc.get('username', '')}"
    info["isOAuthUser"] = False
    info["services"] = {"password": {"exists": True}}
    return info
