"""The `omnicontacts` command line, on a real SQLite file."""

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnicontacts.cli import cli

runner = CliRunner()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def count(url: str, table: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_db_upgrade_seeds_defaults(database_url: str) -> None:
    result = runner.invoke(cli, ["db", "upgrade", "--database-url", database_url])

    assert result.exit_code == 0, result.output
    assert "database is up to date" in result.output
    assert count(database_url, "permissions") > 30
    assert count(database_url, "users") == 0


def test_admin_create_and_duplicate(database_url: str) -> None:
    args = [
        "admin",
        "create",
        "--username",
        "boss",
        "--password",
        "pw",
        "--email",
        "boss@example.com",
        "--database-url",
        database_url,
    ]

    first = runner.invoke(cli, args)
    second = runner.invoke(cli, args)

    assert first.exit_code == 0, first.output
    assert "created admin boss" in first.output
    assert second.exit_code == 1
    assert "boss is already in use :(" in second.output
    assert count(database_url, "users") == 1


def test_demo_fills_once(database_url: str) -> None:
    first = runner.invoke(cli, ["demo", "--contacts", "12", "--database-url", database_url])
    second = runner.invoke(cli, ["demo", "--contacts", "12", "--database-url", database_url])

    assert first.exit_code == 0, first.output
    assert "12 contacts created" in first.output
    assert second.exit_code == 0
    assert "demo data already present" in second.output
    assert count(database_url, "contacts") == 12
    assert count(database_url, "rooms") >= 12
    assert count(database_url, "contact_channels") >= 12
