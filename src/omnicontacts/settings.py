"""Process configuration, read from the environment (Rocket.Chat's variable names where they exist)."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = "sqlite:///omnicontacts.db"
    # PostgreSQL only: keep every table in this schema (created if missing). Lets several
    # deployments, or test runs, share one database without seeing each other's rows.
    database_schema: str | None = None

    admin_username: str | None = None
    admin_pass: str | None = None
    admin_email: str | None = None

    # Rocket.Chat's default cost is 10; tests lower it to keep the suite fast.
    bcrypt_rounds: int = 10
    db_pool_size: int = 10
    # How long a worker trusts a login it checked (accounts/auth_cache.py): the longest a revoked
    # token, a removed permission or a deactivated user may still be honoured by a worker that
    # missed the change's announcement. 0 checks every request against the database.
    auth_cache_seconds: float = Field(default=1.0, ge=0, le=60)

    # A bulk import of a file this big (bytes) into a store of at most this many contacts builds
    # its costliest indexes once at the end instead of row by row (PostgreSQL; docs/architecture.md).
    # IMPORT_BULK_MIN_BYTES=-1 never does.
    import_bulk_min_bytes: int = 8_000_000
    import_bulk_max_contacts: int = 10_000

    # Rocket.Chat's variables: any non-empty TEST_MODE turns the API rate limiter off (how its
    # end-to-end suites run); NODE_ENV=development honours API_Enable_Rate_Limiter_Dev.
    test_mode: str | None = None
    node_env: str | None = None

    # Logging: level, `text` or `json` lines, and one line per request when ACCESS_LOG is on.
    log_level: Literal[
        "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "debug", "info", "warning", "error", "critical"
    ] = "INFO"
    log_format: Literal["text", "json"] = "text"
    access_log: bool = False

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))
