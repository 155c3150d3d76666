"""What the generator, the floor app and the runner agree on."""

from omnicontacts.settings import Settings

BENCH_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/omnibench"
ADMIN_USERNAME = "bench.admin"
ADMIN_PASSWORD = "bench.admin.password"
ADMIN_EMAIL = "bench.admin@example.com"


def bench_settings(database_url: str, schema: str | None) -> Settings:
    """Settings for a benchmark database; the admin is what the runner logs in with."""
    return Settings(
        database_url=database_url,
        database_schema=schema if database_url.startswith(("postgresql://", "postgres://")) else None,
        admin_username=ADMIN_USERNAME,
        admin_pass=ADMIN_PASSWORD,
        admin_email=ADMIN_EMAIL,
    )
