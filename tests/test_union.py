"""The engine's union of every graph stands for a caller's default graph only where the
answers are the same (issue 14, item 1: the union mode's speed, with descriptions in graphs of
their own): the reader of a query's patterns, the rules, and the answers on a real store."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.ingest.load import load_default_dataset, load_files
from graph.model.namespaces import DATASET, PREFIXES, RDF
from graph.sparql.patterns import Literal, Variable, default_graph_patterns
from graph.sparql.patterns import Path as PathPattern
from graph.sparql.union import matches_only_visible, union_serves
from graph.store import EmbeddedStore
from graph.store.hidden import HiddenTriples
from graph.store.stores import dataset_graphs

RG = PREFIXES["rg"]
RDFS = PREFIXES["rdfs"]


# -- the reader


def _patterns(text: str) -> list[tuple[object, ...]]:
    group = default_graph_patterns(text, PREFIXES)
    assert group is not None, text
    return [tuple(p) for g in group.walk() for p in g.patterns]


def test_the_reader_lists_each_pattern_with_its_iris_resolved() -> None:
    text = (
        "PREFIX ex: <http://example.org/>\n"
        "SELECT ?f (SUM(?a) AS ?t) WHERE { ?f a rg:FundingFlow ; rg:from ?p, ex:q ; "
        'schema:amount ?a . ?p rdfs:label "x"@en. FILTER(?a > 1) } GROUP BY ?f'
    )
    assert _patterns(text) == [
        (Variable("f"), RDF + "type", RG + "FundingFlow"),
        (Variable("f"), RG + "from", Variable("p")),
        (Variable("f"), RG + "from", "http://example.org/q"),
        (Variable("f"), PREFIXES["schema"] + "amount", Variable("a")),
        (Variable("p"), RDFS + "label", Literal()),
    ]


def test_nested_groups_are_groups_of_their_own() -> None:
    text = (
        "SELECT * { ?x a rg:A { ?x rg:b ?y } UNION { ?x rg:c ?y } OPTIONAL { ?x rg:d ?z } "
        "MINUS { ?x rg:e 1 } { SELECT ?x { ?x rg:f ?w } } BIND(1 AS ?v) VALUES ?u { 1 2 } }"
    )
    group = default_graph_patterns(text, PREFIXES)
    assert group is not None
    assert [p.predicate for p in group.patterns] == [RDF + "type"]
    inner = [[p.predicate for p in g.patterns] for g in group.walk()][1:]
    assert [RG + "b"] in inner and [RG + "c"] in inner and [RG + "d"] in inner
    assert [RG + "e"] in inner and [RG + "f"] in inner


def test_graph_blocks_match_named_graphs_and_are_left_out() -> None:
    assert _patterns("SELECT * { GRAPH ?g { ?s ?p ?o } ?s rg:a ?o }") == [
        (Variable("s"), RG + "a", Variable("o"))
    ]


def test_a_relative_iri_is_a_variable_of_its_own() -> None:
    """It resolves against a base (the query's, or the endpoint's URL) not followed here."""
    assert _patterns("BASE <http://example.org/> SELECT * { <s> <p> ?o . ?o rg:q <s> }") == [
        (Variable("<s>"), Variable("<p>"), Variable("o")),
        (Variable("o"), RG + "q", Variable("<s>")),
    ]


def test_paths_keep_their_iris_and_their_kind() -> None:
    [(_, path, _)] = _patterns("SELECT * { ?x rg:partOf+/^rdfs:label ?y }")
    assert path == PathPattern(frozenset({RG + "partOf", RDFS + "label"}), False, False)
    [(_, path, _)] = _patterns("SELECT * { ?x rg:partOf* ?y }")
    assert isinstance(path, PathPattern) and path.zero_length
    [(_, path, _)] = _patterns("SELECT * { ?x !rdf:type ?y }")
    assert isinstance(path, PathPattern) and path.negated


@pytest.mark.parametrize(
    "text",
    [
        "DESCRIBE <http://example.org/x>",
        "SELECT * FROM <http://example.org/g> { ?s ?p ?o }",
        "SELECT * { ?s <relative>/rg:p ?o }",
        "SELECT * { ?s ?p ?o FILTER EXISTS { ?s a ?t } }",
        "SELECT * { ?s ?p ?o FILTER NOT EXISTS { ?s a ?t } }",
        "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * { ?s rg:p [ rg:q ?o ] }",
        "SELECT * { ?s rg:p ( 1 2 ) }",
        'SELECT * { ?s rg:p "\\u0041" }',
        "SELECT * { ?s undeclared:p ?o }",
        "SELECT * { ?s rg:p ?o ",
        "SELECT (EXISTS { ?s a ?t } AS ?e) { ?s rg:p ?o }",
        "SELECT * { ?s ?p ?o FILTER(?o < <x#y>) }",
    ],
)
def test_what_the_reader_does_not_know_is_none(text: str) -> None:
    assert default_graph_patterns(text, PREFIXES) is None


# -- the rules

_HIDDEN = HiddenTriples(
    predicates=frozenset({RDF + "type", "urn:title", "urn:level"}),
    objects=frozenset({(RDF + "type", "urn:Dataset"), ("urn:level", "urn:public")}),
    literal_predicates=frozenset({"urn:title"}),
    subjects=frozenset({"urn:dataset"}),
    nodes=frozenset({"urn:dataset", "urn:Dataset", "urn:public"}),
    private=True,
)


@pytest.mark.parametrize(
    ("text", "visible_only"),
    [
        ("SELECT * { ?s <urn:from> ?o }", True),  # (a)
        ("SELECT * { ?s a <urn:Flow> }", True),  # (b)
        ("SELECT * { ?s a <urn:Dataset> }", False),
        ("SELECT * { ?s <urn:level> 'x' }", True),  # (b): only IRIs are levels
        ("SELECT * { ?s <urn:title> 'x' }", False),
        ("SELECT * { <urn:actor> ?p ?o }", True),  # (c)
        ("SELECT * { <urn:dataset> ?p ?o }", False),
        ("SELECT * { ?s ?p ?o }", False),
        ("SELECT * { ?s a ?t }", False),
        ("SELECT * { ?s a ?t . ?s <urn:from> ?x }", True),  # (d)
        ("SELECT * { ?x <urn:from> ?s . ?s ?p ?o }", True),  # (d): bound as an object
        ("SELECT * { ?s a ?t OPTIONAL { ?s <urn:from> ?x } }", False),  # not in its group
        ("SELECT * { ?s <urn:from> ?x OPTIONAL { ?s a ?t } }", False),
        ("SELECT * { ?s <urn:from>* ?o }", False),  # every node of the graph
        ("SELECT * { ?s <urn:from>* <urn:actor> }", True),
        ("SELECT * { ?s <urn:from>* <urn:Dataset> }", False),
        ("SELECT * { ?s <urn:from>/<urn:title> ?o }", False),
        ("SELECT * { ?s <urn:from>/<urn:to> ?o }", True),
        ("SELECT * { ?s !<urn:from> ?o }", False),
        ("SELECT * { ?s ^a ?o . ?o <urn:from> ?x }", False),  # a path's subject is no proof
    ],
)
def test_the_rules(text: str, visible_only: bool) -> None:
    assert matches_only_visible(default_graph_patterns(text, {}), _HIDDEN) is visible_only


def test_rule_d_needs_the_hidden_subjects_private() -> None:
    text = "SELECT * { ?s a ?t . ?s <urn:from> ?x }"
    shared = dataclasses.replace(_HIDDEN, private=False)
    assert matches_only_visible(default_graph_patterns(text, {}), _HIDDEN)
    assert not matches_only_visible(default_graph_patterns(text, {}), shared)


# -- the answers on a store: the same whether the union serves or not

QUERIES = [
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "SELECT ?s ?t { ?s a ?t }",
    "SELECT ?kind ?currency (SUM(?amount) AS ?total) (COUNT(?flow) AS ?flows) WHERE { "
    "?flow a rg:FundingFlow ; rg:from ?payer ; schema:amount ?amount ; schema:currency "
    "?currency . ?payer a ?kind } GROUP BY ?kind ?currency",
    "SELECT ?actor ?label WHERE { ?actor rdfs:label ?label }",
    "SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p",
    "SELECT ?t (COUNT(*) AS ?n) { ?s dcterms:title ?t } GROUP BY ?t",
    "SELECT ?s ?o { ?s rdfs:label ?l . ?s ?p ?o }",
    "SELECT ?s { ?s rg:accessLevel ?l }",
    "SELECT ?x ?y { ?x org:subOrganizationOf* ?y }",
    "SELECT ?x { ?x org:subOrganizationOf* <https://w3id.org/recruitgraph/id/federal-body/"
    "kremlin> }",
    "SELECT ?s ?t { ?s a ?t OPTIONAL { ?s rdfs:label ?l } }",
    "SELECT ?s ?t { ?s rdfs:label ?l OPTIONAL { ?s a ?t } }",
    "SELECT (COUNT(*) AS ?n) { { ?s a rg:Dataset } UNION { ?s rdfs:label ?l } }",
    "ASK { ?s dcterms:created ?c }",
    "SELECT ?s ?p { ?s ?p <https://w3id.org/recruitgraph/ontology#Dataset> }",
    "SELECT ?s { ?s !rdfs:label ?o } LIMIT 5000",
    "SELECT (COUNT(*) AS ?n) { ?f rg:from ?x . ?x ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . ?s a rg:FundingFlow }",
    "SELECT ?s { <DATASET> ?p ?s }",
    "SELECT ?s { ?s ?p <DATASET> }",
    "SELECT ?s ?title { ?s rdfs:label ?l . ?s dcterms:title ?title }",
]


def _test(text: str) -> Callable[[HiddenTriples], bool]:
    """What the library gives a store to decide on the union for ``text``."""
    return functools.partial(union_serves, text, PREFIXES)


def _answers(store: EmbeddedStore, text: str, graphs: list[str]) -> list[tuple[str, ...]]:
    result = store.query(
        text,
        default_graph=graphs,
        named_graphs=graphs,
        prefixes=PREFIXES,
        ignores_hidden=_test(text),
    )
    if isinstance(result, ox.QueryBoolean):
        return [(str(bool(result)),)]
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return sorted(tuple(str(row[n]) for n in names) for row in result)
    return sorted((str(t),) for t in result)


@pytest.fixture
def described(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "store")
    load_default_dataset(store)
    yield store
    store.close()


def _compare(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Each query's answers with and without the union; the queries the union served."""
    graphs = dataset_graphs(store)
    served, answers = [], {}
    for template in QUERIES:
        text = template.replace("DATASET", DATASET + "claims")
        used = store._union_serves(graphs, store._all_graphs() or frozenset(), _test(text))
        answers[text] = _answers(store, text, graphs)
        served += [text] if used else []
    with monkeypatch.context() as patched:
        patched.setattr(EmbeddedStore, "_union_serves", lambda *args: False)
        mismatched = [t for t in answers if _answers(store, t, graphs) != answers[t]]
    return served, mismatched


def test_the_union_answers_as_the_datasets_do(
    described: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    served, mismatched = _compare(described, monkeypatch)
    assert mismatched == []
    assert len(described._all_graphs() or ()) > len(dataset_graphs(described))  # descriptions
    # The aggregate, the label scan and the lookups are served by the union; a query that
    # could read a description is not.
    assert any("SUM(?amount)" in t for t in served)
    assert "SELECT ?actor ?label WHERE { ?actor rdfs:label ?label }" in served
    assert "SELECT ?s ?o { ?s rdfs:label ?l . ?s ?p ?o }" in served  # rule (d)
    for text in [
        "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
        "SELECT ?s ?t { ?s a ?t }",
        "ASK { ?s dcterms:created ?c }",
        "SELECT ?x ?y { ?x org:subOrganizationOf* ?y }",
        "SELECT ?s ?t { ?s rdfs:label ?l OPTIONAL { ?s a ?t } }",
        f"SELECT ?s {{ <{DATASET}claims> ?p ?s }}",
    ]:
        assert text not in served


def test_data_that_mentions_a_dataset_turns_rule_d_off(
    described: EmbeddedStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A dataset whose triples name another dataset, with the descriptions' own predicates:
    the union serves fewer queries, and the answers stay the same."""
    data = tmp_path / "about.ttl"
    data.write_text(
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        f'<{DATASET}claims> dcterms:title "the claims" ; a <{RG}Dataset> .\n'
        "<http://example.org/x> <http://example.org/p> "
        f"<{DATASET}claims> .\n"
    )
    load_files(described, [data], "about", shapes=False)
    served, mismatched = _compare(described, monkeypatch)
    assert mismatched == []
    assert not any("SUM(?amount)" in t for t in served)  # ?payer a ?kind: rule (d)
    assert "SELECT ?actor ?label WHERE { ?actor rdfs:label ?label }" in served


def test_a_hidden_restricted_dataset_is_never_read_through_the_union(
    described: EmbeddedStore, tmp_path: Path
) -> None:
    data = tmp_path / "secret.ttl"
    data.write_text(f'<http://example.org/s> <{RDFS}label> "secret" .\n')
    load_files(described, [data], "secret", access="restricted", shapes=False)
    public = [g for g in dataset_graphs(described) if not g.endswith("secret")]
    text = "SELECT ?l { ?s rdfs:label ?l }"
    assert not described._union_serves(public, described._all_graphs() or frozenset(), _test(text))
    assert ('"secret"',) not in _answers(described, text, public)


def test_the_endpoint_s_queries_are_served_by_the_union_too(
    described: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HTTP server passes its URL as the base of every query (relative IRIs resolve
    against it): the union serves those queries as it serves the library's."""
    from graph.sparql.query import execute_query
    from graph.store import stores

    unions: list[bool] = []
    arguments = stores._dataset_arguments

    def spy(*args: object) -> dict[str, object]:
        kwargs = arguments(*args)  # type: ignore[arg-type]
        unions.append(bool(kwargs.get("use_default_graph_as_union")))
        return kwargs

    monkeypatch.setattr(stores, "_dataset_arguments", spy)
    visible = dataset_graphs(described)
    base = "http://127.0.0.1:8000/sparql"
    labels = execute_query(described, "SELECT ?l { ?s rdfs:label ?l }", visible, base_iri=base)
    assert isinstance(labels, ox.QuerySolutions) and len(list(labels)) > 100
    relative = execute_query(described, "SELECT ?o { <x> ?p ?o }", visible, base_iri=base)
    assert isinstance(relative, ox.QuerySolutions) and list(relative) == []
    everything = execute_query(described, "SELECT * { ?s ?p ?o }", visible, base_iri=base)
    assert isinstance(everything, ox.QuerySolutions)
    assert unions[-3:] == [True, False, False]  # (before them: the merge plan's checks)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts that :func:`union_serves` reads from now on (not decided by their shape)."""
    from graph.sparql import patterns, union

    texts: list[str] = []
    read = patterns.default_graph_patterns

    def counted(text: str, prefixes: dict[str, str]) -> object:
        texts.append(text)
        return read(text, prefixes)

    monkeypatch.setattr(union, "default_graph_patterns", counted)
    return texts


def test_a_decision_is_kept_for_its_shape_only_if_no_full_iri_decided_it(
    reads: list[str],
) -> None:
    """Queries that differ only in IRIs written in full, strings and comments share a decision
    where those IRIs did not decide it; where one did (a subject that is, or is not, a hidden
    subject), each query is read."""
    from graph.sparql import union

    hidden = dataclasses.replace(_HIDDEN)  # decisions of its own
    lookup = "SELECT * {{ ?f <urn:from> <{}> ; a ?kind }} # {}"
    assert union.union_serves(lookup.format("http://a/1", 1), {}, hidden)
    assert union.union_serves(lookup.format("http://a/2", 2), {}, hidden)
    assert len(reads) == 1 and len(hidden.decisions) == 1  # the second: its shape's decision
    subject = "SELECT * {{ <{}> ?p ?o }}"
    assert not union.union_serves(subject.format("urn:dataset"), {}, hidden)  # kept as written
    assert union.union_serves(subject.format("http://x/dataset"), {}, hidden)
    hidden = dataclasses.replace(_HIDDEN, subjects=frozenset({"http://x/dataset"}))
    assert not union.union_serves(subject.format("http://x/dataset"), {}, hidden)
    assert union.union_serves(subject.format("http://x/actor"), {}, hidden)
    assert not union.union_serves(subject.format("http://x/dataset"), {}, hidden)
    assert hidden.decisions == {}  # a full IRI decided each time


def test_queries_that_begin_with_their_prefix_lines_share_their_shapes_decision(
    reads: list[str],
) -> None:
    """Lookups as scripts write them, the PREFIX lines first (names of several letters): the
    shape keeps those lines whole, so a lookup of another actor is its shape's decision, not
    read again. (The prologue once matched only one-letter names: every such query was read,
    a quarter of the engine's own time on unique lookups.)"""
    from graph.sparql import patterns, union

    hidden = dataclasses.replace(_HIDDEN)
    prologue = "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in ("rg", "rdfs"))
    lookup = prologue + "SELECT * {{ ?claim rg:from <{}> ; a ?type ; rg:to ?to }} # {}"
    for number in range(3):
        actor = f"https://w3id.org/recruitgraph/id/recruiter/r-{number}"
        assert union.union_serves(lookup.format(actor, number), PREFIXES, hidden)
    assert len(reads) == 1 and len(hidden.decisions) == 1
    assert patterns.query_shape(lookup)[0] == prologue.rstrip()  # type: ignore[index]


def test_a_prefix_declared_after_the_prologue_is_part_of_its_names_decision() -> None:
    """Two queries of one shape that give a prefix different IRIs (past the leading PREFIX
    lines, which the shape keeps whole) must not share a decision."""
    from graph.sparql import union

    hidden = dataclasses.replace(_HIDDEN)
    text = "# a comment first\nPREFIX x: <{}>\nSELECT * {{ ?s x:title ?o }}"
    assert union.union_serves(text.format("http://example.org/"), {}, hidden)
    assert not union.union_serves(text.format("urn:"), {}, hidden)  # kept as written
    hidden = dataclasses.replace(_HIDDEN, predicates=_HIDDEN.predicates | {"http://d/title"})
    assert union.union_serves(text.format("http://example.org/"), {}, hidden)
    assert not union.union_serves(text.format("http://d/"), {}, hidden)
    leading = "PREFIX x: <{}>\nSELECT * {{ ?s x:title ?o }}"
    assert union.union_serves(leading.format("http://example.org/"), {}, hidden)
    assert not union.union_serves(leading.format("http://d/"), {}, hidden)
