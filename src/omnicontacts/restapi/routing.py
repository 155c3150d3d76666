"""Rocket.Chat's REST conventions around every endpoint.

One wrapper per route does, in Rocket.Chat's order: authentication (401), permissions (403),
parameter validation (400, AJV's words), the handler, and the rendering of every error. Handlers
receive a `RequestContext` and return a dict (sent with `"success": true` added last), `None`
(`{"success": true}`) or a ready `Response`.

Routes are plain Starlette routes: on these paths FastAPI's per-request dependency machinery
would only cost time, and our own wrapper already does what the API needs.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.accounts.config_cache import ConfigCache
from omnicontacts.accounts.passwords import hash_login_token
from omnicontacts.restapi.errors import ApiError, Forbidden, InvalidParams, TypedInvalidParams, Unauthorized
from omnicontacts.restapi.query import pagination, parse_query, parse_sort
from omnicontacts.restapi.streaming import StreamedList, body
from omnicontacts.restapi.validation import Schema, validate
from omnicontacts.settings import Settings
from omnicontacts.storage import Connection, Storage

log = logging.getLogger("omnicontacts.api")

JSON_HEADERS = {"cache-control": "no-store", "pragma": "no-cache"}


_RAW_JSON_HEADERS = [(key.encode("latin-1"), value.encode("latin-1")) for key, value in JSON_HEADERS.items()]


class _JsonResponse(Response):
    """Exactly what `Response(body, status, media_type="application/json", headers=JSON_HEADERS)`
    builds (same headers, same order), without re-encoding the constant headers every time."""

    media_type = "application/json"

    def __init__(self, body: bytes, status: int) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        self.raw_headers = [
            *_RAW_JSON_HEADERS,
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]


def json_response(body: bytes, status: int = 200) -> Response:
    if status < 200 or status in (204, 304):  # no content-length on these: leave it to Starlette
        return Response(content=body, status_code=status, media_type="application/json", headers=JSON_HEADERS)
    return _JsonResponse(body, status)


def success(payload: dict[str, Any] | None = None) -> Response:
    """`API.v1.success`: the payload with `success: true` added as its last key."""
    body = {**payload, "success": True} if payload else {"success": True}
    return json_response(orjson.dumps(body))


def error_response(error: ApiError) -> Response:
    return json_response(orjson.dumps(error.body()), error.status)


@dataclass(frozen=True)
class AuthUser:
    id: str
    username: str
    roles: tuple[str, ...]


@dataclass
class AppState:
    """What every request needs, created once per worker by the app's lifespan."""

    settings: Settings
    storage: Storage
    config: ConfigCache = field(default_factory=ConfigCache)


@dataclass
class RequestContext:
    request: Request
    conn: Connection
    state: AppState
    user: AuthUser | None
    params: dict[str, Any]
    path: dict[str, str]

    @property
    def user_required(self) -> AuthUser:
        if self.user is None:
            raise Unauthorized()
        return self.user

    def has_permission(self, permission: str) -> bool:
        return self.user is not None and self.state.config.has_permission(self.user.roles, permission)

    def setting(self, setting_id: str, default: Any = None) -> Any:
        return self.state.config.setting(setting_id, default)

    def page(self) -> tuple[int, int]:
        """(offset, count) from the request, with the REST API settings applied."""
        return pagination(self.params, self.state.config.settings)

    def sort(self) -> dict[str, int] | None:
        return parse_sort(self.params.get("sort"))


Handler = Callable[[RequestContext], Awaitable[dict[str, Any] | Response | StreamedList | None]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    auth: bool
    permissions: tuple[str, ...]
    schema: Schema | None
    typed: bool

    def route(self, prefix: str) -> Route:
        return _EndpointRoute(prefix + self.path, self, methods=[self.method], name=f"{self.method} {self.path}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route's ASGI app: what Starlette's `request_response` adapter does for a function,
        without its exception wrapper, which has nothing to catch (`_serve` answers every error)."""
        response = await self._serve(Request(scope, receive, send))
        await response(scope, receive, send)

    async def _serve(self, request: Request) -> Response:
        state: AppState = request.app.state.omni
        try:
            raw = await _read_params(request, self.method)
            async with state.storage.connection() as conn:
                user = await _authenticate(request, conn, state)
                if self.auth and user is None:
                    raise Unauthorized()
                if user is not None and not all(
                    state.config.has_permission(user.roles, name) for name in self.permissions
                ):
                    raise Forbidden()
                params = self._validated(raw)
                context = RequestContext(request, conn, state, user, params, dict(request.path_params))
                result = await self.handler(context)
        except ApiError as error:
            return error_response(error)
        except Exception:
            log.exception("unexpected error on %s %s", self.method, self.path)
            return json_response(b'{"success":false,"error":"Internal server error"}', 500)
        if isinstance(result, Response):
            return result
        if isinstance(result, StreamedList):
            return StreamingResponse(body(state.storage, result), media_type="application/json", headers=JSON_HEADERS)
        return success(result)

    def _validated(self, raw: Any) -> dict[str, Any]:
        if self.schema is None:
            return raw if isinstance(raw, dict) else {}
        value, messages = validate(self.schema, raw, coerce_arrays=False)
        if messages:
            raise TypedInvalidParams(messages) if self.typed else InvalidParams(messages)
        return value  # type: ignore[no-any-return]


class _EndpointRoute(Route):
    """A Route whose endpoint is the `Endpoint` itself, called as an ASGI app.

    The router asks every route in turn whether it matches; for a path without parameters this
    one answers by comparing strings instead of running its regular expression (`^literal$`, which
    also accepts one trailing newline, hence the second comparison): same answers, less time.
    """

    def __init__(self, path: str, endpoint: "Endpoint", *, methods: list[str], name: str) -> None:
        super().__init__(path, endpoint, methods=methods, name=name)
        self._literal = "{" not in path

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self._literal or scope["type"] != "http" or scope.get("root_path"):
            return super().matches(scope)
        route_path = scope["path"]
        if route_path != self.path and route_path != self.path + "\n":
            return Match.NONE, {}
        child_scope = {"endpoint": self.endpoint, "path_params": dict(scope.get("path_params", {}))}
        if self.methods and scope["method"] not in self.methods:
            return Match.PARTIAL, child_scope
        return Match.FULL, child_scope


async def _read_params(request: Request, method: str) -> Any:
    if method in ("GET", "DELETE"):
        return parse_query(request.scope["query_string"].decode("latin-1"))
    body = await request.body()
    if not body:
        return {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    if content_type.startswith("multipart/"):
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        # Rocket.Chat's router silently reads an unparsable body as {}.
        return {}


def _credentials(scope: Scope) -> tuple[str | None, str | None]:
    """X-User-Id and X-Auth-Token, first of each, as `request.headers.get` would answer them
    (ASGI servers hand header names over lower-cased)."""
    user_id = token = None
    for name, value in scope["headers"]:
        if name == b"x-user-id":
            if user_id is None:
                user_id = value.decode("latin-1")
        elif name == b"x-auth-token" and token is None:
            token = value.decode("latin-1")
    return user_id, token


async def _authenticate(request: Request, conn: Connection, state: AppState) -> AuthUser | None:
    user_id, token = _credentials(request.scope)
    if not user_id or not token:
        await state.config.ensure_fresh(conn)
        return None
    row = await accounts_repository.find_user_by_token(conn, user_id, hash_login_token(token))
    if row is None:
        await state.config.ensure_fresh(conn)
        return None
    await state.config.ensure_fresh(conn, int(row["config_version"] or 0))
    return AuthUser(row["id"], row["username"], tuple(orjson.loads(row["roles"])))


class Router:
    """Collects a domain's endpoints; `app.py` mounts every router under `/api/v1/`."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def _add(
        self,
        method: str,
        path: str,
        *,
        auth: bool,
        permissions: tuple[str, ...],
        schema: Schema | None,
        typed: bool,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, path, handler, auth, permissions, schema, typed))
            return handler

        return register

    def get(
        self,
        path: str,
        *,
        auth: bool = True,
        permissions: tuple[str, ...] = (),
        query: Schema | None = None,
        typed: bool = False,
    ) -> Callable[[Handler], Handler]:
        return self._add("GET", path, auth=auth, permissions=permissions, schema=query, typed=typed)

    def post(
        self,
        path: str,
        *,
        auth: bool = True,
        permissions: tuple[str, ...] = (),
        body: Schema | None = None,
        typed: bool = False,
    ) -> Callable[[Handler], Handler]:
        return self._add("POST", path, auth=auth, permissions=permissions, schema=body, typed=typed)

    def put(
        self,
        path: str,
        *,
        auth: bool = True,
        permissions: tuple[str, ...] = (),
        body: Schema | None = None,
        typed: bool = False,
    ) -> Callable[[Handler], Handler]:
        return self._add("PUT", path, auth=auth, permissions=permissions, schema=body, typed=typed)

    def delete(
        self,
        path: str,
        *,
        auth: bool = True,
        permissions: tuple[str, ...] = (),
        query: Schema | None = None,
        typed: bool = False,
    ) -> Callable[[Handler], Handler]:
        return self._add("DELETE", path, auth=auth, permissions=permissions, schema=query, typed=typed)
