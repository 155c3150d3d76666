"""Regular expressions that users write (a custom field's `regexp`), matched in linear time.

Python's `re` backtracks: `^(a+)+$` against 24 letters and a `b` took most of a second, and every
two more letters quadruple it, on the event loop. RE2 matches in time linear in the text, with a
bounded amount of memory, so a pattern can never stall a worker; the texts it runs over are bounded
too (restapi/limits.py). RE2 has no look-around and no back-references: a pattern that uses them
is refused when the field is defined, and one stored before that never matches.
"""

from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 8 << 20  # bytes of automaton per pattern; RE2's own default


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error:
        return None


def is_valid(pattern: str) -> bool:
    return _compiled(pattern) is not None


def search(pattern: str, text: str) -> bool:
    """JavaScript's `RegExp.test`: an unanchored search. A pattern RE2 cannot compile never matches."""
    compiled = _compiled(pattern)
    return compiled is not None and compiled.search(text) is not None
