"""The OpenAPI document, the offline docs page, /metrics and /readyz on a running server."""

import re
from typing import Any

import httpx

from omnicontacts.accounts.routes import root_router
from omnicontacts.app import API_ROUTERS
from omnicontacts.observability.routes import code_revision
from tests.support import Api, RunningServer


def _document(api: Api) -> dict[str, Any]:
    response = api.raw("GET", "/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_every_registered_endpoint_is_documented_with_its_parameters(api: Api) -> None:
    document = _document(api)
    mounted = [("/api/v1/", e) for router in API_ROUTERS for e in router.endpoints]
    mounted += [("/api/", e) for e in root_router.endpoints]

    assert document["openapi"] == "3.1.0"
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    expected = {(re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", p + e.path), e.method.lower()) for p, e in mounted}
    assert operations == expected
    assert len(operations) > 50
    for prefix, endpoint in mounted:
        path = re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", prefix + endpoint.path)
        operation = document["paths"][path][endpoint.method.lower()]
        declared = (endpoint.schema or {}).get("properties", {})
        if endpoint.method in ("GET", "DELETE"):
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            assert names == list(declared), path
        elif endpoint.schema is not None:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            assert list(body.get("properties", {})) == list(declared), path
            assert body.get("required", []) == endpoint.schema.get("required", []), path
        assert operation.get("x-permissions", []) == list(endpoint.permissions), path
        assert ("401" in operation["responses"]) == endpoint.auth, path


def test_contacts_get_is_described_as_rocket_chat_has_it(api: Api) -> None:
    operation = _document(api)["paths"]["/api/v1/omnichannel/contacts.get"]["get"]

    assert operation["x-permissions"] == ["view-livechat-contact"]
    assert operation["security"] == [{"userId": [], "authToken": []}]
    assert {p["name"] for p in operation["parameters"]} >= {"contactId"}
    assert operation["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_docs_page_is_served_offline_with_a_strict_csp(api: Api) -> None:
    page = api.raw("GET", "/docs")
    script = api.raw("GET", "/docs/assets/swagger-ui-bundle.js")
    other = api.raw("GET", "/docs/assets/package.json")

    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert not re.search(r"https?://", page.text)  # nothing from elsewhere
    assert re.findall(r'src="([^"]+)"', page.text) == ["/docs/assets/swagger-ui-bundle.js", "/docs/init.js"]
    assert "<script>" not in page.text  # no inline script
    assert script.status_code == 200 and len(script.content) > 100_000
    assert other.status_code == 404


def test_readiness_reports_database_and_schema(api: Api) -> None:
    response = api.raw("GET", "/readyz")

    assert response.status_code == 200
    head = code_revision()
    assert re.fullmatch(r"\d{4}", head)
    assert response.json() == {"ready": True, "database": "ok", "schema": head, "expected_schema": head}


def test_metrics_count_a_request_by_route_template(server: RunningServer, api: Api) -> None:
    def value(text: str, line_start: str) -> float:
        found = [line for line in text.splitlines() if line.startswith(line_start)]
        return float(found[0].rsplit(" ", 1)[1]) if found else 0.0

    key = 'omnicontacts_http_requests_total{endpoint="/api/v1/livechat/{rid}/messages",method="GET",status="401"}'
    before = value(httpx.get(f"{server.base_url}/metrics").text, key)
    for room in ("room-a", "room-b", "room-c"):
        assert api.anonymous().get(f"livechat/{room}/messages").status_code == 401
    after = httpx.get(f"{server.base_url}/metrics")

    assert after.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert value(after.text, key) == before + 3
    assert "room-a" not in after.text  # ids never become label values
    assert 'omnicontacts_http_request_duration_seconds_bucket{endpoint="/api/v1/livechat/{rid}/messages"' in after.text


def test_request_id_is_echoed_or_made(api: Api) -> None:
    given = api.get("me", headers={"X-Request-Id": "abc-123"})
    made = api.get("me")
    routed = api.raw("GET", "/api/v1/no.such.endpoint")

    assert given.headers["x-request-id"] == "abc-123"
    assert re.fullmatch(r"[0-9a-f]{16}[0-9]+", made.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{16}[0-9]+", routed.headers["x-request-id"])
    assert routed.status_code == 404
