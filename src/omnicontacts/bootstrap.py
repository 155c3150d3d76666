"""Everything a database needs before the server answers: schema, defaults, first admin."""

import asyncio
import logging

from omnicontacts.accounts import service as accounts_service
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import upgrade

log = logging.getLogger("omnicontacts")


async def seed(settings: Settings) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            await accounts_service.seed_defaults(conn)
            if settings.admin_username and settings.admin_pass:
                created = await accounts_service.ensure_admin(
                    conn,
                    username=settings.admin_username,
                    password=settings.admin_pass,
                    email=settings.admin_email,
                    rounds=settings.bcrypt_rounds,
                )
                if created:
                    log.info("created admin user %s", settings.admin_username)
    finally:
        await storage.close()


def prepare_database(settings: Settings) -> None:
    """Run pending migrations, then seed defaults and the admin from the environment."""
    upgrade(settings)
    asyncio.run(seed(settings))
