"""`/docs`: Swagger UI from the installed `swagger-ui-dist` package, nothing from a CDN.

The page and its start-up script are ours (so the Content-Security-Policy can forbid inline
scripts); Swagger UI's own files are served from `node_modules`, which `make setup` fills.
"""

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

ASSETS = Path(__file__).resolve().parents[3] / "node_modules" / "swagger-ui-dist"
SERVED = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff"}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>omnicontacts API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""
INIT = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});\n"""


async def docs(request: Request) -> Response:
    if not (ASSETS / "swagger-ui-bundle.js").is_file():
        return PlainTextResponse(
            "The API docs need swagger-ui-dist: run `make setup`. The document itself is at /openapi.json.\n",
            status_code=503,
        )
    return HTMLResponse(PAGE, headers=_HEADERS)


async def init_script(request: Request) -> Response:
    return Response(INIT, media_type="text/javascript", headers=_HEADERS)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in SERVED or not (ASSETS / name).is_file():
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(ASSETS / name, headers={**_HEADERS, "cache-control": "public, max-age=86400"})
