"""The Contact Center's session: the REST login token in a cookie, and CSRF tokens.

The cookie holds `userId:authToken`, exactly what the API's `X-User-Id`/`X-Auth-Token` carry, so
a session is checked by the API's own authentication and ends with the API's logout. It is
HttpOnly (no script reads it) and SameSite=Strict (no other site's page sends it).

Every state-changing request must also carry a CSRF token: for a signed-in user an HMAC of their
login token (a page of another site cannot compute it, and a token issued to one session is
refused with any other), before sign-in a random value also kept in its own cookie.
"""

import hashlib
import hmac
import secrets

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from omnicontacts.restapi.routing import AppState, AuthUser, authenticate_token

SESSION_COOKIE = "oc_session"
LOGIN_CSRF_COOKIE = "oc_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# A bound on what is parsed from a cookie: a login token is 43 characters, a user id 17.
MAX_COOKIE = 256


class Session:
    def __init__(self, user: AuthUser, token: str) -> None:
        self.user = user
        self.token = token

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"x-user-id", self.user.id.encode("latin-1")), (b"x-auth-token", self.token.encode("latin-1"))]


def csrf_for(login_token: str) -> str:
    return hmac.new(login_token.encode(), b"omnicontacts-ui-csrf", hashlib.sha256).hexdigest()


def credentials(request: HTTPConnection) -> tuple[str, str] | None:
    """(user id, login token) from the session cookie of a page request or a WebSocket handshake."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    if not raw or len(raw) > MAX_COOKIE or ":" not in raw:
        return None
    user_id, token = raw.split(":", 1)
    return (user_id, token) if user_id and token else None


async def current_session(request: Request) -> Session | None:
    found = credentials(request)
    if found is None:
        return None
    state: AppState = request.app.state.omni
    async with state.storage.connection() as conn:
        user = await authenticate_token(conn, state, *found)
    return None if user is None else Session(user, found[1])


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, user_id: str, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        f"{user_id}:{token}",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))


def set_login_csrf_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, value, httponly=True, samesite="strict", secure=_secure(request), path="/ui")
