"""OpenAPI 3.1 for every registered endpoint, built once when the app is created.

Nothing is listed by hand: each `Endpoint` the routers hold already carries its method, path,
whether it needs a login, its permissions and the JSON schema its parameters are validated
with, so the document follows the code. Query schemas become query parameters, body schemas the
JSON request body. Success bodies are described by their common envelope; error bodies by the
shapes `restapi.errors` renders.
"""

import re
from collections.abc import Iterable
from typing import Any

from omnicontacts.restapi.routing import Endpoint

_PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")

_ERROR_BODY = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "string", "description": "Rocket.Chat's error text, e.g. `reason [error-code]`."},
        "errorType": {"type": "string", "description": "The error code, when the error has one."},
        "details": {"description": "More about the error, when Rocket.Chat sends it."},
    },
}
_UNAUTHORIZED_BODY = {
    "type": "object",
    "required": ["success", "error", "status", "message"],
    "properties": {
        "success": {"const": False},
        "error": {"const": "You must be logged in to do this."},
        "status": {"const": "error"},
        "message": {"const": "You must be logged in to do this."},
    },
}
_SUCCESS_BODY = {
    "type": "object",
    "required": ["success"],
    "properties": {"success": {"const": True}},
    "additionalProperties": True,
    "description": "The endpoint's fields, as Rocket.Chat names them, with `success: true` last.",
}


def _json_schema(schema: Any) -> Any:
    """Our validation dialect (AJV's, with `nullable` and `isNotEmpty`) as JSON Schema 2020-12."""
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "nullable":
            continue
        if key == "isNotEmpty":
            out["x-isNotEmpty"] = value
        elif key in ("properties", "patternProperties"):
            out[key] = {name: _json_schema(item) for name, item in value.items()}
        else:
            out[key] = _json_schema(value)
    if schema.get("nullable") and "type" in out:
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*kinds, "null"]
    return out


def _operation(endpoint: Endpoint, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{endpoint.method.lower()} {path}",
        "summary": (endpoint.handler.__doc__ or "").strip().split("\n")[0] or f"{endpoint.method} {path}",
        "tags": [path.split("/")[3] if path.startswith("/api/v1/") and path.count("/") > 3 else path.split("/")[2]],
    }
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(path)
    ]
    schema = _json_schema(endpoint.schema) if endpoint.schema is not None else None
    if endpoint.method in ("GET", "DELETE"):
        if schema is not None:
            required = set(schema.get("required", ()))
            for name, item in schema.get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": name in required, "schema": item})
    elif schema is not None:
        operation["requestBody"] = {
            "required": bool(schema.get("required")),
            "content": {"application/json": {"schema": schema}},
        }
    if parameters:
        operation["parameters"] = parameters
    responses: dict[str, Any] = {
        "200": {"description": "Success", "content": {"application/json": {"schema": _SUCCESS_BODY}}},
        "400": {
            "description": "Invalid parameters (AJV's words) or a business rule",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    }
    if endpoint.auth:
        operation["security"] = [{"userId": [], "authToken": []}]
        responses["401"] = {
            "description": "Missing or invalid credentials",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Unauthorized"}}},
        }
    else:
        operation["security"] = [{}, {"userId": [], "authToken": []}]
    if endpoint.permissions:
        operation["x-permissions"] = list(endpoint.permissions)
        operation["description"] = "Needs the permission" + ("s " if len(endpoint.permissions) > 1 else " ")
        joiner = " or " if endpoint.any_permission else ", "
        operation["description"] += joiner.join(f"`{name}`" for name in endpoint.permissions) + "."
        responses["403"] = {
            "description": "The user lacks a permission",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    operation["responses"] = responses
    return operation


def build_document(mounted: Iterable[tuple[str, Endpoint]], *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for `(prefix, endpoint)` pairs, as `app.create_app` mounts them."""
    paths: dict[str, dict[str, Any]] = {}
    for prefix, endpoint in mounted:
        path = prefix + endpoint.path
        clean = _PATH_PARAM.sub(lambda match: "{" + match.group(1) + "}", path)
        paths.setdefault(clean, {})[endpoint.method.lower()] = _operation(endpoint, clean)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Rocket.Chat's Omnichannel Contacts REST API, and the livechat endpoints around it.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "userId": {"type": "apiKey", "in": "header", "name": "X-User-Id"},
                "authToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
            },
            "schemas": {"Error": _ERROR_BODY, "Unauthorized": _UNAUTHORIZED_BODY},
        },
    }
