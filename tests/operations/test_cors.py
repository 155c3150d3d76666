"""CORS as Rocket.Chat configures it: API_Enable_CORS and API_CORS_Origin, preflight included."""

from tests.support import Api

ALLOW_METHODS = "GET, POST, PUT, DELETE, HEAD, PATCH"
ALLOW_HEADERS = (
    "Origin, X-Requested-With, Content-Type, Accept, X-User-Id, X-Auth-Token, x-visitor-token, Authorization"
)
PREFLIGHT = {
    "Origin": "https://app.example.com",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "x-auth-token, x-user-id, content-type",
}


def _set(api: Api, setting: str, value: object) -> None:
    response = api.post(f"settings/{setting}", {"value": value})
    assert response.status_code == 200, response.text


def test_off_by_default_no_headers_and_no_preflight(api: Api) -> None:
    simple = api.get("me", headers={"Origin": "https://app.example.com"})
    preflight = api.raw("OPTIONS", "/api/v1/omnichannel/contacts.search", headers=PREFLIGHT)

    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers


def test_any_origin_preflight_and_simple_request(api: Api) -> None:
    _set(api, "API_Enable_CORS", True)

    preflight = api.anonymous().raw("OPTIONS", "/api/v1/omnichannel/contacts.search", headers=PREFLIGHT)
    simple = api.get("me", headers={"Origin": "https://app.example.com"})
    without_origin = api.get("me")

    assert preflight.status_code == 200
    assert preflight.content == b""
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == ALLOW_METHODS
    assert preflight.headers["access-control-allow-headers"] == ALLOW_HEADERS
    assert simple.status_code == 200
    assert simple.json()["username"] == "admin.test"
    assert simple.headers["access-control-allow-origin"] == "*"
    assert simple.headers["access-control-allow-methods"] == ALLOW_METHODS
    assert "access-control-allow-origin" not in without_origin.headers


def test_listed_origins_only(api: Api) -> None:
    _set(api, "API_Enable_CORS", True)
    _set(api, "API_CORS_Origin", "https://app.example.com, https://Other.example.org")

    listed = api.anonymous().raw("OPTIONS", "/api/v1/login", headers=PREFLIGHT)
    other_case = api.get("me", headers={"Origin": "https://other.example.org"})
    unlisted = api.anonymous().raw("OPTIONS", "/api/v1/login", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    unlisted_get = api.get("me", headers={"Origin": "https://evil.example"})

    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert other_case.status_code == 200
    assert other_case.headers["access-control-allow-origin"] == "https://other.example.org"
    assert unlisted.status_code == 403
    assert unlisted.content == b""
    assert unlisted_get.status_code == 403
    assert unlisted_get.content == b""
