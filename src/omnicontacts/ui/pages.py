"""Rendering: the Jinja2 environment, security headers, and the shared page frame."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from omnicontacts.ui import api
from omnicontacts.ui.session import CSRF_FIELD, Session
from omnicontacts.ui.strings import TEXT

HERE = Path(__file__).resolve().parent
# No inline script or style anywhere: every script and stylesheet is a file of this site.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# A namespace, not the dict: `t.clear` or `t.items` must name a string, not a dict method.
env.globals["t"] = SimpleNamespace(**TEXT)
env.globals["csrf_field"] = CSRF_FIELD


def _nav(request: Request, session: Session) -> dict[str, bool]:
    return {
        "contacts": api.permitted(request, session, "GET", "omnichannel/contacts.search"),
        "inbox": api.permitted(request, session, "GET", "livechat/inquiries.queuedForUser"),
        "admin": api.permitted(request, session, "GET", "livechat/users/{user_type}/{user_id}"),
    }


def render(
    request: Request,
    template: str,
    session: Session | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    values = {
        "request": request,
        "session": session,
        "user": session.user if session else None,
        "csrf": session.csrf if session else context.pop("login_csrf", ""),
        "nav": _nav(request, session) if session else {},
        "current": request.url.path,
        **context,
    }
    return HTMLResponse(env.get_template(template).render(values), status_code=status, headers=SECURITY_HEADERS)


def redirect(url: str) -> Response:
    # 303: the browser follows a form's POST with a GET.
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
