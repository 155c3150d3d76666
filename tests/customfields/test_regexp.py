"""A custom field's `regexp` is matched in linear time (issue 8): `^(a+)+$` against 24 letters
and a `b` took 0.76 s on the event loop, four times more per two letters. Now the longest value
allowed is checked in a blink, and a pattern the linear engine cannot run is refused up front."""

import time
from typing import Any

from omnicontacts import userregex
from omnicontacts.restapi import limits
from tests.livechat.steps import register_visitor
from tests.support import Api

CATASTROPHIC = "^(a+)+$"


def define(api: Api, regexp: str, field: str = "code") -> Any:
    data = {"field": field, "label": "Code", "scope": "visitor", "visibility": "visible", "regexp": regexp}
    return api.post("livechat/custom-fields.save", {"customFieldId": None, "customFieldData": data})


def contact(api: Api, **custom: str) -> Any:
    return api.post("omnichannel/contacts", {"name": "N", "emails": [], "phones": [], "customFields": custom})


def test_a_catastrophic_pattern_answers_at_once(api: Api) -> None:
    assert define(api, CATASTROPHIC).status_code == 200
    visitor = register_visitor(api)
    hostile = "a" * (limits.TEXT - 1) + "b"

    started = time.monotonic()
    by_visitor = api.anonymous().post(
        "livechat/custom.field", {"token": visitor["token"], "key": "code", "value": hostile, "overwrite": True}
    )
    by_agent = contact(api, code=hostile)
    elapsed = time.monotonic() - started

    assert by_visitor.status_code == 400
    assert by_visitor.json() == {"success": False, "error": "Invalid value for code field"}
    assert by_agent.status_code == 400
    assert by_agent.json() == {"success": False, "error": "Invalid value for Code field"}
    # A backtracking engine would need about 2^1000 steps here: any bound tells them apart, and a
    # loose one keeps the test steady on a busy machine.
    assert elapsed < 5.0, f"two pattern checks took {elapsed:.2f}s"


def test_the_match_itself_is_linear() -> None:
    started = time.monotonic()
    for length in (24, 26, 28, 1023, 100_000):
        assert not userregex.search(CATASTROPHIC, "a" * length + "b")
    assert time.monotonic() - started < 0.5


def test_patterns_still_match_as_before(api: Api) -> None:
    assert define(api, CATASTROPHIC).status_code == 200
    created = contact(api, code="aaa")
    assert created.status_code == 200, created.text

    assert define(api, r"^\d{3}-[A-Z]+$", field="order").status_code == 200
    good = contact(api, order="123-AB")
    bad = contact(api, order="12-AB")
    assert good.status_code == 200, good.text
    assert bad.json() == {"success": False, "error": "Invalid value for Code field"}


def test_a_pattern_the_linear_engine_cannot_run_is_refused_when_defined(api: Api) -> None:
    for pattern in ("(?=a)b", r"(a)\1", "[unclosed"):
        response = define(api, pattern)

        assert response.status_code == 400
        assert response.json() == {"success": False, "error": f"Invalid regular expression for field code: {pattern}"}
    assert api.get("livechat/custom-fields/code").json()["customField"] is None


def test_a_value_past_the_limit_is_refused(api: Api) -> None:
    assert define(api, "").status_code == 200

    response = contact(api, code="v" * (limits.TEXT + 1))

    assert response.status_code == 400
    assert response.json()["error"] == f"must NOT have more than {limits.TEXT} characters [invalid-params]"
