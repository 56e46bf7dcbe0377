"""A cache of derived results (projections, reports), keyed on the store's version and
bounded in bytes.

Every write to a store bumps its version (:attr:`graph.store.Store.version`), so a key that
includes the version can never return a result computed before the last write. A result is
kept under a version only if it was computed wholly at that version
(:func:`graph.store.consistency.consistent`): noting the version before the computation alone
would file a result computed partly after a write under the version before it, where readers
still at that version would take it; noting it after would file a result of the old data
under the new version, for every later reader.

Threads that ask for the same key while it is being computed wait for that computation rather
than each running their own, and take its result if the store is still at the version it was
computed at, whether or not it was kept.

The cache is bounded in bytes (:func:`set_max_bytes`; 512 MiB unless set): every result's
size is measured once, when it is stored, by the measure its caller gives
(:func:`graph.analysis.projection.projection_bytes` for projections; else
:func:`graph.store.sizing.deep_size`), and the least recently used results go until the
total fits. A result larger than the whole bound is given to its callers and not kept (a
projection of 100,000 actors holds 1 to 2 GiB: raise the bound to keep one). What a result
gains after it is stored is not counted (networkx keeps a backend's copy of a graph in the
graph, where a backend is configured). The bound is
this process's: a server's analysis runs in its engine process, which holds its own cache
(``recruitgraph serve --metrics-cache-mb``).
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
from graph.store.sizing import deep_size
from graph.store.stores import Store

T = TypeVar("T")

#: The bound unless :func:`set_max_bytes` says otherwise.
DEFAULT_MAX_BYTES = 512 * 1024**2

#: (store serial, version, kind, key) -> (result, its bytes), least recently used first.
_ENTRIES: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
_max_bytes = DEFAULT_MAX_BYTES
#: The bytes of the results held (the sum of their sizes in ``_ENTRIES``).
_bytes_held = 0
_LOCK = threading.Lock()
# Each store object gets a number of its own, never reused (``id()`` is reused once an object
# is freed, and two in-memory stores at the same version would then share entries). When the
# store is freed, its entries go too.
_SERIALS: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()
_NEXT_SERIAL = itertools.count()


class _Flight:
    """One computation of a key: its end, and what it gave (version, result), if it did."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: tuple[int, Any] | None = None


#: The keys being computed now (store serial, kind, key), each with its computation.
_COMPUTING: dict[tuple[Any, ...], _Flight] = {}
#: Since start: results computed, served from memory, and waited for; results evicted to make
#: room, and results not kept because they alone were larger than the bound.
_STATS = {"computed": 0, "hits": 0, "waited": 0, "evicted": 0, "too_large": 0}


def _serial(store: Store) -> int:
    """The number of ``store`` in this cache (call with ``_LOCK`` held)."""
    serial = _SERIALS.get(store)
    if serial is None:
        serial = _SERIALS[store] = next(_NEXT_SERIAL)
        weakref.finalize(store, _forget, serial)
    return serial


def _forget(serial: int) -> None:
    global _bytes_held
    with _LOCK:
        for key in [key for key in _ENTRIES if key[0] == serial]:
            _bytes_held -= _ENTRIES.pop(key)[1]


def _evict(bound: int) -> None:
    """Drop the least recently used results until they hold at most ``bound`` bytes (call
    with ``_LOCK`` held)."""
    global _bytes_held
    while _ENTRIES and _bytes_held > bound:
        _bytes_held -= _ENTRIES.popitem(last=False)[1][1]
        _STATS["evicted"] += 1


def cached(
    store: Store,
    kind: str,
    key: Hashable,
    compute: Callable[[], T],
    size: Callable[[T], int] = deep_size,
) -> T:
    """The result of ``compute()`` for (``store``, its current version, ``kind``, ``key``),
    computed once and then served from memory until the store changes or the bound on bytes
    evicts it. The result is computed again if a write lands while it is computed (see the
    module docstring). ``size`` tells the bytes a result holds, once, when it is stored.

    While one thread computes a key, others asking for it wait for that result (if the
    computation fails, the next of them computes). ``compute`` must not ask for its own key.
    Callers must not mutate what they get back (projections are frozen for that reason).
    """
    waited_for: _Flight | None = None
    while True:
        version = store.stable_version()
        with _LOCK:
            serial = _serial(store)
            if version is not None:
                full = (serial, version, kind, key)
                if full in _ENTRIES:
                    _ENTRIES.move_to_end(full)
                    _STATS["hits"] += 1
                    value: T = _ENTRIES[full][0]
                    return value
                # The result of the computation waited for, kept or not, if the store is
                # still where it was computed.
                done = waited_for.result if waited_for is not None else None
                if done is not None and done[0] == version:
                    value = done[1]
                    return value
            # One computation per key at a time, whatever version it will be computed at:
            # a waiter looks again once it ends (and computes, if the store moved on).
            flight = (serial, kind, key)
            running = _COMPUTING.get(flight)
            if running is None:
                mine = _COMPUTING[flight] = _Flight()
                break
            _STATS["waited"] += 1
        running.done.wait()
        waited_for = running
    try:
        version, value = consistent(store, compute)
        mine.result = (version, value)
        _store((serial, version, kind, key), value, size)
        return value
    finally:
        with _LOCK:
            del _COMPUTING[flight]
        mine.done.set()


def _store(full: tuple[Any, ...], value: Any, size: Callable[[Any], int]) -> None:
    """Keep ``value`` under ``full`` if it fits the bound, evicting others to make room."""
    global _bytes_held
    with _LOCK:
        _STATS["computed"] += 1
        bound = _max_bytes
    # Measured outside the lock: for a large projection it takes a moment.
    nbytes = size(value) if bound > 0 else 0
    with _LOCK:
        if _max_bytes == 0:  # off
            return
        if nbytes > _max_bytes:  # given to its callers, not kept
            _STATS["too_large"] += 1
            return
        old = _ENTRIES.pop(full, None)
        if old is not None:
            _bytes_held -= old[1]
        _ENTRIES[full] = (value, nbytes)
        _bytes_held += nbytes
        _evict(_max_bytes)


def set_max_bytes(max_bytes: int) -> None:
    """Bound the results this process keeps to ``max_bytes`` (0: keep none; results are still
    computed once for the callers that ask at the same time). Evicts at once what no longer
    fits. ValueError for a negative bound.

    >>> set_max_bytes(64 * 1024**2); stats()["max_bytes"]
    67108864
    >>> set_max_bytes(DEFAULT_MAX_BYTES)
    """
    global _max_bytes
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"the cache's bound is a number of bytes, 0 or more, not {max_bytes!r}")
    with _LOCK:
        _max_bytes = max_bytes
        _evict(max_bytes)


def stats() -> dict[str, int]:
    """The results held (``entries``), their ``bytes`` and the bound (``max_bytes``); since
    start: results computed, served from memory (``hits``), waited for (asked for while
    another thread computed them), evicted to make room, and not kept for being larger than
    the bound alone (``too_large``)."""
    with _LOCK:
        return {"entries": len(_ENTRIES), "bytes": _bytes_held, "max_bytes": _max_bytes, **_STATS}


def clear() -> None:
    """Forget every result (tests, or to free memory); the counts since start stay."""
    global _bytes_held
    with _LOCK:
        _ENTRIES.clear()
        _bytes_held = 0


_GC_LOCK = threading.Lock()
_GC_DEPTH = 0
_GC_WAS_ENABLED = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a projection or report is computed.

    Building the projection of 100,000 actors allocates millions of small dicts and tuples
    without reference cycles; the collector, triggered by the allocations, walks them again and
    again (a quarter of the time of a cold report on 100,000 actors). Reference counting still
    frees memory as usual; cycles made meanwhile wait for the collector's next run once it is
    back on (nothing here runs it). Nested and concurrent uses are counted: the collector is
    switched back on, if it was on, when the last one ends.
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
