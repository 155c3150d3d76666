"""The Contact Center's session and CSRF rules, over plain HTTP against the served pages."""

import re

import httpx

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
