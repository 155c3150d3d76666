"""The Contact Center's contact pages in Chromium: sign in and out, the list and its search,
a profile, conflicts, blocking, a transcript, deletion, and accessibility."""

import re

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.contacts.conversations import contact_doc, store_contacts
from tests.support import ADMIN_USERNAME, USER_PASSWORD
from tests.ui.conftest import Ui, off_loop
from tests.ui.flows import closed_conversation, create_contact, make_agent, set_available


def _names(page: Page) -> Locator:
    return page.locator("#results tbody tr td:first-child")


def _rows(page: Page) -> list[str]:
    return page.locator("#results tbody tr td:first-child").all_inner_texts()


def test_sign_in_and_out(ui: Ui) -> None:
    page = ui.page()
    page.goto("/ui/contacts")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    assert ui.axe(page) == []
    ui.shot(page, "sign-in")

    page.get_by_label("Username or email").fill(ADMIN_USERNAME)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")

    page.get_by_label("Username or email").fill(ADMIN_USERNAME)
    page.get_by_label("Password").fill("admin.test.password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/contacts$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    cookie = next(c for c in page.context.cookies() if c["name"] == "oc_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    # The token was logged out on the server too: the old cookie no longer opens a page.
    with httpx.Client(base_url=ui.base_url, cookies={"oc_session": cookie["value"]}) as client:
        response = client.get("/ui/contacts")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login"


def test_search_by_phone_fragment_and_mixed_case_email(ui: Ui) -> None:
    create_contact(ui.api, "Ana Silva", ["ana.silva@example.com"], ["+55 11 98765-4321"])
    create_contact(ui.api, "Bruno Costa", ["Bruno.Costa@Example.org"], ["+1 212 555 0100"])
    create_contact(ui.api, "Carla Dias", ["carla@example.net"], ["+44 20 7946 0958"])
    page = ui.sign_in()
    expect(page.locator("#count")).to_have_text("3 results")
    assert _rows(page) == ["Ana Silva", "Bruno Costa", "Carla Dias"]

    # Typing searches live (htmx), with no page load.
    page.get_by_label("Search name, email or phone").fill("98765")
    expect(_names(page)).to_have_text(["Ana Silva"])
    expect(page.locator("#count")).to_have_text("1 results")
    expect(page).to_have_url(re.compile(r"q=98765"))

    page.get_by_label("Search name, email or phone").fill("bRUNO.costa@EXAMPLE")
    expect(_names(page)).to_have_text(["Bruno Costa"])
    ui.shot(page, "contacts-search")
    assert ui.axe(page) == []
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_filters_sort_and_keyset_pages(ui: Ui) -> None:
    make_agent(ui.api, ADMIN_USERNAME)
    set_available(ui.api)
    for index in range(27):
        create_contact(ui.api, f"Person {index:02d}", [f"p{index}@example.com"], [])
    served = closed_conversation(ui.api, "Zoe Chat", email="zoe@example.com")
    page = ui.sign_in()
    names = _rows(page)
    assert len(names) == 25
    assert names[0] == "Person 00"
    expect(page.locator("#count")).to_have_text("27 results")
    page.get_by_role("link", name="Next page").click()
    assert _rows(page) == ["Person 25", "Person 26"]
    assert "after=" in page.url
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)

    # A contact made by a visitor's conversation is unknown until someone confirms it.
    page.goto("/ui/contacts")
    page.get_by_label("Unknown contacts only").check()
    expect(_names(page)).to_have_text(["Zoe Chat"])
    page.goto("/ui/contacts?unknown=on&sort=lastChat&channel=api")
    assert _rows(page) == ["Zoe Chat"]
    page.goto("/ui/contacts?unknown=on&channel=widget")
    expect(page.locator("#count")).to_have_text("0 results")
    page.goto("/ui/contacts?unknown=on&from=2000-01-01&to=2000-12-31")
    expect(page.locator("#count")).to_have_text("0 results")
    closed_day = served["room"]["closedAt"][:10]
    page.goto(f"/ui/contacts?unknown=on&from={closed_day}&to={closed_day}")
    assert _rows(page) == ["Zoe Chat"]
    page.goto("/ui/contacts?sort=created")
    assert _rows(page)[0] == "Person 26"
    page.goto("/ui/contacts?conflicts=on")
    expect(page.locator("#count")).to_have_text("0 results")
    page.goto("/ui/contacts?blocked=on")
    expect(page.locator("#count")).to_have_text("0 results")
    page.goto(f"/ui/contacts?manager={ui.server.admin_id}")
    expect(page.locator("#count")).to_have_text("0 results")
    agent = ui.api.create_user(roles=["user", "livechat-agent"])
    create_contact(ui.api, "Managed One", ["m1@example.com"], [], contactManager=agent["_id"])
    page.goto(f"/ui/contacts?manager={agent['_id']}")
    assert _rows(page) == ["Managed One"]
    expect(page.locator("#results tbody td").nth(3)).to_have_text(agent["username"])


def test_profile_block_unblock_transcript_and_history(ui: Ui) -> None:
    make_agent(ui.api, ADMIN_USERNAME)
    set_available(ui.api)
    served = closed_conversation(ui.api, "Maria Souza", email="maria@example.com", tags=["billing", "vip"])
    page = ui.sign_in()
    page.get_by_label("Unknown contacts only").check()
    page.get_by_role("link", name="Maria Souza").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Souza")
    channels = page.get_by_role("region", name="Channels")
    expect(channels.get_by_test_id("blocked-state")).to_have_text("Not blocked")
    expect(page.get_by_role("region", name="History (1)")).to_contain_text(f"{served['room']['msgs']} messages")
    ui.shot(page, "profile")
    assert ui.axe(page) == []

    channels.get_by_role("button", name=re.compile("^Block")).click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(channels.get_by_test_id("blocked-state")).to_have_text("Blocked")
    stored = ui.api.get("omnichannel/contacts.get", {"contactId": served["contactId"]}).json()["contact"]
    assert [channel["blocked"] for channel in stored["channels"]] == [True]
    audit = page.get_by_role("region", name="Audit trail")
    expect(audit).to_contain_text("blocked")

    channels.get_by_role("button", name=re.compile("^Unblock")).click()
    expect(channels.get_by_test_id("blocked-state")).to_have_text("Not blocked")
    stored = ui.api.get("omnichannel/contacts.get", {"contactId": served["contactId"]}).json()["contact"]
    assert [channel["blocked"] for channel in stored["channels"]] == [False]
    expect(audit).to_contain_text("unblocked")

    page.get_by_role("region", name="History (1)").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transcript: Maria Souza")
    messages = page.locator("ol.messages li")
    expect(messages.filter(has_text="Hello, I am Maria Souza")).to_have_count(1)
    expect(messages.filter(has_text="How can I help?")).to_have_count(1)
    expect(page.get_by_test_id("tags")).to_have_text("billing, vip")
    expect(page.get_by_test_id("closing-comment")).to_have_text("Solved on the phone")
    ui.shot(page, "transcript")
    assert ui.axe(page) == []


def test_edit_uses_the_api_validation(ui: Ui) -> None:
    contact_id = create_contact(ui.api, "Edit Me", ["edit@example.com"], [])
    page = ui.sign_in()
    page.goto(f"/ui/contacts/{contact_id}")
    page.get_by_label("Name", exact=True).fill("Edited Name")
    page.get_by_label("Phones").fill("+1 555 0100")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    stored = ui.api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]
    assert stored["name"] == "Edited Name"
    assert stored["phones"] == [{"phoneNumber": "+1 555 0100"}]

    page.get_by_label("Contact manager").fill("no-such-user")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("error-contact-manager-not-found")


def test_resolve_a_conflict_in_place(ui: Ui) -> None:
    contact = contact_doc(
        "Old Name",
        conflictingFields=[{"field": "name", "value": "New Name"}, {"field": "customFields.cf1", "value": "42"}],
        customFields={"cf1": "7"},
        unknown=False,
    )
    off_loop(store_contacts, ui.server, contact)
    page = ui.sign_in()
    page.get_by_label("With conflicts to resolve").check()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Old Name").click()
    conflicts = page.get_by_role("region", name="Conflicts to resolve")
    conflicts.get_by_role("group", name="Field: name").get_by_label("Use incoming: New Name").check()
    ui.shot(page, "conflicts")
    conflicts.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New Name")
    expect(page.get_by_role("region", name="Conflicts to resolve")).to_contain_text("No conflicts.")
    stored = ui.api.get("omnichannel/contacts.get", {"contactId": contact["_id"]}).json()["contact"]
    assert stored["name"] == "New Name"
    assert stored["customFields"] == {"cf1": "7"}
    assert stored["conflictingFields"] == []
    expect(page.get_by_role("region", name="Audit trail")).to_contain_text("conflicts-resolved")


def test_delete_with_confirmation(ui: Ui) -> None:
    make_agent(ui.api, ADMIN_USERNAME)
    set_available(ui.api)
    served = closed_conversation(ui.api, "Erase Me", email="erase@example.com")
    page = ui.sign_in()
    page.goto(f"/ui/contacts/{served['contactId']}")
    page.get_by_role("link", name="Delete contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this contact?")
    erased = page.locator("main ul li").all_inner_texts()
    assert erased == [
        "the contact's name, emails, phones, custom fields and channels",
        "1 closed conversations",
        f"{served['room']['msgs']} messages in them",
        "1 visitor records they came through",
    ]
    ui.shot(page, "delete-confirmation")
    assert ui.axe(page) == []
    page.get_by_role("button", name="Yes, delete and erase").click()
    expect(page.get_by_role("status")).to_have_text("The contact was deleted and its data erased.")
    gone = ui.api.get("omnichannel/contacts.get", {"contactId": served["contactId"]})
    assert gone.status_code == 404
    assert ui.api.get("rooms.info", {"roomId": served["rid"]}).json()["success"] is False


def test_agent_without_delete_permission_sees_no_delete(ui: Ui) -> None:
    contact_id = create_contact(ui.api, "Kept Contact", ["kept@example.com"], [])
    agent = ui.user(["user", "livechat-agent"])
    ui.api.set_permission("delete-livechat-contact", ["admin"])
    page = ui.sign_in(agent["username"], USER_PASSWORD)
    page.goto(f"/ui/contacts/{contact_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kept Contact")
    expect(page.get_by_role("link", name="Delete contact")).to_have_count(0)
    response = page.goto(f"/ui/contacts/{contact_id}/delete")
    assert response is not None and response.status == 403
    # Given the permission, the same agent sees it on the next request.
    ui.api.set_permission("delete-livechat-contact", ["admin", "livechat-agent"])
    page.goto(f"/ui/contacts/{contact_id}")
    expect(page.get_by_role("link", name="Delete contact")).to_have_count(1)


def test_phone_width_layout(ui: Ui) -> None:
    create_contact(
        ui.api, "Narrow Screen Person", ["a.very.long.address.for.a.narrow.screen@example.com"], ["+1 555 0199"]
    )
    page = ui.sign_in(width=360, height=740)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ui.shot(page, "contacts-360px")
    page.get_by_role("link", name="Narrow Screen Person").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ui.shot(page, "profile-360px")
    # Keyboard: the skip link is the first stop and leads to the main landmark.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
