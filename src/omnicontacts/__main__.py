"""`python -m omnicontacts`: the same command as `omnicontacts`."""

from omnicontacts.cli import main

main()
