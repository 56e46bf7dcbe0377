"""What the graphs a caller does not see hold, for the rules of :mod:`graph.sparql.union`.

A store whose caller reads every dataset still holds the datasets' descriptions, in graphs of
their own that no query sees; :class:`HiddenTriples` is what those triples are made of (their
predicates, IRI objects and subjects, and whether any visible triple names one of their
subjects), read once per state of the store (:meth:`graph.store.EmbeddedStore.query`), with the
decisions taken on it.
"""

from __future__ import annotations

__all__ = ["HiddenTriples"]

import threading
from collections.abc import Collection, Hashable
from dataclasses import dataclass, field

import pyoxigraph as ox

#: Decisions kept per set of hidden triples (one per shape of query: a few hundred bytes).
DECISIONS = 1024


@dataclass(frozen=True)
class HiddenTriples:
    """What the triples of the graphs a caller does not see are made of."""

    #: Every predicate of a hidden triple.
    predicates: frozenset[str]
    #: (predicate, object) of the hidden triples whose object is an IRI.
    objects: frozenset[tuple[str, str]]
    #: The predicates of hidden triples whose object is a literal or a blank node.
    literal_predicates: frozenset[str]
    #: The IRIs that are hidden triples' subjects.
    subjects: frozenset[str]
    #: The IRIs in hidden triples, as subject or object.
    nodes: frozenset[str]
    #: Whether no visible triple holds a hidden triple's subject (rule (d)).
    private: bool
    #: Decisions of :func:`graph.sparql.union.union_serves`, per shape of query.
    decisions: dict[Hashable, bool] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, compare=False, repr=False
    )

    def remember(self, key: Hashable, decision: bool) -> None:
        """Keep a decision (per shape of query), :data:`DECISIONS` at most (the oldest go)."""
        with self._lock:
            self.decisions[key] = decision
            while len(self.decisions) > DECISIONS:
                del self.decisions[next(iter(self.decisions))]

    @classmethod
    def of(cls, store: ox.Store, hidden: Collection[str]) -> HiddenTriples:
        """The hidden triples of ``store``: those of graphs ``hidden``; every other graph of
        the store is visible."""
        predicates: set[str] = set()
        objects: set[tuple[str, str]] = set()
        literal_predicates: set[str] = set()
        subjects: dict[ox.NamedNode | ox.BlankNode, None] = {}
        nodes: set[str] = set()
        for graph in hidden:
            for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
                subject, predicate, obj = quad.subject, quad.predicate.value, quad.object
                predicates.add(predicate)
                if isinstance(subject, ox.NamedNode | ox.BlankNode):
                    subjects[subject] = None
                if isinstance(obj, ox.NamedNode):
                    objects.add((predicate, obj.value))
                    nodes.add(obj.value)
                else:
                    literal_predicates.add(predicate)
        iris = {s.value for s in subjects if isinstance(s, ox.NamedNode)}
        return cls(
            predicates=frozenset(predicates),
            objects=frozenset(objects),
            literal_predicates=frozenset(literal_predicates),
            subjects=frozenset(iris),
            nodes=frozenset(nodes | iris),
            private=not any(_held_visibly(store, s, hidden) for s in subjects),
        )


def _held_visibly(
    store: ox.Store, term: ox.NamedNode | ox.BlankNode, hidden: Collection[str]
) -> bool:
    """Whether a quad outside graphs ``hidden`` holds ``term`` as subject, predicate or
    object (three index lookups)."""
    lookups = [store.quads_for_pattern(term, None, None), store.quads_for_pattern(None, None, term)]
    if isinstance(term, ox.NamedNode):
        lookups.append(store.quads_for_pattern(None, term, None))
    return any(
        not isinstance(quad.graph_name, ox.NamedNode) or quad.graph_name.value not in hidden
        for quads in lookups
        for quad in quads
    )
