"""The `omnicontacts` command: serve, admin, demo, import, export, db."""

import asyncio
import os
from pathlib import Path

import typer
import uvicorn

from omnicontacts import serving
from omnicontacts.settings import Settings

cli = typer.Typer(help="omnicontacts: a Rocket.Chat-compatible omnichannel contact book.", no_args_is_help=True)
admin_cli = typer.Typer(help="Manage administrators.", no_args_is_help=True)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
cli.add_typer(admin_cli, name="admin")
cli.add_typer(db_cli, name="db")

DatabaseUrl = typer.Option(None, "--database-url", help="sqlite:///file.db or postgresql://... (env DATABASE_URL)")


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


@cli.command()
def serve(
    host: str = typer.Option(
        "localhost", "--host", envvar="HOST", help="localhost listens on 127.0.0.1 and ::1; 0.0.0.0 on every IPv4"
    ),
    port: int = typer.Option(3000, "--port", envvar="PORT"),
    database_url: str | None = DatabaseUrl,
    workers: int = typer.Option(1, "--workers", envvar="WORKERS", min=1),
) -> None:
    """Run pending migrations, create the admin from ADMIN_USERNAME/ADMIN_PASS if no user exists, serve."""
    from omnicontacts.bootstrap import prepare_database

    settings = _settings(database_url)
    prepare_database(settings)
    # Worker processes build their app from the environment, so hand the choice on that way.
    os.environ["DATABASE_URL"] = settings.database_url
    config = uvicorn.Config(
        "omnicontacts.app:app_from_environment",
        factory=True,
        workers=workers,
        loop="uvloop",
        http="httptools",
        # The sans-I/O WebSocket protocol keeps no tasks of its own per connection; DDP has its own
        # ping/pong, so the WebSocket-level keepalive is off (docs/realtime.md).
        ws="websockets-sansio",
        ws_ping_interval=None,
        # A worker still importing on a busy machine is not dead: uvicorn's 5 s default restarted
        # workers in a loop under load (seen with --workers 2 on the shared benchmark machine).
        timeout_worker_healthcheck=30,
        access_log=False,
        log_level="info",
    )
    serving.run(config, host, port)


@admin_cli.command("create")
def admin_create(
    username: str = typer.Option(..., "--username"),
    password: str = typer.Option(..., "--password"),
    email: str | None = typer.Option(None, "--email"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Create an administrator account."""
    from omnicontacts.accounts import service
    from omnicontacts.bootstrap import prepare_database
    from omnicontacts.restapi.errors import ApiError
    from omnicontacts.storage import open_storage

    settings = _settings(database_url)
    prepare_database(settings)

    async def create() -> None:
        storage = await open_storage(settings)
        try:
            async with storage.connection() as conn:
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
    from omnicontacts.bootstrap import prepare_database
    from omnicontacts.demo import fill_demo_data

    settings = _settings(database_url)
    prepare_database(settings)
    created = asyncio.run(fill_demo_data(settings, contacts))
    typer.echo(f"demo data: {created} contacts created" if created else "demo data already present")


@cli.command("import")
def import_contacts(
    file: Path = typer.Argument(
        ..., help="A CSV (name, emails, phones, manager, id, custom fields) or JSON Lines file"
    ),
    fmt: str | None = typer.Option(None, "--format", help="csv or jsonl (default: from the file name)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be imported; write nothing"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Import contacts in batches; run it again to resume an interrupted import."""
    from omnicontacts.portability.commands import run_import_command

    if fmt not in (None, "csv", "jsonl"):
        raise typer.BadParameter("--format must be csv or jsonl")
    raise typer.Exit(run_import_command(_settings(database_url), file, fmt, dry_run))


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
    from omnicontacts.bootstrap import prepare_database

    prepare_database(_settings(database_url))
    typer.echo("database is up to date")


def main() -> None:
    cli()
