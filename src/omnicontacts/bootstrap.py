"""Everything a database needs before the server answers: schema, defaults, first admin."""

import asyncio
import logging

from omnicontacts.accounts import service as accounts_service
from omnicontacts.accounts.passwords import hash_password
from omnicontacts.portability import bulk
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import upgrade
from omnicontacts.storage.retry import run_retrying

log = logging.getLogger("omnicontacts")


async def seed(settings: Settings, *, restore_indexes: bool = True) -> str | None:
    """Seed defaults and the admin, build any indexes a killed bulk import left dropped; answer
    the schema revision the database is at."""
    admin_hash = None
    if settings.admin_username and settings.admin_pass:
        # Hashed before the transaction opens: bcrypt holds no database.
        admin_hash = await asyncio.to_thread(hash_password, settings.admin_pass, settings.bcrypt_rounds)
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:

            async def once(_: int) -> str | None:
                async with conn.transaction():
                    await accounts_service.seed_defaults(conn)
                    if settings.admin_username and admin_hash is not None:
                        created = await accounts_service.ensure_admin(
                            conn, username=settings.admin_username, password_hash=admin_hash, email=settings.admin_email
                        )
                        if created:
                            log.info(
                                "created admin user %s (from ADMIN_USERNAME and ADMIN_PASS)", settings.admin_username
                            )
                        else:
                            log.info(
                                "ADMIN_USERNAME/ADMIN_PASS ignored: the database already has an administrator "
                                "(%s not created)",
                                settings.admin_username,
                            )
                    elif settings.admin_username or settings.admin_pass:
                        log.warning("no admin created: ADMIN_USERNAME and ADMIN_PASS must both be set")
                    revision = await conn.fetchval("SELECT version_num FROM alembic_version")
                    return str(revision) if revision is not None else None

            # Another server busy writing the same SQLite file may keep its lock past the busy
            # timeout: seeding runs again, as a request would.
            revision = await run_retrying(conn, once, "start-up seeding")
        if restore_indexes:
            await bulk.restore_indexes(storage)
        return revision
    finally:
        await storage.close()


def prepare_database(settings: Settings, *, restore_indexes: bool = True) -> str | None:
    """Run pending migrations, then seed defaults and the admin from the environment; answer the revision."""
    upgrade(settings)
    return asyncio.run(seed(settings, restore_indexes=restore_indexes))
