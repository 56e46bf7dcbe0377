"""A small cache of derived results (projections, reports), keyed on the store's version.

Every write to a store bumps its version (:attr:`graph.store.Store.version`), so a key that
includes the version can never return a result computed before the last write.
"""

from __future__ import annotations

import gc
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from graph.store import Store

T = TypeVar("T")

_ENTRIES: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_SIZE = 128
_LOCK = threading.Lock()
# Each store object gets a number of its own, never reused (``id()`` is reused once an object
# is freed, and two in-memory stores at the same version would then share entries). When the
# store is freed, its entries go too.
_SERIALS: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()
_NEXT_SERIAL = itertools.count()


def _serial(store: Store) -> int:
    """The number of ``store`` in this cache (call with ``_LOCK`` held)."""
    serial = _SERIALS.get(store)
    if serial is None:
        serial = _SERIALS[store] = next(_NEXT_SERIAL)
        weakref.finalize(store, _forget, serial)
    return serial


def _forget(serial: int) -> None:
    with _LOCK:
        for key in [key for key in _ENTRIES if key[0] == serial]:
            del _ENTRIES[key]


def cached(store: Store, kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """The result of ``compute()`` for (``store``, its current version, ``kind``, ``key``),
    computed once and then served from memory until the store changes.

    Callers must not mutate what they get back (projections are frozen for that reason).
    """
    version = store.version
    with _LOCK:
        full = (_serial(store), version, kind, key)
        if full in _ENTRIES:
            _ENTRIES.move_to_end(full)
            return _ENTRIES[full]
    value = compute()
    with _LOCK:
        _ENTRIES[full] = value
        while len(_ENTRIES) > _SIZE:
            _ENTRIES.popitem(last=False)
    return value


def size() -> int:
    """How many results the cache holds now (at most 128)."""
    with _LOCK:
        return len(_ENTRIES)


def clear() -> None:
    """Forget everything (tests, or to free memory)."""
    with _LOCK:
        _ENTRIES.clear()


_GC_LOCK = threading.Lock()
_GC_DEPTH = 0
_GC_WAS_ENABLED = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a projection or report is computed.

    Building the projection of 100,000 actors allocates millions of small dicts and tuples
    without reference cycles; the collector, triggered by the allocations, walks them again and
    again (a quarter of the time of a cold report on 100,000 actors). Reference counting still
    frees memory as usual; cycles made meanwhile are collected when the last computation in
    the process ends. Nested and concurrent uses are counted: the collector is switched back
    on, if it was on, when the last one ends.
    """
    global _GC_DEPTH, _GC_WAS_ENABLED
    with _GC_LOCK:
        if _GC_DEPTH == 0:
            _GC_WAS_ENABLED = gc.isenabled()
            gc.disable()
        _GC_DEPTH += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_DEPTH -= 1
            if _GC_DEPTH == 0 and _GC_WAS_ENABLED:
                gc.enable()
