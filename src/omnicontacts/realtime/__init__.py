"""Realtime: Meteor DDP over `/websocket`, the method registry (also behind REST `method.call`),
the streams Rocket.Chat's clients follow, and the fan-out of committed changes to every worker.

Sits above the domains; no domain imports it. See docs/realtime.md.
"""
