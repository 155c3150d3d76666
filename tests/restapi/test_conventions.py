"""Rocket.Chat REST conventions shared by every endpoint (spec §1)."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Api


def test_unparsable_json_body_reads_as_empty(api: Api) -> None:
    response = api.raw(
        "POST", "/api/v1/users.create", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "must have required property 'email' [invalid-params]",
        "errorType": "invalid-params",
    }


def test_unknown_route_answers_json_404(api: Api) -> None:
    response = api.get("no.such.endpoint")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"success": False, "error": "Resource not found"}


def test_server_info(api: Api) -> None:
    anonymous = api.anonymous().raw("GET", "/api/info")
    admin = api.raw("GET", "/api/info")

    assert anonymous.status_code == 200
    assert anonymous.json() == {"version": "7.10", "success": True}
    assert admin.json()["version"] == "7.10.0"
    assert admin.json()["info"]["version"] == "7.10.0"


def test_plus_before_a_digit_is_a_plus_sign(api: Api) -> None:
    # A client that does not encode "+5511" must still send a plus sign, not a space.
    response = api.raw("GET", "/api/v1/omnichannel/contacts.get?contactId=+5511&x=a+b")

    assert response.json()["error"] == "must NOT have additional properties [invalid-params]"


query_text = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation + " ", max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw_query=query_text)
def test_malformed_query_strings_never_cause_a_500(api: Api, raw_query: str) -> None:
    for path in ("omnichannel/contacts.get", "omnichannel/contacts.history"):
        response = api.raw("GET", f"/api/v1/{path}?{raw_query}")
        assert response.status_code in (200, 400, 404), response.text
        assert response.json()["success"] in (True, False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=60))
def test_malformed_bodies_never_cause_a_500(api: Api, body: bytes) -> None:
    response = api.raw("POST", "/api/v1/permissions.update", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 400), response.text
