"""Rocket.Chat's API rate limiter: per address and route, its settings and defaults, its headers,
its 429 body, the `api-bypass-rate-limit` permission, and login's stricter limits."""

import time
from concurrent.futures import ThreadPoolExecutor

from tests.livechat.steps import new_token, set_setting
from tests.support import USER_PASSWORD, Api, RunningServer, another_worker


def _too_many(seconds: int) -> dict[str, object]:
    return {
        "success": False,
        "error": (
            "Error, too many requests. Please slow down. You must wait "
            f"{seconds} seconds before trying this endpoint again. [error-too-many-requests]"
        ),
    }


def _plain_user(admin: Api) -> Api:
    admin.create_user("plain.user")
    return admin.as_user(admin.login("plain.user"))


def test_a_counted_call_carries_the_limit_headers(admin: Api) -> None:
    user = _plain_user(admin)
    before = int(time.time() * 1000)

    first = user.get("me")
    second = user.get("me")

    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit"] == "10"
    assert first.headers["x-ratelimit-remaining"] == "9"
    assert second.headers["x-ratelimit-remaining"] == "8"
    reset = int(first.headers["x-ratelimit-reset"])
    assert before + 60_000 <= reset <= int(time.time() * 1000) + 60_000
    assert second.headers["x-ratelimit-reset"] == first.headers["x-ratelimit-reset"]


def test_the_eleventh_call_in_a_minute_gets_429_and_other_routes_stay_open(admin: Api) -> None:
    user = _plain_user(admin)

    answers = [user.get("me") for _ in range(12)]

    assert [answer.status_code for answer in answers] == [200] * 10 + [429, 429]
    assert answers[10].json() == _too_many(60) or answers[10].json() == _too_many(59)
    assert answers[10].headers["x-ratelimit-remaining"] == "0"
    assert answers[10].headers["content-type"] == "application/json"
    # The count is per route: the same user still reads other endpoints.
    assert user.get("users.info", params={"username": "plain.user"}).status_code == 200


def test_missing_credentials_answer_401_before_anything_is_counted(admin: Api) -> None:
    anon = admin.anonymous()

    answers = [anon.get("me") for _ in range(12)]

    assert {answer.status_code for answer in answers} == {401}
    assert "x-ratelimit-limit" not in answers[-1].headers


def test_the_bypass_permission_lifts_the_limit(admin: Api) -> None:
    # The admin holds api-bypass-rate-limit by default (admin, bot, app).
    answers = [admin.get("me") for _ in range(15)]
    assert {answer.status_code for answer in answers} == {200}
    assert "x-ratelimit-limit" not in answers[-1].headers

    user = _plain_user(admin)
    admin.set_permission("api-bypass-rate-limit", ["admin", "bot", "app", "user"])
    answers = [user.get("me") for _ in range(15)]
    assert {answer.status_code for answer in answers} == {200}
    assert "x-ratelimit-limit" not in answers[-1].headers


def test_the_settings_turn_it_off_and_change_the_default(admin: Api) -> None:
    user = _plain_user(admin)
    set_setting(admin, "API_Enable_Rate_Limiter_Limit_Calls_Default", 3)
    answers = [user.get("me") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "3"

    set_setting(admin, "API_Enable_Rate_Limiter", False)
    answers = [user.get("me") for _ in range(5)]
    assert {answer.status_code for answer in answers} == {200}
    assert "x-ratelimit-limit" not in answers[-1].headers


def test_visitor_registration_has_its_own_stricter_limit_per_visitor(admin: Api) -> None:
    anon = admin.anonymous()
    token = new_token()

    answers = [anon.post("livechat/visitor", {"visitor": {"token": token}}) for _ in range(6)]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    assert answers[0].headers["x-ratelimit-limit"] == "5"


def test_visitors_sharing_one_address_are_counted_apart_under_the_address_ceiling(admin: Api) -> None:
    anon = admin.anonymous()
    set_setting(admin, "API_Enable_Rate_Limiter_Limit_Calls_Default", 1)  # messages: 1 per visitor

    tokens = [new_token() for _ in range(61)]
    registered = [anon.post("livechat/visitor", {"visitor": {"token": token}}).status_code for token in tokens[:20]]
    # Customers behind one office address each get their own count ...
    assert registered == [200] * 20
    rooms = [anon.get("livechat/room", params={"token": token}) for token in tokens[:2]]
    assert [room.status_code for room in rooms] == [200, 200]
    # ... and the address as a whole stops at 60 times the per-visitor limit.
    answers = [anon.get("livechat/config", params={"token": token}).status_code for token in tokens]
    assert answers == [200] * 60 + [429]


def test_a_login_flood_gets_429_while_other_users_are_served(admin: Api, production: RunningServer) -> None:
    user = _plain_user(admin)  # one login: plain.user has 9 of its 10 left from this address
    anon = admin.anonymous()

    def wrong_password(_: int) -> int:
        return anon.post("login", {"user": "plain.user", "password": "wrong"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        flood = pool.map(wrong_password, range(30))
        served = [user.get("me").status_code for _ in range(5)]
        statuses = list(flood)

    assert statuses.count(401) == 9
    assert statuses.count(429) == 21
    # Other users, and this user's other routes, were answered meanwhile.
    assert served == [200] * 5
    after = anon.post("login", {"user": "plain.user", "password": "rocket.chat"})
    assert after.status_code == 429
    assert after.json()["error"].endswith("[error-too-many-requests]")
    # Logins are counted per account named: a colleague behind the same address still signs in.
    admin.create_user("colleague")
    colleague = anon.post("login", {"user": "colleague", "password": USER_PASSWORD})
    assert colleague.status_code == 200
    assert colleague.headers["x-ratelimit-remaining"] == "9"


def test_workers_share_the_counts_on_postgresql_and_count_alone_on_sqlite(
    admin: Api, production: RunningServer
) -> None:
    user = _plain_user(admin)
    with another_worker(production.settings) as other_url:
        other = Api(other_url, dict(user.client.headers))
        answers = [(user if number % 2 else other).get("me") for number in range(12)]

    statuses = [answer.status_code for answer in answers]
    if production.name == "postgresql":
        # One window for the address and route, whichever worker answers.
        assert statuses == [200] * 10 + [429, 429]
        assert answers[9].headers["x-ratelimit-remaining"] == "0"
    else:
        # Per worker on SQLite: each has counted 6 of its own 10.
        assert statuses == [200] * 12
        assert answers[-1].headers["x-ratelimit-remaining"] == "4"


def test_a_visitor_token_no_database_text_can_hold_is_counted_like_any(admin: Api) -> None:
    """Anonymous livechat calls are counted per visitor token before the token is validated; a
    NUL or a lone surrogate in it once reached PostgreSQL's text column as the counter's key
    (a 500). Each such token is its own counter, and the call gets its ordinary answer."""
    anon = admin.anonymous()
    nul = {
        "success": False,
        "error": "must NOT contain the NUL character [invalid-params]",
        "errorType": "invalid-params",
    }
    bad_token = {"success": False, "error": "[invalid-token]", "errorType": "invalid-token"}
    for quoted, expected in (("%00", nul), ("a%00b", nul), ("%ED%A0%80x", bad_token)):
        first, second = anon.get(f"livechat/visitor/{quoted}"), anon.get(f"livechat/visitor/{quoted}")
        assert (first.status_code, first.json()) == (400, expected)
        assert (first.headers["x-ratelimit-remaining"], second.headers["x-ratelimit-remaining"]) == ("9", "8")
    for escaped in (b"\\u0000", b"a\\u0000b"):
        answer = anon.raw(
            "POST",
            "/api/v1/livechat/visitor.status",
            content=b'{"token":"' + escaped + b'","status":"online"}',
            headers={"content-type": "application/json"},
        )
        assert (answer.status_code, answer.json()) == (400, nul)
