"""Load benchmark of omnicontacts against a raw floor app (see docs/performance.md)."""
