"""Calls the REST API's own endpoints in-process, as the signed-in user.

The pages never restate a permission, a validation or a business rule: each action goes through
the endpoint the API serves for it (authentication, permission check, AJV-worded validation,
handler, error rendering), only without the network. The answer is the API's JSON.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.types import Message

from omnicontacts.restapi.routing import AppState, Endpoint
from omnicontacts.ui.session import Session

API_PREFIX = "/api/v1/"


class ApiRefused(Exception):
    """The API answered an error; `message` is its `error` text, `status` its HTTP status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        message = body.get("error") or body.get("message") or body.get("errorType") or str(status)
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class Registry:
    endpoints: dict[tuple[str, str], Endpoint]

    def get(self, method: str, path: str) -> Endpoint:
        return self.endpoints[(method, path)]


def build_registry(mounted: list[tuple[str, Endpoint]]) -> Registry:
    return Registry({(e.method, (prefix + e.path).removeprefix(API_PREFIX)): e for prefix, e in mounted})


def _query(params: dict[str, Any]) -> bytes:
    """Query string in the form the API's qs-style parser reads (lists as `key[]=`)."""
    parts: list[str] = []
    for key, value in params.items():
        values = value if isinstance(value, list) else [value]
        name = key + "[]" if isinstance(value, list) else key
        for item in values:
            if item is None:
                continue
            text = orjson.dumps(item).decode() if isinstance(item, dict) else str(item)
            if isinstance(item, bool):
                text = "true" if item else "false"
            parts.append(quote(name, safe="[]") + "=" + quote(text, safe=""))
    return "&".join(parts).encode("latin-1")


def permitted(request: Request, session: Session, method: str, path: str) -> bool:
    """Whether the user passes the permission guard of that endpoint (the API's own list)."""
    registry: Registry = request.app.state.ui_api
    state: AppState = request.app.state.omni
    endpoint = registry.get(method, path)
    return all(state.config.has_permission(session.user.roles, name) for name in endpoint.permissions)


def has_permission(request: Request, session: Session, permission: str) -> bool:
    state: AppState = request.app.state.omni
    return state.config.has_permission(session.user.roles, permission)


async def call(
    request: Request,
    session: Session | None,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    path_params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The API's answer to `method path` with `params` (query for GET/DELETE, JSON body
    otherwise). Raises ApiRefused with the API's error when it does not succeed."""
    registry: Registry = request.app.state.ui_api
    endpoint = registry.get(method, path)
    actual = path
    for key, value in (path_params or {}).items():
        actual = actual.replace("{" + key + "}", quote(value, safe=""))
    headers = [(b"host", request.headers.get("host", "localhost").encode("latin-1"))]
    if session is not None:
        headers += session.headers()
    body = b""
    query = b""
    if method in ("GET", "DELETE"):
        query = _query(params or {})
    else:
        body = orjson.dumps(params or {})
        headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": request.url.scheme,
        "path": API_PREFIX + actual,
        "raw_path": (API_PREFIX + actual).encode("latin-1"),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": request.client,
        "server": request.scope.get("server"),
        "app": request.app,
        "path_params": dict(path_params or {}),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    response = await endpoint.serve(Request(scope, receive))
    answer = orjson.loads(bytes(response.body)) if response.body else {}
    if response.status_code >= 400 or (isinstance(answer, dict) and answer.get("success") is False):
        raise ApiRefused(response.status_code, answer if isinstance(answer, dict) else {})
    return answer if isinstance(answer, dict) else {}
