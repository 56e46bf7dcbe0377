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

Which state an answer says it is: :func:`view_version`, a token of the state of just the
graphs the caller may read (their write stamps, :meth:`graph.store.Store.stamps`), read at the
version the answer was computed from. The store's version itself counts every write, those to
graphs the caller cannot see included, so it is kept for the store's own use (caches).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

from graph.errors import RecruitgraphError
from graph.model.namespaces import SYSTEM_GRAPH

if TYPE_CHECKING:
    from graph.store.stores import Store

__all__ = ["SLOW", "TRIES", "StoreChanging", "consistent", "view_version"]

T = TypeVar("T")

#: Optimistic tries before the last one, which holds commits back.
TRIES = 3

#: Seconds of computation past which one clash is enough to hold commits back for the last try.
SLOW = 1.0


class StoreChanging(RecruitgraphError):
    """Writes kept landing while an answer was computed (a remote store written by others);
    no answer mixing two states is given (HTTP 503)."""


def consistent(
    store: Store,
    compute: Callable[[], T],
    *,
    tries: int = TRIES,
    slow: float = SLOW,
    discard: Callable[[T], None] | None = None,
) -> tuple[int, T]:
    """(version, ``compute()``), where no write was committed to ``store`` while ``compute``
    ran: the result was computed wholly from the store at that version.

    ``compute`` only reads; it may run more than once (``discard`` is called with each result
    thrown away: a temporary file to delete, say). After ``tries`` clashes with a write,
    it runs once more with the store's commits held back (writes of this process wait for
    it); so it does after its first clash if that try took ``slow`` seconds or more. If even
    that clashes (others write a remote store), :class:`StoreChanging`.

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
        started = time.monotonic()
        value = compute()
        if store.stable_version() == before:
            return before, value
        if discard is not None:
            discard(value)
        if time.monotonic() - started >= slow:
            # A slow computation that clashed once would likely clash again (writes land
            # every few seconds): computing it several times over only burns the time limit.
            break
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


def view_version(stamps: Mapping[str, str], graphs: Iterable[str]) -> str:
    """A token of the state of ``graphs`` (the graphs a caller may read): 16 hex digits, the
    same while none of them is written, created or deleted, different after any such write.

    ``stamps`` are the store's write stamps (:meth:`graph.store.Store.stamps`) at one version.
    The token is a digest of just the graphs' names, their stamps and the store's own stamp
    (renewed only by writes that do not name their graphs; every write of the server names
    them). Each stamp is drawn at random when its graph is written, independently of any other
    graph and of the store's version: the token is a function of the caller's own graphs and
    their writes alone, so that writing, creating or deleting a graph the caller cannot see
    leaves it as it was, and nothing in it (not even by trying every small number against the
    digest) counts or dates the writes to other graphs. Equal tokens name the same content of
    the caller's graphs (up to the digest's 64 bits); tokens are not ordered.

    >>> stamps = {"urn:a": "1f", "urn:b": "2e"}
    >>> view_version(stamps, ["urn:a"]) == view_version({**stamps, "urn:b": "3d"}, ["urn:a"])
    True
    >>> view_version(stamps, ["urn:a"]) == view_version({**stamps, "urn:a": "4c"}, ["urn:a"])
    False
    >>> len(view_version(stamps, ["urn:b", "urn:a"]))
    16
    """
    own = stamps.get(SYSTEM_GRAPH, "")
    lines = sorted(f"{graph} {stamps.get(graph, '')}" for graph in graphs)
    text = "\n".join([own, *lines])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
