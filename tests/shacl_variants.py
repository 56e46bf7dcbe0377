"""The default dataset broken check by check, and the two validators' reports keyed alike:
shared by tests/test_shacl_sparql.py (against pyshacl) and tests/test_bulk_ingest.py (the bulk
path against the compiled checks)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from functools import cache

import pyoxigraph as ox
from rdflib import Literal
from rdflib.namespace import SH
from rdflib.term import Node

from graph.ingest.load import dataset_description, read_inputs, shipped_actors, shipped_claims
from graph.ingest.shacl_sparql import (
    Check,
    ill_typed,
    run_checks,
    staging_store,
)
from graph.ingest.validation import (
    Problem,
    pyshacl_results,
    shape_checks,
)
from graph.model.namespaces import RG, XSD
from graph.model.ontology import shapes_graph
from graph.model.rdfterms import rdflib_graph, to_rdflib
from graph.model.reference import reference_triples

Key = tuple[str | None, str | None, str | None, str | None, str]


def report(problems: list[Problem]) -> Counter[Key]:
    return Counter((p.focus, p.path, p.value, p.rule, p.message) for p in problems)


def both(triples: list[ox.Triple]) -> tuple[Counter[Key], Counter[Key]]:
    """(pyshacl's report, the compiled one's) of the data graph ``triples`` (the reference
    triples included). A value is compared as the store keeps it: oxigraph keeps a literal of
    a datatype it knows by its value ("12.50"^^xsd:decimal comes back 12.5) and rdflib by its
    own normal form ("01" is 1), so both sides go through both before they are compared."""
    reference = Counter(
        keyed(problem.focus, problem.path, term, problem.rule, problem.message, str(term))
        for problem, term in pyshacl_results(rdflib_graph(triples), with_reference=False)
    )
    compiled = Counter(
        keyed(r.focus, r.path, None if r.value is None else to_rdflib(r.value), r.component,
              r.message, None if r.value is None else r.value.value)
        for r in run_checks(staging_store(triples), shape_checks())
    )  # fmt: skip
    return reference, compiled


_CANONICAL = ox.Store()


def keyed(
    focus: str | None,
    path: str | None,
    term: Node | None,
    rule: str | None,
    message: str,
    quoted: str | None,
) -> Key:
    """A result with its value as oxigraph keeps rdflib's normal form of it, and that form in
    its message where the message quotes the value (as ``quoted``)."""
    if term is None:
        return (focus, path, None, rule, message)
    written = str(term)
    if isinstance(term, Literal):
        here = ox.NamedNode("https://example.org/canonical")
        datatype = ox.NamedNode(str(term.datatype or XSD + "string"))
        literal = (
            ox.Literal(written, language=term.language)
            if term.language
            else ox.Literal(written, datatype=datatype)
        )
        _CANONICAL.add(ox.Quad(here, here, literal))
        (quad,) = _CANONICAL.quads_for_pattern(here, here, None)
        _CANONICAL.remove(quad)
        value = quad.object.value
    else:
        value = written
    return (focus, path, value, rule, message.replace(f'"{quoted}"', f'"{value}"'))


def compared_paths() -> dict[str, str]:
    """The paths that sh:lessThanOrEquals compares, each with the path it is compared to."""
    shapes = shapes_graph()
    return {
        str(shapes.value(shape, SH.path)): str(other)
        for shape, other in shapes.subject_objects(SH.lessThanOrEquals)
    }


def incomparable(triples: list[ox.Triple], key: Key) -> bool:
    """A sh:lessThanOrEquals result for values of different datatypes (xsd:date against
    xsd:dateTime or xsd:integer). SHACL 4.5.4 makes each such pair a result ("or where the two
    values cannot be compared"), as the compiled check does; pyshacl 0.40 reports some (an
    integer against a date) and not others (a date against a dateTime). The data breaks
    sh:datatype there as well, so the verdict (refused) is the same under both; these are
    compared with the standard in the test below instead."""
    focus, path, _, rule, _ = key
    if rule != "LessThanOrEqualsConstraintComponent":
        return False
    other = compared_paths()[path or ""]
    kinds = {
        t.object.datatype.value
        for t in triples
        if t.subject.value == focus
        and t.predicate.value in (path, other)
        and isinstance(t.object, ox.Literal)
    }
    return len(kinds) > 1


def unreadable(triples: list[ox.Triple]) -> set[tuple[str, str]]:
    """(focus, path) of the values rdflib takes as ill-typed. pyshacl's checks other than
    sh:datatype see rdflib's reading of those: " true"^^xsd:boolean is the text "false" to its
    sh:pattern, "-1"^^xsd:nonNegativeInteger passes sh:minInclusive 0 (compared as text); the
    compiled checks see the value as written, or as the store keeps it (-1). Either way such a
    value breaks a check there, so the verdict (refused) is the same."""
    return {
        (t.subject.value, t.predicate.value)
        for t in triples
        if isinstance(t.object, ox.Literal) and not t.object.language and ill_typed(t.object)
    }


def assert_same(triples: list[ox.Triple]) -> Counter[Key]:
    reference, compiled = both(triples)
    unread = unreadable(triples)

    def comparable(report: Counter[Key]) -> Counter[Key]:
        return Counter(
            {
                k: n
                for k, n in report.items()
                if not incomparable(triples, k)
                and ((k[0], k[1]) not in unread or k[3] == "DatatypeConstraintComponent")
            }
        )

    # where values are unreadable to rdflib, both refuse: each reports a result there
    at = {(k[0], k[1]) for k in reference} & unread
    assert at == {(k[0], k[1]) for k in compiled} & unread
    reference, compiled = comparable(reference), comparable(compiled)
    assert compiled - reference == Counter(), "reported by the compiled checks alone"
    assert reference - compiled == Counter(), "reported by pyshacl alone"
    return reference


@cache
def base() -> tuple[ox.Triple, ...]:
    """The default dataset as one load would validate it: data and its description (four
    descriptions: one to break for each check of a property)."""
    parsed = read_inputs([shipped_actors(), shipped_claims()], "claims")
    descriptions = [
        triple
        for name in ("claims", "claims-2", "claims-3", "claims-4")
        for triple in dataset_description(
            name, checksum=parsed.checksum, files=parsed.files, triples=len(parsed.triples)
        )
    ]
    return (*parsed.triples, *descriptions)


def typed(text: str, datatype: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(XSD + datatype))


#: Lexical forms per datatype: well-formed, ill-formed and the edges between (signs, leading
#: zeros, exponents, time zones, whitespace, other spellings of booleans).
LEXICAL = {
    "date": ["2024-02-29", "2023-02-29", "2024-02-30", "2024-13-01", "2024-1-5", "20240105",
             "2024-01-05Z", "2024-01-05+03:00", " 2024-01-05", "-0001-01-01", "tomorrow", ""],
    "dateTime": ["2024-01-05T10:00:00", "2024-01-05T10:00:00Z", "2024-01-05", "2024-01-05T25:00:00",
                 "2024-01-05T10:00", "yesterday"],
    "integer": ["0", "-0", "+7", "007", "-3", "1.0", "1e3", " 5", "five", ""],
    "nonNegativeInteger": ["0", "12", "+4", "-1", "-0", "3.5", "x"],
    "decimal": ["0", "12.50", "-5", "+.5", "1e3", "1,5", "12O", ""],
    "boolean": ["true", "false", "1", "0", "TRUE", "yes", " true", ""],
    "string": ["", "c001", "RUB", "a b"],
    "anyURI": ["https://example.org/r", "urn:x:1", "ftp://example.org", "https://a b",
               "https://example.org/\u00a0x", "not a uri", ""],
}  # fmt: skip


def pool() -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
    """Terms a value may be replaced with: every lexical form above, and terms of other kinds."""
    terms: list[ox.NamedNode | ox.BlankNode | ox.Literal] = [
        typed(text, datatype) for datatype, texts in LEXICAL.items() for text in texts
    ]
    terms += [
        ox.NamedNode("https://example.org/unknown"),
        ox.NamedNode(RG + "HighConfidence"),
        ox.NamedNode(RG + "Transfer"),
        ox.BlankNode("pooled"),
        ox.Literal("text", language="en"),
        ox.Literal("ZZZ"),
        ox.Literal("-1", datatype=ox.NamedNode(XSD + "double")),
        ox.Literal("1999-12-31", datatype=ox.NamedNode(XSD + "date")),
        ox.Literal("2999-12-31", datatype=ox.NamedNode(XSD + "date")),
        ox.Literal("2024-03-15", datatype=ox.NamedNode(XSD + "date")),
    ]
    return terms


def rows(store: ox.Store, query: str) -> Iterator[ox.QuerySolution]:
    yield from store.query(query)  # type: ignore[misc]


def focus_nodes(store: ox.Store, check: Check) -> list[ox.NamedNode | ox.BlankNode]:
    return sorted((row["this"] for row in rows(store, check.targets)), key=str)


def breaks(store: ox.Store, check: Check, node: ox.NamedNode | ox.BlankNode) -> bool:
    """Whether ``check`` now reports ``node`` (the compiled check only picks the case; pyshacl
    then judges the whole variant)."""
    return any(r.focus == node.value for r in run_checks(store, (check,)))


@cache  # shared with tests/test_bulk_ingest.py
def broken_variant(seed: int) -> tuple[list[ox.Triple], list[Check]]:
    """The default dataset with every check broken once, each at a focus node of its own: a
    value removed, added or replaced by a term of the pool (tried in an order ``seed`` sets);
    and the checks no such change broke."""
    rng = random.Random(seed)
    store = staging_store([*base(), *reference_triples()])
    default = ox.DefaultGraph()
    terms = pool()
    subjects = sorted({t.subject for t in base()}, key=str)
    compared = compared_paths()
    used: set[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]] = set()
    unbroken = []
    for check in shape_checks():
        path = ox.NamedNode(check.path or "")
        reads = [ox.NamedNode(read) for read in check.reads]
        nodes = [n for n in focus_nodes(store, check) if all((n, r) not in used for r in reads)]
        rng.shuffle(nodes)
        candidates = rng.sample(terms, len(terms))
        if check.path in compared or check.path in compared.values():
            # pyshacl 0.40 raises TypeError comparing an ill-typed date (test below)
            candidates = [t for t in candidates if not (isinstance(t, ox.Literal) and ill_typed(t))]
        if check.component == "LessThanOrEqualsConstraintComponent":
            # values of the datatype already there: a pair SHACL and pyshacl both compare
            kinds = {
                q.object.datatype for n in nodes for q in store.quads_for_pattern(n, path, None)
            }
            candidates = [t for t in candidates if getattr(t, "datatype", None) in kinds]
        if check.component in ("MinCountConstraintComponent", "HasValueConstraintComponent"):
            tries = [(node, [], True) for node in nodes[:20]]
        else:
            # a value replaced, or values added (a second one, or one that makes the node a
            # focus of the shape); the first change that breaks the check is kept
            tries = [(node, [term], replace) for node in nodes[:8] for term in candidates[:40]
                     for replace in (True, False)]  # fmt: skip
            tries += [(node, candidates[i : i + 3], False) for node in nodes[:8] for i in (0, 3)]
            tries += [(rng.choice(subjects), [term], False) for term in candidates for _ in (1, 2)]
        for node, added, replace in tries:
            if any((node, read) in used for read in reads) or isinstance(node, ox.Literal):
                continue
            old = list(store.quads_for_pattern(node, path, None, default)) if replace else []
            for quad in old:
                store.remove(quad)
            new = [ox.Quad(node, path, term, default) for term in added]
            store.extend(new)
            if breaks(store, check, node):
                # what the check reads there stays as broken (a date compared with another)
                used |= {(node, read) for read in reads}
                break
            for quad in new:
                store.remove(quad)
            store.extend(old)
        else:
            unbroken.append(check)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, default)
    ]
    return triples, unbroken
