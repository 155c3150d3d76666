"""Start-up failures: one line naming the cause and what to change, exit code 1, nothing changed."""

import os
import socket
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import psycopg

from tests.operations.processes import environment, free_port, run
from tests.support import POSTGRES_URL_VARIABLE

SUPPORTED = "sqlite:///path/to/file.db or postgresql://user:password@host:5432/database"


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    return errors[0]


def _serve(tmp_path: Path, database_url: str, *extra: str) -> tuple[int, str]:
    result = run(
        ["serve", "--port", str(free_port()), *extra],
        environment(DATABASE_URL=database_url, ADMIN_USERNAME="admin", ADMIN_PASS="change-me"),
        tmp_path,
    )
    return result.returncode, result.stderr


def test_unsupported_scheme_names_the_supported_ones(tmp_path: Path) -> None:
    code, stderr = _serve(tmp_path, "mysql://root@127.0.0.1:3306/test")

    assert code == 1
    assert _one_error_line(stderr) == f'error: DATABASE_URL scheme "mysql" is not supported: use {SUPPORTED}'


def test_sqlite_folder_missing_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "omni.db"
    code, stderr = _serve(tmp_path, f"sqlite:///{path}")

    assert code == 1
    assert _one_error_line(stderr) == (
        f"error: cannot create the SQLite database {path}: the folder {path.parent} does not exist"
    )
    assert not path.parent.exists()


def test_sqlite_folder_not_writable_names_the_path(tmp_path: Path) -> None:
    # /sys refuses new files even to root, so this holds whoever runs the tests.
    code, stderr = _serve(tmp_path, "sqlite:////sys/omnicontacts-test.db")

    assert code == 1
    assert _one_error_line(stderr) == (
        "error: cannot create the SQLite database /sys/omnicontacts-test.db: the folder /sys is not writable"
        " (Permission denied)"
    )


def test_postgres_unreachable(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    code, stderr = _serve(tmp_path, f"postgresql://postgres@127.0.0.1:{port}/omni")

    assert code == 1
    line = _one_error_line(stderr)
    assert line.startswith(f"error: cannot reach PostgreSQL at 127.0.0.1:{port}: ")
    assert line.endswith("(is it running? check DATABASE_URL)")


def _postgres() -> SplitResult:
    return urlsplit(os.environ[POSTGRES_URL_VARIABLE])


# Like every PostgreSQL test, these two exist only when OMNICONTACTS_TEST_POSTGRES_URL names a server.
POSTGRES = bool(os.environ.get(POSTGRES_URL_VARIABLE))


def _test_postgres_database_missing(tmp_path: Path) -> None:
    server = _postgres()
    url = f"postgresql://{server.username}@{server.hostname}:{server.port or 5432}/omni_no_such_database"
    code, stderr = _serve(tmp_path, url)

    assert code == 1
    assert _one_error_line(stderr) == (
        f'error: the PostgreSQL database "omni_no_such_database" does not exist on {server.hostname}:'
        f"{server.port or 5432}: create it (createdb omni_no_such_database) or fix DATABASE_URL"
    )


def _test_postgres_login_refused(tmp_path: Path) -> None:
    server = _postgres()
    url = f"postgresql://omni_no_such_role:secret@{server.hostname}:{server.port or 5432}/postgres"
    code, stderr = _serve(tmp_path, url)

    assert code == 1
    line = _one_error_line(stderr)
    assert line.startswith(
        f'error: PostgreSQL on {server.hostname}:{server.port or 5432} refused user "omni_no_such_role": '
    )
    assert "omni_no_such_role" in line and "secret" not in stderr


if POSTGRES:
    test_postgres_database_missing = _test_postgres_database_missing
    test_postgres_login_refused = _test_postgres_login_refused


def test_port_in_use_is_one_line_and_nothing_is_migrated(tmp_path: Path) -> None:
    database = tmp_path / "omni.db"
    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        result = run(
            ["serve", "--port", str(port)],
            environment(DATABASE_URL=f"sqlite:///{database}", ADMIN_USERNAME="admin", ADMIN_PASS="change-me"),
            tmp_path,
        )

    assert result.returncode == 1
    assert _one_error_line(result.stderr) == (
        f"error: port {port} is already in use on 127.0.0.1: stop the program using it, or choose another port"
        " with --port or PORT"
    )
    assert not database.exists()


def test_localhost_port_taken_on_ipv6_only_still_refuses(tmp_path: Path) -> None:
    """The other half of the partly-taken case: ::1 busy, 127.0.0.1 free."""
    database = tmp_path / "omni.db"
    port = free_port()
    with socket.socket(socket.AF_INET6) as holder:
        holder.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        holder.bind(("::1", port))
        holder.listen()
        result = run(["serve", "--port", str(port)], environment(DATABASE_URL=f"sqlite:///{database}"), tmp_path)

    assert result.returncode == 1
    assert _one_error_line(result.stderr).startswith(f"error: port {port} is already in use on [::1]: ")
    assert not database.exists()


def test_postgres_port_in_use_leaves_the_schema_uncreated(tmp_path: Path) -> None:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    port = free_port()
    schema = f"omni_port_test_{os.getpid()}"
    env = environment(DATABASE_URL=url or f"sqlite:///{tmp_path / 'omni.db'}", DATABASE_SCHEMA=schema)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        result = run(["serve", "--port", str(port)], env, tmp_path)

    assert result.returncode == 1
    if url:
        with psycopg.connect(url) as conn:
            found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
        assert found is None
    else:
        assert not (tmp_path / "omni.db").exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run(
        ["--debug", "serve", "--port", str(free_port())],
        environment(DATABASE_URL="mysql://root@127.0.0.1/test"),
        tmp_path,
    )

    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "StartupError" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith('error: DATABASE_URL scheme "mysql"')


def test_version(tmp_path: Path) -> None:
    result = run(["--version"], environment(), tmp_path)

    assert result.returncode == 0
    assert result.stdout == "omnicontacts 0.1.0\n"


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    result = run(
        ["db", "upgrade"], environment(LOG_FORMAT="xml", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"), tmp_path
    )

    assert result.returncode == 1
    assert _one_error_line(result.stderr) == "error: invalid setting LOG_FORMAT='xml': Input should be 'text' or 'json'"
    assert not (tmp_path / "x.db").exists()
