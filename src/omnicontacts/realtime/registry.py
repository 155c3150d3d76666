"""The method registry: one table of DDP methods, served over `/websocket` and over Rocket.Chat's
REST wrappers `method.call/:method` and `method.callAnon/:method`.

Another package registers a method with one decorator:

    from omnicontacts.realtime.registry import Caller, method

    @method("livechat:sendTranscript")
    async def send_transcript(caller: Caller, token: str, rid: str, email: str) -> bool: ...

The function receives the caller and the DDP `params` as positional arguments. It opens its own
transaction on `caller.conn` when it writes, calls the domain services, raises `DdpError` (or a
domain error, mapped by `errors.as_ddp_error`) and answers any JSON value; stored documents are
converted to EJSON dates on the way out.
"""

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnicontacts.realtime.errors import DdpError, method_not_found
from omnicontacts.restapi.routing import AppState, AuthUser
from omnicontacts.storage import Connection

if TYPE_CHECKING:
    from omnicontacts.realtime.runtime import Realtime
    from omnicontacts.realtime.session import Session


@dataclass
class Caller:
    """Who calls, over which connection. `session` is None over REST."""

    conn: Connection
    state: AppState
    user: AuthUser | None
    session: "Session | None" = None
    realtime: "Realtime | None" = None

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user else None

    def has_permission(self, permission: str) -> bool:
        return self.user is not None and self.state.config.has_permission(self.user.roles, permission)

    @property
    def settings(self) -> dict[str, Any]:
        return self.state.config.settings

    def require_user(self, method_name: str) -> AuthUser:
        """Rocket.Chat's methods answer a missing login with `error-invalid-user`."""
        if self.user is None:
            raise DdpError("error-invalid-user", "Invalid user", {"method": method_name})
        return self.user


MethodFn = Callable[..., Awaitable[Any]]

_methods: dict[str, MethodFn] = {}


def method(name: str) -> Callable[[MethodFn], MethodFn]:
    """Register `fn` as DDP method `name` (a second registration of one name is a bug)."""

    def register(fn: MethodFn) -> MethodFn:
        if name in _methods and _methods[name] is not fn:
            raise ValueError(f"DDP method {name!r} registered twice")
        _methods[name] = fn
        return fn

    return register


def registered() -> list[str]:
    return sorted(_methods)


async def call(name: str, caller: Caller, params: list[Any]) -> Any:
    fn = _methods.get(name)
    if fn is None:
        raise method_not_found(name)
    try:
        inspect.signature(fn).bind(caller, *params)
    except TypeError as error:
        # Too few or too many params: what Meteor's `check` answers.
        raise DdpError(400, "Match failed") from error
    return await fn(caller, *params)
