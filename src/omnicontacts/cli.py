"""The `omnicontacts` command: serve, admin, demo, import, export, db."""

import asyncio
import logging
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
import uvicorn
from pydantic import ValidationError

from omnicontacts import __version__, serving
from omnicontacts.settings import Settings

cli = typer.Typer(help="omnicontacts: a Rocket.Chat-compatible omnichannel contact book.", no_args_is_help=True)
admin_cli = typer.Typer(help="Manage administrators.", no_args_is_help=True)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
cli.add_typer(admin_cli, name="admin")
cli.add_typer(db_cli, name="db")

DatabaseUrl = typer.Option(None, "--database-url", help="sqlite:///file.db or postgresql://... (env DATABASE_URL)")
log = logging.getLogger("omnicontacts")
T = TypeVar("T")
_debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"omnicontacts {__version__}")
        raise typer.Exit()


@cli.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
    debug: bool = typer.Option(False, "--debug", envvar="OMNICONTACTS_DEBUG", help="Show tracebacks of errors."),
) -> None:
    global _debug
    _debug = debug


def _settings(database_url: str | None) -> Settings:
    from omnicontacts.observability import logs

    settings = _guarded(lambda: Settings(database_url=database_url) if database_url else Settings())

    logs.configure(settings.log_level, settings.log_format)
    return settings


def _guarded(step: Callable[[], T]) -> T:
    """Run a start-up step; any failure becomes one `error:` line and exit code 1 (`--debug`: the traceback)."""
    from omnicontacts.startup import StartupError

    try:
        return step()
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except StartupError as error:
        if _debug:
            traceback.print_exc()
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    except ValidationError as error:  # a setting from the environment
        if _debug:
            traceback.print_exc()
        problems = "; ".join(
            f"{str(item['loc'][0]).upper()}={item['input']!r}: {item['msg']}" for item in error.errors() if item["loc"]
        )
        typer.echo(f"error: invalid setting {problems}", err=True)
        raise typer.Exit(1) from error
    except Exception as error:
        if _debug:
            traceback.print_exc()
        cause = str(error).strip().splitlines()
        text = cause[-1] if cause else type(error).__name__
        typer.echo(f"error: {type(error).__name__}: {text} (run with --debug for the traceback)", err=True)
        raise typer.Exit(1) from error


def _prepare(settings: Settings) -> str | None:
    """Check the database can be used, then migrate and seed it: nothing is written if the check fails."""
    from omnicontacts.bootstrap import prepare_database
    from omnicontacts.startup import check_database

    _guarded(lambda: check_database(settings.database_url))
    return _guarded(lambda: prepare_database(settings))


def _metrics_directory() -> str | None:
    """Workers share their metrics through files in one folder, made fresh for this run."""
    from omnicontacts.observability.metrics import MULTIPROC_VARIABLE

    existing = os.environ.get(MULTIPROC_VARIABLE)
    if existing:
        os.makedirs(existing, exist_ok=True)
        for name in os.listdir(existing):
            if name.endswith(".db"):
                os.remove(os.path.join(existing, name))
        return None
    made = tempfile.mkdtemp(prefix="omnicontacts-metrics-")
    os.environ[MULTIPROC_VARIABLE] = made
    return made


@cli.command()
def serve(
    host: str = typer.Option(
        "localhost", "--host", envvar="HOST", help="localhost listens on 127.0.0.1 and ::1; 0.0.0.0 on every IPv4"
    ),
    port: int = typer.Option(3000, "--port", envvar="PORT"),
    database_url: str | None = DatabaseUrl,
    workers: int = typer.Option(1, "--workers", envvar="WORKERS", min=1),
) -> None:
    """Check the port and database, run pending migrations, create the admin from ADMIN_USERNAME/ADMIN_PASS
    if nobody has the admin role yet, serve."""
    from omnicontacts.startup import check_scheme, masked_url

    settings = _settings(database_url)
    _guarded(lambda: check_scheme(settings.database_url))
    # Take the port before touching the database: a taken port must not leave a migrated database behind.
    sockets = _guarded(lambda: serving.bind_sockets(host, port))
    made = None
    try:
        revision = _prepare(settings)
        made = _metrics_directory()
        # Worker processes build their app from the environment, so hand the choice on that way.
        os.environ["DATABASE_URL"] = settings.database_url
        if workers > 1:
            from omnicontacts.supervision import SUPERVISOR_VARIABLE

            os.environ[SUPERVISOR_VARIABLE] = str(os.getpid())
        config = uvicorn.Config(
            "omnicontacts.app:app_from_environment",
            factory=True,
            workers=workers,
            loop="uvloop",
            http="httptools",
            access_log=False,
            log_config=None,
            log_level=settings.log_level.lower(),
            # The sans-I/O WebSocket protocol keeps no tasks of its own per connection; DDP has its
            # own ping/pong, so the WebSocket-level keepalive is off (docs/realtime.md).
            ws="websockets-sansio",
            ws_ping_interval=None,
            # A worker answers the supervisor's health pings only once it has imported the app;
            # on a busy machine that takes more than uvicorn's 5 s (30 s seen here), and it would be killed and
            # restarted over and over. A worker that dies is still noticed at once.
            timeout_worker_healthcheck=60,
        )
        log.info(
            "omnicontacts %s: database %s (schema revision %s), %d worker%s, listening on %s",
            __version__,
            masked_url(settings.database_url)
            + (f" schema {settings.database_schema}" if settings.database_schema else ""),
            revision,
            workers,
            "" if workers == 1 else "s",
            ", ".join(serving.addresses_text(sockets)),
        )
        serving.run(config, sockets)
    finally:
        for sock in sockets:
            sock.close()
        if made:
            shutil.rmtree(made, ignore_errors=True)


@admin_cli.command("create")
def admin_create(
    username: str = typer.Option(..., "--username"),
    password: str | None = typer.Option(None, "--password", help="Asked for (hidden, twice) when not given."),
    email: str | None = typer.Option(None, "--email"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Create an administrator account."""
    from omnicontacts.accounts import service
    from omnicontacts.restapi.errors import ApiError
    from omnicontacts.storage import open_storage

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password.strip():
        typer.echo("error: the password must not be empty", err=True)
        raise typer.Exit(1)
    settings = _settings(database_url)
    _prepare(settings)

    async def create() -> None:
        storage = await open_storage(settings)
        try:
            async with storage.connection() as conn:
                await service.validate_new_account(conn, username=username, password=password, email=email)
                password_hash = await service.hash_new_password(conn, password, settings.bcrypt_rounds)
                async with conn.transaction():
                    await service.create_user(
                        conn,
                        username=username,
                        password_hash=password_hash,
                        email=email,
                        name=username,
                        roles=["admin", "user"],
                        verified=True,
                    )
        finally:
            await storage.close()

    try:
        asyncio.run(create())
    except ApiError as error:
        typer.echo(f"error: {error.body()['error']}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"created admin {username}")


@cli.command()
def demo(
    database_url: str | None = DatabaseUrl,
    contacts: int = typer.Option(40, "--contacts", help="How many demo contacts to create."),
) -> None:
    """Fill the database with demo contacts over several channels, with closed conversations."""
    from omnicontacts.demo import fill_demo_data

    settings = _settings(database_url)
    _prepare(settings)
    created = _guarded(lambda: asyncio.run(fill_demo_data(settings, contacts)))
    typer.echo(f"demo data: {created} contacts created" if created else "demo data already present")


@cli.command("import")
def import_contacts(
    file: Path = typer.Argument(
        ..., help="A CSV (name, emails, phones, manager, id, custom fields) or JSON Lines file"
    ),
    fmt: str | None = typer.Option(None, "--format", help="csv or jsonl (default: from the file name)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be imported; write nothing"),
    batch_size: int = typer.Option(
        5000, "--batch-size", min=1, max=100_000, help="Rows per transaction (each batch is all or nothing)"
    ),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Import contacts in batches; run it again to resume an interrupted import."""
    from omnicontacts.portability.commands import run_import_command

    if fmt not in (None, "csv", "jsonl"):
        raise typer.BadParameter("--format must be csv or jsonl")
    raise typer.Exit(run_import_command(_settings(database_url), file, fmt, dry_run, batch_size))


@cli.command("export")
def export_contacts(
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default: standard output)"),
    fmt: str = typer.Option("csv", "--format", help="csv or jsonl"),
    search: str | None = typer.Option(None, "--search", help="Only contacts contacts.search finds for this text"),
    unknown: bool | None = typer.Option(None, "--unknown/--known", help="Only unknown (or only known) contacts"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Export contacts as CSV or JSON Lines (what `import` reads back)."""
    from omnicontacts.portability.commands import run_export_command

    if fmt not in ("csv", "jsonl"):
        raise typer.BadParameter("--format must be csv or jsonl")
    raise typer.Exit(run_export_command(_settings(database_url), output, fmt, search, unknown))


@db_cli.command("upgrade")
def db_upgrade(database_url: str | None = DatabaseUrl) -> None:
    """Apply pending migrations and seed missing defaults."""
    _prepare(_settings(database_url))
    typer.echo("database is up to date")


def main() -> None:
    cli(prog_name="omnicontacts")
    sys.exit(0)
