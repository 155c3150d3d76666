"""HTTP side of import, export and the right of access.

- POST omnichannel/contacts.import (multipart `file`, optional `format`): answers the import's id
  at once; the import runs in a background thread with storage of its own, so the server's
  event loop never parses the file. GET omnichannel/contacts.import?importId= reports progress
  and the rejected rows (realtime listeners are told on topic "import" after every batch).
- GET omnichannel/contacts.export: the contacts as CSV or JSON Lines, streamed page by page.
- GET omnichannel/contacts.access?contactId=: everything held about one contact (GDPR art. 15).
"""

import asyncio
import logging
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from omnicontacts.portability import access, bulk, exporter, importer, repository
from omnicontacts.restapi.errors import Failure, InvalidParams
from omnicontacts.restapi.routing import RequestContext, Router
from omnicontacts.restapi.validation import validate
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage

log = logging.getLogger("omnicontacts.import")
router = Router()

IMPORT_PERMISSIONS = ("create-livechat-contact", "run-import")
_NULLABLE_NUMBER = {"type": "number", "nullable": True}
IMPORT_UPLOAD = {
    "type": "object",
    "properties": {"format": {"type": "string", "enum": ["csv", "jsonl"]}},
    "additionalProperties": False,
}
IMPORT_STATUS = {
    "type": "object",
    "properties": {"importId": {"type": "string"}, "count": _NULLABLE_NUMBER, "offset": _NULLABLE_NUMBER},
    "required": ["importId"],
    "additionalProperties": False,
}
EXPORT = {
    "type": "object",
    "properties": {
        "format": {"type": "string", "enum": ["csv", "jsonl"]},
        "searchText": {"type": "string"},
        "unknown": {"type": "boolean"},
    },
    "additionalProperties": False,
}
ACCESS = {
    "type": "object",
    "properties": {"contactId": {"type": "string", "isNotEmpty": True}},
    "required": ["contactId"],
    "additionalProperties": False,
}
UPLOAD_CHUNK = 1 << 20


def _copy(source: BinaryIO) -> Path:
    source.seek(0)
    with tempfile.NamedTemporaryFile(prefix="omnicontacts-import-", delete=False) as target:
        shutil.copyfileobj(source, target, UPLOAD_CHUNK)
    return Path(target.name)


def _run_in_background(settings: Settings, upload: BinaryIO, job_id: str, fmt: str) -> None:
    """The upload (spooled by the form parser before the request took a connection) is copied
    to a file and imported by a thread with an event loop and storage of its own."""

    def main() -> None:
        path: Path | None = None
        try:
            path = _copy(upload)
            upload.close()
            asyncio.run(_import(settings, path, job_id, fmt))
        except Exception:
            log.exception("import %s stopped", job_id)
        finally:
            if path is not None:
                path.unlink(missing_ok=True)

    threading.Thread(target=main, name=f"import-{job_id}", daemon=True).start()


async def _import(settings: Settings, path: Path, job_id: str, fmt: str) -> None:
    storage = await open_storage(settings)
    try:
        await importer.run_import(storage, path, fmt=fmt, job_id=job_id, bulk_policy=bulk.policy(settings))
    finally:
        await storage.close()


@router.post("omnichannel/contacts.import", permissions=IMPORT_PERMISSIONS, body=IMPORT_UPLOAD)
async def import_upload(ctx: RequestContext) -> dict[str, Any]:
    if "multipart/form-data" not in ctx.request.headers.get("content-type", ""):
        raise Failure("The 'file' param is required")  # any other body was read as parameters
    try:
        form = await ctx.request.form()
    except HTTPException as error:  # Starlette's answer to a body that is not multipart at all
        raise Failure("The 'file' param is required") from error
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Failure("The 'file' param is required")
    # The router reads a multipart body as no parameters: the form's other fields are checked here.
    fields = {key: value for key, value in form.items() if key != "file" and isinstance(value, str)}
    fields, errors = validate(IMPORT_UPLOAD, fields)
    if errors:
        raise InvalidParams(errors)
    name = upload.filename or "contacts.csv"
    fmt = fields.get("format") or importer.guess_format(Path(name))
    user = {"_id": ctx.user_required.id, "username": ctx.user_required.username}
    # Size and checksum are filled in by the import itself, off the event loop.
    job = importer.new_job(fmt=fmt, sha256="", size=0, file_name=name, user=user)
    async with ctx.conn.transaction():
        await repository.insert_job(ctx.conn, job)
    _run_in_background(ctx.state.settings, upload.file, job["_id"], fmt)
    return {"importId": job["_id"]}


@router.get("omnichannel/contacts.import", permissions=IMPORT_PERMISSIONS, query=IMPORT_STATUS)
async def import_status(ctx: RequestContext) -> dict[str, Any]:
    job = await repository.find_job(ctx.conn, ctx.params["importId"])
    if job is None:
        raise Failure("error-import-not-found")
    offset, count = ctx.page()
    rejections = await repository.rejections_page(ctx.conn, job["_id"], offset=offset, count=count)
    return {"import": job, "rejections": rejections, "offset": offset, "count": len(rejections)}


@router.get("omnichannel/contacts.export", permissions=("view-livechat-contact",), query=EXPORT)
async def export(ctx: RequestContext) -> Response:
    fmt = ctx.params.get("format", "csv")
    storage = ctx.state.storage
    search, unknown = ctx.params.get("searchText"), ctx.params.get("unknown")

    async def body() -> AsyncIterator[bytes]:
        async for chunk, _ in exporter.chunks(storage, fmt=fmt, search=search, unknown=unknown):
            yield chunk

    return StreamingResponse(
        body(),
        media_type=exporter.MEDIA_TYPES[fmt],
        headers={"content-disposition": f'attachment; filename="contacts.{fmt}"', "cache-control": "no-store"},
    )


@router.get(
    "omnichannel/contacts.access",
    permissions=("view-livechat-contact", "view-livechat-contact-history"),
    query=ACCESS,
)
async def contact_access(ctx: RequestContext) -> dict[str, Any]:
    return await access.contact_data(ctx.conn, ctx.params["contactId"])
