"""Accounts rules: users, logins, roles, permissions and settings. Never imports HTTP code."""

import asyncio
from typing import Any

from omnicontacts import ids, jsonutil
from omnicontacts.accounts import defaults, policy, repository
from omnicontacts.accounts.passwords import check_password, hash_login_token, hash_password
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


async def create_user(
    conn: Connection,
    *,
    username: str,
    password: str,
    email: str | None,
    name: str | None,
    roles: list[str],
    rounds: int,
    active: bool = True,
    verified: bool = False,
) -> dict[str, Any]:
    # Rocket.Chat's order: username required and well-formed, password given, both unique, then the policy.
    settings = {row["id"]: jsonutil.loads(row["value"]) for row in await repository.all_settings(conn)}
    policy.check_username(settings, username)
    policy.check_password_present(password)
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
    policy.check_password_policy(settings, password)
    password_hash = await asyncio.to_thread(hash_password, password, rounds)
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


async def ensure_admin(conn: Connection, *, username: str, password: str, email: str | None, rounds: int) -> bool:
    """Create the admin when nobody has the admin role yet (as Rocket.Chat does with ADMIN_PASS);
    answer whether one was created. Demo agents, say, do not stand in the way."""
    if await repository.role_has_users(conn, "admin"):
        return False
    await create_user(
        conn,
        username=username,
        password=password,
        email=email,
        name=username,
        roles=["admin", "user"],
        rounds=rounds,
        verified=True,
    )
    return True


async def login(
    conn: Connection, *, username: str | None, email: str | None, password: str, is_digest: bool
) -> tuple[dict[str, Any], str] | None:
    """Check the password; on success store a new login token and answer (user, raw token)."""
    row = await repository.find_login_row(conn, username=username, email=email)
    if row is None or not row["password_hash"]:
        return None
    matches = await asyncio.to_thread(check_password, password, row["password_hash"], is_digest=is_digest)
    if not matches:
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
