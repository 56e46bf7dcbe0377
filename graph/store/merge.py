"""The default graph of a query as the RDF merge of its graphs: each triple once.

SPARQL 1.1 (§13.2) makes a query's default graph, when several graphs form it, their RDF
merge: a set of triples. The engine reads a list of graphs (and its union of every graph) as
the concatenation of their triples, so a triple that two datasets state comes back twice and
every total joined to it doubles: an actor's ``rdfs:label`` in two datasets gave a region
twice its funding in a ``SUM``. Deduplicating the answers instead is not the same thing (a
``COUNT`` over a bag of solutions is not a ``COUNT`` over the merge).

Most datasets share no triple; their graphs are given to the engine as they are, and the
embedded store keeps its union of every graph (one index scan per pattern). Where some
graphs share triples, the engine is given the largest graph :math:`g_1` as it is and one
internal graph, the *remainder* of the others,

.. math:: r = \\left(\\bigcup_{i > 1} g_i\\right) \\setminus g_1

which the engine writes itself (one ``INSERT … FILTER NOT EXISTS``; a graph is a set, so a
triple of several smaller graphs is in it once). The largest graph is never copied, and the
engine scans two graphs per pattern whatever the number of datasets (each graph in a list
costs a scan: bench/merge.py).

Plans are kept per set of graphs and the write stamps of those graphs (a write to any of them
renews its stamp, see :mod:`graph.store.stores`), so that a query after a write gets a new
plan and a stale remainder is dropped; the store holds the caller's commits back while it
plans and takes its snapshot, so that a remainder and the graphs it was derived from are
read in the same state.

Examples
--------
>>> import pyoxigraph as ox
>>> from graph.store import EmbeddedStore
>>> store = EmbeddedStore()
>>> store.update("INSERT DATA { GRAPH <http://example.org/a> { <http://example.org/s> "
...              "<http://example.org/p> 'shared', 'only in a' } "
...              "GRAPH <http://example.org/b> { <http://example.org/s> "
...              "<http://example.org/p> 'shared' } }")
>>> result = store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
...                      default_graph=["http://example.org/a", "http://example.org/b"])
>>> next(iter(result))["n"].value
'2'
"""

from __future__ import annotations

__all__ = ["MergedDefaultGraph"]

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pyoxigraph as ox

from graph.model.namespaces import REMAINDER, SYSTEM_GRAPH

if TYPE_CHECKING:
    from graph.store.stores import Store

#: Plans kept (sets of graphs queried with their stamps); a plan is a short list of names.
_PLANS = 256

# The stamps of a set of graphs: a plan is valid while they are unchanged.
Stamps = tuple[tuple[str, str | None], ...]


class MergedDefaultGraph:
    """The graphs to give the engine for the RDF merge of a list of graphs, per store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._plans: OrderedDict[Stamps, list[str]] = OrderedDict()
        # Whether two graphs share a triple, and a graph's size, at given stamps.
        self._overlaps: dict[tuple[tuple[str, str | None], tuple[str, str | None]], bool] = {}
        self._sizes: dict[tuple[str, str | None], int] = {}
        # Remainder graphs in the store, with the stamps they were derived at.
        self._remainders: dict[str, Stamps] = {}

    def drop_leftovers(self) -> None:
        """Drop every remainder graph in the store: those of a process whose plans are gone
        (for a store only this process opens, at opening)."""
        for graph in self._store.graph_names():
            if graph.startswith(REMAINDER):
                self._store._try_drop(graph)

    def graphs(self, graphs: Sequence[str]) -> list[str]:
        """Graphs whose union, as the engine reads a list of graphs, is the RDF merge of
        ``graphs``: ``graphs`` themselves (without repeats) where no two share a triple."""
        unique = list(dict.fromkeys(graphs))
        if len(unique) < 2:
            return unique
        stamps = self._store.stamps()
        key = _stamped(unique, stamps)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        with self._lock:
            plan = self._plan(key)
            self._plans[key] = plan
            while len(self._plans) > _PLANS:
                self._plans.popitem(last=False)
            self._drop_stale(stamps)
        return plan

    def _plan(self, key: Stamps) -> list[str]:
        graphs = [g for g, _ in key if g != SYSTEM_GRAPH]
        stamp = dict(key)
        if not any(
            self._overlap((a, stamp[a]), (b, stamp[b]))
            for i, a in enumerate(graphs)
            for b in graphs[i + 1 :]
        ):
            return graphs
        largest = max(graphs, key=lambda g: (self._size((g, stamp[g])), g))
        return [largest, self._remainder(largest, [g for g in graphs if g != largest], key)]

    def _overlap(self, a: tuple[str, str | None], b: tuple[str, str | None]) -> bool:
        pair = (a, b) if a <= b else (b, a)
        if pair not in self._overlaps:
            ask = (
                f"ASK {{ GRAPH {ox.NamedNode(a[0])} {{ ?s ?p ?o }} "
                f"GRAPH {ox.NamedNode(b[0])} {{ ?s ?p ?o }} }}"
            )
            answer = self._store.query(ask, default_graph=[], named_graphs=[a[0], b[0]])
            self._overlaps[pair] = bool(answer)
        return self._overlaps[pair]

    def _size(self, graph: tuple[str, str | None]) -> int:
        if graph not in self._sizes:
            count = f"SELECT (COUNT(*) AS ?n) {{ GRAPH {ox.NamedNode(graph[0])} {{ ?s ?p ?o }} }}"
            result = self._store.query(count, default_graph=[], named_graphs=[graph[0]])
            assert isinstance(result, ox.QuerySolutions)
            self._sizes[graph] = int(next(iter(result))["n"].value)
        return self._sizes[graph]

    def _remainder(self, largest: str, others: list[str], key: Stamps) -> str:
        """The internal graph of the triples of ``others`` that ``largest`` does not hold."""
        stamp = dict(key)
        depends = tuple((g, stamp[g]) for g in [largest, *sorted(others), SYSTEM_GRAPH])
        name = REMAINDER + hashlib.sha256(repr(depends).encode()).hexdigest()[:32]
        if name not in self._remainders:
            values = " ".join(str(ox.NamedNode(g)) for g in others)
            self._store._execute_update(
                f"DROP SILENT GRAPH <{name}> ;\n"
                f"INSERT {{ GRAPH <{name}> {{ ?s ?p ?o }} }} WHERE {{ "
                f"VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
                f"FILTER NOT EXISTS {{ GRAPH {ox.NamedNode(largest)} {{ ?s ?p ?o }} }} }}"
            )
            self._remainders[name] = depends
        return name

    def _drop_stale(self, stamps: Mapping[str, str]) -> None:
        """Drop the remainders derived from graphs written since, and forget what was
        measured of them."""
        for name, depends in list(self._remainders.items()):
            if any(stamps.get(g) != s for g, s in depends):
                self._store._try_drop(name)
                del self._remainders[name]
        self._overlaps = {
            pair: shared
            for pair, shared in self._overlaps.items()
            if all(stamps.get(g) == s for g, s in pair)
        }
        self._sizes = {g: n for g, n in self._sizes.items() if stamps.get(g[0]) == g[1]}


def _stamped(graphs: Sequence[str], stamps: Mapping[str, str]) -> Stamps:
    """``graphs`` and the store's own stamp, each with its stamp (None if never written)."""
    return tuple((g, stamps.get(g)) for g in sorted({*graphs, SYSTEM_GRAPH}))
