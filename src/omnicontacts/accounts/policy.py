"""Rocket.Chat's rules for new accounts: the username pattern and the password policy.

Both read Rocket.Chat's settings (`UTF8_User_Names_Validation`, `Accounts_Password_Policy_*`),
so an administrator tunes them the same way. The username pattern is an administrator's regular
expression: it runs under RE2, in time linear in the username.
"""

from collections.abc import Callable, Mapping
from typing import Any

import re2

from omnicontacts.accounts.defaults import SETTINGS
from omnicontacts.restapi.errors import MeteorError

DEFAULT_USERNAME_PATTERN = SETTINGS["UTF8_User_Names_Validation"][0]
POLICY_FAILED = "The password provided does not meet the server's password policy."


def _setting(settings: Mapping[str, Any], key: str) -> Any:
    return settings.get(key, SETTINGS[key][0])


def _username_regex(pattern: str) -> Any:
    try:
        return re2.compile(f"^{pattern}$")
    except re2.error:
        return re2.compile(f"^{DEFAULT_USERNAME_PATTERN}$")


def check_username(settings: Mapping[str, Any], username: str) -> None:
    if not username.strip():
        raise MeteorError(
            "error-the-field-is-required",
            "The field Username is required",
            {"method": "insertOrUpdateUser", "field": "Username"},
        )
    pattern = str(_setting(settings, "UTF8_User_Names_Validation"))
    if not _username_regex(pattern).search(username):
        raise MeteorError(
            "error-input-is-not-a-valid-field",
            f"{_escape(username)} is not a valid username",
            {"method": "insertOrUpdateUser", "input": username, "field": "Username"},
        )


def check_password_present(password: str) -> None:
    if not password:
        raise MeteorError(
            "error-the-field-is-required",
            "The field Password is required",
            {"method": "insertOrUpdateUser", "field": "Password"},
        )


def _repeats(password: str, count: int) -> bool:
    """A character repeated more than `count` times in a row (newlines never count, as in JavaScript)."""
    run, previous = 0, ""
    for char in password:
        run = run + 1 if char == previous and char != "\n" else 1
        previous = char
        if run > count:
            return True
    return False


def check_password_policy(settings: Mapping[str, Any], password: str) -> None:
    if not password.strip():
        raise MeteorError("error-password-policy-not-met", POLICY_FAILED)
    if not _setting(settings, "Accounts_Password_Policy_Enabled"):
        return
    reasons: list[dict[str, str]] = []

    def fail(code: str, message: str) -> None:
        reasons.append({"error": f"error-password-policy-not-met-{code}", "message": message})

    min_length = int(_setting(settings, "Accounts_Password_Policy_MinLength"))
    max_length = int(_setting(settings, "Accounts_Password_Policy_MaxLength"))
    length = len(password.encode("utf-16-le")) // 2  # JavaScript counts UTF-16 code units
    if min_length >= 1 and length < min_length:
        fail("minLength", "The password does not meet the minimum length password policy.")
    if max_length >= 1 and length > max_length:
        fail("maxLength", "The password does not meet the maximum length password policy.")
    if _setting(settings, "Accounts_Password_Policy_ForbidRepeatingCharacters") and _repeats(
        password, int(_setting(settings, "Accounts_Password_Policy_ForbidRepeatingCharactersCount"))
    ):
        fail("repeatingCharacters", "The password contains repeating characters which is against the password policy.")
    rules: tuple[tuple[str, str, str, Callable[[str], bool]], ...] = (
        ("AtLeastOneLowercase", "oneLowercase", "lowercase", lambda c: "a" <= c <= "z"),
        ("AtLeastOneUppercase", "oneUppercase", "uppercase", lambda c: "A" <= c <= "Z"),
        ("AtLeastOneNumber", "oneNumber", "numerical", lambda c: "0" <= c <= "9"),
        (
            "AtLeastOneSpecialCharacter",
            "oneSpecial",
            "special",
            lambda c: not (c.isascii() and c.isalnum()) and c != " ",
        ),
    )
    for setting, code, kind, matches in rules:
        if _setting(settings, f"Accounts_Password_Policy_{setting}") and not any(matches(c) for c in password):
            fail(
                code,
                f"The password does not contain at least one {kind} character which is against the password policy.",
            )
    if reasons:
        raise MeteorError("error-password-policy-not-met", POLICY_FAILED, reasons)  # type: ignore[arg-type]


def _escape(text: str) -> str:
    """lodash's escape, which Rocket.Chat applies to the username in this message."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )
