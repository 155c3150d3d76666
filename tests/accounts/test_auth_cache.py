"""Each worker remembers the logins it checked (accounts/auth_cache.py). A logout, a removed
permission or a deleted user on one server process applies on another within the documented
bound (`AUTH_CACHE_SECONDS`, 1 s): the other process below trusts its logins for 30 s, so it can
only refuse in time because the change's announcement reached it."""

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from omnicontacts.accounts import auth_cache
from omnicontacts.timeutil import to_iso
from tests.realtime.test_fanout import another_server
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer, execute_behind_the_server

# The documented bound, plus what a loaded test machine needs to answer one request.
BOUND = auth_cache.LIFETIME + 0.5
CHECK = "omnichannel/contacts.checkExistence"
AGE_TOKENS = "UPDATE login_tokens SET created_at = $1 WHERE user_id = $2"


@pytest.fixture(scope="module")
def other_url(server: RunningServer) -> Iterator[str]:
    """Another server process over the same database, trusting its logins for 30 s."""
    with another_server(server, AUTH_CACHE_SECONDS="30") as url:
        yield url


def _until(call: Callable[[], httpx.Response], status: int, limit: float) -> tuple[httpx.Response, float]:
    """Repeat a request until it answers `status` or `limit` seconds pass; the last answer and
    how long it took."""
    start = time.monotonic()
    while True:
        response = call()
        elapsed = time.monotonic() - start
        if response.status_code == status or elapsed > limit:
            return response, elapsed
        time.sleep(0.02)


def _on(base_url: str, headers: dict[str, str]) -> Callable[[str], httpx.Response]:
    return lambda path: httpx.get(f"{base_url}/api/v1/{path}", headers=headers, timeout=10)


def test_a_logout_is_refused_at_once_here_and_within_the_bound_on_another_process(api: Api, other_url: str) -> None:
    api.create_user("leaving")
    headers = api.login("leaving")
    session = api.as_user(headers)
    other = _on(other_url, headers)
    assert other("me").status_code == 200
    assert other("me").status_code == 200  # now from the other process's cache
    assert session.get("me").status_code == 200

    assert session.post("logout").status_code == 200

    here = session.get("me")
    assert here.status_code == 401
    assert here.json() == LOGGED_OUT
    there, elapsed = _until(lambda: other("me"), 401, 5.0)
    assert there.status_code == 401
    assert there.json() == LOGGED_OUT
    assert elapsed <= BOUND


def test_a_removed_permission_applies_here_at_once_and_on_another_process(api: Api, other_url: str) -> None:
    api.set_permission("view-livechat-contact", ["admin", "user"])
    api.create_user("reader")
    headers = api.login("reader")
    session = api.as_user(headers)
    other = _on(other_url, headers)
    assert other(f"{CHECK}?email=a@example.com").status_code == 200
    assert other(f"{CHECK}?email=a@example.com").status_code == 200
    assert session.get(CHECK, {"email": "a@example.com"}).status_code == 200

    api.set_permission("view-livechat-contact", ["admin"])

    here = session.get(CHECK, {"email": "a@example.com"})
    assert here.status_code == 403
    assert here.json() == FORBIDDEN
    there, elapsed = _until(lambda: other(f"{CHECK}?email=a@example.com"), 403, 5.0)
    assert there.status_code == 403
    assert there.json() == FORBIDDEN
    assert elapsed <= BOUND


def test_a_deleted_user_is_refused_on_another_process(api: Api, other_url: str) -> None:
    user = api.create_user("deleted.soon")
    headers = api.login("deleted.soon")
    other = _on(other_url, headers)
    assert other("me").status_code == 200

    assert api.post("users.delete", {"userId": user["_id"]}).status_code == 200

    assert api.as_user(headers).get("me").status_code == 401
    there, elapsed = _until(lambda: other("me"), 401, 5.0)
    assert there.status_code == 401
    assert elapsed <= BOUND


def test_a_cached_login_still_expires_on_time(api: Api, server: RunningServer, other_url: str) -> None:
    user = api.create_user("expiring")
    headers = api.login("expiring")
    other = _on(other_url, headers)
    # The token reaches the default 90 days in two seconds.
    issued = datetime.now(UTC) - timedelta(days=90) + timedelta(seconds=2)
    execute_behind_the_server(server, AGE_TOKENS, to_iso(issued), user["_id"])
    assert other("me").status_code == 200
    time.sleep(max(0.0, (issued + timedelta(days=90) - datetime.now(UTC)).total_seconds()) + 1.1)

    expired = other("me")  # its cached login lives on for 30 s, its token does not
    assert expired.status_code == 401
    assert expired.json() == LOGGED_OUT


def test_a_change_nobody_announced_is_seen_within_the_bound(api: Api, server: RunningServer) -> None:
    user = api.create_user("aged")
    headers = api.login("aged")
    session = api.as_user(headers)
    assert session.get("me").status_code == 200

    execute_behind_the_server(server, AGE_TOKENS, "2001-01-01T00:00:00.000Z", user["_id"])

    refused, elapsed = _until(lambda: session.get("me"), 401, 5.0)
    assert refused.status_code == 401
    assert elapsed <= BOUND


def test_a_deactivated_user_is_refused_within_the_bound(api: Api, server: RunningServer) -> None:
    user = api.create_user("leaving")
    headers = api.login("leaving")
    session = api.as_user(headers)
    assert session.get("me").status_code == 200

    execute_behind_the_server(server, "UPDATE users SET active = $1 WHERE id = $2", False, user["_id"])

    refused, elapsed = _until(lambda: session.get("me"), 401, 5.0)
    assert refused.status_code == 401
    assert refused.json() == LOGGED_OUT
    assert elapsed <= BOUND
