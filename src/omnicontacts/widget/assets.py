"""The widget's files: `/livechat` (its page, with `SERVER_URL` set), everything in the npm
package's build folder under `/livechat/`, and `/avatar/:username` pictures.

The package (`@rocket.chat/livechat`, installed by `make setup` into node_modules) is never part
of the repository. Without it `/livechat` answers a page saying how to install it.
"""

import hashlib
import html
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from omnicontacts.restapi.routing import AppState

PACKAGE = "@rocket.chat/livechat"
WIDGET_DIR_VARIABLE = "OMNICONTACTS_WIDGET_DIR"

MISSING_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Livechat widget not installed</title></head>
<body><h1>The livechat widget is not installed</h1>
<p>This server serves Rocket.Chat's web chat widget from the npm package <code>@rocket.chat/livechat</code>,
which is not in <code>{where}</code>.</p>
<p>Install it from the project's checkout with <code>make setup</code> (it runs <code>npm ci</code>), or
<code>npm ci</code> alone, then reload this page. A server installed elsewhere can point
<code>OMNICONTACTS_WIDGET_DIR</code> at the package's <code>build</code> folder.</p>
</body></html>
"""


def widget_dir() -> Path:
    configured = os.environ.get(WIDGET_DIR_VARIABLE)
    if configured:
        return Path(configured)
    # src/omnicontacts/widget/assets.py -> the checkout's root, where node_modules is.
    return Path(__file__).resolve().parents[3] / "node_modules" / PACKAGE / "build"


@lru_cache(maxsize=4)
def _index_template(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def _server_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _addresses(setting: str) -> list[str]:
    return [item.strip() for item in setting.split(",") if item.strip()]


def index_html(template: str, server_url: str, *, stylesheets: str = "", scripts: str = "") -> str:
    """The package's page with `SERVER_URL` set first thing in its body, as Rocket.Chat sets it,
    and the operator's extra stylesheets (`Livechat_WidgetLayoutClasses`) and scripts
    (`Livechat_AdditionalWidgetScripts`) added to its head and body."""
    script = f"<script> SERVER_URL = '{html.escape(server_url, quote=True)}'; </script>"
    page = template.replace("<body>", f"<body>{script}", 1)
    links = "".join(f'<link rel="stylesheet" href="{html.escape(url, quote=True)}">' for url in _addresses(stylesheets))
    extra = "".join(f'<script src="{html.escape(url, quote=True)}"></script>' for url in _addresses(scripts))
    return page.replace("</head>", f"{links}</head>", 1).replace("</body>", f"{extra}</body>", 1)


def frame_ancestors(allowed_setting: str, referer: str | None) -> tuple[str | None, bool]:
    """The Content-Security-Policy for the page and whether to serve it, from
    `Livechat_AllowedDomainsList` (comma-separated hosts) and the embedding page's address.
    An empty list, or no referer, lets any page embed the widget, as in Rocket.Chat."""
    if not referer or not allowed_setting.strip():
        return None, True
    allowed = [domain.strip() for domain in allowed_setting.split(",")]
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc not in allowed:
        return "frame-ancestors 'none'", False
    return f"frame-ancestors {parts.scheme}://{parts.netloc}", True


async def _settings(request: Request) -> dict[str, str]:
    state: AppState = request.app.state.omni
    async with state.storage.connection() as conn:
        await state.config.ensure_fresh(conn)
    names = ("Livechat_AllowedDomainsList", "Livechat_WidgetLayoutClasses", "Livechat_AdditionalWidgetScripts")
    return {name: str(state.config.setting(name, "") or "") for name in names}


async def livechat_page(request: Request) -> Response:
    index = widget_dir() / "index.html"
    if not index.is_file():
        return HTMLResponse(MISSING_PAGE.format(where=html.escape(str(index.parent))), status_code=503)
    settings = await _settings(request)
    policy, serve = frame_ancestors(settings["Livechat_AllowedDomainsList"], request.headers.get("referer"))
    headers = {"cache-control": "no-cache"}
    if policy is not None:
        headers["content-security-policy"] = policy
    if not serve:
        return HTMLResponse("", status_code=403, headers=headers)
    template = _index_template(index, index.stat().st_mtime)
    page = index_html(
        template,
        _server_url(request),
        stylesheets=settings["Livechat_WidgetLayoutClasses"],
        scripts=settings["Livechat_AdditionalWidgetScripts"],
    )
    return HTMLResponse(page, headers=headers)


# --- avatars -------------------------------------------------------------------------------------

_COLOURS = (
    "#F44336", "#E91E63", "#9C27B0", "#673AB7", "#3F51B5", "#2196F3", "#03A9F4", "#00BCD4",
    "#009688", "#4CAF50", "#8BC34A", "#CDDC39", "#FFC107", "#FF9800", "#FF5722", "#795548",
)  # fmt: skip


def initials(name: str) -> str:
    """One or two letters: the first of the first two words (`jane.doe` counts as two)."""
    words = [word for word in name.replace(".", " ").replace("_", " ").replace("-", " ").split() if word]
    if not words:
        return "?"
    letters = words[0][0] + (words[1][0] if len(words) > 1 else words[0][1:2])
    return letters.upper()


def avatar_svg(username: str) -> str:
    colour = _COLOURS[hashlib.sha256(username.encode()).digest()[0] % len(_COLOURS)]
    text = html.escape(initials(username[:100]))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">'
        f'<rect width="100%" height="100%" fill="{colour}"/>'
        '<text x="50%" y="50%" dy="0.36em" text-anchor="middle" fill="#ffffff" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="90">{text}</text></svg>'
    )


async def avatar(request: Request) -> Response:
    svg = avatar_svg(request.path_params["username"])
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "public, max-age=3600"})


def routes() -> list[BaseRoute]:
    return [
        Route("/livechat", livechat_page, methods=["GET", "HEAD"]),
        Route("/livechat/", livechat_page, methods=["GET", "HEAD"]),
        Route("/avatar/{username:path}", avatar, methods=["GET", "HEAD"]),
        Mount("/livechat", StaticFiles(directory=widget_dir(), check_dir=False), name="livechat-files"),
    ]
