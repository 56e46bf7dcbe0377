"""The shipped default dataset: every cited claim, with its source, validated and loaded."""

from __future__ import annotations

import csv

import pyoxigraph as ox
import pytest

from graph.ingest import (
    DEFAULT_DATASET,
    list_datasets,
    load_default_dataset,
    shipped_claims,
    validate_files,
)
from graph.model.namespaces import dataset_iri
from graph.model.reference import REFERENCE_DATASET
from graph.sparql import run_query
from graph.store import EmbeddedStore, Store


@pytest.fixture(scope="module")
def loaded() -> Store:
    store = EmbeddedStore(None)
    load_default_dataset(store)
    return store


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with shipped_claims().open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def select(store: Store, query: str) -> list[dict[str, str]]:
    result = run_query(store, query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def test_shipped_claims_validate() -> None:
    assert validate_files([shipped_claims()]) == []


def test_both_datasets_loaded_public_and_real(loaded: Store) -> None:
    infos = {d.name: d for d in list_datasets(loaded)}
    assert set(infos) == {DEFAULT_DATASET, REFERENCE_DATASET}
    assert all(d.access == "public" and not d.synthetic for d in infos.values())


def test_every_row_is_a_claim(loaded: Store, rows: list[dict[str, str]]) -> None:
    # The ontology is in the store too, so queries can climb the class hierarchy.
    claims = select(
        loaded, "SELECT ?id WHERE { ?c rg:claimId ?id ; a/rdfs:subClassOf rg:Relation }"
    )
    assert sorted(r["id"] for r in claims) == sorted(r["claim_id"] for r in rows)
    assert len(rows) == 144


def test_every_claim_has_a_source_with_the_exact_url(
    loaded: Store, rows: list[dict[str, str]]
) -> None:
    found = select(
        loaded,
        """SELECT ?id ?url ?title WHERE {
             ?c rg:claimId ?id ; prov:wasDerivedFrom ?s .
             ?s a rg:Source ; schema:url ?url ; dcterms:title ?title }""",
    )
    by_id = {r["id"]: r for r in found}
    assert set(by_id) == {r["claim_id"] for r in rows}
    for row in rows:
        assert by_id[row["claim_id"]]["url"] == row["source_url"]
        assert by_id[row["claim_id"]]["title"] == row["source_title"]
    unsourced = select(
        loaded,
        "SELECT ?c WHERE { ?c rg:claimId ?id FILTER NOT EXISTS { ?c prov:wasDerivedFrom ?s } }",
    )
    assert unsourced == []


def test_facts_carry_over(loaded: Store, rows: list[dict[str, str]]) -> None:
    """Amounts, currencies, counts, dates and confidences are those of the CSV."""
    found = {
        r["id"]: r
        for r in select(
            loaded,
            """SELECT ?id ?start ?end ?amount ?currency ?count ?confidence WHERE {
                 ?c rg:claimId ?id ; rg:start ?start ; rg:confidence/skos:notation ?confidence .
                 OPTIONAL { ?c rg:end ?end } OPTIONAL { ?c schema:amount ?amount }
                 OPTIONAL { ?c schema:currency ?currency } OPTIONAL { ?c rg:count ?count } }""",
        )
    }
    for row in rows:
        claim = found[row["claim_id"]]
        assert claim["start"] == row["start"]
        assert claim.get("end", "") == row["end"]
        if row["amount"]:
            assert float(claim["amount"]) == float(row["amount"])
            assert claim["currency"] == row["currency"]
        assert claim.get("count", "") == row["count"]
        assert claim["confidence"] == row["confidence"]


def test_confidence_levels_carry_over(loaded: Store, rows: list[dict[str, str]]) -> None:
    found = {
        r["id"]: r["level"].rsplit("#", 1)[1]
        for r in select(
            loaded, "SELECT ?id ?level WHERE { ?c rg:claimId ?id ; rg:confidence ?level }"
        )
    }
    for row in rows:
        assert found[row["claim_id"]].lower() == f"{row['confidence']}confidence"


def test_aggregates_are_single_marked_nodes(loaded: Store, rows: list[dict[str, str]]) -> None:
    aggregates = select(
        loaded, "SELECT ?a ?label WHERE { ?a rg:aggregate true ; rdfs:label ?label }"
    )
    names = {r["subject"] for r in rows if r["subject"].endswith("(aggregate)")} | {
        r["object"] for r in rows if r["object"].endswith("(aggregate)")
    }
    assert {a["label"] for a in aggregates} == names


def test_regional_governments_link_to_real_federal_subjects(loaded: Store) -> None:
    found = select(
        loaded,
        """SELECT ?gov ?code WHERE { ?gov a rg:RegionalGovernment ; rg:province ?p .
             ?p a rg:Province ; skos:notation ?code }""",
    )
    assert len(found) == 26 and all(r["code"].startswith("RU-") for r in found)


def test_claims_live_in_the_claims_graph(loaded: Store) -> None:
    graph = dataset_iri(DEFAULT_DATASET)
    found = select(
        loaded, f"SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?c rg:claimId ?id }} }}"
    )
    assert found == [{"n": "144"}]
