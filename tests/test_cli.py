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


def test_admin_create_refuses_an_empty_password(database_url: str) -> None:
    for password in ("", "   "):
        result = runner.invoke(
            cli, ["admin", "create", "--username", "boss", "--password", password, "--database-url", database_url]
        )
        assert result.exit_code == 1
        assert "error: the password must not be empty" in result.output
    assert not Path(database_url.removeprefix("sqlite:///")).exists()


def test_admin_create_asks_for_the_password(database_url: str) -> None:
    result = runner.invoke(
        cli,
        ["admin", "create", "--username", "boss", "--database-url", database_url],
        input="s3cret-pass\ns3cret-pass\n",
    )

    assert result.exit_code == 0, result.output
    assert "Password:" in result.output
    assert "created admin boss" in result.output
    assert "s3cret-pass" not in result.output
    assert count(database_url, "users") == 1


def test_admin_create_checks_the_username_pattern(database_url: str) -> None:
    args = ["admin", "create", "--username", "big boss", "--password", "pw", "--database-url", database_url]
    result = runner.invoke(cli, args)

    assert result.exit_code == 1
    assert "error: big boss is not a valid username [error-input-is-not-a-valid-field]" in result.output
    assert count(database_url, "users") == 0
