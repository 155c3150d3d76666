"""CORS as Rocket.Chat answers it: API_Enable_CORS and API_CORS_Origin, preflight and actual requests."""

from tests.support import Api

ALLOW_METHODS = "GET, POST, PUT, DELETE, HEAD, PATCH"
ALLOW_HEADERS = (
    "Origin, X-Requested-With, Content-Type, Accept, X-User-Id, X-Auth-Token, x-visitor-token, Authorization"
)
CORS_OFF = 'CORS not enabled. Go to "Admin > General > REST Api" to enable it.'
TEXT = "text/plain;charset=UTF-8"
APP = "https://app.example.com"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "x-auth-token, x-user-id, content-type",
}
CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers", "vary")


def _set(api: Api, setting: str, value: object) -> None:
    response = api.post(f"settings/{setting}", {"value": value})
    assert response.status_code == 200, response.text


def _cors(response: object) -> dict[str, str]:
    headers = response.headers  # type: ignore[attr-defined]
    return {name: headers[name] for name in CORS_HEADERS if name in headers}


def test_off_by_default_preflight_refused_and_requests_unchanged(api: Api) -> None:
    simple = api.get("me", headers={"Origin": APP})
    preflight = api.anonymous().raw("OPTIONS", "/api/v1/omnichannel/contacts.search", headers=PREFLIGHT)
    origin_only = api.anonymous().raw("OPTIONS", "/api/v1/login", headers={"Origin": APP})

    assert simple.status_code == 200
    assert simple.json()["username"] == "admin.test"
    assert _cors(simple) == {}
    assert preflight.status_code == 405
    assert preflight.text == CORS_OFF
    assert preflight.headers["content-type"] == TEXT
    assert _cors(preflight) == {}
    assert origin_only.status_code == 405
    assert origin_only.text == CORS_OFF


def test_options_without_origin_or_requested_method_is_ok(api: Api) -> None:
    """Rocket.Chat's router answers any OPTIONS under /api itself, known path or not, CORS on or off."""
    known = api.anonymous().raw("OPTIONS", "/api/v1/omnichannel/contacts.get")
    unknown = api.anonymous().raw("OPTIONS", "/api/v1/no.such.endpoint")
    _set(api, "API_Enable_CORS", True)
    enabled = api.anonymous().raw("OPTIONS", "/api/v1/livechat/room.close")

    for response in (known, unknown, enabled):
        assert response.status_code == 200
        assert response.text == "OK"
        assert response.headers["content-type"] == TEXT
        assert _cors(response) == {}


def test_any_origin_preflight_and_actual_request(api: Api) -> None:
    _set(api, "API_Enable_CORS", True)

    preflight = api.anonymous().raw("OPTIONS", "/api/v1/omnichannel/contacts.search", headers=PREFLIGHT)
    with_parameter = api.anonymous().raw("OPTIONS", "/api/v1/livechat/room.close", headers=PREFLIGHT)
    actual = api.get("me", headers={"Origin": APP})
    without_origin = api.get("me")
    refused_login = api.anonymous().post("login", {"user": "nobody", "password": "wrong"}, headers={"Origin": APP})

    assert preflight.status_code == 200
    assert preflight.text == "OK"
    assert _cors(preflight) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
    }
    assert with_parameter.status_code == 200
    assert with_parameter.headers["access-control-allow-origin"] == "*"
    assert actual.status_code == 200
    assert actual.json()["username"] == "admin.test"
    every = {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "vary": "Origin",
    }
    assert _cors(actual) == every
    assert _cors(without_origin) == every
    # An error answer carries them too, so the page can read why it failed.
    assert refused_login.status_code == 401
    assert refused_login.json()["error"] == "Unauthorized"
    assert _cors(refused_login) == every


def test_listed_origins_preflight(api: Api) -> None:
    _set(api, "API_Enable_CORS", True)
    _set(api, "API_CORS_Origin", " https://app.example.com, https://Other.example.org ")

    listed = api.anonymous().raw("OPTIONS", "/api/v1/login", headers=PREFLIGHT)
    other_case = api.anonymous().raw(
        "OPTIONS", "/api/v1/login", headers={**PREFLIGHT, "Origin": "https://other.example.org"}
    )
    unlisted = api.anonymous().raw("OPTIONS", "/api/v1/login", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    no_origin = api.anonymous().raw("OPTIONS", "/api/v1/login", headers={"Access-Control-Request-Method": "POST"})
    upper_case = api.anonymous().raw(
        "OPTIONS", "/api/v1/login", headers={**PREFLIGHT, "Origin": "https://APP.example.com"}
    )

    assert listed.status_code == 200
    assert listed.text == "OK"
    assert _cors(listed) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "vary": "Origin",
    }
    assert other_case.status_code == 200
    assert other_case.headers["access-control-allow-origin"] == "https://other.example.org"
    for refused in (unlisted, no_origin, upper_case):
        assert refused.status_code == 403
        assert refused.text == "Invalid origin"
        assert _cors(refused) == {}


def test_listed_origins_actual_request_is_served(api: Api) -> None:
    """The origin list gates the preflight; an actual request is answered, with the `*` headers,
    whatever its origin (a browser sends no X-Auth-Token cross-origin without a preflight)."""
    _set(api, "API_Enable_CORS", True)
    _set(api, "API_CORS_Origin", "https://app.example.com")

    listed = api.get("me", headers={"Origin": APP})
    unlisted = api.get("me", headers={"Origin": "https://evil.example"})

    for response in (listed, unlisted):
        assert response.status_code == 200
        assert response.json()["username"] == "admin.test"
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["vary"] == "Origin"


def test_switching_off_again_stops_the_headers(api: Api) -> None:
    _set(api, "API_Enable_CORS", True)
    _set(api, "API_Enable_CORS", False)

    actual = api.get("me", headers={"Origin": APP})
    preflight = api.anonymous().raw("OPTIONS", "/api/v1/me", headers=PREFLIGHT)

    assert actual.status_code == 200
    assert _cors(actual) == {}
    assert preflight.status_code == 405
    assert preflight.text == CORS_OFF
