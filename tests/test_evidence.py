"""The evidence behind a figure (graph.evidence), and the library functions the notebooks lean on:
SPARQL rows as typed records (graph.sparql.select_records) and a neighbourhood as a networkx
graph (graph.graphapi.neighborhood_graph)."""

from __future__ import annotations

import doctest
from datetime import date
from pathlib import Path

import networkx as nx
import pytest

from graph import analysis, evidence, graphapi, sparql
from graph.ingest import load_default_dataset, load_files
from graph.projection import ProjectionFilter, claims_of, project
from graph.sparql import QueryError, select_records
from graph.store import EmbeddedStore, Store
from graph.synth import write_synthetic
from tests.test_analysis import shift_rows
from tests.test_ingest import claims_csv

YEAR_2023 = ProjectionFilter(start=date(2023, 1, 1), end=date(2023, 12, 31))
YEAR_2025 = ProjectionFilter(start=date(2025, 1, 1), end=date(2025, 12, 31))


@pytest.fixture(scope="module")
def default_store() -> Store:
    store = EmbeddedStore(None)
    load_default_dataset(store)
    return store


@pytest.fixture(scope="module")
def shift_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """2023: each province runs and pays for its own scheme; 2025: the centre does."""
    store = EmbeddedStore(None)
    path = claims_csv(tmp_path_factory.mktemp("shift") / "shift.csv", *shift_rows())
    load_files(store, [path], "shift")
    return store


def _ids(claims: list[dict]) -> set[str]:
    return {c["claim_id"] for c in claims}


def test_every_figure_alone_equals_the_report(
    default_store: Store, shift_store: Store, tmp_path: Path
) -> None:
    synthetic = EmbeddedStore(None)
    write_synthetic(tmp_path / "s.nt", actors=150, centralization=0.6, seed=4)
    load_files(synthetic, [tmp_path / "s.nt"], "synthetic")
    graphs = [
        project(default_store),
        project(default_store, ProjectionFilter(start=date(2025, 1, 1), end=date(2025, 6, 30))),
        project(shift_store, YEAR_2023),
        project(shift_store, YEAR_2025),
        project(synthetic),
        nx.MultiDiGraph(),
    ]
    assert set(evidence.FIGURES) == set(analysis.network_figures(graphs[0])) - {"sampled_from"}
    for G in graphs:
        report = analysis.network_figures(G)
        for name in evidence.FIGURES:
            alone = evidence.figure_value(G, name)
            if report[name] is None:
                assert alone is None, name
            else:
                assert alone == pytest.approx(report[name], abs=1e-12), name
    with pytest.raises(ValueError, match="unknown figure"):
        evidence.figure_value(graphs[0], "centrality")


def test_claims_behind_each_figure(shift_store: Store) -> None:
    provinces, centre = project(shift_store, YEAR_2023), project(shift_store, YEAR_2025)
    assert _ids(evidence.claims_behind(provinces, "burden_shift_index")) == {
        f"b{i}" for i in range(6)
    }
    assert _ids(evidence.claims_behind(centre, "burden_shift_index_by_count")) == {
        f"e{i}" for i in range(6)
    }
    assert _ids(evidence.claims_behind(centre, "payer_concentration")) == {
        f"e{i}" for i in range(6)
    }
    # The centre reaches the provinces and the schemes through coordination, operation and
    # funding; in 2023 it reaches nothing, so no claim carries its reach.
    reach = evidence.claims_behind(centre, "federal_reach")
    assert _ids(reach) == {f"{p}{i}" for p in "cde" for i in range(6)}
    assert evidence.claims_behind(provinces, "federal_reach_schemes") == []
    # A network measure rests on every claim; each record cites its source.
    everything = evidence.claims_behind(centre, "centralization_degree")
    assert everything == claims_of(centre) and len(everything) == 18
    assert all(c["sources"][0]["url"] == "https://example.org/shift" for c in everything)


def _claim(G: nx.MultiDiGraph, u: str, v: str, claim_id: str, kind: str) -> None:
    G.add_edge(
        u,
        v,
        key=claim_id,
        claim=claim_id,
        claim_id=claim_id,
        type=kind,
        start=date(2024, 1, 1),
        end=date(2024, 1, 1),
        end_stated=False,
        amount=None,
        currency=None,
        purpose=None,
        count=None,
        confidence="high",
        dataset="d",
        sources=(f"https://example.org/{claim_id}",),
        source_titles=(claim_id,),
    )


def test_broker_claims_are_the_paths_through_the_broker() -> None:
    G = nx.MultiDiGraph()
    for node, tier, kind in [
        ("mod", "federal", "FederalBody"),
        ("region", "regional", "RegionalGovernment"),
        ("agency", "recruiter", "Recruiter"),
        ("r1", "recruiter", "Recruiter"),
        ("r2", "recruiter", "Recruiter"),
        ("r3", "recruiter", "Recruiter"),
    ]:
        G.add_node(node, tier=tier, kind=kind, label=node.title())
    _claim(G, "mod", "region", "c1", "Coordination")
    _claim(G, "mod", "region", "c2", "FundingFlow")  # a parallel claim: the same arc
    _claim(G, "region", "agency", "c3", "Coordination")
    _claim(G, "agency", "r1", "c4", "FundingFlow")
    _claim(G, "region", "r2", "c5", "FundingFlow")
    _claim(G, "mod", "r3", "c6", "Coordination")  # the centre's own line: no broker
    from graph.metrics import brokers

    ranked = dict(brokers(G, ["mod"], ["agency", "r1", "r2", "r3"]))
    assert ranked == {"region": 3.0}
    found = evidence.broker_claims(G, "region")
    assert found["label"] == "Region"
    assert {(p["source"], p["target"]) for p in found["pairs"]} == {
        ("Mod", "Agency"),
        ("Mod", "R1"),
        ("Mod", "R2"),
    }
    assert _ids(found["claims"]) == {"c1", "c2", "c3", "c4", "c5"}
    assert evidence.broker_claims(G, "r3") == {
        "broker": "r3",
        "label": "R3",
        "pairs": [],
        "claims": [],
    }
    assert evidence.broker_claims(G, "nobody")["claims"] == []


def test_brokers_of_the_report_have_their_claims(default_store: Store) -> None:
    G = project(default_store)
    for broker in analysis.report(default_store)["brokers"]:
        found = evidence.broker_claims(G, broker["id"])
        # Every pair the broker carries adds at most 1 to its score.
        assert 0 < broker["score"] <= len(found["pairs"])
        assert found["claims"] and all(c["sources"] for c in found["claims"])


def test_resample_claims() -> None:
    G = nx.MultiDiGraph([("centre", r) for r in "abcdefgh"])
    G.graph["synthetic"] = True
    G.nodes["centre"]["tier"] = "federal"
    same = evidence.resample_claims(G, seed=3)
    assert nx.utils.edges_equal(
        same.edges(keys=True), evidence.resample_claims(G, seed=3).edges(keys=True)
    )
    assert same.number_of_edges() == 8 and same.graph["synthetic"] and same.graph["resampled"]
    assert same.nodes["centre"]["tier"] == "federal"
    # With replacement a claim may come twice: parallel edges under their own keys.
    doubled = evidence.resample_claims(G, 40, seed=1)
    assert doubled.number_of_edges() == 40 and any("#" in str(k) for _, _, k in doubled.edges)
    part = evidence.resample_claims(G, 3, replace=False, seed=1)
    assert part.number_of_edges() == len(set(part.edges(keys=True))) == 3
    with pytest.raises(ValueError, match="without replacement"):
        evidence.resample_claims(G, 9, replace=False)


def test_bootstrap(shift_store: Store) -> None:
    G = project(shift_store)
    result = evidence.bootstrap(G, "burden_shift_index_by_count", resamples=100, seed=2)
    assert result.value == 0.5 and result.claims == 30
    assert 0 <= result.low <= result.value <= result.high <= 1
    assert len(result.values) + result.undefined == 100
    assert result == evidence.bootstrap(G, "burden_shift_index_by_count", resamples=100, seed=2)
    # A figure that is undefined in some resamples: no bonus claim drawn.
    small = evidence.resample_claims(G, 4, replace=False, seed=0)
    sparse = evidence.bootstrap(small, "burden_shift_index", resamples=200, seed=0)
    assert sparse.undefined > 0 and sparse.as_dict()["figure"] == "burden_shift_index"
    with pytest.raises(ValueError):
        evidence.bootstrap(G, "claims", confidence=1.5)


def test_permutation_test_tells_a_shift_from_chance(shift_store: Store) -> None:
    provinces, centre = project(shift_store, YEAR_2023), project(shift_store, YEAR_2025)
    shift = evidence.permutation_test(provinces, centre, "federal_reach", resamples=99, seed=1)
    assert (shift.first, shift.second, shift.change) == (0.0, 1.0, 1.0)
    assert shift.claims == (12, 18) and shift.p_value == pytest.approx(0.01)
    assert len(shift.null) + shift.undefined == 99
    # The same claims on both sides: no change, and every deal is at least as extreme.
    none = evidence.permutation_test(centre, centre, "centralization_out_degree", resamples=20)
    assert none.change == 0.0 and none.p_value == 1.0
    # An undefined figure on one side: no bonus among coordination claims alone.
    coordination = project(shift_store, ProjectionFilter(relations=frozenset({"Coordination"})))
    undefined = evidence.permutation_test(coordination, centre, "burden_shift_index", resamples=5)
    assert undefined.change is None and undefined.p_value is None


def test_claim_rows_flatten_the_sources(shift_store: Store) -> None:
    rows = evidence.claim_rows(claims_of(project(shift_store, YEAR_2023)))
    assert len(rows) == 12
    assert rows[0]["sources"] == 1 and rows[0]["source_urls"] == "https://example.org/shift"
    assert rows[0]["source_titles"] == "Illustrative report" and "claim_id" in rows[0]


def test_select_records_types_the_values(default_store: Store) -> None:
    rows = select_records(
        default_store,
        """SELECT ?flow ?amount ?start ?count ?note ?missing ?flag ?n WHERE {
          ?flow a rg:FundingFlow ; rg:claimId "c013" ; schema:amount ?amount ; rg:start ?start .
          OPTIONAL { ?flow rg:count ?count }
          OPTIONAL { ?flow dcterms:description ?note }
          OPTIONAL { ?flow rg:noSuchProperty ?missing }
          BIND(true AS ?flag)
          BIND(3 AS ?n)
        }""",
    )
    [row] = rows
    assert list(row) == ["flow", "amount", "start", "count", "note", "missing", "flag", "n"]
    assert row["flow"] == "https://w3id.org/recruitgraph/id/claim/claims/c013"
    assert row["amount"] == 400000.0 and isinstance(row["amount"], float)
    assert row["start"] == date(2024, 8, 1)
    assert row["count"] is None and row["missing"] is None
    assert isinstance(row["note"], str) and row["flag"] is True and row["n"] == 3
    with pytest.raises(QueryError, match="SELECT"):
        select_records(default_store, "ASK { ?s ?p ?o }")


def test_neighborhood_graph_is_the_json_neighbourhood_as_networkx(default_store: Store) -> None:
    graphs = sparql.dataset_graphs(default_store)
    ref = "regional-government/ru-ta"
    for depth in (1, 2):
        hood = graphapi.neighborhood_graph(default_store, graphs, ref, depth=depth)
        as_json = graphapi.neighborhood(default_store, graphs, ref, depth=depth)
        assert [n["id"] for n in as_json["nodes"]] == list(hood)
        assert [n["distance"] for n in as_json["nodes"]] == [d for _, d in hood.nodes("distance")]
        assert sorted(e["id"] for e in as_json["edges"]) == sorted(k for _, _, k in hood.edges)
        assert hood.graph["center"] == as_json["center"] and not hood.graph["truncated"]
        assert hood.nodes[as_json["center"]]["kind"] == "RegionalGovernment"
    hood.add_node("scratch")  # a copy: the cached projection is not touched
    assert "scratch" not in project(default_store)
    cut = graphapi.neighborhood_graph(default_store, graphs, ref, depth=2, max_nodes=2)
    assert cut.number_of_nodes() == 2 and cut.graph["truncated"]


def test_docstring_examples_run() -> None:
    for module in (evidence, sparql):
        failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failed == 0, module.__name__
