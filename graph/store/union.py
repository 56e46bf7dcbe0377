"""Whether a query could match triples its caller does not see: when the engine's union of
every graph may stand for the caller's default graph.

The engine reads its union of every graph with one index scan per triple pattern, where a
list of graphs costs a scan per graph: an aggregate over the reference data and one dataset
took 158 ms over the union against 214 ms over the list of the two (bench/RESULTS.md, "The
default graph as an RDF merge"). Besides the datasets, a store holds their descriptions, about
ten triples each in graphs of their own that no query sees (:data:`~graph.model.namespaces.
DESCRIPTION`), so a caller who may read every dataset still has a default graph that is not the
union. It is the same for a given query when no pattern of the query can match a hidden triple
in any solution. :func:`matches_only_visible` decides that from the query's patterns
(:func:`graph.sparql.patterns.default_graph_patterns`) and what the hidden triples are made of
(:class:`HiddenTriples`): a pattern matches only visible triples when

(a) its predicate is an IRI that no hidden triple has, or a path whose IRIs no hidden triple
    has and that neither negates predicates nor matches a path of length zero between two
    variables (which would bind every node of the graph);
(b) its predicate is one hidden triples have, and its object a constant that none of them has
    with that predicate;
(c) its subject is a constant that is no hidden triple's subject (one IRI or a variable as the
    predicate);
(d) its subject is a variable that another pattern of its group, matching only visible triples
    by (a)–(c), also holds, and no visible triple holds a hidden triple's subject, in any place
    (:attr:`HiddenTriples.private`): in every solution the variable is a term of a visible
    triple, never a hidden subject, so the pattern cannot match a hidden triple either.

A group matches only visible triples when each of its patterns does and each group nested in
it does on its own (an ``OPTIONAL``, ``MINUS`` or ``UNION`` branch has its own solutions; a
variable bound outside it is no proof within it). Then every group has the same solutions over
both, and so has the query.

Examples
--------
>>> from graph.sparql.patterns import default_graph_patterns
>>> hidden = HiddenTriples(predicates=frozenset({"urn:title", RDF_TYPE}),
...     objects=frozenset({(RDF_TYPE, "urn:Dataset")}), literal_predicates=frozenset(
...     {"urn:title"}), subjects=frozenset({"urn:dataset"}), nodes=frozenset(
...     {"urn:dataset", "urn:Dataset"}), private=True)
>>> def visible_only(text):
...     return matches_only_visible(default_graph_patterns(text, {}), hidden)
>>> visible_only("SELECT * { ?f a <urn:Flow> ; <urn:from> ?who . ?who a ?kind }")
True
>>> visible_only("SELECT * { ?s ?p ?o }")
False
>>> visible_only("SELECT * { ?who a ?kind }")
False
>>> visible_only("SELECT * { <urn:actor> ?p ?o }")
True
"""

from __future__ import annotations

__all__ = ["HiddenTriples", "matches_only_visible"]

from collections.abc import Collection
from dataclasses import dataclass

import pyoxigraph as ox

from graph.model.namespaces import RDF
from graph.sparql.patterns import Group, Literal, Path, Pattern, Variable

RDF_TYPE = RDF + "type"


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


def matches_only_visible(group: Group | None, hidden: HiddenTriples) -> bool:
    """Whether no pattern of ``group`` (None: a query not read) can match a hidden triple
    in any solution (see the module's rules)."""
    if group is None:
        return False
    for each in group.walk():
        alone = [p for p in each.patterns if _alone(p, hidden)]
        for pattern in each.patterns:
            if pattern not in alone and not _bound_visibly(pattern, alone, hidden):
                return False
    return True


def _bound_visibly(pattern: Pattern, alone: list[Pattern], hidden: HiddenTriples) -> bool:
    """Rule (d): whether ``pattern``'s subject is a variable that a pattern of ``alone``
    (those of its group that match only visible triples) holds too, with hidden subjects
    private."""
    subject = pattern.subject
    return (
        hidden.private
        and isinstance(subject, Variable)
        and not isinstance(pattern.predicate, Path)  # a path's subject may be an object
        and any(subject in (p.subject, p.predicate, p.object) for p in alone if p is not pattern)
    )


def _alone(pattern: Pattern, hidden: HiddenTriples) -> bool:
    """Rules (a), (b) and (c): whether ``pattern`` matches only visible triples whatever the
    other patterns of its group."""
    subject, predicate, obj = pattern.subject, pattern.predicate, pattern.object
    if isinstance(predicate, Path):
        if predicate.negated or predicate.iris & hidden.predicates:
            return False
        return not predicate.zero_length or any(
            isinstance(end, str) and end not in hidden.nodes for end in (subject, obj)
        )
    if isinstance(predicate, str) and predicate not in hidden.predicates:
        return True  # (a)
    if isinstance(predicate, str) and (
        (isinstance(obj, str) and (predicate, obj) not in hidden.objects)
        or (isinstance(obj, Literal) and predicate not in hidden.literal_predicates)
    ):
        return True  # (b)
    return isinstance(subject, Literal) or (
        isinstance(subject, str) and subject not in hidden.subjects
    )  # (c)
