"""Rocket.Chat's REST conventions around every endpoint.

One wrapper per route does, in Rocket.Chat's order: authentication (401), permissions (403),
parameter validation (400, AJV's words), the handler, and the rendering of every error. Handlers
receive a `RequestContext` and return a dict (sent with `"success": true` added last), `None`
(`{"success": true}`) or a ready `Response`.

Routes are plain Starlette routes: on these paths FastAPI's per-request dependency machinery
would only cost time, and our own wrapper already does what the API needs.
"""

import copy
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.accounts.auth_cache import AuthCache
from omnicontacts.accounts.config_cache import ConfigCache
from omnicontacts.accounts.passwords import hash_login_token
from omnicontacts.restapi import limits
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
from omnicontacts.storage import Connection, Storage
from omnicontacts.storage.retry import run_retrying
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


INTERNAL_ERROR = b'{"success":false,"error":"Internal server error"}'


def internal_error(error: BaseException, where: str) -> Response:
    """Rocket.Chat's 500 body for a fault of ours, and one log line that says where it arose."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    origin = f" at {frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame is not None else ""
    text = " ".join(str(error).split())[:500]
    log.error("unexpected error on %s: %s: %s%s", where, type(error).__name__, text, origin)
    return json_response(INTERNAL_ERROR, 500)


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
    logins: AuthCache[AuthUser] = field(init=False)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.logins = AuthCache(self.settings.auth_cache_seconds)
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
    # Rocket.Chat's `operation: 'hasAny'`: one of `permissions` is enough.
    any_permission: bool = False
    # For an anonymous call: the account it acts for, from its parameters (`login`'s username),
    # counted like a visitor token (see `_count`); None counts visitor tokens.
    counted_per: Callable[[Any], str | None] | None = None

    def route(self, prefix: str) -> Route:
        return _EndpointRoute(prefix + self.path, self, methods=[self.method], name=f"{self.method} {self.path}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route's ASGI app: what Starlette's `request_response` adapter does for a function,
        without its exception wrapper: `_serve` answers every error itself."""
        response = await self._serve(Request(scope, receive, send))
        await response(scope, receive, send)

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Response:
        """The response to one API request, not yet sent (the app's direct dispatch adds its
        request id header and reads its status without wrapping `send`)."""
        return await self._serve(Request(scope, receive, send))

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
            raw, over_limit = await _read_params(request, self.method)
            async with state.storage.connection() as conn:
                user = await _authenticate(request, conn, state)
                if self.auth and user is None:
                    raise Unauthorized()
                # Rocket.Chat counts the call after authentication, before permissions and params.
                if rate_limited:
                    counted = await self._count(request, raw, conn, state, user)
                holds = any if self.any_permission else all
                if user is not None and not holds(
                    state.config.has_permission(user.roles, name) for name in self.permissions
                ):
                    raise Forbidden()
                # Input over a request-wide limit is a parameter error: after 401 and 403, as any.
                if over_limit is not None:
                    raise over_limit
                path = _checked_path_params(request.path_params)
                params = self._validated(raw)
                context = RequestContext(request, conn, state, user, params, path)
                result = await self._handle(context, raw)
            if isinstance(result, Response):
                response = result
            elif isinstance(result, StreamedList):
                response = StreamingResponse(
                    body(state.storage, result), media_type="application/json", headers=JSON_HEADERS
                )
            else:
                response = success(result)
        except TooManyRequests as error:
            counted = error.decision
            response = error_response(error)
        except InvalidParams as error:
            if self.typed and not isinstance(error, TypedInvalidParams):
                error = TypedInvalidParams(error.messages)
            response = error_response(error)
        except ApiError as error:
            response = error_response(error)
        except ClientDisconnect:
            # The client left while sending its body: nobody reads this answer, nothing failed here.
            response = json_response(b'{"success":false,"error":"client disconnected"}', 400)
        except Exception as error:
            response = internal_error(error, f"{self.method} {self.path}")
        if counted is not None:
            response.raw_headers.extend(counted.headers())
        return response

    async def _count(
        self, request: Request, raw: Any, conn: Connection, state: AppState, user: AuthUser | None
    ) -> Decision | None:
        """Rocket.Chat counts per address, route and user. An anonymous livechat call is counted
        per visitor token instead of per address alone, since a contact center's customers often
        share one office or mobile-carrier address, and a login per account named, since its staff
        share one office address; the address as a whole still has a ceiling."""
        if self.rate_limit is False:
            return None
        limit = state.limiter.limit_for(self.rate_limit, state.config.settings)
        if limit is None or (user is not None and state.config.has_permission(user.roles, BYPASS_PERMISSION)):
            return None
        route = f"{self.method} {self.path}"
        client = request.client.host if request.client else ""
        if user is not None:
            return await state.limiter.check(conn, route, f"{client} user:{user.id}", limit)
        if self.counted_per is not None:
            account = self.counted_per(raw)
            token = f"account:{account[:128]}" if account else None
        else:
            visitor = _visitor_token(raw, request)
            token = f"visitor:{visitor}" if visitor else None
        if token is None:
            return await state.limiter.check(conn, route, client, limit)
        ceiling = Limit(limit.calls * ANONYMOUS_ADDRESS_FACTOR, limit.interval_ms)
        await state.limiter.check(conn, route, f"{client} visitors", ceiling)
        return await state.limiter.check(conn, route, f"{client} {token}", limit)

    async def _handle(self, context: RequestContext, raw: Any) -> dict[str, Any] | Response | StreamedList | None:
        """Run the handler, again (`run_retrying`) after a transient database failure that
        committed nothing; each run gets freshly validated parameters, since a handler may change
        its own. The body was read once: a stream cannot be read twice."""
        # A query string is read again for nothing; only a body's parameters are kept aside.
        pristine = None if self.method in ("GET", "DELETE") else copy.deepcopy(raw)

        async def attempt(number: int) -> dict[str, Any] | Response | StreamedList | None:
            run = context
            if number > 1:
                if pristine is None:
                    again, _ = await _read_params(context.request, self.method)
                else:
                    again = copy.deepcopy(pristine)
                run = RequestContext(
                    context.request, context.conn, context.state, context.user, self._validated(again), context.path
                )
            return await self.handler(run)

        return await run_retrying(context.conn, attempt, f"{self.method} {self.path}")

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


async def _read_body(request: Request) -> bytes:
    """The body, refused (413) past MAX_BODY_BYTES before it is all in memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.MAX_BODY_BYTES:
        raise limits.BodyTooLarge()
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.MAX_BODY_BYTES:
            raise limits.BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_params(request: Request, method: str) -> tuple[Any, InvalidParams | None]:
    """The request's parameters, as Rocket.Chat's router reads them, and the request-wide limit
    they break, if any (restapi/limits.py). Only the body size is enforced here, while reading."""
    if method in ("GET", "DELETE"):
        query = request.scope["query_string"].decode("latin-1")
        params = parse_query(query)
        return params, _over_limit(params) if limits.text_needs_check(query) else None
    content_type = request.headers.get("content-type", "")
    if "multipart/form-data" in content_type:
        # Rocket.Chat parses multipart only on its upload routes, which read the stream themselves
        # (spooled to disk past a size, never all in memory); elsewhere the body is {}.
        return {}, None
    body = await _read_body(request)
    if not body:
        return {}, None
    if "application/x-www-form-urlencoded" in content_type:
        # Flat, as the platform's FormData reads it: the last value of a repeated key wins.
        text = body.decode("utf-8", "replace")
        form = dict(parse_qsl(text, keep_blank_values=True))
        return form, _over_limit(form) if limits.text_needs_check(text) or len(form) > limits.MAX_ITEMS else None
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError:
        # Rocket.Chat's router silently reads an unparsable body as {}.
        return {}, None
    return params, _over_limit(params) if limits.json_needs_check(body) else None


def _over_limit(params: Any) -> InvalidParams | None:
    try:
        limits.check_input(params)
    except InvalidParams as error:
        return error
    return None


def _checked_path_params(path: dict[str, Any]) -> dict[str, str]:
    """Path parameters (ids, tokens, a setting's id) under the same rules as every other string."""
    for value in path.values():
        if len(value) > limits.TOKEN:
            raise InvalidParams([limits.too_long(limits.TOKEN)])
        if "\x00" in value:
            raise InvalidParams(["must NOT contain the NUL character"])
    return dict(path)


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
    hashed = hash_login_token(token)
    cached = state.logins.get(user_id, hashed)
    if cached is not None:
        # No query: permissions and settings are as fresh as the entry (accounts/auth_cache.py).
        user, created_at = cached
        if created_at < _token_cutoff(state.config.settings.get("Accounts_LoginExpiration")):
            return None
        return user
    generation = state.logins.generation
    row = await accounts_repository.find_user_by_token(conn, user_id, hashed)
    if row is None:
        await state.config.ensure_fresh(conn)
        return None
    await state.config.ensure_fresh(conn, int(row["config_version"] or 0))
    if row["created_at"] < _token_cutoff(state.config.settings.get("Accounts_LoginExpiration")):
        return None  # expired: the same 401 as a token that never existed
    user = AuthUser(row["id"], row["username"], tuple(orjson.loads(row["roles"])))
    state.logins.put(user_id, hashed, user, row["created_at"], generation)
    return user


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
        any_permission: bool = False,
        counted_per: Callable[[Any], str | None] | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    method, path, handler, auth, permissions, schema, typed, rate_limit, any_permission, counted_per
                )
            )
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
        any_permission: bool = False,
    ) -> Callable[[Handler], Handler]:
        return self._add(
            "GET",
            path,
            auth=auth,
            permissions=permissions,
            schema=query,
            typed=typed,
            rate_limit=rate_limit,
            any_permission=any_permission,
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
        any_permission: bool = False,
        counted_per: Callable[[Any], str | None] | None = None,
    ) -> Callable[[Handler], Handler]:
        return self._add(
            "POST",
            path,
            auth=auth,
            permissions=permissions,
            schema=body,
            typed=typed,
            rate_limit=rate_limit,
            any_permission=any_permission,
            counted_per=counted_per,
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
        any_permission: bool = False,
    ) -> Callable[[Handler], Handler]:
        return self._add(
            "PUT",
            path,
            auth=auth,
            permissions=permissions,
            schema=body,
            typed=typed,
            rate_limit=rate_limit,
            any_permission=any_permission,
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
        any_permission: bool = False,
    ) -> Callable[[Handler], Handler]:
        return self._add(
            "DELETE",
            path,
            auth=auth,
            permissions=permissions,
            schema=query,
            typed=typed,
            rate_limit=rate_limit,
            any_permission=any_permission,
        )
