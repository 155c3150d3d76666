"""/livechat (the widget's page and files, from the npm package) and /avatar/:username."""

from pathlib import Path

import pytest

from tests.livechat.steps import set_setting
from tests.support import Api


def test_livechat_page_sets_server_url(api: Api) -> None:
    response = api.raw("GET", "/livechat")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "content-security-policy" not in response.headers
    assert f"<body><script> SERVER_URL = '{api.base_url}'; </script>" in response.text
    assert '<script src="livechat/bundle.' in response.text
    assert api.raw("GET", "/livechat/").text == response.text


def test_livechat_files_and_loader(api: Api) -> None:
    loader = api.raw("GET", "/livechat/rocketchat-livechat.min.js")
    assert loader.status_code == 200
    assert "javascript" in loader.headers["content-type"]
    assert "rocketchat-iframe" in loader.text
    page = api.raw("GET", "/livechat").text
    bundle = page.split('<script src="livechat/bundle.')[1].split('"')[0]
    assert api.raw("GET", f"/livechat/bundle.{bundle}").status_code == 200
    assert api.raw("GET", "/livechat/no-such-file.js").status_code == 404
    assert api.raw("GET", "/livechat/..%2F..%2Fpyproject.toml").status_code == 404


def test_frame_ancestors_follow_the_allowed_domains(api: Api) -> None:
    set_setting(api, "Livechat_AllowedDomainsList", "shop.example, www.shop.example:8080")
    allowed = api.raw("GET", "/livechat", headers={"Referer": "https://www.shop.example:8080/cart"})
    assert allowed.status_code == 200
    assert allowed.headers["content-security-policy"] == "frame-ancestors https://www.shop.example:8080"
    refused = api.raw("GET", "/livechat", headers={"Referer": "https://elsewhere.example/"})
    assert refused.status_code == 403
    assert refused.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert "SERVER_URL" not in refused.text
    # Without a referer there is nobody to check against, as in Rocket.Chat.
    assert api.raw("GET", "/livechat").status_code == 200


def test_extra_stylesheets_and_scripts(api: Api) -> None:
    set_setting(api, "Livechat_WidgetLayoutClasses", "https://cdn.shop.example/chat.css")
    set_setting(api, "Livechat_AdditionalWidgetScripts", 'https://cdn.shop.example/a.js,"><b>')
    page = api.raw("GET", "/livechat").text
    assert '<link rel="stylesheet" href="https://cdn.shop.example/chat.css"></head>' in page
    assert '<script src="https://cdn.shop.example/a.js"></script>' in page
    assert '<script src="&quot;&gt;&lt;b&gt;"></script>' in page
    set_setting(api, "Livechat_WidgetLayoutClasses", "")
    assert "chat.css" not in api.raw("GET", "/livechat").text


def test_a_server_without_the_widget_says_how_to_install_it(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OMNICONTACTS_WIDGET_DIR", str(tmp_path / "missing"))
    response = api.raw("GET", "/livechat")
    assert response.status_code == 503
    assert "The livechat widget is not installed" in response.text
    assert "make setup" in response.text and "npm ci" in response.text


def test_avatar_is_an_initials_picture(api: Api) -> None:
    response = api.raw("GET", "/avatar/jane.doe")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert ">JD</text>" in response.text
    assert api.raw("GET", "/avatar/agent").text.count(">AG</text>") == 1
    hostile = api.raw("GET", "/avatar/%3Cscript%3E").text
    assert "<script>" not in hostile and "&lt;S" in hostile
