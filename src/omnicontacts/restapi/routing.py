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
from starlette.responses import Response
from starlette.routing import Route

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.accounts.config_cache import ConfigCache
from omnicontacts.accounts.passwords import hash_login_token
from omnicontacts.restapi.errors import ApiError, Forbidden, InvalidParams, TypedInvalidParams, Unauthorized
from omnicontacts.restapi.query import pagination, parse_query, parse_sort
from omnicontacts.restapi.validation import Schema, validate
from omnicontacts.settings import Settings
from omnicontacts.storage import Connection, Storage

log = logging.getLogger("omnicontacts.api")

JSON_HEADERS = {"cache-control": "no-store", "pragma": "no-cache"}


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(content=body, status_code=status, media_type="application/json", headers=JSON_HEADERS)


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


Handler = Callable[[RequestContext], Awaitable[dict[str, Any] | Response | None]]


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
        return Route(prefix + self.path, self._serve, methods=[self.method], name=f"{self.method} {self.path}")

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
        return success(result)

    def _validated(self, raw: Any) -> dict[str, Any]:
        if self.schema is None:
            return raw if isinstance(raw, dict) else {}
        value, messages = validate(self.schema, raw, coerce_arrays=False)
        if messages:
            raise TypedInvalidParams(messages) if self.typed else InvalidParams(messages)
        return value  # type: ignore[no-any-return]


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


async def _authenticate(request: Request, conn: Connection, state: AppState) -> AuthUser | None:
    user_id = request.headers.get("x-user-id")
    token = request.headers.get("x-auth-token")
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
