"""The default graph of a query is the RDF merge of its graphs: each triple once, on every
kind of store (issue 14, item 1)."""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox

from graph.ingest.load import load_default_dataset, load_files
from graph.model.namespaces import REMAINDER
from graph.sparql import run_query
from graph.store import Store

A, B, C = "http://example.org/a", "http://example.org/b", "http://example.org/c"
_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(store: Store, graphs: list[str]) -> int:
    result = store.query(_COUNT, default_graph=graphs)
    assert isinstance(result, ox.QuerySolutions)
    return int(next(iter(result))["n"].value)


def _remainders(store: Store) -> list[str]:
    return [g for g in store.graph_names() if g.startswith(REMAINDER)]


def _write(store: Store, graph: str, objects: str) -> None:
    store.update(
        f"DROP SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> "
        f"{{ <http://example.org/s> <http://example.org/p> {objects} }} }}",
        graphs=[graph],
    )


def test_a_triple_in_several_graphs_is_in_their_default_graph_once(store: Store) -> None:
    _write(store, A, "1, 2, 3")
    _write(store, B, "3, 4")
    _write(store, C, "3, 4, 5")
    assert _count(store, [A, B, C]) == 5
    assert _count(store, [B, C]) == 3
    assert _count(store, [A, B]) == 4
    # Named graphs are the graphs as written.
    named = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        default_graph=[],
        named_graphs=[A, B, C],
    )
    assert isinstance(named, ox.QuerySolutions)
    assert next(iter(named))["n"].value == "8"


def test_the_merge_follows_writes_and_leaves_nothing_behind(store: Store) -> None:
    _write(store, A, "1, 2")
    _write(store, B, "2")
    assert _count(store, [A, B]) == 2
    _write(store, B, "2, 9")  # a write to one of the graphs: a new plan
    assert _count(store, [A, B]) == 3
    _write(store, B, "7")  # no longer shared: the graphs as they are, no remainder kept
    assert _count(store, [A, B]) == 3
    assert _remainders(store) == []


def test_graphs_that_share_nothing_are_given_as_they_are(memory_store: Store) -> None:
    _write(memory_store, A, "1, 2")
    _write(memory_store, B, "3")
    assert _count(memory_store, [A, B]) == 3
    assert _remainders(memory_store) == []


def test_a_second_dataset_does_not_double_the_totals_of_the_first(
    memory_store: Store, tmp_path: Path
) -> None:
    """The case of issue 14: one more Tatarstan payment in a dataset of its own states the
    payer's label again; README's funding query counted every flow of the payer twice."""
    load_default_dataset(memory_store)
    shipped = Path(__file__).parents[1] / "graph" / "data" / "claims.csv"
    with shipped.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    tatarstan = next(r for r in rows if r["subject_code"] == "RU-TA" and r["amount"])
    extra = {
        **tatarstan,
        "claim_id": "t001",
        "amount": "5000000",
        "amount_basis": "total",
        "start": "2024-07-01",
        "end": "2024-12-31",
    }
    more = tmp_path / "more.csv"
    with more.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(extra)
    load_files(memory_store, [more], "more")

    funding = """
    SELECT ?payer ?currency (SUM(?amount) AS ?total) (COUNT(?flow) AS ?flows) WHERE {
      ?flow a rg:FundingFlow ; rg:amountBasis rg:TotalAmount ; rg:from/rdfs:label ?payer ;
            schema:amount ?amount ; schema:currency ?currency }
    GROUP BY ?payer ?currency"""
    answer = run_query(memory_store, funding)
    assert isinstance(answer, ox.QuerySolutions)
    totals = {(r["payer"].value, r["currency"].value): r for r in answer}
    row = totals[(tatarstan["subject"], "RUB")]
    # The shipped Tatarstan flows are per-recruit levels: the one total is the new one.
    assert (float(row["total"].value), int(row["flows"].value)) == (5_000_000, 1)
    labels = run_query(
        memory_store,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a rdfs:label {ox.Literal(tatarstan['subject'])} }}",
    )
    assert isinstance(labels, ox.QuerySolutions)
    assert next(iter(labels))["n"].value == "1"
