"""Rocket.Chat's error bodies, as typed exceptions rendered in one place.

Every business condition is one of these; the app's handler turns it into the exact status and
JSON body a Rocket.Chat client expects (spec §1.6 and §8).
"""

from typing import Any


class ApiError(Exception):
    status: int = 400

    def body(self) -> dict[str, Any]:
        raise NotImplementedError


class Failure(ApiError):
    """A plain `Error('<code>')` thrown by Rocket.Chat: 400 `{success: false, error: code}`."""

    def __init__(self, error: str, *, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.error}


class MeteorError(ApiError):
    """A `Meteor.Error(code, reason, details)`: error text is `reason [code]`, with `errorType`."""

    def __init__(self, code: str, reason: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason
        self.details = details

    def body(self) -> dict[str, Any]:
        text = f"{self.reason} [{self.code}]" if self.reason else f"[{self.code}]"
        body: dict[str, Any] = {"success": False, "error": text, "errorType": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


class CodeError(ApiError):
    """The core-services `MeteorError`: both `error` and `errorType` are just the code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.code, "errorType": self.code}


class InvalidParams(ApiError):
    """AJV validation failure on a classic route: messages, then ` [invalid-params]`."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("invalid-params")
        self.messages = messages

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": "\n ".join(self.messages) + " [invalid-params]",
            "errorType": "invalid-params",
        }


class TypedInvalidParams(InvalidParams):
    """AJV validation failure on a typed route (contacts.delete): no suffix, another errorType."""

    def body(self) -> dict[str, Any]:
        return {"success": False, "errorType": "error-invalid-params", "error": "\n ".join(self.messages)}


class NotFound(ApiError):
    status = 404

    def __init__(self, error: str = "Resource not found") -> None:
        super().__init__(error)
        self.error = error

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.error}


LOGGED_OUT = "You must be logged in to do this."


class Unauthorized(ApiError):
    """No valid credentials: 401, with the pre-9.0 `status`/`message` keys clients still read."""

    status = 401

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": LOGGED_OUT, "status": "error", "message": LOGGED_OUT}


FORBIDDEN_TEXT = "User does not have the permissions required for this action [error-unauthorized]"


class Forbidden(ApiError):
    status = 403

    def __init__(self, error: str = FORBIDDEN_TEXT) -> None:
        super().__init__(error)
        self.error = error

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.error}


class RawError(ApiError):
    """A body that fits none of the shapes above, e.g. the login route's `{status, error, message}`."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self._body = body

    def body(self) -> dict[str, Any]:
        return self._body
