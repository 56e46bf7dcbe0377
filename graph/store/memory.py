"""Memory the process has freed, given back to the operating system.

Python hands an object of more than 512 bytes (the hash tables of a projection's dicts, lists,
the engine's query results) to the C library's ``malloc``, which keeps what is freed for later
allocations instead of returning it: after a projection of 100,000 synthetic actors was built,
107 MiB of its freed temporaries still counted in the process's resident memory
(bench/RESULTS.md, "The engine under 2 GiB"). glibc's ``malloc_trim`` returns the free pages of
every arena; elsewhere nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable

__all__ = ["release_freed_memory"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


def release_freed_memory() -> bool:
    """Give the pages ``malloc`` holds free back to the operating system (glibc's
    ``malloc_trim(0)``), so that the resident memory is what the process uses; whether any
    were given back (False where the C library cannot).

    Called after work that frees a lot at once (a projection's temporaries once it is built,
    a report's working set once it is answered): it takes a few milliseconds a hundred MiB.

    Examples
    --------
    >>> release_freed_memory() in (True, False)
    True
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
