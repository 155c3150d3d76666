"""Brute-force protection of `login`, with Rocket.Chat's `Block_Multiple_Failed_Logins_*` settings.

Failed logins are counted per username (or email) and per client address. Once a username has
`..._Attempts_Until_Block_by_User` failures (10) with the last one less than
`..._Time_To_Unblock_By_User_In_Minutes` (5) ago, its logins are refused without checking the
password; the same per address with `..._By_Ip` (50 in 5 minutes), except for the addresses in
`Block_Multiple_Failed_Logins_Ip_Whitelist`. A successful login clears both counters. Counters live
in the database (`login_failures`), so every worker and host shares them.

A refusal is Rocket.Chat's 401 for a login its `validateLoginAttempt` rejects. On top of this, the
API rate limiter allows `login` its default 10 calls per minute per address (429 beyond).
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnicontacts.accounts import repository
from omnicontacts.restapi.errors import RawError
from omnicontacts.storage import Connection

_DETAILS = {"function": "Accounts.validateLoginAttempt"}


@dataclass(frozen=True)
class Attempt:
    client: str
    identity: str  # lower-cased username, or the email

    @property
    def user_key(self) -> str:
        return f"user:{self.identity}"

    @property
    def ip_key(self) -> str:
        return f"ip:{self.client}"


def _blocked(reason: str, message: str) -> RawError:
    return RawError(
        401,
        {
            "success": False,
            "error": f"error-login-blocked-for-{reason}",
            "status": "error",
            "details": _DETAILS,
            "message": message,
        },
    )


def _int(settings: Mapping[str, Any], key: str, default: int) -> int:
    value = settings.get(key, default)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else default  # type: ignore[return-value]


def _window_ms(settings: Mapping[str, Any], key: str) -> int:
    # Minutes may be fractional (Rocket.Chat's own tests set seconds / 60).
    return int(float(_int(settings, key, 5)) * 60_000)


def _by_ip(settings: Mapping[str, Any], attempt: Attempt) -> bool:
    if settings.get("Block_Multiple_Failed_Logins_By_Ip") is not True or not attempt.client:
        return False
    allowed = str(settings.get("Block_Multiple_Failed_Logins_Ip_Whitelist") or "")
    return attempt.client not in {item.strip() for item in allowed.split(",") if item.strip()}


def _enabled(settings: Mapping[str, Any]) -> bool:
    return settings.get("Block_Multiple_Failed_Logins_Enabled") is True


async def check(conn: Connection, settings: Mapping[str, Any], attempt: Attempt) -> None:
    """Refuse the attempt (before any password hashing) when its address or user is blocked."""
    if not _enabled(settings):
        return
    now = int(time.time() * 1000)
    if _by_ip(settings, attempt):
        limit = _int(settings, "Block_Multiple_Failed_Logins_Attempts_Until_Block_By_Ip", 50)
        window = _window_ms(settings, "Block_Multiple_Failed_Logins_Time_To_Unblock_By_Ip_In_Minutes")
        if await repository.login_failures_since(conn, attempt.ip_key, now - window) >= limit:
            raise _blocked("ip", "Login has been temporarily blocked For IP")
    if settings.get("Block_Multiple_Failed_Logins_By_User") is True:
        limit = _int(settings, "Block_Multiple_Failed_Logins_Attempts_Until_Block_by_User", 10)
        window = _window_ms(settings, "Block_Multiple_Failed_Logins_Time_To_Unblock_By_User_In_Minutes")
        if await repository.login_failures_since(conn, attempt.user_key, now - window) >= limit:
            raise _blocked("user", "Login has been temporarily blocked For User")


async def failed(conn: Connection, settings: Mapping[str, Any], attempt: Attempt) -> None:
    if not _enabled(settings):
        return
    now = int(time.time() * 1000)
    async with conn.transaction():
        if settings.get("Block_Multiple_Failed_Logins_By_User") is True:
            window = _window_ms(settings, "Block_Multiple_Failed_Logins_Time_To_Unblock_By_User_In_Minutes")
            await repository.count_login_failure(conn, attempt.user_key, now, now - window)
        if _by_ip(settings, attempt):
            window = _window_ms(settings, "Block_Multiple_Failed_Logins_Time_To_Unblock_By_Ip_In_Minutes")
            await repository.count_login_failure(conn, attempt.ip_key, now, now - window)


async def succeeded(conn: Connection, settings: Mapping[str, Any], attempt: Attempt) -> None:
    if not _enabled(settings):
        return
    async with conn.transaction():
        await repository.clear_login_failures(conn, [attempt.user_key, attempt.ip_key])
