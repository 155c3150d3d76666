"""The admin corner in Chromium: agents, custom field definitions, the widget's settings and the
embed snippet; and who may open it."""

from playwright.sync_api import expect

from tests.support import USER_PASSWORD
from tests.ui.conftest import Ui


def test_agents_fields_settings_and_snippet(ui: Ui) -> None:
    person = ui.user(["user"])
    page = ui.sign_in()
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Admin")

    agents = page.get_by_role("region", name="Agents")
    agents.get_by_label("Username").fill(person["username"])
    agents.get_by_role("button", name="Add agent").click()
    expect(page.get_by_role("region", name="Agents")).to_contain_text(person["username"])
    listed = ui.api.get("livechat/users/agent").json()["users"]
    assert [user["username"] for user in listed] == [person["username"]]

    agents = page.get_by_role("region", name="Agents")
    agents.get_by_label("Username").fill("nobody-here")
    agents.get_by_role("button", name="Add agent").click()
    expect(page.get_by_role("alert")).to_have_text("[error-invalid-user]")

    fields = page.get_by_role("region", name="Custom field definitions")
    fields.get_by_label("Field id").fill("orderNumber")
    fields.get_by_label("Label").fill("Order number")
    fields.get_by_label("Validation pattern").fill("^[0-9]+$")
    fields.get_by_role("button", name="Save field").click()
    expect(page.get_by_role("region", name="Custom field definitions")).to_contain_text("Order number")
    saved = ui.api.get("livechat/custom-fields/orderNumber").json()["customField"]
    assert saved["label"] == "Order number"
    assert saved["regexp"] == "^[0-9]+$"

    settings = page.get_by_role("region", name="Widget settings")
    settings.get_by_label("Livechat_show_agent_info").select_option("false")
    settings.get_by_role("button", name="Save Livechat_show_agent_info").click()
    expect(page.get_by_role("region", name="Widget settings").get_by_label("Livechat_show_agent_info")).to_have_value(
        "false"
    )
    assert ui.api.get("settings/Livechat_show_agent_info").json()["value"] is False
    snippet = page.get_by_role("textbox", name="Embed snippet")
    expect(snippet).to_contain_text(f'window.RocketChat.url = "{ui.base_url}/livechat";')
    expect(snippet).to_contain_text(f'<script async src="{ui.base_url}/livechat/rocketchat-livechat.min.js">')
    ui.shot(page, "admin")
    assert ui.axe(page) == []

    page.get_by_role("region", name="Agents").get_by_role("button", name=f"Remove {person['username']}").click()
    expect(page.get_by_role("region", name="Agents")).to_contain_text("No agents.")
    assert ui.api.get("livechat/users/agent").json()["users"] == []


def test_an_agent_has_no_admin_corner(ui: Ui) -> None:
    agent = ui.user(["user", "livechat-agent"])
    page = ui.sign_in(agent["username"], USER_PASSWORD)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    response = page.goto("/ui/admin")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_have_text("You are not allowed to do this.")
