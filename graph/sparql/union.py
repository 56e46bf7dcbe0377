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

__all__ = ["matches_only_visible", "union_serves"]

from collections.abc import Mapping

from graph.model.namespaces import RDF
from graph.sparql.patterns import (
    Group,
    Literal,
    Path,
    Pattern,
    Slot,
    Variable,
    default_graph_patterns,
    query_shape,
)
from graph.store.hidden import HiddenTriples

RDF_TYPE = RDF + "type"


def union_serves(text: str, prefixes: Mapping[str, str], hidden: HiddenTriples) -> bool:
    """Whether the engine's union of every graph gives query ``text`` (with ``prefixes``
    declared) the answers of the visible graphs alone: :func:`matches_only_visible` of its
    patterns. A decision that looked at none of the query's IRIs written in full is kept for
    its shape (:func:`~graph.sparql.patterns.query_shape`: queries that differ in those IRIs,
    their strings or comments), until the hidden triples change: reading a query costs more
    than looking its shape up."""
    shape = query_shape(text)
    if shape is None:
        return matches_only_visible(default_graph_patterns(text, prefixes), hidden)
    key = (shape, tuple(prefixes.items()))
    if (known := hidden.decisions.get(key)) is not None:
        return known
    looked: list[str] = []
    decision = matches_only_visible(default_graph_patterns(text, prefixes), hidden, looked)
    if not any(isinstance(iri, Slot) for iri in looked):
        hidden.remember(key, decision)
    return decision


def matches_only_visible(
    group: Group | None, hidden: HiddenTriples, looked: list[str] | None = None
) -> bool:
    """Whether no pattern of ``group`` (None: a query not read) can match a hidden triple
    in any solution (see the module's rules); ``looked``, if given, gets every IRI of the
    query the decision looked at."""
    if group is None:
        return False
    seen = looked if looked is not None else []
    for each in group.walk():
        alone = [p for p in each.patterns if _alone(p, hidden, seen)]
        for pattern in each.patterns:
            if not any(p is pattern for p in alone) and not _bound_visibly(pattern, alone, hidden):
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


def _alone(pattern: Pattern, hidden: HiddenTriples, looked: list[str]) -> bool:
    """Rules (a), (b) and (c): whether ``pattern`` matches only visible triples whatever the
    other patterns of its group; the IRIs looked at go to ``looked``."""
    subject, predicate, obj = pattern
    if isinstance(predicate, Path):
        if predicate.negated:
            return False
        looked += predicate.iris
        if predicate.iris & hidden.predicates:
            return False
        if not predicate.zero_length:
            return True  # (a)
        for end in (subject, obj):  # a path of length zero from a constant: the constant
            if isinstance(end, str):
                looked.append(end)
                if end not in hidden.nodes:
                    return True
        return False
    if isinstance(predicate, str):
        looked.append(predicate)
        if predicate not in hidden.predicates:
            return True  # (a)
        if isinstance(obj, str):
            looked.append(obj)
            if (predicate, obj) not in hidden.objects:
                return True  # (b)
        elif isinstance(obj, Literal) and predicate not in hidden.literal_predicates:
            return True  # (b)
    if isinstance(subject, Literal):
        return True  # (c): no triple has a literal subject
    if isinstance(subject, str):
        looked.append(subject)
        return subject not in hidden.subjects  # (c)
    return False
