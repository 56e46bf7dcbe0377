"""The SHACL shapes compiled to SPARQL queries that run in a staging store.

pyshacl walks an rdflib graph focus node by focus node: a validated load ran at 0.03× the
store's own bulk-load rate (issue 15). Here every constraint of the shapes becomes one SPARQL
``SELECT ?this ?value`` that finds all the nodes breaking it at once; pyoxigraph runs it over an
in-memory staging store that holds what pyshacl is given as its data graph (the data, its
dataset description and the reference triples).

The shapes stay the one definition. This module reads their targets, property shapes and
constraint parameters, and knows only how each SHACL constraint component is written in SPARQL;
a component, target or path form it does not know is refused when the shapes are compiled
(:class:`UnsupportedShape`), never skipped. Each compiled check is, for focus nodes ``F`` of the
shape's targets, path ``p`` and value nodes ``v`` (``F p v``):

=====================  ==========================================================================
component              a result for
=====================  ==========================================================================
``sh:minCount n``      each ``F`` with fewer than ``n`` distinct ``v``
``sh:maxCount n``      each ``F`` with more than ``n`` distinct ``v``
``sh:hasValue x``      each ``F`` without ``F p x``
``sh:lessThanOrEquals  each pair (``v``, ``w``) with ``F q w`` and not ``v <= w`` (incomparable
q``                    counts as not)
``sh:sparql``          each row of the constraint's SELECT (``$this`` joined with ``F``)
value constraints      each ``v`` that does not conform: ``sh:class``, ``sh:datatype``,
                       ``sh:nodeKind``, ``sh:in``, ``sh:pattern``, ``sh:min/maxIn/Exclusive`` and
                       ``sh:or`` of shapes made of those
=====================  ==========================================================================

Each query looks for the breaches from each focus node, in one group with the focus nodes, so
that the engine streams it: memory is bounded by what it caches, not by the file. A ``MINUS``
(of the subjects of a path, of a class's instances) or a ``GROUP BY`` (``sh:maxCount``) is one
pass, but holds a set of every node it passes in a hash table, and so does a group of breaches
joined with the focus nodes; instead, ``sh:minCount`` and ``sh:hasValue`` are a ``FILTER NOT
EXISTS`` per focus node, ``sh:class`` one per value, ``sh:maxCount`` a self-join: an index
lookup each. To spare most of those lookups, :func:`run_checks` first asks whether a shape has
focus nodes at all, and whether there is any breach of a constraint anywhere
(:attr:`Check.screen`, one ASK shared by the checks with the same path and count): in data
that conforms, most checks stop there. Where the data graph has no ``rdfs:subClassOf`` triple,
an instance of a class is found by ``rdf:type`` alone.

Where SPARQL and pyshacl differ, pyshacl's behaviour is kept: ``sh:datatype`` takes a literal of
the right datatype whose lexical form rdflib cannot read (``"2024-02-30"^^xsd:date``) as a
violation. rdflib decides that: the distinct literals of the checked datatypes are read once by
rdflib (:func:`ill_typed`) and the ill-typed ones marked in a graph of the staging store that the
checks consult. pyshacl stays the reference: ``tests/test_shacl_sparql.py`` asserts that both
give the same results (focus node, path, value, constraint, message) on every shape's cases.

Examples
--------
>>> from graph.model.ontology import shapes_graph
>>> checks = compile_shapes(shapes_graph())
>>> sorted({c.component for c in checks})[:3]
['ClassConstraintComponent', 'DatatypeConstraintComponent', 'HasValueConstraintComponent']
>>> store = staging_store([ox.Triple(ox.NamedNode("https://ex.org/s"),
...     ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
...     ox.NamedNode("https://w3id.org/recruitgraph/ontology#Source"))])
>>> [(r.component, r.path) for r in run_checks(store, checks)]  # doctest: +NORMALIZE_WHITESPACE
[('MinCountConstraintComponent', 'http://purl.org/dc/terms/title'),
 ('MinCountConstraintComponent', 'https://schema.org/url')]

References
----------
W3C, *Shapes Constraint Language (SHACL)*, Recommendation, 2017, sections 2.1 (targets), 4 (core
constraint components) and 5 (SPARQL-based constraints); SHACL Advanced Features, section 5.1
(SPARQL-based targets).
"""

from __future__ import annotations

__all__ = [
    "KEPT_AS_INTEGER",
    "MARKS",
    "READ_AT_ONCE",
    "THREADS",
    "Check",
    "DataGraph",
    "Result",
    "UnsupportedShape",
    "compile_shapes",
    "given_marks",
    "ill_typed",
    "read_as_rdflib",
    "run_checks",
    "staging_store",
    "undo",
]

import functools
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TypeVar

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from graph.model.rdfterms import to_rdflib

#: The prefix of the graphs where the checks find what they know of the data's literals (the
#: two below); the checks name them under another prefix where the data graph is not a staging
#: store's default graph (see :class:`DataGraph`).
MARKS = "urn:x-recruitgraph:validation:"
#: The staging store's graph that lists the literals rdflib takes as ill-typed (see
#: :func:`ill_typed`): ``<LITERALS> :illTyped lit``.
LITERALS = MARKS + "literals"
_ILL_TYPED = "urn:x-recruitgraph:validation:illTyped"
#: A graph of the staging store per datatype that oxigraph does not keep: each triple whose
#: literal was given as, say, xsd:nonNegativeInteger (oxigraph keeps it as xsd:integer) is
#: also in graph ``<_GIVEN + datatype>`` (``<_GIVEN + datatype + "-ill-typed">`` if rdflib
#: takes it as ill-typed), where sh:datatype finds it with one lookup.
_GIVEN = MARKS + "given:"
#: The datatypes derived from xsd:integer, which oxigraph (0.5) keeps as xsd:integer: what a
#: file gave for them is found in the file (see :func:`given_marks`), not in a store.
KEPT_AS_INTEGER = frozenset(
    ox.NamedNode(str(XSD) + name)
    for name in (
        "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
        "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort",
        "unsignedByte",
    )
)  # fmt: skip

#: The path from a node to each class it is an instance of (SHACL 2.1.3.1). Where the data graph
#: has no ``rdfs:subClassOf`` triple, :func:`run_checks` writes ``rdf:type`` alone instead: the
#: same matches, without a path search per node.
_INSTANCE_OF = f"<{RDF.type}>/<{RDFS.subClassOf}>*"

#: Predicates of a shape that are not constraints (targets, names, documentation, structure).
_NOT_CONSTRAINTS = {
    RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description, SH.message, SH.severity,
    SH.order, SH.group, SH.path, SH.property, SH.targetClass, SH.targetSubjectsOf,
    SH.targetObjectsOf, SH.targetNode, SH.target, SH.deactivated, SH.flags, SH.defaultValue,
}  # fmt: skip

#: Comparison constraints: the SPARQL operator a value must satisfy against the parameter.
_RANGES = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
#: The Python type rdflib gives a well-typed literal of these datatypes; pyshacl also asks that.
_VALUE_TYPES: dict[rdflib.URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}


class UnsupportedShape(ValueError):
    """The shapes use a SHACL feature this compiler does not write as SPARQL."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, written as a SPARQL query over the data graph.

    ``query`` selects ``?this`` (the focus node) and, for value-level constraints, ``?value``.
    """

    shape: str
    component: str
    path: str | None
    message: str
    query: str
    #: A group graph pattern that binds ``?this`` to the shape's focus nodes.
    target: str
    #: The PREFIX declarations that ``target`` needs.
    prefixes: str = ""
    #: Whether ``query`` selects the offending value too.
    values: bool = True
    #: The paths whose literals the check reads (see :func:`read_as_rdflib`).
    reads: tuple[str, ...] = ()
    #: For a SPARQL-based constraint: the constraint with ``{}`` where the focus nodes go in a
    #: VALUES clause (SHACL pre-binds ``$this``), run after ``targets``.
    per_focus: str | None = None
    #: An ASK without the focus nodes that is false where ``query`` has no results (the same
    #: breaches, of every node): asked first, and shared by the checks that have the same.
    screen: str | None = None

    @property
    def targets(self) -> str:
        """The query for the shape's focus nodes alone (``?this``), each once."""
        return self.prefixes + f"SELECT DISTINCT ?this WHERE {self.target}"


@dataclass(frozen=True)
class Result:
    """One validation result: the fields of a SHACL ``sh:ValidationResult`` that are reported."""

    focus: str
    path: str | None
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    component: str
    message: str


@dataclass(frozen=True)
class DataGraph:
    """Where the checks find the data graph: the union of ``graphs`` of ``store`` (None: its
    default graph, as :func:`staging_store` writes it), and the graphs of what is known of its
    literals under the prefix ``marks`` instead of :data:`MARKS` (graphs of ``store`` that the
    caller drops after the checks).

    A loader checks the data where it has staged it, in the store it goes to, without a copy
    (:mod:`graph.ingest.bulk`).
    """

    store: ox.Store
    graphs: tuple[ox.NamedNode, ...] | None = None
    marks: str = MARKS

    def name(self, mark: str) -> str:
        """The IRI of the graph (or predicate) ``mark``, one of :data:`MARKS`'s, here."""
        return self.marks + mark[len(MARKS) :]

    def mark_graphs(self) -> list[str]:
        """Every graph of marks the checks may read."""
        given = [
            self.name(_GIVEN) + datatype.value + suffix
            for datatype in sorted(KEPT_AS_INTEGER, key=str)
            for suffix in ("", "-ill-typed")
        ]
        return [self.name(LITERALS), *given]

    def query(self, sparql: str) -> ox.QuerySolutions:
        """Run one of the checks' queries (written with :data:`MARKS`) over this data graph."""
        result = self._execute(sparql)
        assert isinstance(result, ox.QuerySolutions)
        return result

    def ask(self, sparql: str) -> bool:
        """The answer of an ASK query over this data graph."""
        result = self._execute(sparql)
        assert isinstance(result, ox.QueryBoolean)
        return bool(result)

    def _execute(self, sparql: str) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        if self.marks != MARKS:
            sparql = sparql.replace(MARKS, self.marks)
        arguments: dict[str, list[ox.NamedNode]] = {}
        if self.graphs is not None:
            arguments["default_graph"] = list(self.graphs)
            # those there only: each graph listed is one more lookup of every GRAPH pattern
            marks = (ox.NamedNode(g) for g in self.mark_graphs())
            arguments["named_graphs"] = [g for g in marks if self.store.contains_named_graph(g)]
        return self.store.query(sparql, **arguments)  # type: ignore[arg-type]

    def data_graphs(self) -> list[ox.NamedNode | ox.DefaultGraph]:
        """The graphs whose union is the data graph."""
        return [ox.DefaultGraph()] if self.graphs is None else list(self.graphs)


# ------------------------------------------------------------------------------------- compile


def compile_shapes(shapes: rdflib.Graph) -> tuple[Check, ...]:
    """Every constraint of the node shapes in ``shapes`` that have targets, as a :class:`Check`.

    Raises :class:`UnsupportedShape` for a feature that is not compiled (a path that is not a
    single IRI, a constraint component not listed in the module docstring, a severity other than
    ``sh:Violation``), so that a new kind of shape cannot be silently ignored.
    """
    checks: list[Check] = []
    for shape in sorted(set(shapes.subjects(RDF.type, SH.NodeShape)), key=str):
        if _deactivated(shapes, shape):
            continue
        target, prefixes = _targets(shapes, shape)
        if target is None:
            continue  # a shape without targets is only reached through others (none here)
        for predicate in set(shapes.predicates(shape)) - _NOT_CONSTRAINTS:
            if str(predicate).startswith(str(SH)):
                raise UnsupportedShape(f"{shape}: node-level {_local(predicate)} is not compiled")
        for prop in sorted(shapes.objects(shape, SH.property), key=str):
            if not _deactivated(shapes, prop):
                checks += _property_checks(shapes, shape, prop, target, prefixes)
    return tuple(checks)


def _local(iri: rdflib.term.Node) -> str:
    return re.split(r"[#/]", str(iri))[-1]


def _deactivated(shapes: rdflib.Graph, shape: rdflib.term.Node) -> bool:
    return shapes.value(shape, SH.deactivated) == rdflib.Literal(True)


def _n3(term: rdflib.term.Node) -> str:
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.Literal):
        text = _string(str(term))
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^<{term.datatype or XSD.string}>"
    raise UnsupportedShape(f"a blank node {term} as a constraint parameter is not compiled")


def _string(text: str) -> str:
    """``text`` as a SPARQL string literal (its escapes, not Python's or JSON's)."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _prefixes(shapes: rdflib.Graph, node: rdflib.term.Node) -> dict[str, str]:
    """The prefixes an ``sh:prefixes`` of ``node`` declares (SHACL 5.2.1)."""
    found = {}
    for ontology in shapes.objects(node, SH.prefixes):
        for declaration in shapes.objects(ontology, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                found[str(prefix)] = str(namespace)
    return found


def _targets(shapes: rdflib.Graph, shape: rdflib.term.Node) -> tuple[str | None, dict[str, str]]:
    """A group graph pattern binding ``?this`` to the shape's focus nodes (a node may come more
    than once: the checks select DISTINCT), and its prefixes."""
    parts = []
    prefixes: dict[str, str] = {}
    classes = list(shapes.objects(shape, SH.targetClass))
    if (shape, RDF.type, RDFS.Class) in shapes:
        classes.append(shape)  # an implicit class target
    for cls in sorted(classes, key=str):
        parts.append(f"?this {_INSTANCE_OF} {_n3(cls)} .")
    for prop in sorted(shapes.objects(shape, SH.targetSubjectsOf), key=str):
        parts.append(f"?this {_n3(prop)} [] .")
    for prop in sorted(shapes.objects(shape, SH.targetObjectsOf), key=str):
        parts.append(f"[] {_n3(prop)} ?this .")
    nodes = sorted(shapes.objects(shape, SH.targetNode), key=str)
    if nodes:
        parts.append("VALUES ?this { " + " ".join(_n3(n) for n in nodes) + " }")
    for target in shapes.objects(shape, SH.target):
        select = shapes.value(target, SH.select)
        if (target, RDF.type, SH.SPARQLTarget) not in shapes or select is None:
            raise UnsupportedShape(f"{shape}: only SPARQL targets are compiled among sh:target")
        prefixes |= _prefixes(shapes, target)
        parts.append("{ " + str(select).strip() + " }")
    if not parts:
        return None, prefixes
    return "{ " + " UNION ".join("{ " + part + " }" for part in parts) + " }", prefixes


def _declared(prefixes: dict[str, str]) -> str:
    return "".join(f"PREFIX {k}: <{v}>\n" for k, v in sorted(prefixes.items()))


def _message(shapes: rdflib.Graph, shape: rdflib.term.Node, component: str) -> str:
    messages = sorted(str(m) for m in shapes.objects(shape, SH.message))
    if not messages:
        raise UnsupportedShape(f"{shape}: a {component} without sh:message (every one has one)")
    return messages[0]


def _value_test(
    shapes: rdflib.Graph, path: str, predicate: rdflib.term.Node, obj: rdflib.term.Node
) -> str:
    """The SPARQL expression that is true when ``?value`` conforms to one value-level
    constraint; an error (incomparable values) counts as not conforming."""
    v = "?value"
    if predicate == SH["class"]:
        return f"EXISTS {{ {v} {_INSTANCE_OF} {_n3(obj)} }}"
    if predicate == SH.datatype:
        if obj == RDFS.Literal:
            return f"isLiteral({v})"
        # a literal the store keeps with another datatype than it was given is taken as given
        given = f"GRAPH ?given {{ ?this {path} {v} }}"
        as_given = f"EXISTS {{ GRAPH <{_GIVEN}{obj}> {{ ?this {path} {v} }} }}"
        as_kept = (
            f"sameTerm(DATATYPE({v}), {_n3(obj)})"
            f" && NOT EXISTS {{ GRAPH <{LITERALS}> {{ <{LITERALS}> <{_ILL_TYPED}> {v} }} }}"
        )
        return f"(isLiteral({v}) && IF(EXISTS {{ {given} }}, {as_given}, {as_kept}))"
    if predicate == SH.nodeKind:
        if not isinstance(obj, rdflib.URIRef) or obj not in _NODE_KINDS:
            raise UnsupportedShape(f"unknown sh:nodeKind {obj}")
        return _NODE_KINDS[obj].format(v=v)
    if predicate == SH["in"]:
        members = list(Collection(shapes, obj))
        tests = [f"sameTerm({v}, {_n3(m)})" for m in members]
        return "(" + (" || ".join(tests) or "false") + ")"
    if predicate == SH.pattern:
        return f"(!isBlank({v}) && REGEX(STR({v}), {_string(str(obj))}, {{flags}}))"
    if isinstance(predicate, rdflib.URIRef) and predicate in _RANGES:
        return f"COALESCE({v} {_RANGES[predicate]} {_n3(obj)}, false)"
    if predicate == SH["or"]:
        alternatives = [_member_test(shapes, path, m) for m in Collection(shapes, obj)]
        return "(" + (" || ".join(alternatives) or "false") + ")"
    raise UnsupportedShape(f"{_local(predicate)} is not compiled")


def _member_test(shapes: rdflib.Graph, path: str, member: rdflib.term.Node) -> str:
    """An ``sh:or`` member shape made of value-level constraints, as one expression."""
    tests = [
        _flagged(shapes, path, member, predicate, obj)
        for predicate, obj in sorted(shapes.predicate_objects(member))
        if predicate not in _NOT_CONSTRAINTS
    ]
    return "(" + (" && ".join(tests) or "true") + ")"


def _flagged(
    shapes: rdflib.Graph,
    path: str,
    shape: rdflib.term.Node,
    predicate: rdflib.term.Node,
    obj: rdflib.term.Node,
) -> str:
    flags = shapes.value(shape, SH.flags)
    return _value_test(shapes, path, predicate, obj).replace(
        "{flags}", _string(str(flags) if flags is not None else "")
    )


def _classes(
    shapes: rdflib.Graph, predicate: rdflib.term.Node, obj: rdflib.term.Node
) -> list[rdflib.term.Node] | None:
    """The classes a value must be an instance of one of, where that is all the constraint
    asks (``sh:class``, or ``sh:or`` of shapes that are each one ``sh:class``); else None."""
    if predicate == SH["class"]:
        return [obj]
    if predicate != SH["or"]:
        return None
    classes = []
    for member in Collection(shapes, obj):
        asks = [(p, o) for p, o in shapes.predicate_objects(member) if p not in _NOT_CONSTRAINTS]
        if len(asks) != 1 or asks[0][0] != SH["class"]:
            return None
        classes.append(asks[0][1])
    return classes or None


def _without(target: str, pattern: str) -> str:
    """The focus nodes of ``target`` for which ``pattern`` has no match.

    One index lookup per focus node (``FILTER NOT EXISTS``), streamed: a ``MINUS`` held the
    subjects of the whole path in a hash table first (260 MB for ``rg:from`` at 11.4M triples),
    memory that grew with the file.

    >>> _without("{ ?this a <C> }", "?this <p> ?v")
    '{ ?this a <C> } FILTER NOT EXISTS { ?this <p> ?v }'
    """
    return f"{target} FILTER NOT EXISTS {{ {pattern} }}"


#: Up to this many values, :func:`_more_than` joins the path with itself instead of grouping.
_JOINED_UP_TO = 2


def _more_than(path: str, count: int) -> str:
    """A graph pattern binding ``?this`` to each node with more than ``count`` distinct values
    on ``path`` (a node more than once).

    For small counts (all the shapes give: 0 and 1) the path joined with itself, each join
    one index lookup per value: the engine streams it, an ASK stops at the first breach and
    nothing is held per node. A ``GROUP BY ?this`` held a set of values for every node of the
    path, memory that grew with the file (13 MB at 1.1M triples for ``rg:from``). Distinct
    values are distinct terms (``sameTerm``), as ``COUNT(DISTINCT)`` counts them.

    >>> _more_than("<p>", 1)
    '?this <p> ?v0 . ?this <p> ?v1 . FILTER (!sameTerm(?v0, ?v1))'
    """
    if count > _JOINED_UP_TO:
        return (
            f"{{ SELECT ?this WHERE {{ ?this {path} ?v }} GROUP BY ?this"
            f" HAVING (COUNT(DISTINCT ?v) > {count}) }}"
        )
    values = [f"?v{i}" for i in range(count + 1)]
    joined = " ".join(f"?this {path} {v} ." for v in values)
    pairs = [f"!sameTerm({a}, {b})" for i, a in enumerate(values) for b in values[i + 1 :]]
    return joined + (f" FILTER ({' && '.join(pairs)})" if pairs else "")


def _count(obj: rdflib.term.Node) -> int:
    """The whole number a cardinality constraint gives."""
    if not isinstance(obj, rdflib.Literal) or not isinstance(obj.value, int):
        raise UnsupportedShape(f"a count that is not a whole number: {obj}")
    return obj.value


def _component(predicate: rdflib.term.Node) -> str:
    name = _local(predicate)
    return (
        "SPARQLConstraintComponent"
        if name == "sparql"
        else (name[0].upper() + name[1:] + "ConstraintComponent")
    )


def _property_checks(
    shapes: rdflib.Graph,
    node_shape: rdflib.term.Node,
    prop: rdflib.term.Node,
    target: str,
    prefixes: dict[str, str],
) -> list[Check]:
    path = shapes.value(prop, SH.path)
    if not isinstance(path, rdflib.URIRef):
        raise UnsupportedShape(f"{node_shape}: only single-IRI sh:path values are compiled")
    severity = shapes.value(prop, SH.severity)
    if severity not in (None, SH.Violation):
        raise UnsupportedShape(f"{node_shape}: only sh:Violation results are compiled")
    p = f"<{path}>"
    declared = _declared(prefixes)
    # each focus node once, for the checks whose results are counted per focus node
    once = f"{{ SELECT DISTINCT ?this WHERE {target} }}"
    checks = []
    for predicate, obj in sorted(shapes.predicate_objects(prop)):
        if predicate in _NOT_CONSTRAINTS:
            continue
        component = _component(predicate)
        message_from = prop
        read: tuple[str, ...] = (str(path),)
        # ``breach``: a pattern of the breaches, looked for from each focus node; where
        # ``screened``, one ASK first asks whether there is any among every node of the path,
        # and the focus nodes are not even looked for where there is none
        head, pattern, tail, per_focus = "SELECT DISTINCT ?this ?value", "", "", None
        breach, screened = None, True
        classes = _classes(shapes, predicate, obj)
        if predicate == SH.minCount and _count(obj) == 1:
            head, pattern = "SELECT DISTINCT ?this", _without(target, f"?this {p} ?v")
        elif predicate == SH.minCount:
            head, pattern = "SELECT ?this", f"{once} OPTIONAL {{ ?this {p} ?v }}"
            tail = f" GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {_count(obj)})"
        elif predicate == SH.maxCount:
            head, breach = "SELECT DISTINCT ?this", _more_than(p, _count(obj))
        elif predicate == SH.hasValue:
            head, pattern = "SELECT DISTINCT ?this", _without(target, f"?this {p} {_n3(obj)}")
        elif predicate == SH.lessThanOrEquals:
            # one result per pair of values, as pyshacl gives
            head = "SELECT DISTINCT ?this ?value ?other"
            breach = (
                f"?this {p} ?value . ?this {_n3(obj)} ?other ."
                " FILTER (!COALESCE(?value <= ?other, false))"
            )
            read = (str(path), str(obj))
        elif predicate == SH.sparql:
            select = shapes.value(obj, SH.select)
            if select is None:
                raise UnsupportedShape(f"{node_shape}: a SPARQL constraint without sh:select")
            declared = _declared(prefixes | _prefixes(shapes, obj))
            if (obj, SH.message, None) in shapes:
                message_from = obj  # the constraint's own message wins over the shape's
            constraint = "{ " + re.sub(r"\$PATH\b", p, str(select).strip()) + " }"
            head, pattern = "SELECT ?this ?value", f"{once} {constraint}"
            # SHACL pre-binds $this: run per focus set (VALUES), not over every node and join
            per_focus = declared + f"{head} WHERE {{ VALUES ?this {{ {{}} }} {constraint} }}"
        elif classes is not None:
            # a lookup of each value's classes: a MINUS of the classes' instances held every
            # instance in a hash table (68 MB at 11.4M triples); no screen, as the nodes of a
            # path shared by shapes with other classes (rg:from of each relation kind) break it
            allowed = " ".join(_n3(c) for c in classes)
            breach = (
                f"?this {p} ?value . FILTER NOT EXISTS {{ ?value {_INSTANCE_OF} ?class ."
                f" VALUES ?class {{ {allowed} }} }}"
            )
            screened = False
        else:
            breach = f"?this {p} ?value . FILTER (!{_flagged(shapes, p, prop, predicate, obj)})"
        if breach is not None:
            # in one group with the focus nodes, the engine looks for each one's breaches as it
            # finds it (streamed); the breaches as a group of their own were a hash join with
            # the focus nodes (+152 MB at 11.4M triples for rg:from of the funding flows)
            pattern = f"{target} {breach}"
        query = declared + f"{head} WHERE {{ {pattern} }}{tail}"
        checks.append(
            Check(
                shape=f"{node_shape} {path}",
                component=component,
                path=str(path),
                message=_message(shapes, message_from, component),
                query=query,
                target=target,
                prefixes=_declared(prefixes),
                values="?value" in head,
                reads=read,
                per_focus=per_focus,
                screen=declared + f"ASK {{ {breach} }}" if breach and screened else None,
            )
        )
    return checks


# ----------------------------------------------------------------------------------------- run


def ill_typed(literal: ox.Literal) -> bool:
    """Whether rdflib (and so pyshacl) takes ``literal`` as not of its own datatype: a lexical
    form rdflib cannot read, or a value of another Python type than the datatype's.

    >>> ill_typed(ox.Literal("2024-02-30", datatype=ox.NamedNode(str(XSD.date))))
    True
    >>> ill_typed(ox.Literal("2024-02-29", datatype=ox.NamedNode(str(XSD.date))))
    False
    """
    term = to_rdflib(literal)
    assert isinstance(term, rdflib.Literal)
    if term.ill_typed:
        return True
    expected = _VALUE_TYPES.get(term.datatype or XSD.string)
    return expected is not None and not isinstance(term.value, expected)


def staging_store(triples: Iterable[ox.Triple]) -> ox.Store:
    """An in-memory store whose default graph holds ``triples``: the data graph to check."""
    store = ox.Store()
    default = ox.DefaultGraph()
    given: list[ox.Triple] = []

    def quads() -> Iterator[ox.Quad]:
        for t in triples:
            if isinstance(t.object, ox.Literal) and t.object.datatype in KEPT_AS_INTEGER:
                given.append(t)
            yield ox.Quad(t.subject, t.predicate, t.object, default)

    store.bulk_extend(quads())
    store.extend(given_marks(given, DataGraph(store)))
    return store


def given_marks(given: Iterable[ox.Triple], data: DataGraph) -> Iterator[ox.Quad]:
    """The marks of the triples ``given`` whose literal's datatype is one of
    :data:`KEPT_AS_INTEGER` as the input gave it, for the checks of ``data``, streamed.

    rdflib reads each distinct literal once among the last ones (:func:`_recently`; counts
    repeat: 62,272 literals of a 3.8M-triple synthetic file took 8.7 s, each read)."""
    read = _recently(ill_typed)
    for t in given:
        assert isinstance(t.object, ox.Literal)
        graph = data.name(_GIVEN) + t.object.datatype.value
        graph += "-ill-typed" if read(t.object) else ""
        yield ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))


#: How many distinct literals :func:`read_as_rdflib` remembers having read (a few MB).
READ_AT_ONCE = 65_536

_T = TypeVar("_T")


def _recently(reading: Callable[[ox.Literal], _T]) -> Callable[[ox.Literal], _T]:
    """``reading`` with its answers for the last :data:`READ_AT_ONCE` distinct literals kept:
    a literal met again soon (a date, a boolean, a count) is read by rdflib once, and memory
    is bounded by that, not by the file."""
    return functools.lru_cache(maxsize=READ_AT_ONCE)(reading)


def _as_rdflib_reads(literal: ox.Literal) -> ox.Literal | None:
    """None where rdflib takes ``literal`` as ill-typed; else the literal rdflib reads, as the
    store keeps it (``literal`` itself where both read it alike)."""
    if ill_typed(literal):
        return None
    form = str(to_rdflib(literal))
    if form == literal.value:
        return literal
    return _as_stored(ox.Literal(form, datatype=literal.datatype))


#: What :func:`read_as_rdflib` changed in the data graph: (quad removed, quad added, whether
#: the added one was new), for :func:`undo`.
Changes = list[tuple[ox.Quad, ox.Quad, bool]]


def read_as_rdflib(data: ox.Store | DataGraph, checks: Iterable[Check]) -> Changes:
    """Make the data graph of ``data`` hold the literals the checks read as rdflib (and so
    pyshacl) reads them; returns what it changed (see :func:`undo`).

    oxigraph and rdflib each keep a literal of a datatype they know by its value, but accept
    different lexical forms: "2024-01-05"^^xsd:dateTime is not a dateTime to oxigraph and
    midnight of that day to rdflib; "2024-02-30"^^xsd:date is ill-typed to both. So each
    distinct literal on a path the checks read is read by rdflib: one it takes as ill-typed
    is listed in :data:`LITERALS` (``sh:datatype`` consults it); one it reads as another value
    than oxigraph does is replaced, in the data graph, by rdflib's normal form of it.

    The literals are streamed from the engine, not selected DISTINCT (the engine's set of
    every distinct literal grew with the file: 64 MB at 1.1M triples); rdflib's readings of
    the last :data:`READ_AT_ONCE` distinct literals are kept (:func:`_recently`). What is kept
    beyond them is what rdflib reads otherwise (the marks and the replacements).
    """
    data = data if isinstance(data, DataGraph) else DataGraph(data)
    paths = sorted({path for check in checks for path in check.reads})
    if not paths:
        return []
    query = (
        "SELECT ?o WHERE { VALUES ?p { " + " ".join(f"<{p}>" for p in paths) + " }"
        " ?s ?p ?o FILTER (isLiteral(?o)) }"
    )
    graph, ill = ox.NamedNode(data.name(LITERALS)), ox.NamedNode(data.name(_ILL_TYPED))
    marks: dict[ox.Quad, None] = {}
    read_otherwise: dict[ox.Literal, ox.Literal] = {}
    read = _recently(_as_rdflib_reads)
    string = ox.NamedNode(str(XSD.string))
    for (literal,) in data.query(query):
        # xsd:string and language-tagged literals are always what they say: left out here, not
        # in the query (the engine's DATATYPE and LANG took 14.7 s of a 3.8M-triple graph's
        # scan against 6.6 s for isLiteral alone)
        if literal.datatype == string or literal.language:
            continue
        normal = read(literal)
        if normal is None:
            marks[ox.Quad(graph, ill, literal, graph)] = None
        elif normal != literal:
            read_otherwise[literal] = normal
    changes: Changes = []
    store = data.store
    for written, normal in read_otherwise.items():
        for name in data.data_graphs():
            for quad in list(store.quads_for_pattern(None, None, written, name)):
                added = ox.Quad(quad.subject, quad.predicate, normal, name)
                changes.append((quad, added, added not in store))
                store.remove(quad)
                store.add(added)
    if marks:
        store.extend(marks)
    return changes


def undo(store: ox.Store, changes: Changes) -> None:
    """Put back in ``store`` the literals that :func:`read_as_rdflib` changed: the data graph
    holds what it was given again."""
    for removed, added, new in reversed(changes):
        if new:
            store.remove(added)
        store.add(removed)


_SCRATCH = ox.Store()
_SCRATCH_LOCK = threading.Lock()
_HERE = ox.NamedNode("urn:x-recruitgraph:validation:here")


def _as_stored(literal: ox.Literal) -> ox.Literal:
    """``literal`` as oxigraph keeps it ("12.50"^^xsd:decimal as 12.5)."""
    with _SCRATCH_LOCK:
        _SCRATCH.add(ox.Quad(_HERE, _HERE, literal))
        (quad,) = _SCRATCH.quads_for_pattern(_HERE, _HERE, None)
        _SCRATCH.remove(quad)
    assert isinstance(quad.object, ox.Literal)
    return quad.object


#: How many checks run at once: the engine runs a query without holding the GIL (two threads
#: ran four sh:maxCount screens of a 3.8M-triple graph in 5.0 s against 10.9 s one after the
#: other). The CPUs this process may use (Linux; elsewhere 1), at most 4: each running query
#: holds what it reads.
THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def run_checks(
    data: ox.Store | DataGraph,
    checks: tuple[Check, ...],
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """The results of ``checks`` over the data graph of ``data`` (a store: its default graph,
    see :func:`staging_store`), in no particular order; :data:`THREADS` checks at a time.
    ``progress`` is told (checks done, total). The data graph is left as it was (see
    :func:`undo`)."""
    data = data if isinstance(data, DataGraph) else DataGraph(data)
    changes = read_as_rdflib(data, checks)
    plain = not data.ask(f"ASK {{ ?class <{RDFS.subClassOf}> ?super }}")
    screened: dict[str, bool] = {}
    asking: dict[str, threading.Lock] = {}

    def asked(screen: str) -> bool:
        # each screen asked once, for every check that asks it; the others wait for it
        with asking.setdefault(screen, threading.Lock()):
            if screen not in screened:
                screened[screen] = data.ask(screen)
        return screened[screen]

    def results(check: Check) -> list[Result]:
        # a check can have results only where the shape has focus nodes and, if it has a
        # screen, the screen finds a breach
        screens = [check.prefixes + f"ASK {check.target}", check.screen]
        if all(asked(_plain(screen, plain)) for screen in screens if screen is not None):
            return list(_run(data, check, plain))
        return []

    found: list[Result] = []
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            running = [pool.submit(results, check) for check in checks]
            try:
                for done, finished in enumerate(as_completed(running), 1):
                    found += finished.result()
                    if progress is not None:
                        progress(done, len(checks))
            finally:
                for future in running:
                    future.cancel()  # where a check failed or the caller stops: none begins
    finally:
        undo(data.store, changes)
    return found


def _run(data: DataGraph, check: Check, plain: bool) -> Iterator[Result]:
    query = check.query
    if check.per_focus is not None:
        focus = [row["this"] for row in data.query(_plain(check.targets, plain))]
        if not focus:
            return
        # a blank node in a query is a variable, not that node: those sets take the join
        if all(isinstance(node, ox.NamedNode) for node in focus):
            query = check.per_focus.replace("{}", " ".join(str(node) for node in focus), 1)
    for row in data.query(_plain(query, plain)):
        focus = row["this"]
        if focus is None:
            continue
        value = row["value"] if check.values else None
        yield Result(
            focus=focus.value,
            path=check.path,
            value=value,
            component=check.component,
            message=_filled(check.message, row),
        )


def _plain(query: str, plain: bool) -> str:
    """``query`` with ``rdf:type`` alone for :data:`_INSTANCE_OF` where ``plain``."""
    return query.replace(_INSTANCE_OF, f"<{RDF.type}>") if plain else query


#: ``{?name}`` or ``{$name}`` in a SPARQL constraint's message: that variable's value (SHACL 5.3.2).
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def _filled(message: str, row: ox.QuerySolution) -> str:
    def bound(match: re.Match[str]) -> str:
        try:
            term = row[match[1]]
        except (KeyError, IndexError, TypeError):
            return match[0]  # not a variable of the query: left as written
        return term.value if term is not None else ""

    return _TEMPLATE.sub(bound, message)
