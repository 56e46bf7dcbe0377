"""Answers computed from one state of a store, though they take several queries.

pyoxigraph runs each query in a snapshot of its own and offers no snapshot that spans several
queries (its Python ``Store`` has no transaction or read-view method, as of 0.5.13); a SPARQL
endpoint offers none over HTTP. An answer made of several queries (a projection, a report,
the explorer's data beside its list of datasets) could thus mix two states of the store: the
claims of a dataset drawn while its own list of datasets said it was gone.

:func:`consistent` reads optimistically, as a sequence lock does: it notes the store's version,
computes, and keeps the result only if no write was committed meanwhile
(:meth:`graph.store.Store.stable_version` is None while a commit is under way, and the version
moves with every commit). Otherwise it computes again, a bounded number of times, and then once
more holding the store's commits back (:meth:`graph.store.Store.commits_held`).

Why optimistic, and not a readers–writer lock or one query per answer:

* Writes are rare and reads many; most reads (cached projections and reports) take
  milliseconds. A read never waits for a write, except a last try after repeated clashes.
* A load spends nearly all its time parsing, validating and staging its triples in an
  invisible graph; only its last step, one ``MOVE`` and the version bump, is the commit. Only
  that step counts as a clash, and only that step waits for a reader holding commits back:
  a long load never blocks readers, and readers never block a load's staging.
* A readers–writer lock would make a write wait for every read in flight (heavy reports take
  seconds) and, to be fair to the writer, new reads for it; one SPARQL query per answer is not
  possible for answers computed in Python (networkx measures).
* The same check covers a remote store written by other processes: its version is bumped in
  the same transaction as each write. Their commits cannot be held back, so after repeated
  clashes :class:`StoreChanging` is raised rather than a mixed answer returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from graph.errors import RecruitgraphError

if TYPE_CHECKING:
    from graph.store.stores import Store

__all__ = ["TRIES", "StoreChanging", "consistent"]

T = TypeVar("T")

#: Optimistic tries before the last one, which holds commits back.
TRIES = 3


class StoreChanging(RecruitgraphError):
    """Writes kept landing while an answer was computed (a remote store written by others);
    no answer mixing two states is given (HTTP 503)."""


def consistent(
    store: Store,
    compute: Callable[[], T],
    *,
    tries: int = TRIES,
    discard: Callable[[T], None] | None = None,
) -> tuple[int, T]:
    """(version, ``compute()``), where no write was committed to ``store`` while ``compute``
    ran: the result was computed wholly from the store at that version.

    ``compute`` only reads; it may run more than once (``discard`` is called with each result
    thrown away: a temporary file to delete, say). After ``tries`` clashes with a write,
    it runs once more with the store's commits held back (writes of this process wait for
    it); if even that clashes (others write a remote store), :class:`StoreChanging`.

    >>> import pyoxigraph as ox
    >>> from graph.store import EmbeddedStore
    >>> store = EmbeddedStore()
    >>> calls = []
    >>> def count() -> int:
    ...     calls.append(1)
    ...     if len(calls) == 1:  # a write lands during the first try
    ...         store.update("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }")
    ...     return len(list(store.quads("urn:g")))
    >>> consistent(store, count), len(calls)
    ((1, 1), 2)
    """
    for _ in range(tries):
        before = store.stable_version()
        if before is None:  # a commit is under way: wait for it, then try
            with store.commits_held():
                pass
            continue
        value = compute()
        if store.stable_version() == before:
            return before, value
        if discard is not None:
            discard(value)
    with store.commits_held():
        before = store.stable_version()
        value = compute()
        if before is not None and store.stable_version() == before:
            return before, value
    if discard is not None:
        discard(value)
    raise StoreChanging(
        f"the store changed while each of {tries + 1} tries to answer ran; try again"
    )
