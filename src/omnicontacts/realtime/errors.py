"""DDP error objects: what a Meteor.Error looks like on the wire, and how ours become one.

Meteor serializes an error's own fields in the order its constructor sets them:
`isClientSafe, error, reason, details, message, errorType`; absent ones are left out.
"""

from typing import Any

from omnicontacts.restapi.errors import CodeError, Failure, MeteorError


class DdpError(Exception):
    """A Meteor.Error raised by a method or a publication."""

    def __init__(self, error: str | int, reason: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.reason = reason
        self.details = details

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"isClientSafe": True, "error": self.error}
        if self.reason is not None:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["message"] = f"{self.reason} [{self.error}]" if self.reason else f"[{self.error}]"
        body["errorType"] = "Meteor.Error"
        return body


INTERNAL = DdpError(500, "Internal server error")
NOT_ALLOWED = DdpError("not-allowed")
LOGGED_OUT = DdpError(403, "You've been logged out by the server. Please log in again.")


def method_not_found(name: str) -> DdpError:
    return DdpError(404, f"Method '{name}' not found")


def subscription_not_found(name: str) -> DdpError:
    return DdpError(404, f"Subscription '{name}' not found")


def as_ddp_error(error: Exception) -> DdpError | None:
    """The Meteor.Error a domain exception stands for; None for anything unexpected (a bug),
    which the caller answers as Meteor's redacted internal error."""
    if isinstance(error, DdpError):
        return error
    if isinstance(error, MeteorError):
        return DdpError(error.code, error.reason, error.details)
    if isinstance(error, CodeError):
        return DdpError(error.code)
    if isinstance(error, Failure):
        # Rocket.Chat's methods throw Meteor.Error with the codes its REST layer throws as
        # plain errors (invalid-token, room-closed, error-not-allowed ...).
        return DdpError(error.error)
    return None
