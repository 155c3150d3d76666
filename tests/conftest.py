"""Fixtures: every test runs against a live server on SQLite, and again on PostgreSQL when
`.ci/run` (or you) set OMNICONTACTS_TEST_POSTGRES_URL."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import POSTGRES_URL_VARIABLE, Api, RunningServer, backends, reset_database, run_server


@pytest.fixture(scope="session", params=backends())
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    workdir: Path = tmp_path_factory.mktemp(request.param)
    yield from run_server(request.param, workdir)


@pytest.fixture
def api(server: RunningServer) -> Iterator[Api]:
    """A client logged in as the admin, over a freshly emptied database."""
    reset_database(server)
    client = Api(server.base_url, server.admin_headers)
    yield client
    client.client.close()


@pytest.fixture
def anon(api: Api) -> Api:
    return api.anonymous()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say whether this run covered PostgreSQL, so a SQLite-only run is never mistaken for both."""
    if "postgresql" in backends():
        terminalreporter.write_line(f"PostgreSQL tests: ran ({POSTGRES_URL_VARIABLE} is set)")
    else:
        terminalreporter.write_line(
            f"PostgreSQL tests: not run, {POSTGRES_URL_VARIABLE} is not set "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test runs every test on PostgreSQL too)"
        )
