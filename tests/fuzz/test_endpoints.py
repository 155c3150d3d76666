"""Property: whatever a client sends to any registered endpoint, as the admin or as a stranger,
the answer is below 500 and its body is JSON.

Every endpoint in the app's route table is a test case (hostile.targets), so endpoints added
later are walked too. The budget is OMNICONTACTS_FUZZ_EXAMPLES examples per endpoint and identity
(CI keeps the default; `make fuzz` raises it). Runs are reproducible unless OMNICONTACTS_FUZZ_RANDOM
is set, which draws fresh inputs every time.
"""

import os
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnicontacts.app import create_app
from tests.fuzz.hostile import Drawn, Hostile, Pools, Target, targets
from tests.livechat.steps import open_room, register_visitor, send
from tests.support import ADMIN_PASSWORD, ADMIN_USERNAME, Api, RunningServer

EXAMPLES = int(os.environ.get("OMNICONTACTS_FUZZ_EXAMPLES", "12"))
DERANDOMIZE = not os.environ.get("OMNICONTACTS_FUZZ_RANDOM")

TARGETS = targets(create_app())
# Logging out would end the admin session the other examples use: logout gets a throwaway login.
ADMIN_SKIPS = {("POST", "/api/v1/logout")}


def test_the_walk_covers_every_registered_endpoint() -> None:
    names = {target.name for target in TARGETS}
    # A few from each family: if the enumeration broke, the walk would silently shrink.
    for expected in (
        "GET /api/v1/omnichannel/contacts.get",
        "POST /api/v1/omnichannel/contacts",
        "POST /api/v1/livechat/visitor",
        "GET /api/v1/livechat/messages.history/{rid}",
        "POST /api/v1/chat.postMessage",
        "POST /api/v1/login",
        "GET /api/info",
        "POST /api/v1/livechat/custom-fields.save",
    ):
        assert expected in names
    assert len(TARGETS) >= 60


@pytest.fixture
def seeded(api: Api) -> Iterator[Pools]:
    """A visitor with a room, messages and a contact, so hostile ids mix with real ones."""
    pools = Pools()
    visitor = register_visitor(api, name="Fuzz Visitor", email="fuzz@example.com", phone="+15550100")
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "hello")
    created = api.post(
        "omnichannel/contacts", {"name": "Fuzz Contact", "emails": ["c@example.com"], "phones": ["+15550199"]}
    )
    assert created.status_code == 200, created.text
    pools.add(visitor["token"], visitor["_id"], room["_id"], created.json()["contactId"], "c@example.com")
    pools.add("Message_MaxAllowedSize", "API_Upper_Count_Limit", "API_Default_Count", "view-l-room", "livechat-agent")
    yield pools


def _send(client: httpx.Client, drawn: Drawn) -> httpx.Response:
    return client.request(
        drawn.method,
        drawn.url,
        headers=drawn.headers,
        content=drawn.content,
        data=drawn.data,
        files=drawn.files,
    )


# A successful export is a file (CSV or JSON Lines), the one answer that is not a JSON document.
DOWNLOAD_TYPES = ("text/csv", "application/x-ndjson")


def _download(response: httpx.Response) -> bool:
    return response.status_code == 200 and response.headers.get("content-type", "").startswith(DOWNLOAD_TYPES)


def _check(response: httpx.Response, drawn: Drawn) -> None:
    assert response.status_code < 500, f"{response.status_code} {response.text[:300]} for {drawn.describe()}"
    if response.status_code not in (204, 304) and not _download(response):
        try:
            response.json()
        except ValueError:
            pytest.fail(
                f"not JSON ({response.headers.get('content-type')}): {response.text[:200]} for {drawn.describe()}"
            )


def _walk(server: RunningServer, target: Target, pools: Pools, headers: dict[str, Any], rng: random.Random) -> None:
    drawn = Hostile(rng, pools).request(target, headers)
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        _check(_send(client, drawn), drawn)


fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
@fuzz_settings
@given(rng=st.randoms(use_true_random=False))
def test_admin_gets_no_5xx(server: RunningServer, seeded: Pools, target: Target, rng: random.Random) -> None:
    headers = server.admin_headers
    if (target.method, target.path) in ADMIN_SKIPS:
        headers = Api(server.base_url).login(ADMIN_USERNAME, ADMIN_PASSWORD)
    _walk(server, target, seeded, headers, rng)


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
@fuzz_settings
@given(rng=st.randoms(use_true_random=False), forged=st.booleans())
def test_stranger_gets_no_5xx(
    server: RunningServer, seeded: Pools, target: Target, rng: random.Random, forged: bool
) -> None:
    headers = {"X-User-Id": server.admin_id, "X-Auth-Token": "forged-token"} if forged else {}
    _walk(server, target, seeded, headers, rng)
