"""The Contact Center's session and CSRF rules, over plain HTTP against the served pages."""

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.support import ADMIN_PASSWORD, ADMIN_USERNAME, USER_PASSWORD
from tests.ui.conftest import Ui
from tests.ui.flows import create_contact

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(ui: Ui, username: str, password: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=ui.base_url)
    form = client.get("/ui/login")
    token = CSRF.search(form.text)
    assert token is not None
    response = client.post("/ui/login", data={"csrf_token": token.group(1), "user": username, "password": password})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui/"
    page = client.get("/ui/contacts")
    assert page.status_code == 200
    found = CSRF.search(page.text)
    assert found is not None
    return client, found.group(1)


def test_every_page_has_a_strict_policy_and_no_inline_script(ui: Ui) -> None:
    client, _ = _signed_in(ui, ADMIN_USERNAME, ADMIN_PASSWORD)
    contact_id = create_contact(ui.api, "Policy Person", ["policy@example.com"], [])
    for path in ("/ui/contacts", f"/ui/contacts/{contact_id}", "/ui/inbox", "/ui/admin"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
        assert scripts and all('src="/ui/static/' in attributes and body == "" for attributes, body in scripts)
        assert re.search(r"<[^>]+\son[a-z]+=", response.text) is None, path
        # No page ships more than 100 KB of script (htmx from node_modules, and our own two files).
        sources = re.findall(r'<script src="([^"]+)"', response.text)
        sizes = [client.get(source) for source in sources]
        assert all(script.status_code == 200 for script in sizes), sources
        assert all("javascript" in script.headers["content-type"] for script in sizes), sources
        assert sum(len(script.content) for script in sizes) < 100_000, path
    client.close()


def test_login_form_refused_without_its_token(ui: Ui) -> None:
    with httpx.Client(base_url=ui.base_url) as client:
        client.get("/ui/login")
        response = client.post("/ui/login", data={"user": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
        assert response.status_code == 403
        assert "oc_session" not in response.cookies
        assert "did not come from this site" in response.text


def test_actions_refused_without_the_csrf_token(ui: Ui) -> None:
    contact_id = create_contact(ui.api, "Guarded", ["guarded@example.com"], [])
    client, token = _signed_in(ui, ADMIN_USERNAME, ADMIN_PASSWORD)
    for data in (
        {"name": "Changed"},
        {"name": "Changed", "csrf_token": ""},
        {"name": "Changed", "csrf_token": "0" * 64},
    ):
        response = client.post(f"/ui/contacts/{contact_id}/edit", data=data)
        assert response.status_code == 403
        assert "did not come from this site" in response.text
    response = client.post(f"/ui/contacts/{contact_id}/delete", headers={"x-csrf-token": "nope"})
    assert response.status_code == 403
    stored = ui.api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]
    assert stored["name"] == "Guarded"

    # With its token the same request goes through (the header form that htmx uses, too).
    response = client.post(f"/ui/contacts/{contact_id}/edit", data={"name": "Changed", "csrf_token": token})
    assert response.status_code == 303
    assert ui.api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]["name"] == "Changed"
    client.close()


def test_a_session_cookie_of_another_user_is_refused(ui: Ui) -> None:
    contact_id = create_contact(ui.api, "Target", ["target@example.com"], [])
    agent = ui.user(["user", "livechat-agent"])
    admin_client, admin_csrf = _signed_in(ui, ADMIN_USERNAME, ADMIN_PASSWORD)
    agent_client, agent_csrf = _signed_in(ui, agent["username"], USER_PASSWORD)
    admin_id, _ = admin_client.cookies["oc_session"].strip('"').split(":", 1)
    agent_id, agent_token = agent_client.cookies["oc_session"].strip('"').split(":", 1)

    # One user's id with another's token: no session at all.
    with httpx.Client(base_url=ui.base_url, cookies={"oc_session": f"{admin_id}:{agent_token}"}) as forged:
        page = forged.get("/ui/contacts")
        assert page.status_code == 303
        assert page.headers["location"] == "/ui/login"
        action = forged.post(f"/ui/contacts/{contact_id}/delete", data={"csrf_token": admin_csrf})
        assert action.status_code == 401

    # A CSRF token belongs to its session: the admin's token does not work with the agent's cookie.
    assert admin_csrf != agent_csrf
    refused = agent_client.post(f"/ui/contacts/{contact_id}/edit", data={"name": "Hijacked", "csrf_token": admin_csrf})
    assert refused.status_code == 403
    assert ui.api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]["name"] == "Target"
    assert agent_id != admin_id
    admin_client.close()
    agent_client.close()


def test_signed_out_requests_go_to_sign_in(ui: Ui) -> None:
    with httpx.Client(base_url=ui.base_url) as client:
        for path in ("/ui/", "/ui/contacts", "/ui/inbox", "/ui/admin", "/ui/rooms/x"):
            response = client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/ui/login"
        assert client.post("/ui/contacts/x/delete").status_code == 401
        assert client.get("/ui/contacts", headers={"hx-request": "true"}).headers["hx-redirect"] == "/ui/login"


def _session_cookie(client: httpx.Client) -> tuple[str, str, str]:
    """(cookie value, user id, login token) of a signed-in client."""
    value = client.cookies["oc_session"].strip('"')
    user_id, token = value.split(":", 1)
    return value, user_id, token


def test_no_page_carries_the_login_token(ui: Ui) -> None:
    """The pages' scripts need no login token: the realtime connection is signed in by the cookie."""
    contact_id = create_contact(ui.api, "Tokenless", ["tokenless@example.com"], [])
    agent = ui.user(["user", "livechat-agent"])
    for username, password in ((ADMIN_USERNAME, ADMIN_PASSWORD), (agent["username"], USER_PASSWORD)):
        client, _ = _signed_in(ui, username, password)
        _, _, token = _session_cookie(client)
        for path in ("/ui/contacts", f"/ui/contacts/{contact_id}", "/ui/inbox", "/ui/admin"):
            response = client.get(path)
            if username != ADMIN_USERNAME and path == "/ui/admin":
                assert response.status_code == 403  # not this user's page
                continue
            assert response.status_code == 200, path
            assert token not in response.text, path
            assert 'name="realtime-token"' not in response.text, path
        client.close()


def _ddp(socket: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
    """Send one frame and answer the first reply that names its id (`result`, `ready`, `nosub`)."""
    socket.send(json.dumps(frame))
    while True:
        reply = json.loads(socket.recv(timeout=15))
        if reply.get("id") == frame["id"] or frame["id"] in reply.get("subs", []):
            return dict(reply)


@contextlib.contextmanager
def _connected(ui: Ui, **headers: str) -> Iterator[ClientConnection]:
    """A DDP connection past `connected`, its handshake carrying these headers."""
    url = ui.base_url.replace("http://", "ws://") + "/websocket"
    with connect(url, additional_headers=headers, open_timeout=15) as socket:
        socket.send(json.dumps({"msg": "connect", "version": "1", "support": ["1"]}))
        while json.loads(socket.recv(timeout=15)).get("msg") != "connected":
            pass
        yield socket


def test_websocket_is_signed_in_by_the_session_cookie_from_this_origin_only(ui: Ui) -> None:
    agent = ui.user(["user", "livechat-agent"])
    client, _ = _signed_in(ui, agent["username"], USER_PASSWORD)
    cookie, user_id, _ = _session_cookie(client)
    own = ui.base_url  # http://127.0.0.1:<port>: the Host the socket connects to
    sub = {"msg": "sub", "id": "s1", "name": "stream-notify-user", "params": [f"{user_id}/rooms-changed", {}]}

    with _connected(ui, Cookie=f"oc_session={cookie}", Origin=own) as socket:
        assert _ddp(socket, sub) == {"msg": "ready", "subs": ["s1"]}

    # The same cookie from a page of another origin (another port of the same host is the same
    # site, so SameSite=Strict would still send the cookie): the handshake is refused.
    for origin in ("http://127.0.0.1:1", "http://evil.example", "null"):
        with pytest.raises(InvalidStatus) as refused, _connected(ui, Cookie=f"oc_session={cookie}", Origin=origin):
            pass
        assert refused.value.response.status_code == 403, origin
    with pytest.raises(InvalidStatus) as no_origin, _connected(ui, Cookie=f"oc_session={cookie}"):
        pass
    assert no_origin.value.response.status_code == 403

    # Without the cookie any origin may connect (the livechat widget runs on other sites), signed out.
    with _connected(ui, Origin="http://evil.example") as socket:
        refused_sub = _ddp(socket, sub)
        assert refused_sub["msg"] == "nosub"
        assert refused_sub["error"] == {
            "isClientSafe": True,
            "error": "not-allowed",
            "message": "[not-allowed]",
            "errorType": "Meteor.Error",
        }
    client.close()
