"""The lexical values of a SELECT result as this project reads them back from the engine
(`graph.store.lexical_rows`, the projection's reads) and as it writes SPARQL CSV results: the
same values as the engine's terms give, for every kind of term, and rows that stay whole when
an IRI holds a comma (legal in an IRI; the engine's own CSV leaves such an IRI unquoted, which
split the row: a source URL ``https://example.org/a,b`` cost its claim its columns).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.analysis.projection import ProjectionFilter, build_projection
from graph.ingest import load_files
from graph.sparql.results import serialize_capped, serialize_result
from graph.store import EmbeddedStore, Store, lexical_rows
from tests.helpers import BASE_ROW, SECOND_ROW, claims_csv, csv_rows

#: Terms of every kind, awkward ones first: what the engine stores, in N-Triples.
XSD = "http://www.w3.org/2001/XMLSchema#"
AWKWARD = r"""
<http://example.org/s,1> <http://example.org/p> <http://example.org/o,with,commas> .
<http://example.org/s,1> <http://example.org/p> "comma, \"quote\", back\\slash" .
<http://example.org/s,1> <http://example.org/p> "tab\there\nnew line\rreturn" .
<http://example.org/s,1> <http://example.org/p> "accent é, emoji \U0001F600, \u0007 bell"@fr .
<http://example.org/s,1> <http://example.org/p> "ends with a quote\""^^<http://example.org/dt,x> .
<http://example.org/s,1> <http://example.org/p> "" .
<http://example.org/s,1> <http://example.org/p> "-1.50"^^<{xsd}decimal> .
<http://example.org/s,1> <http://example.org/p> "42"^^<{xsd}integer> .
<http://example.org/s,1> <http://example.org/p> "1e3"^^<{xsd}double> .
<http://example.org/s,1> <http://example.org/p> "true"^^<{xsd}boolean> .
<http://example.org/s,1> <http://example.org/p> "=HYPERLINK(\"http://x\")" .
<http://example.org/s,1> <http://example.org/p> _:blank .
""".replace("{xsd}", XSD)
QUERY = "SELECT ?s ?o ?unbound WHERE { ?s ?p ?o } ORDER BY STR(?o)"


@pytest.fixture
def store() -> Iterator[Store]:
    with EmbeddedStore(None) as opened:
        opened.update("INSERT DATA {" + AWKWARD + "}")
        yield opened


def _lexical(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return term.value


def _expected(store: Store) -> list[list[str]]:
    result = store.query(QUERY)
    assert isinstance(result, ox.QuerySolutions)
    return [[_lexical(row[name]) for name in ("s", "o", "unbound")] for row in result]


def test_lexical_rows_give_every_terms_lexical_value(store: Store) -> None:
    expected = _expected(store)
    assert len(expected) == 12
    assert lexical_rows(store.query(QUERY)) == expected
    assert ["http://example.org/s,1", "http://example.org/o,with,commas", ""] in expected


def test_csv_results_keep_each_row_whole(store: Store) -> None:
    """Every row of the CSV results has the header's three cells, each the value's text (an
    apostrophe in front of one a spreadsheet would take for a formula)."""
    expected = [
        [("'" + cell) if cell.startswith("=") else cell for cell in row] for row in _expected(store)
    ]
    whole = serialize_result(store.query(QUERY), "csv")
    assert whole.endswith(b"\r\n")
    assert csv_rows(whole.decode("utf-8")) == [["s", "o", "unbound"], *expected]
    capped = serialize_capped(store.query(QUERY), "csv", max_rows=3)
    assert capped.truncated and capped.rows == 3
    assert csv_rows(capped.body.decode("utf-8")) == [["s", "o", "unbound"], *expected[:3]]
    assert serialize_capped(store.query(QUERY), "csv").body == whole


def test_csv_results_without_variables_or_solutions(store: Store) -> None:
    """As the engine writes them: an empty header line, one empty line per solution."""
    assert serialize_result(store.query("SELECT * WHERE {}"), "csv") == b"\r\n\r\n"
    assert serialize_result(store.query("SELECT ?x WHERE { FILTER(false) }"), "csv") == b"x\r\n"
    assert serialize_result(store.query("ASK { ?s ?p ?o }"), "csv") == b"true"


def _renamed(store: Store, old: str, new: str) -> None:
    """Every statement about or to ``old`` made about or to ``new``, in every graph."""
    for pattern in ("<{}> ?p ?o", "?s ?p <{}>"):
        store.update(
            f"DELETE {{ GRAPH ?g {{ {pattern.format(old)} }} }} "
            f"INSERT {{ GRAPH ?g {{ {pattern.format(new)} }} }} "
            f"WHERE {{ GRAPH ?g {{ {pattern.format(old)} }} }}"
        )


@pytest.mark.parametrize("level", ["organization", "government"])
def test_an_actor_whose_iri_holds_a_comma_keeps_its_claims(tmp_path: Path, level: str) -> None:
    """Data loaded as RDF may name an actor with any IRI; the projection reads its parties
    and claims as the engine's terms give them."""
    data = claims_csv(tmp_path / "claims.csv", BASE_ROW, SECOND_ROW)
    flt = ProjectionFilter(level=level)
    with EmbeddedStore(None) as before:
        load_files(before, [data], "claims")
        expected = build_projection(before, flt)
    scheme = next(n for n, kind in expected.nodes(data="kind") if kind == "RecruitmentScheme")
    renamed = scheme + ",2024"
    with EmbeddedStore(None) as after:
        load_files(after, [data], "claims")
        _renamed(after, scheme, renamed)
        G = build_projection(after, flt)
    assert G.nodes[renamed] == expected.nodes[scheme]
    assert sorted((u, v, d["claim_id"]) for u, v, d in G.edges(data=True)) == sorted(
        (renamed if u == scheme else u, renamed if v == scheme else v, d["claim_id"])
        for u, v, d in expected.edges(data=True)
    )
