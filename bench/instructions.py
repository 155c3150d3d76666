"""Instructions per request, counted by valgrind (repeatable on a busy machine, unlike seconds).

    valgrind --tool=callgrind --callgrind-out-file=/dev/null uv run python -m bench.instructions project 2000

Runs `requests` in-process contacts.get requests (bench.micro's stub database) through one of
bench.micro's apps; run it twice with different counts and divide the difference of the totals.
"""

import sys

import uvloop

from bench.micro import apps, one


async def main(name: str, requests: int) -> None:
    app = apps()[name]
    for _ in range(requests):
        await one(app, "contacts.get")


if __name__ == "__main__":
    uvloop.run(main(sys.argv[1], int(sys.argv[2])))
