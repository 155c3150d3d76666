"""Rocket.Chat's REST conventions around every endpoint.

One wrapper per route does, in Rocket.Chat's order: authentication (401), permissions (403),
parameter validation (400, AJV's words), the handler, and the rendering of every error. Handlers
receive a `RequestContext` and return a dict (sent with `"success": true` added last), `None`
(`{"success": true}`) or a ready `Response`.

Routes are plain Starlette routes: on these paths FastAPI's per-request dependency machinery
would only cost time, and our own wrapper already does what the API needs.
"""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
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
from omnicontacts.restapi.ratelimit import (
    BYPASS_PERMISSION,
    Decision,
    Limit,
    MemoryCounters,
    RateLimiter,
    SharedCounters,
    TooManyRequests,
)
from omnicontacts.restapi.streaming import StreamedList, body
from omnicontacts.restapi.validation import Schema, validate
from omnicontacts.settings import Settings
from omnicontacts.storage import Connection, Storage, is_transient
from omnicontacts.timeutil import to_iso

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
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        # Per worker on SQLite (one host); shared through the database on PostgreSQL.
        counters = SharedCounters() if self.storage.dialect == "postgresql" else MemoryCounters()
        self.limiter = RateLimiter(
            counters, test_mode=bool(self.settings.test_mode), development=self.settings.node_env == "development"
        )


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

# How many times an endpoint's per-visitor limit one address may use in all (see `_count`).
ANONYMOUS_ADDRESS_FACTOR = 60


def _visitor_token(raw: Any, request: Request) -> str | None:
    """The visitor token an anonymous livechat call names (body, query, path or header)."""
    token: Any = request.path_params.get("token") or request.headers.get("x-visitor-token")
    if not token and isinstance(raw, dict):
        token = raw.get("token")
        visitor = raw.get("visitor")
        if not token and isinstance(visitor, dict):
            token = visitor.get("token")
    return token[:64] if isinstance(token, str) and token else None


# A deadlock or serialization failure rolls the request's transaction back; the request runs
# again (it committed nothing), so the client never sees it.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    auth: bool
    permissions: tuple[str, ...]
    schema: Schema | None
    typed: bool
    # Rocket.Chat's `rateLimiterOptions`: None for the settings' default, False for none.
    rate_limit: Limit | Literal[False] | None = None

    def route(self, prefix: str) -> Route:
        return _EndpointRoute(prefix + self.path, self, methods=[self.method], name=f"{self.method} {self.path}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route's ASGI app: what Starlette's `request_response` adapter does for a function,
        without its exception wrapper, which has nothing to catch (`_serve` answers every error)."""
        response = await self._serve(Request(scope, receive, send))
        await response(scope, receive, send)

    async def serve(self, request: Request) -> Response:
        """The whole wrapper (auth, permissions, validation, handler, error rendering) for one
        request; the Contact Center pages call endpoints in-process through this. The API's rate
        limiter is for API clients: a page makes several calls per click, so an agent at work
        would soon hit a per-route limit (the login form still meets the failed-login guard)."""
        return await self._serve(request, rate_limited=False)

    async def _serve(self, request: Request, *, rate_limited: bool = True) -> Response:
        state: AppState = request.app.state.omni
        counted: Decision | None = None
        response: Response
        try:
            raw = await _read_params(request, self.method)
            async with state.storage.connection() as conn:
                user = await _authenticate(request, conn, state)
                if self.auth and user is None:
                    raise Unauthorized()
                # Rocket.Chat counts the call after authentication, before permissions and params.
                if rate_limited:
                    counted = await self._count(request, raw, conn, state, user)
                if user is not None and not all(
                    state.config.has_permission(user.roles, name) for name in self.permissions
                ):
                    raise Forbidden()
                params = self._validated(raw)
                context = RequestContext(request, conn, state, user, params, dict(request.path_params))
                result = await self._handle(context)
        except TooManyRequests as error:
            counted = error.decision
            response = error_response(error)
        except ApiError as error:
            response = error_response(error)
        except Exception:
            log.exception("unexpected error on %s %s", self.method, self.path)
            response = json_response(b'{"success":false,"error":"Internal server error"}', 500)
        else:
            if isinstance(result, Response):
                response = result
            elif isinstance(result, StreamedList):
                response = StreamingResponse(
                    body(state.storage, result), media_type="application/json", headers=JSON_HEADERS
                )
            else:
                response = success(result)
        if counted is not None:
            response.raw_headers.extend(counted.headers())
        return response

    async def _count(
        self, request: Request, raw: Any, conn: Connection, state: AppState, user: AuthUser | None
    ) -> Decision | None:
        """Rocket.Chat counts per address, route and user. An anonymous livechat call is counted
        per visitor token instead of per address alone, since a contact center's customers often
        share one office or mobile-carrier address; the address as a whole still has a ceiling."""
        if self.rate_limit is False:
            return None
        limit = state.limiter.limit_for(self.rate_limit, state.config.settings)
        if limit is None or (user is not None and state.config.has_permission(user.roles, BYPASS_PERMISSION)):
            return None
        route = f"{self.method} {self.path}"
        client = request.client.host if request.client else ""
        if user is not None:
            return await state.limiter.check(conn, route, f"{client} user:{user.id}", limit)
        token = _visitor_token(raw, request)
        if token is None:
            return await state.limiter.check(conn, route, client, limit)
        ceiling = Limit(limit.calls * ANONYMOUS_ADDRESS_FACTOR, limit.interval_ms)
        await state.limiter.check(conn, route, f"{client} visitors", ceiling)
        return await state.limiter.check(conn, route, f"{client} visitor:{token}", limit)

    async def _handle(self, context: RequestContext) -> dict[str, Any] | Response | StreamedList | None:
        """Run the handler; again, from freshly read parameters, when PostgreSQL rolled its
        transaction back for a deadlock or a serialization failure and nothing was committed."""
        attempt = 1
        while True:
            commits = context.conn.commits
            try:
                return await self.handler(context)
            except Exception as error:
                if attempt >= MAX_ATTEMPTS or context.conn.commits != commits or not is_transient(error):
                    raise
            log.info("retrying %s %s after a transient database error (attempt %d)", self.method, self.path, attempt)
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
            attempt += 1
            raw = await _read_params(context.request, self.method)
            context = RequestContext(
                context.request, context.conn, context.state, context.user, self._validated(raw), context.path
            )

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


_DEFAULT_LOGIN_EXPIRATION_DAYS = 90
_cutoff_cache: tuple[int, int, str] = (-1, -1, "")


def _token_cutoff(days: Any) -> str:
    """The oldest issue time a login token may have: `Accounts_LoginExpiration` days ago (90 when
    unset or not positive, as Meteor does). Formatted once per second, not per request."""
    global _cutoff_cache
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        days = _DEFAULT_LOGIN_EXPIRATION_DAYS
    second = int(time.time())
    if _cutoff_cache[0] != second or _cutoff_cache[1] != days:
        cutoff = datetime.fromtimestamp(second, UTC) - timedelta(days=days)
        _cutoff_cache = (second, days, to_iso(cutoff))
    return _cutoff_cache[2]


async def _authenticate(request: Request, conn: Connection, state: AppState) -> AuthUser | None:
    user_id, token = _credentials(request.scope)
    return await authenticate_token(conn, state, user_id, token)


async def authenticate_token(
    conn: Connection, state: AppState, user_id: str | None, token: str | None
) -> AuthUser | None:
    """The user a (user id, login token) pair belongs to, or None; also refreshes the permission
    cache. Shared by the API's headers and the Contact Center's session cookie."""
    if not user_id or not token:
        await state.config.ensure_fresh(conn)
        return None
    row = await accounts_repository.find_user_by_token(conn, user_id, hash_login_token(token))
    if row is None:
        await state.config.ensure_fresh(conn)
        return None
    await state.config.ensure_fresh(conn, int(row["config_version"] or 0))
    if row["created_at"] < _token_cutoff(state.config.settings.get("Accounts_LoginExpiration")):
        return None  # expired: the same 401 as a token that never existed
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
        rate_limit: Limit | Literal[False] | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, path, handler, auth, permissions, schema, typed, rate_limit))
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
        rate_limit: Limit | Literal[False] | None = None,
    ) -> Callable[[Handler], Handler]:
        return self._add(
            "GET", path, auth=auth, permissions=permissions, schema=query, typed=typed, rate_limit=rate_limit
        )

    def post(
        self,
        path: str,
        *,
        auth: bool = True,
        permissions: tuple[str, ...] = (),
        body: Schema | None = None,
        typed: bool = False,
        rate_limit: Limit | Literal[False] | None = None,
    ) -> Callable[[Handler], Handler]:
        return self._add(
            "POST", path, auth=auth, permissions=permissions, schema=body, typed=typed, rate_limit=rate_limit
        )

    def put(
        self,
        path: str,
        *,
        auth: bool = True,
        permissions: tuple[str, ...] = (),
        body: Schema | None = None,
        typed: bool = False,
        rate_limit: Limit | Literal[False] | None = None,
    ) -> Callable[[Handler], Handler]:
        return self._add(
            "PUT", path, auth=auth, permissions=permissions, schema=body, typed=typed, rate_limit=rate_limit
        )

    def delete(
        self,
        path: str,
        *,
        auth: bool = True,
        permissions: tuple[str, ...] = (),
        query: Schema | None = None,
        typed: bool = False,
        rate_limit: Limit | Literal[False] | None = None,
    ) -> Callable[[Handler], Handler]:
        return self._add(
            "DELETE", path, auth=auth, permissions=permissions, schema=query, typed=typed, rate_limit=rate_limit
        )
