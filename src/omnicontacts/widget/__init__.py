"""Rocket.Chat's web chat widget served by omnicontacts: its files, and the REST calls it makes
beyond the ones the livechat domain already answers. Sits above the domains; none uses it."""
