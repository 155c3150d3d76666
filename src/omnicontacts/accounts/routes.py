"""HTTP side of accounts: login, users, permissions, settings, server info."""

from typing import Any

from starlette.responses import Response

from omnicontacts import __version__, jsonutil
from omnicontacts.accounts import login_guard, repository, service
from omnicontacts.accounts.passwords import hash_login_token
from omnicontacts.restapi import limits
from omnicontacts.restapi.errors import Failure, Forbidden, MeteorError, RawError
from omnicontacts.restapi.limits import string
from omnicontacts.restapi.routing import RequestContext, Router, json_response
from omnicontacts.timeutil import now_iso

router = Router()
# Routes outside /api/v1 (GET /api/info).
root_router = Router()

# The Rocket.Chat release whose REST behaviour we follow; clients probe it through /api/info.
COMPATIBLE_VERSION = "7.10.0"

# Wrong password and unknown user answer alike, so the reply never tells which usernames exist.
LOGIN_FAILED = {"success": False, "error": "Unauthorized", "status": "error", "message": "Unauthorized"}


def _login_identity(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(username, email) from the body forms Rocket.Chat accepts."""
    user = body.get("user")
    if isinstance(user, dict):
        if isinstance(user.get("username"), str):
            return user["username"], None
        if isinstance(user.get("email"), str):
            return None, user["email"].lower()
        return None, None
    for key in ("user", "username"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return (None, value.lower()) if "@" in value and key == "user" else (value, None)
    email = body.get("email")
    if isinstance(email, str) and email:
        return None, email.lower()
    return None, None


def _login_account(raw: Any) -> str | None:
    """The account a login names, for the rate limiter: per account, so an office's staff behind
    one address do not spend one another's logins."""
    if not isinstance(raw, dict):
        return None
    username, email = _login_identity(raw)
    return (username or "").lower() or email


@router.post("login", auth=False, counted_per=_login_account)
async def login(ctx: RequestContext) -> Response:
    body = ctx.params
    username, email = _login_identity(body)
    password = body.get("password")
    is_digest = False
    if isinstance(password, dict) and isinstance(password.get("digest"), str):
        password, is_digest = password["digest"], True
    if (username is None and email is None) or not isinstance(password, str):
        raise RawError(401, LOGIN_FAILED)
    settings = ctx.state.config.settings
    attempt = login_guard.Attempt(
        client=ctx.request.client.host if ctx.request.client else "",
        identity=(username or "").lower() or (email or ""),
    )
    await login_guard.check(ctx.conn, settings, attempt)
    result = await service.login(
        ctx.conn,
        username=username,
        email=email,
        password=password,
        is_digest=is_digest,
        rounds=ctx.state.settings.bcrypt_rounds,
    )
    if result is None:
        await login_guard.failed(ctx.conn, settings, attempt)
        raise RawError(401, LOGIN_FAILED)
    await login_guard.succeeded(ctx.conn, settings, attempt)
    user, token = result
    body_out = {
        "status": "success",
        "data": {"userId": user["_id"], "authToken": token, "me": service.user_info(user)},
        "success": True,
    }
    return json_response(jsonutil.dumps(body_out))


@router.post("logout")
async def logout(ctx: RequestContext) -> dict[str, Any]:
    user = ctx.user_required
    token = ctx.request.headers.get("x-auth-token", "")
    async with ctx.conn.transaction():
        await repository.delete_login_token(ctx.conn, user.id, hash_login_token(token))
    return {"status": "success", "data": {"message": "You've been logged out!"}, "userId": user.id}


@router.get("me")
async def me(ctx: RequestContext) -> dict[str, Any]:
    doc = await repository.find_user_doc(ctx.conn, ctx.user_required.id)
    if doc is None:
        raise Failure("User not found.")
    return service.user_info(doc)


USERS_CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        "email": string(limits.EMAIL),
        "name": string(limits.NAME),
        "password": string(limits.PASSWORD),
        "username": string(limits.USERNAME),
        "active": {"type": "boolean", "nullable": True},
        "roles": {"type": "array", "maxItems": limits.LIST, "items": string(limits.SHORT), "nullable": True},
        "joinDefaultChannels": {"type": "boolean", "nullable": True},
        "requirePasswordChange": {"type": "boolean", "nullable": True},
        "setRandomPassword": {"type": "boolean", "nullable": True},
        "sendWelcomeEmail": {"type": "boolean", "nullable": True},
        "verified": {"type": "boolean", "nullable": True},
        "customFields": {"type": "object", "nullable": True, "maxProperties": limits.FIELDS},
        "fields": string(limits.TEXT, nullable=True),
    },
    "required": ["email", "name", "password", "username"],
    "additionalProperties": False,
}


@router.post("users.create", body=USERS_CREATE_SCHEMA)
async def users_create(ctx: RequestContext) -> dict[str, Any]:
    # Rocket.Chat checks this permission inside the handler, with its own error.
    if not ctx.has_permission("create-user"):
        raise MeteorError("error-action-not-allowed", "Adding user is not allowed")
    body = ctx.params
    await service.validate_new_account(
        ctx.conn, username=body["username"], password=body["password"], email=body["email"]
    )
    password_hash = await service.hash_new_password(ctx.conn, body["password"], ctx.state.settings.bcrypt_rounds)
    async with ctx.conn.transaction():
        doc = await service.create_user(
            ctx.conn,
            username=body["username"],
            password_hash=password_hash,
            email=body["email"],
            name=body["name"],
            roles=body.get("roles") or ["user"],
            active=body.get("active") is not False,
            verified=bool(body.get("verified")),
        )
    return {"user": service.public_user(doc)}


@router.post(
    "users.delete",
    body={
        "type": "object",
        "properties": {
            "userId": string(limits.ID),
            "username": string(limits.USERNAME),
            "confirmRelinquish": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
)
async def users_delete(ctx: RequestContext) -> None:
    if not ctx.has_permission("delete-user"):
        raise RawError(401, {"success": False, "error": "unauthorized"})
    user_id = ctx.params.get("userId")
    username = ctx.params.get("username")
    if not user_id and not username:
        raise MeteorError("error-user-param-not-provided", 'The required "userId" or "username" param was not provided')
    if not user_id:
        found = await repository.find_user_by_username(ctx.conn, str(username))
        user_id = found["_id"] if found else None
    async with ctx.conn.transaction():
        if not user_id or not await repository.delete_user(ctx.conn, user_id):
            raise MeteorError(
                "error-invalid-user", 'The required "userId" or "username" param provided does not match any users'
            )
    return None


@router.get("users.info")
async def users_info(ctx: RequestContext) -> dict[str, Any]:
    user_id, username = ctx.params.get("userId"), ctx.params.get("username")
    doc = None
    if isinstance(user_id, str):
        doc = await repository.find_user_doc(ctx.conn, user_id)
    elif isinstance(username, str):
        doc = await repository.find_user_by_username(ctx.conn, username)
    if doc is None:
        raise Failure("User not found.")
    caller = ctx.user_required
    view_full = ctx.has_permission("view-full-other-user-info")
    return {"user": service.user_info_of(doc, myself=doc.get("_id") == caller.id, view_full=view_full)}


@router.post(
    "users.setStatus",
    body={
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["online", "away", "offline", "busy"]},
            "message": string(limits.STATUS_TEXT, nullable=True),
            "userId": string(limits.ID),
        },
        "additionalProperties": False,
    },
)
async def users_set_status(ctx: RequestContext) -> None:
    user = ctx.user_required
    target = ctx.params.get("userId") or user.id
    if target != user.id and not ctx.has_permission("edit-other-user-info"):
        raise Forbidden()
    async with ctx.conn.transaction():
        doc = await repository.find_user_doc_for_update(ctx.conn, target)
        if doc is None:
            raise Failure("User not found.")
        if "status" in ctx.params:
            doc["status"] = ctx.params["status"]
        if ctx.params.get("message") is not None:
            doc["statusText"] = ctx.params["message"]
        doc["_updatedAt"] = now_iso()
        await repository.update_user(ctx.conn, target, doc)
    return None


@router.get("permissions.listAll")
async def permissions_list_all(ctx: RequestContext) -> dict[str, Any]:
    rows = await repository.all_permissions(ctx.conn)
    return {"update": [jsonutil.loads(row["doc"]) for row in rows], "remove": []}


def _valid_permission_changes(body: dict[str, Any]) -> bool:
    changes = body.get("permissions")
    return isinstance(changes, list) and all(
        isinstance(change, dict)
        and isinstance(change.get("_id"), str)
        and isinstance(change.get("roles"), list)
        and all(isinstance(role, str) for role in change["roles"])
        for change in changes
    )


@router.post("permissions.update", permissions=("access-permissions",))
async def permissions_update(ctx: RequestContext) -> dict[str, Any]:
    if not _valid_permission_changes(ctx.params):
        raise _failure("Invalid body params", "error-invalid-body-params")
    changes: list[dict[str, Any]] = ctx.params["permissions"]
    async with ctx.conn.transaction():
        known_roles = await repository.role_ids(ctx.conn)
        docs = []
        for change in changes:
            doc = await repository.find_permission(ctx.conn, change["_id"])
            if doc is None:
                raise _failure("Invalid permission", "error-invalid-permission")
            if any(role not in known_roles for role in change["roles"]):
                raise _failure("Invalid role", "error-invalid-role")
            roles = list(dict.fromkeys(change["roles"]))
            docs.append({**doc, "roles": roles, "_updatedAt": now_iso()})
        for doc in docs:
            await repository.save_permission(ctx.conn, doc)
        await repository.bump_config_version(ctx.conn)
        rows = await repository.all_permissions(ctx.conn)
    return {"permissions": [jsonutil.loads(row["doc"]) for row in rows]}


def _failure(message: str, error_type: str) -> RawError:
    """`API.v1.failure(message, errorType)`."""
    return RawError(400, {"success": False, "error": message, "errorType": error_type})


@router.get("settings/{setting_id}")
async def settings_get(ctx: RequestContext) -> dict[str, Any]:
    if not ctx.has_permission("view-privileged-setting"):
        raise Forbidden()
    doc = await repository.find_setting(ctx.conn, ctx.path["setting_id"])
    if doc is None:
        raise RawError(400, {"success": False})
    return {"_id": doc["_id"], "value": doc["value"]}


def _coerce_setting(kind: str, value: Any) -> Any:
    if kind == "boolean" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if kind == "int" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


@router.post("settings/{setting_id}")
async def settings_set(ctx: RequestContext) -> None:
    if not ctx.has_permission("edit-privileged-setting"):
        raise Forbidden()
    if not isinstance(ctx.params, dict) or "value" not in ctx.params:
        raise RawError(400, {"success": False})
    async with ctx.conn.transaction():
        doc = await repository.find_setting(ctx.conn, ctx.path["setting_id"])
        if doc is None:
            raise RawError(400, {"success": False})
        doc["value"] = _coerce_setting(doc.get("type", ""), ctx.params["value"])
        doc["_updatedAt"] = now_iso()
        await repository.save_setting(ctx.conn, doc)
        await repository.bump_config_version(ctx.conn)
    return None


@root_router.get("info", auth=False)
async def server_info(ctx: RequestContext) -> dict[str, Any]:
    """Anonymous callers learn the major.minor version only; admins get the build details too."""
    if ctx.has_permission("view-statistics"):
        return {
            "version": COMPATIBLE_VERSION,
            "info": {
                "version": COMPATIBLE_VERSION,
                "build": {"omnicontacts": __version__},
                "commit": {},
                "marketplaceApiVersion": "1.0.0",
            },
        }
    return {"version": COMPATIBLE_VERSION.rsplit(".", 1)[0]}
