"""Everything a database needs before the server answers: schema, defaults, first admin."""

import asyncio
import logging

from omnicontacts.accounts import service as accounts_service
from omnicontacts.accounts.passwords import hash_password
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import upgrade

log = logging.getLogger("omnicontacts")


async def seed(settings: Settings) -> None:
    admin_hash = None
    if settings.admin_username and settings.admin_pass:
        # Hashed before the transaction opens: bcrypt holds no database.
        admin_hash = await asyncio.to_thread(hash_password, settings.admin_pass, settings.bcrypt_rounds)
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await accounts_service.seed_defaults(conn)
            if settings.admin_username and admin_hash is not None:
                created = await accounts_service.ensure_admin(
                    conn, username=settings.admin_username, password_hash=admin_hash, email=settings.admin_email
                )
                if created:
                    log.info("created admin user %s", settings.admin_username)
    finally:
        await storage.close()


def prepare_database(settings: Settings) -> None:
    """Run pending migrations, then seed defaults and the admin from the environment."""
    upgrade(settings)
    asyncio.run(seed(settings))
