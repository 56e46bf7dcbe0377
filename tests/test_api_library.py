"""The library under the HTTP API, without a server: the row cap on every result format,
content negotiation, what an update reads and writes, and the query pre-checks."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest

from graph.server.auth import ANONYMOUS, Catalog, Principal, authorize_update
from graph.sparql import (
    AccessError,
    QueryError,
    accepts_html,
    inspect_query,
    negotiate,
    plan_update,
    serialize_capped,
)
from graph.store.formats import Kind, by_name

# Values that look like row boundaries of every format.
TRICKY = (
    "SELECT ?a ?b WHERE { VALUES ?a { 1 2 3 4 5 } "
    'VALUES ?b { "x,{\\"y\\"}\\r\\n<result>\\n,{}" "z" UNDEF } }'
)


def _count(body: bytes, fmt: str) -> int:
    if fmt == "csv":
        return len(list(csv.reader(io.StringIO(body.decode(), newline="")))) - 1
    return len(list(ox.parse_query_results(body, format=by_name(fmt, Kind.RESULTS).rdf)))


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("cap", [0, 1, 7, 14, 15, 100])
def test_row_cap_cuts_at_a_row_and_stays_well_formed(fmt: str, cap: int) -> None:
    result = serialize_capped(ox.Store().query(TRICKY), fmt, cap)
    assert _count(result.body, fmt) == min(cap, 15)
    assert result.truncated is (cap < 15)


def test_row_cap_on_graph_results() -> None:
    query = (
        "CONSTRUCT { ?a <http://p> ?b } WHERE { VALUES ?a { <http://1> <http://2> } "
        "VALUES ?b { 1 2 3 } }"
    )
    capped = serialize_capped(ox.Store().query(query), "turtle", 4)
    assert capped.truncated and len(list(ox.parse(capped.body, format=ox.RdfFormat.TURTLE))) == 4
    whole = serialize_capped(ox.Store().query(query), "ntriples", 6)
    assert not whole.truncated


@pytest.mark.parametrize(
    ("accept", "kind", "expected"),
    [
        ("application/sparql-results+xml, */*;q=0.1", "results", "xml"),
        ("*/*", "results", "json"),
        ("*/*", "graph", "turtle"),
        ("text/csv;q=0.5, application/sparql-results+json;q=0.9", "results", "json"),
        ("application/sparql-results+xml, application/rdf+xml", "graph", "rdfxml"),
        ("application/json", "graph", "jsonld"),
        ("text/plain", "graph", "ntriples"),
        ("image/png", "results", None),
        ("text/csv;q=0", "results", None),
        (None, "results", None),
    ],
)
def test_negotiate(accept: str | None, kind: str, expected: str | None) -> None:
    assert negotiate(accept, kind) == expected


def test_browsers_get_the_page_and_clients_do_not() -> None:
    assert accepts_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert not accepts_html("*/*")
    assert not accepts_html("application/sparql-results+json")


@pytest.mark.parametrize(
    ("query", "default", "named"),
    [
        ("SELECT * WHERE { ?s rg:from ?o }", None, None),
        ("SELECT ?from WHERE { ?s ?p 'from' } # FROM <http://x>", None, None),
        ("SELECT * FROM <http://a> WHERE { }", ("http://a",), ()),
        ("select * from\n named <http://b> { }", (), ("http://b",)),
        (
            "PREFIX ex: <http://ex/> SELECT * FROM ex:a FROM NAMED rg:b {}",
            ("http://ex/a",),
            ("https://w3id.org/recruitgraph/ontology#b",),
        ),
    ],
)
def test_dataset_clause(query: str, default: tuple | None, named: tuple | None) -> None:
    info = inspect_query(query)
    assert (info.from_default, info.from_named) == (default, named)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
        "SELECT * WHERE { service <http://x/> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
    ],
)
def test_service_refused_unless_allowed(query: str) -> None:
    with pytest.raises(QueryError, match="SERVICE"):
        inspect_query(query)
    if "?endpoint" not in query:
        inspect_query(query, allow=["http://x/"])


G, H, SECRET = (f"https://w3id.org/recruitgraph/dataset/{n}" for n in ("g", "h", "secret"))


@pytest.mark.parametrize(
    ("update", "reads", "writes", "refused"),
    [
        (f"INSERT DATA {{ GRAPH <{G}> {{ <http://s> <http://p> 'o' }} }}", set(), {G}, False),
        ("INSERT DATA { <http://s> <http://p> 'o' }", set(), set(), True),
        (
            f"WITH <{G}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER EXISTS "
            f"{{ GRAPH <{H}> {{ ?s ?p ?o }} }} }}",
            {G, H},
            {G},
            False,
        ),
        (
            f"INSERT {{ GRAPH <{G}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            set(),
            {G},
            True,
        ),
        (
            f"INSERT {{ GRAPH <{G}> {{ ?s ?p ?o }} }} USING NAMED <{H}> WHERE "
            "{ GRAPH ?g { ?s ?p ?o } }",
            {H},
            {G},
            False,
        ),
        (
            f"INSERT {{ GRAPH <{G}> {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT * WHERE "
            f"{{ GRAPH <{H}> {{ ?s ?p ?o }} }} }} }}",
            {H},
            {G},
            False,
        ),
        (f"MOVE <{G}> TO <{H}>", {G}, {G, H}, False),
        (f"CLEAR GRAPH <{G}>; CREATE SILENT GRAPH <{H}>", set(), {G, H}, False),
        ("DROP ALL", set(), set(), True),
        ("CLEAR DEFAULT", set(), set(), True),
        (f"ADD DEFAULT TO <{G}>", set(), set(), True),
        (f"LOAD <http://x> INTO GRAPH <{G}>", set(), {G}, True),
        ("DELETE WHERE { GRAPH ?g { ?s rg:from ?o } }", set(), set(), True),
    ],
)
def test_plan_update(update: str, reads: set, writes: set, refused: bool) -> None:
    plan = plan_update(update)
    assert (set(plan.reads), set(plan.writes), bool(plan.refusals)) == (reads, writes, refused)


def test_authorize_update() -> None:
    catalog = Catalog({G: "public", H: "public", SECRET: "restricted"})
    editor = Principal("editor", "ed")
    granted = Principal("editor", "ed2", frozenset({"secret"}))
    into_secret = plan_update(f"INSERT DATA {{ GRAPH <{SECRET}> {{ <http://s> <http://p> 1 }} }}")
    copy_secret = plan_update(
        f"INSERT {{ GRAPH <{G}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{SECRET}> {{ ?s ?p ?o }} }}"
    )
    new = "https://w3id.org/recruitgraph/dataset/new"
    new_graph = plan_update(f"INSERT DATA {{ GRAPH <{new}> {{ <http://s> <http://p> 1 }} }}")
    with pytest.raises(AccessError):
        authorize_update(into_secret, catalog, ANONYMOUS)
    with pytest.raises(AccessError):
        authorize_update(into_secret, catalog, Principal("reader", "r", frozenset({"secret"})))
    for plan in (into_secret, copy_secret, new_graph):
        with pytest.raises(AccessError):
            authorize_update(plan, catalog, editor)
    authorize_update(into_secret, catalog, granted)
    authorize_update(copy_secret, catalog, granted)
    with pytest.raises(QueryError):
        authorize_update(plan_update("DROP ALL"), catalog, Principal("admin", "a"))


def test_malformed_update_names_the_place() -> None:
    with pytest.raises(QueryError, match="malformed SPARQL update"):
        plan_update("INSERT DATA { GRAPH <http://x> { <http://s> <http://p> 'o' }")
