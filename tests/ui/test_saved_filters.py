"""Saved filters on the contacts page: a manager saves the list's search, filters and sort by
name, opens them again from the list, and deletes them; each user sees only their own; the
limits, the CSRF guard and account deletion, over plain HTTP."""

import asyncio
import re

import httpx
from playwright.sync_api import Page, expect

from omnicontacts.storage import open_storage
from tests.support import ADMIN_PASSWORD, ADMIN_USERNAME, USER_PASSWORD
from tests.ui.conftest import Ui, off_loop
from tests.ui.flows import create_contact

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SAVED_LINKS = re.compile(r'<ul class="saved">(.*?)</ul>', re.S)


def _saved(page: Page) -> list[str]:
    return page.locator("ul.saved li a").all_inner_texts()


def _signed_in(ui: Ui, username: str, password: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=ui.base_url)
    token = CSRF.search(client.get("/ui/login").text)
    assert token is not None
    response = client.post("/ui/login", data={"csrf_token": token.group(1), "user": username, "password": password})
    assert response.status_code == 303, response.text
    found = CSRF.search(client.get("/ui/contacts").text)
    assert found is not None
    return client, found.group(1)


def _stored_rows(ui: Ui, user_id: str) -> int:
    async def count() -> int:
        storage = await open_storage(ui.server.settings)
        try:
            async with storage.connection() as conn:
                return int(await conn.fetchval("SELECT count(*) FROM ui_saved_filters WHERE user_id = $1", user_id))
        finally:
            await storage.close()

    return int(off_loop(asyncio.run, count()))


def test_save_open_and_delete_a_filter_with_the_keyboard(ui: Ui) -> None:
    create_contact(ui.api, "Ana Silva", ["ana.silva@example.com"], ["+55 11 98765-4321"])
    create_contact(ui.api, "Bruno Costa", ["bruno@example.org"], ["+55 21 98765-1111"])
    create_contact(ui.api, "Carla Dias", ["carla@example.net"], ["+44 20 7946 0958"])
    manager = ui.user(["user", "livechat-manager"])
    page = ui.sign_in(manager["username"], USER_PASSWORD)
    expect(page.get_by_role("heading", name="Saved filters")).to_be_visible()
    expect(page.get_by_text("No saved filters yet.")).to_be_visible()

    page.get_by_label("Search name, email or phone").fill("98765")
    page.get_by_label("Sort by").select_option("created")
    expect(page.locator("#results tbody tr td:first-child")).to_have_text(["Bruno Costa", "Ana Silva"])
    name = page.get_by_label("Save these filters as")
    name.fill("Brazil mobiles")
    name.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Filter saved.")
    expect(page).to_have_url(re.compile(r"/ui/contacts\?q=98765&sort=created&filter=saved$"))
    assert _saved(page) == ["Brazil mobiles"]

    # Saved under the same name again: replaced, not doubled.
    page.goto("/ui/contacts?q=7946")
    page.get_by_label("Save these filters as").fill("  Brazil   mobiles ")
    page.get_by_role("button", name="Save filter").click()
    expect(page).to_have_url(re.compile(r"/ui/contacts\?q=7946&sort=name&filter=saved$"))
    assert _saved(page) == ["Brazil mobiles"]
    page.get_by_label("Search name, email or phone").fill("98765")
    page.get_by_label("Sort by").select_option("created")
    expect(page.locator("#results tbody tr td:first-child")).to_have_text(["Bruno Costa", "Ana Silva"])
    # A live search redraws the filters the save form carries, not the name being typed.
    page.get_by_label("Save these filters as").fill("Brazil mobiles")
    page.get_by_label("Search name, email or phone").fill("9876")
    expect(page).to_have_url(re.compile(r"/ui/contacts\?q=9876&sort=created"))
    page.get_by_label("Search name, email or phone").fill("98765")
    expect(page).to_have_url(re.compile(r"/ui/contacts\?q=98765&sort=created"))
    expect(page.get_by_label("Save these filters as")).to_have_value("Brazil mobiles")
    page.get_by_role("button", name="Save filter").click()
    expect(page).to_have_url(re.compile(r"/ui/contacts\?q=98765&sort=created&filter=saved$"))
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Save these filters as").fill("Everyone")
    page.get_by_role("button", name="Save filter").click()
    expect(page).to_have_url(re.compile(r"/ui/contacts\?sort=name&filter=saved$"))
    page.goto("/ui/contacts")
    assert _saved(page) == ["Brazil mobiles", "Everyone"]
    expect(page.locator("#count")).to_have_text("3 results")

    # Opening it again brings the search text, the sort and the results back.
    page.get_by_role("link", name="Brazil mobiles").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ui/contacts\?q=98765&sort=created$"))
    expect(page.get_by_label("Search name, email or phone")).to_have_value("98765")
    expect(page.get_by_label("Sort by")).to_have_value("created")
    expect(page.locator("#results tbody tr td:first-child")).to_have_text(["Bruno Costa", "Ana Silva"])
    ui.shot(page, "saved-filters")
    assert ui.axe(page) == []

    # Each user's own: the admin sees none of the manager's filters.
    admin = ui.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(admin.get_by_text("No saved filters yet.")).to_be_visible()

    # The keyboard reaches the delete button of each saved filter.
    delete = page.get_by_role("button", name="Delete saved filter Brazil mobiles")
    delete.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Saved filter deleted.")
    assert _saved(page) == ["Everyone"]
    assert ui.axe(page) == []
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_limits_csrf_and_what_is_kept(ui: Ui) -> None:
    client, token = _signed_in(ui, ADMIN_USERNAME, ADMIN_PASSWORD)

    refused = client.post("/ui/saved-filters", data={"name": "No token", "q": "x"})
    assert refused.status_code == 403
    assert "did not come from this site" in refused.text
    refused = client.post("/ui/saved-filters/delete", data={"name": "No token", "csrf_token": "0" * 64})
    assert refused.status_code == 403

    empty = client.post("/ui/saved-filters", data={"csrf_token": token, "name": "   ", "q": "ana"})
    assert empty.status_code == 400
    assert '<p id="filter-name-error" class="error" role="alert">Give the filter a name.</p>' in empty.text
    # The refused form keeps the list's filters as they were.
    assert 'id="q" name="q" type="search" value="ana"' in empty.text
    long = client.post("/ui/saved-filters", data={"csrf_token": token, "name": "n" * 61})
    assert long.status_code == 400
    assert "A filter name has at most 60 characters." in long.text

    # Only the list's own parameters are kept, each as the list reads it.
    saved = client.post(
        "/ui/saved-filters",
        data={"csrf_token": token, "name": "n" * 60, "q": "x" * 300, "sort": "bogus", "blocked": "on", "evil": "1"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/ui/contacts?q={'x' * 256}&sort=name&blocked=on&filter=saved"
    listed = SAVED_LINKS.search(client.get("/ui/contacts").text)
    assert listed is not None
    assert f'<a href="/ui/contacts?blocked=on&amp;q={"x" * 256}&amp;sort=name">{"n" * 60}</a>' in listed.group(1)

    for index in range(1, 50):
        response = client.post("/ui/saved-filters", data={"csrf_token": token, "name": f"Filter {index:02d}"})
        assert response.status_code == 303
    too_many = client.post("/ui/saved-filters", data={"csrf_token": token, "name": "One more"})
    assert too_many.status_code == 400
    assert "You can keep at most 50 saved filters; delete one first." in too_many.text
    # Replacing one at the limit is still allowed.
    replaced = client.post("/ui/saved-filters", data={"csrf_token": token, "name": "Filter 07", "q": "seven"})
    assert replaced.status_code == 303
    assert _stored_rows(ui, ui.server.admin_id) == 50

    missing = client.post("/ui/saved-filters/delete", data={"csrf_token": token, "name": "Never saved"})
    assert missing.status_code == 404
    deleted = client.post("/ui/saved-filters/delete", data={"csrf_token": token, "name": "Filter 07"})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/ui/contacts?filter=deleted"
    assert _stored_rows(ui, ui.server.admin_id) == 49
    client.close()


def test_an_agent_without_the_contact_list_cannot_save_and_a_deleted_user_leaves_none(ui: Ui) -> None:
    agent = ui.user(["user", "livechat-agent"])
    ui.api.set_permission("view-livechat-contact", ["admin", "livechat-manager"])
    client, token = _signed_in_anywhere(ui, agent["username"])
    refused = client.post("/ui/saved-filters", data={"csrf_token": token, "name": "Mine"})
    assert refused.status_code == 403
    assert "You are not allowed to do this." in refused.text
    client.close()
    assert _stored_rows(ui, agent["_id"]) == 0

    manager = ui.user(["user", "livechat-manager"])
    client, token = _signed_in(ui, manager["username"], USER_PASSWORD)
    assert client.post("/ui/saved-filters", data={"csrf_token": token, "name": "Mine"}).status_code == 303
    client.close()
    assert _stored_rows(ui, manager["_id"]) == 1
    response = ui.api.post("users.delete", {"userId": manager["_id"]})
    assert response.status_code == 200, response.text
    assert _stored_rows(ui, manager["_id"]) == 0


def _signed_in_anywhere(ui: Ui, username: str) -> tuple[httpx.Client, str]:
    """Signed in as a user the contact list refuses: the CSRF token comes from the inbox page."""
    client = httpx.Client(base_url=ui.base_url)
    token = CSRF.search(client.get("/ui/login").text)
    assert token is not None
    response = client.post(
        "/ui/login", data={"csrf_token": token.group(1), "user": username, "password": USER_PASSWORD}
    )
    assert response.status_code == 303, response.text
    found = CSRF.search(client.get("/ui/inbox").text)
    assert found is not None
    return client, found.group(1)
