"""A small cache of derived results (projections, reports), keyed on the store's version.

Every write to a store bumps its version (:attr:`graph.store.Store.version`), so a key that
includes the version can never return a result computed before the last write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from graph.store import Store

T = TypeVar("T")

_ENTRIES: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_SIZE = 128
_LOCK = threading.Lock()


def cached(store: Store, kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """The result of ``compute()`` for (``store``, its current version, ``kind``, ``key``),
    computed once and then served from memory until the store changes.

    Callers must not mutate what they get back (projections are frozen for that reason).
    """
    full = (id(store), store.location, store.version, kind, key)
    with _LOCK:
        if full in _ENTRIES:
            _ENTRIES.move_to_end(full)
            return _ENTRIES[full]
    value = compute()
    with _LOCK:
        _ENTRIES[full] = value
        while len(_ENTRIES) > _SIZE:
            _ENTRIES.popitem(last=False)
    return value


def clear() -> None:
    """Forget everything (tests, or to free memory)."""
    with _LOCK:
        _ENTRIES.clear()
