"""Checks made before `serve` (or any command that opens the database) changes anything.

Each failure is a `StartupError` whose text is one line that names what is wrong and what to
change; the CLI prints it and exits non-zero (`--debug` shows the traceback). Nothing here
writes: no migration has run and no admin exists yet when one of these fails.
"""

import asyncio
import errno
import os
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

SUPPORTED = "sqlite:///path/to/file.db or postgresql://user:password@host:5432/database"


class StartupError(Exception):
    """A condition that stops the server from starting, told in one line."""


def masked_url(url: str) -> str:
    """The URL with its password replaced by `***`, for logs and error lines."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_scheme(url: str) -> None:
    if url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        return
    scheme = url.split("://", 1)[0] if "://" in url else url
    raise StartupError(f'DATABASE_URL scheme "{scheme}" is not supported: use {SUPPORTED}')


def check_sqlite_path(url: str) -> None:
    path_text = url.split("sqlite:///", 1)[1]
    if path_text in ("", ":memory:"):
        return
    path = Path(path_text).expanduser().absolute()
    folder = path.parent
    if not folder.is_dir():
        raise StartupError(f"cannot create the SQLite database {path}: the folder {folder} does not exist")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StartupError(f"cannot open the SQLite database {path}: the file is not writable by this user")
        return
    # Try it rather than trusting the permission bits (root, ACLs, read-only mounts).
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".omnicontacts-check-"):
            pass
    except OSError as error:
        raise StartupError(
            f"cannot create the SQLite database {path}: the folder {folder} is not writable ({error.strerror})"
        ) from error


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


async def _connect(url: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    await connection.close()


def check_postgres(url: str) -> None:
    parts = urlsplit(url)
    where = _where(url)
    database = parts.path.lstrip("/") or parts.username or "postgres"
    user = parts.username or os.environ.get("USER", "")
    try:
        asyncio.run(_connect(url))
    except asyncpg.InvalidCatalogNameError as error:
        raise StartupError(
            f'the PostgreSQL database "{database}" does not exist on {where}: create it (createdb {database}) '
            "or fix DATABASE_URL"
        ) from error
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StartupError(f'PostgreSQL on {where} refused user "{user}": {reason} (check DATABASE_URL)') from error
    except (TimeoutError, OSError) as error:
        reason = getattr(error, "strerror", None) or str(error) or "timed out"
        raise StartupError(
            f"cannot reach PostgreSQL at {where}: {reason} (is it running? check DATABASE_URL)"
        ) from error
    except asyncpg.PostgresError as error:
        raise StartupError(f"PostgreSQL on {where} refused the connection: {error}") from error


def check_database(url: str) -> None:
    check_scheme(url)
    if url.startswith("sqlite:///"):
        check_sqlite_path(url)
    else:
        check_postgres(url)


# Errors that mean "this address does not exist here" (no IPv6, say): skipped, the others serve.
_ABSENT = {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT}


def port_error(address: str, port: int, error: OSError) -> StartupError:
    shown = f"[{address}]" if ":" in address else address
    if error.errno == errno.EADDRINUSE:
        text = f"port {port} is already in use on {shown}: stop the program using it, or choose another port"
        text += " with --port or PORT"
    elif error.errno == errno.EACCES:
        text = f"no permission to listen on {shown}:{port}: use a port above 1023 (--port or PORT)"
    else:
        text = f"cannot listen on {shown}:{port}: {error.strerror or error} (--host/HOST, --port/PORT)"
    return StartupError(text)


def is_absent_address(error: OSError) -> bool:
    return error.errno in _ABSENT


def resolve_error(host: str, error: socket.gaierror) -> StartupError:
    return StartupError(f'cannot resolve the host "{host}" to listen on: {error.strerror} (--host or HOST)')
