"""A small cache of derived results (projections, reports), keyed on the store's version.

Every write to a store bumps its version (:attr:`graph.store.Store.version`), so a key that
includes the version can never return a result computed before the last write. A result is
kept under a version only if it was computed wholly at that version
(:func:`graph.store.consistency.consistent`): noting the version before the computation alone
would file a result computed partly after a write under the version before it, where readers
still at that version would take it; noting it after would file a result of the old data
under the new version, for every later reader.

Threads that
ask for the same key while it is being computed wait for that computation rather than each
running their own.
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

from graph.store.consistency import consistent
from graph.store.stores import Store

T = TypeVar("T")

_ENTRIES: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_SIZE = 128
_LOCK = threading.Lock()
# Each store object gets a number of its own, never reused (``id()`` is reused once an object
# is freed, and two in-memory stores at the same version would then share entries). When the
# store is freed, its entries go too.
_SERIALS: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()
_NEXT_SERIAL = itertools.count()
#: The keys being computed now, each with the event its computation sets when it ends.
_COMPUTING: dict[tuple[Any, ...], threading.Event] = {}
#: Since start: results computed, served from memory, and waited for.
_STATS = {"computed": 0, "hits": 0, "waited": 0}


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
    computed once and then served from memory until the store changes. The result is
    computed again if a write lands while it is computed (see the module docstring).

    While one thread computes a key, others asking for it wait for that result (if the
    computation fails, the next of them computes). ``compute`` must not ask for its own key.
    Callers must not mutate what they get back (projections are frozen for that reason).
    """
    while True:
        version = store.stable_version()
        with _LOCK:
            serial = _serial(store)
            if version is not None:
                full = (serial, version, kind, key)
                if full in _ENTRIES:
                    _ENTRIES.move_to_end(full)
                    _STATS["hits"] += 1
                    return _ENTRIES[full]
            # One computation per key at a time, whatever version it will be computed at:
            # a waiter looks again once it ends (and computes, if the store moved on).
            flight = (serial, kind, key)
            running = _COMPUTING.get(flight)
            if running is None:
                done = _COMPUTING[flight] = threading.Event()
                break
            _STATS["waited"] += 1
        running.wait()
    try:
        version, value = consistent(store, compute)
        with _LOCK:
            _STATS["computed"] += 1
            _ENTRIES[(serial, version, kind, key)] = value
            while len(_ENTRIES) > _SIZE:
                _ENTRIES.popitem(last=False)
        return value
    finally:
        with _LOCK:
            del _COMPUTING[flight]
        done.set()


def stats() -> dict[str, int]:
    """The entries held, and since start: results computed, served from memory, and waited
    for (asked for while another thread computed them)."""
    with _LOCK:
        return {"entries": len(_ENTRIES), **_STATS}


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
