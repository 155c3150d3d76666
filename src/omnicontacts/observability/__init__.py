"""Logging, request ids and metrics: what an operator sees of a running server."""
