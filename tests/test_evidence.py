"""The evidence behind a figure (graph.analysis.evidence), and the library functions the notebooks
lean on:
SPARQL rows as typed records (graph.sparql.select_records) and a neighbourhood as a networkx
graph (graph.analysis.queries.neighborhood_graph)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import networkx as nx
import pytest

from graph import sparql
from graph.analysis import evidence, figures, queries
from graph.analysis.metrics.uncertainty import holm, newcombe_interval, wilson_interval
from graph.analysis.projection import ProjectionFilter, claims_of, project
from graph.ingest import load_files
from graph.ingest.claims_csv import COLUMNS, V2_COLUMNS
from graph.ingest.synth import write_synthetic
from graph.sparql import QueryError, select_records
from graph.store import EmbeddedStore, Store
from tests.helpers import (
    CENTRE,
    REGIONS,
    claims_csv,
    row,
    run_cli,
    shift_rows,
    with_default_dataset,
)

YEAR_2023 = ProjectionFilter(start=date(2023, 1, 1), end=date(2023, 12, 31))
YEAR_2025 = ProjectionFilter(start=date(2025, 1, 1), end=date(2025, 12, 31))


@pytest.fixture(scope="module")
def default_store() -> Store:
    store = EmbeddedStore(None)
    with_default_dataset(store)
    return store


@pytest.fixture(scope="module")
def shift_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """2023: each province runs and pays for its own scheme; 2025: the centre does."""
    store = EmbeddedStore(None)
    # Every claim needs a note since dataset version 2.
    rows = [{**r, "note": r.get("note") or "An illustrative claim."} for r in shift_rows()]
    path = claims_csv(tmp_path_factory.mktemp("shift") / "shift.csv", *rows)
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
    assert set(evidence.FIGURES) == set(figures.network_figures(graphs[0])) - {"sampled_from"}
    for G in graphs:
        report = figures.network_figures(G)
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
    assert _ids(evidence.claims_behind(provinces, "regional_share_of_bonus_claims")) == {
        f"b{i}" for i in range(6)
    }
    assert _ids(evidence.claims_behind(centre, "regional_share_of_bonus_claims")) == {
        f"e{i}" for i in range(6)
    }
    # The file states no amount basis: its amounts are neither money paid out (which payer
    # concentration sums) nor per-recruit levels (which the burden share compares).
    assert evidence.claims_behind(centre, "payer_concentration") == []
    assert evidence.claims_behind(project(shift_store), "burden_share_median") == []
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
    from graph.analysis.metrics import brokers

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
    for broker in figures.report(default_store)["brokers"]:
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
    result = evidence.bootstrap(G, "regional_share_of_bonus_claims", resamples=100, seed=2)
    assert result.value == 0.5 and result.claims == 30
    assert 0 <= result.low <= result.value <= result.high <= 1
    assert len(result.values) + result.undefined == 100
    assert result == evidence.bootstrap(G, "regional_share_of_bonus_claims", resamples=100, seed=2)
    # A figure that is undefined in some resamples: no bonus claim drawn.
    small = evidence.resample_claims(G, 4, replace=False, seed=0)
    sparse = evidence.bootstrap(small, "regional_share_of_bonus_claims", resamples=200, seed=0)
    assert sparse.undefined > 0
    assert sparse.as_dict()["figure"] == "regional_share_of_bonus_claims"
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
    undefined = evidence.permutation_test(
        coordination, centre, "regional_share_of_bonus_claims", resamples=5
    )
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
    ref = "regional-government/ru-ta-government"
    for depth in (1, 2):
        hood = queries.neighborhood_graph(default_store, graphs, ref, depth=depth)
        as_json = queries.neighborhood(default_store, graphs, ref, depth=depth)
        assert [n["id"] for n in as_json["nodes"]] == list(hood)
        assert [n["distance"] for n in as_json["nodes"]] == [d for _, d in hood.nodes("distance")]
        assert sorted(e["id"] for e in as_json["edges"]) == sorted(k for _, _, k in hood.edges)
        assert hood.graph["center"] == as_json["center"] and not hood.graph["truncated"]
        assert hood.nodes[as_json["center"]]["kind"] == "RegionalGovernment"
    hood.add_node("scratch")  # a copy: the cached projection is not touched
    assert "scratch" not in project(default_store)
    cut = queries.neighborhood_graph(default_store, graphs, ref, depth=2, max_nodes=2)
    assert cut.number_of_nodes() == 2 and cut.graph["truncated"]


# --------------------------------------------------------------------------------------------
# Uncertainty: intervals that do not collapse, leave one claim out, and the comparison
# --------------------------------------------------------------------------------------------


def _bonus(
    G: nx.MultiDiGraph, payer: str, claim_id: str, amount: float = 100.0, **extra: str
) -> None:
    """An enlistment-bonus claim of ``payer`` (a node already in ``G``) to one scheme: a sum
    paid out (amount basis ``total``) unless ``amount_basis`` says otherwise."""
    G.add_node("scheme", tier="other", kind="RecruitmentScheme", label="Scheme")
    G.add_edge(
        payer,
        "scheme",
        key=f"https://example.org/claim/{claim_id}",  # keyed as a projection keys a claim
        claim_id=claim_id,
        type="FundingFlow",
        purpose="enlistment_bonus",
        amount=amount,
        currency="RUB",
        amount_basis=extra.get("amount_basis", "total"),
        basis=extra.get("basis", "report"),
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        end_stated=True,
        count=None,
        confidence="high",
        dataset="d",
        sources=(f"https://example.org/{claim_id}",),
        source_titles=(claim_id,),
    )


def _payers(*claims: tuple[str, str]) -> nx.MultiDiGraph:
    """A network of bonus claims, each ``(claim_id, "region" | "centre")``."""
    G = nx.MultiDiGraph()
    G.add_node("region", tier="regional", kind="RegionalGovernment", label="Region")
    G.add_node("centre", tier="federal", kind="FederalBody", label="Centre")
    for claim_id, payer in claims:
        _bonus(G, payer, claim_id)
    return G


def test_proportions_count_their_numerator_and_denominator(
    default_store: Store, shift_store: Store
) -> None:
    assert set(evidence.PROPORTIONS) <= set(evidence.FIGURES)
    assert "federal_reach" in evidence.PROPORTIONS
    assert "centralization_degree" not in evidence.PROPORTIONS
    for G in (
        project(default_store),
        project(default_store, ProjectionFilter(start=date(2025, 1, 1), end=date(2025, 12, 31))),
        project(shift_store, YEAR_2023),
        project(shift_store, YEAR_2025),
        nx.MultiDiGraph(),
    ):
        for name in evidence.FIGURES:
            counts = evidence.figure_counts(G, name)
            if name not in evidence.PROPORTIONS:
                assert counts is None
                continue
            k, n = counts
            value = evidence.figure_value(G, name)
            assert value is None if n == 0 else value == pytest.approx(k / n), name


def test_the_burden_share_rests_on_the_payments_it_compares() -> None:
    G = _payers(("t1", "region"))  # a sum paid out: never compared with a level
    G.add_node("other", tier="regional", kind="RegionalGovernment", label="Other region")
    _bonus(G, "centre", "f1", 400.0, amount_basis="per_recruit")
    _bonus(G, "region", "r1", 600.0, amount_basis="per_recruit")
    _bonus(G, "other", "r2", 100.0, amount_basis="per_recruit")
    # Shares 600 / 1000 and 100 / 500: median 0.4.
    assert evidence.figure_value(G, "burden_share_median") == pytest.approx(0.4)
    assert _ids(evidence.claims_behind(G, "burden_share_median")) == {"f1", "r1", "r2"}
    assert evidence.figure_counts(G, "burden_share_median") is None
    result = evidence.figure_interval(G, "burden_share_median", rounds=200, seed=1)
    assert result.method == "bootstrap" and result.claims == 3
    assert 0.2 <= result.low <= 0.4 <= result.high <= 0.6


def test_24_of_24_gets_an_interval_not_a_point() -> None:
    G = _payers(*((f"r{i}", "region") for i in range(24)))
    # One payer pays all 24 sums: payer concentration is 1 in every resample, so the bootstrap
    # alone would say [1, 1]; the interval is that of 24 of 24 claims agreeing,
    # Clopper–Pearson's 0.025 ** (1/24).
    share = evidence.figure_interval(G, "payer_concentration", rounds=50)
    assert share.value == 1.0 and share.degenerate and share.method == "exact bound"
    assert (share.low, share.high) == pytest.approx((0.025 ** (1 / 24), 1.0))
    assert share.low < 1 and share.claims == 24 and "24 claims" in share.note
    # The count share is a proportion of counts: Wilson's interval of 24 of 24, no resampling.
    count = evidence.figure_interval(G, "regional_share_of_bonus_claims")
    assert count.counts == (24, 24) and count.method == "wilson" and not count.degenerate
    assert (count.low, count.high) == pytest.approx(wilson_interval(24, 24)) and count.low < 1
    exact = evidence.figure_interval(
        G, "regional_share_of_bonus_claims", proportion="clopper-pearson"
    )
    assert exact.low == pytest.approx(0.8575, abs=5e-5)
    # Two such periods: no change, and an interval on both sides of it.
    change = evidence.change_interval(G, G, "payer_concentration", rounds=50)
    assert change.change == 0.0 and change.sign == 0 and change.method == "mover"
    assert change.low < 0 < change.high
    u = 1 - 0.025 ** (1 / 24)
    # MOVER: each side's distance to its bound, u below on the second, u above on the first.
    assert (change.low, change.high) == pytest.approx((-u, u))
    with pytest.raises(ValueError, match="proportion interval"):
        evidence.figure_interval(G, "federal_reach", proportion="wald")


def test_figure_interval_of_a_varying_figure_is_the_bootstrap(shift_store: Store) -> None:
    G = project(shift_store)
    result = evidence.figure_interval(G, "centralization_out_degree", rounds=100, seed=2)
    boot = evidence.bootstrap(G, "centralization_out_degree", resamples=100, seed=2)
    assert result.method == "bootstrap" and not result.degenerate
    assert (result.low, result.high) == pytest.approx((boot.low, boot.high))
    assert result.value == boot.value and result.claims == 30
    none = evidence.figure_interval(G, "centralization_out_degree", rounds=0)
    assert none.low is None and none.method == "none"
    # A figure without a known range whose every resample agrees keeps the point, says so,
    # and gives the exact bound on disagreeing claims: every resample has as many claims.
    size = evidence.figure_interval(G, "claims", rounds=20)
    assert size.degenerate and size.method == "degenerate" and size.low == size.high == 30.0
    assert f"{1 - 0.025 ** (1 / 30):.3f}" in size.note
    # Nor does its change get a point for an interval.
    grown = evidence.change_interval(project(shift_store, YEAR_2023), G, "claims", rounds=20)
    assert grown.change == 18.0 and grown.low is None and "no known range" in grown.note


def test_change_interval_of_two_proportions_is_newcombes(shift_store: Store) -> None:
    provinces, centre = project(shift_store, YEAR_2023), project(shift_store, YEAR_2025)
    result = evidence.change_interval(provinces, centre, "federal_reach_schemes", rounds=20)
    # The centre reaches none of the 6 schemes in 2023 and all 6 in 2025.
    assert result.first_interval.counts == (0, 6) and result.second_interval.counts == (6, 6)
    assert result.method == "newcombe" and result.change == 1.0 and result.sign == 1
    assert (result.low, result.high) == pytest.approx(newcombe_interval(0, 6, 6, 6))
    assert result.high == 1.0 and result.low < 1
    assert result.as_dict()["first_interval"]["counts"] == (0, 6)


def test_leaving_out_one_named_claim_flips_the_change() -> None:
    # First period: 3 regional bonus claims and 1 federal (c4): regional share 3/4.
    # Second: 5 regional, 1 federal: 5/6. The share rises by 1/12, unless c4 is left out:
    # then the first period is 3/3 and the change -1/6. No other single claim flips it:
    # without a regional claim of the second period it is 4/5 > 3/4; without one of the first,
    # 2/3; without the second period's federal claim, 5/5.
    first = _payers(("c1", "region"), ("c2", "region"), ("c3", "region"), ("c4", "centre"))
    second = _payers(*((f"c{i}", "region") for i in range(5, 10)), ("c10", "centre"))
    figure = "regional_share_of_bonus_claims"
    assert evidence.figure_value(second, figure) - evidence.figure_value(first, figure) == (
        pytest.approx(5 / 6 - 3 / 4)
    )
    [flip] = evidence.leave_one_out(first, second, figure)
    assert flip["claim_id"] == "c4" and flip["side"] == "first"
    assert flip["first"] == 1.0 and flip["change"] == pytest.approx(5 / 6 - 1)
    assert flip["claim"] == "https://example.org/claim/c4"
    # A claim in both periods is one piece of evidence, left out of both: with the shared
    # federal claim x gone, 1/1 and 2/2, no change (a flip from a rise to none).
    both_first = _payers(("x", "centre"), ("y1", "region"))
    both_second = _payers(("x", "centre"), ("y2", "region"), ("y3", "region"))
    flips = {f["claim_id"]: f for f in evidence.leave_one_out(both_first, both_second, figure)}
    assert flips["x"]["side"] == "both" and flips["x"]["change"] == 0.0
    # Without y2 (or y3) the second period is 1/2, as the first: no change either.
    assert set(flips) == {"x", "y2", "y3"}
    # Leaving out the only bonus claim of a period leaves the change undefined: a flip too.
    later = _payers(("w1", "region"), ("w2", "centre"), ("w3", "centre"))  # 1/3, after 1/1
    undefined = evidence.leave_one_out(_payers(("z", "region")), later, figure)
    assert [(f["claim_id"], f["change"]) for f in undefined] == [("z", None)]
    # No change to flip where the change is undefined.
    assert evidence.leave_one_out(nx.MultiDiGraph(), first, figure) == []


ROW_FIELDS = {
    "figure",
    "first",
    "second",
    "change",
    "sign",
    "interval",
    "method",
    "first_interval",
    "second_interval",
    "side_methods",
    "degenerate",
    "p_value",
    "p_adjusted",
    "claims",
    "assessments",
    "assessment_share",
    "counts",
    "flips",
    "note",
    "side_notes",
}


def test_compare_networks_gives_every_field() -> None:
    first = _payers(("c1", "region"), ("c2", "region"), ("c3", "region"), ("c4", "centre"))
    second = _payers(*((f"c{i}", "region") for i in range(5, 10)), ("c10", "centre"))
    # One of the second period's claims is an expert's assessment.
    second.edges["region", "scheme", "https://example.org/claim/c5"]["basis"] = "assessment"
    rows = evidence.compare_networks(first, second, rounds=30, seed=1)
    assert [r["figure"] for r in rows] == [f for f in evidence.FIGURES if f not in evidence.SIZES]
    for r in rows:
        assert set(r) == ROW_FIELDS, r["figure"]
    by = {r["figure"]: r for r in rows}
    count = by["regional_share_of_bonus_claims"]
    assert count["change"] == pytest.approx(1 / 12) and count["sign"] == 1
    assert count["method"] == "newcombe" and count["counts"] == [[3, 4], [5, 6]]
    assert count["interval"] == pytest.approx(list(newcombe_interval(3, 4, 5, 6)))
    assert count["first_interval"] == pytest.approx(list(wilson_interval(3, 4)))
    assert count["side_methods"] == ["wilson", "wilson"]
    assert count["claims"] == [4, 6] and count["assessments"] == [0, 1]
    assert count["assessment_share"] == pytest.approx([0.0, 1 / 6])
    assert [f["claim_id"] for f in count["flips"]] == ["c4"]
    assert 0 < count["p_value"] <= 1
    # Holm over every figure whose p is defined, in the order given.
    assert [r["p_adjusted"] for r in rows] == holm([r["p_value"] for r in rows])
    assert all(r["p_adjusted"] is None or r["p_adjusted"] >= r["p_value"] for r in rows)
    # Payer concentration of the sums paid out: (3/4)^2 + (1/4)^2, then (5/6)^2 + (1/6)^2.
    amount = by["payer_concentration"]
    assert amount["change"] == pytest.approx(26 / 36 - 10 / 16)
    assert amount["side_methods"] == ["bootstrap", "bootstrap"] and amount["method"] == "bootstrap"
    assert amount["interval"][0] < amount["change"] < amount["interval"][1]
    # No scheme or recruiter reached, none active but one scheme: federal reach 0 of 1.
    reach = by["federal_reach_recruiters"]
    assert reach["first"] is None and reach["change"] is None and reach["p_value"] is None
    assert reach["interval"] is None and reach["flips"] is None
    json.dumps(rows)  # JSON-ready
    # Fewer figures, fewer tests: the adjustment is over those asked for.
    [only] = evidence.compare_networks(first, second, figures=[count["figure"]], rounds=30)
    assert only["p_adjusted"] == only["p_value"]
    # A cheap look: no resampling, no leaving out; exact intervals of proportions stay.
    quick = {
        r["figure"]: r for r in evidence.compare_networks(first, second, rounds=0, leave_out=False)
    }
    assert quick[count["figure"]]["interval"] == count["interval"]
    assert quick["payer_concentration"]["interval"] is None
    assert all(r["flips"] is None and r["p_value"] is None for r in quick.values())
    # No claims at all: nothing to deal, nothing to test.
    empty = evidence.compare_networks(nx.MultiDiGraph(), nx.MultiDiGraph(), rounds=5)
    assert all(r["p_value"] is None and r["p_adjusted"] is None for r in empty)
    with pytest.raises(ValueError, match="unknown figure"):
        evidence.compare_networks(first, second, figures=["charisma"])
    with pytest.raises(ValueError, match="rounds"):
        evidence.compare_networks(first, second, rounds=-1)


def _v2_rows() -> list[dict[str, str]]:
    """2023: three provinces run and pay for their schemes. 2025: the centre coordinates them
    (one of the three coordination claims an expert's assessment), runs the schemes and pays."""
    rows = []
    for i, region in enumerate(REGIONS[:3]):
        scheme = ("RecruitmentScheme", f"Scheme {i}", "")
        bonus = {
            "amount": "100000",
            "currency": "RUB",
            "purpose": "enlistment_bonus",
            "amount_basis": "per_recruit",
        }
        basis = "assessment" if i == 0 else "report"
        for claim in (
            row(f"a{i}", "Operation", region, scheme, "2023-03-01"),
            row(f"b{i}", "FundingFlow", region, scheme, "2023-04-01", **bonus),
            row(f"c{i}", "Coordination", CENTRE, region, "2025-03-01", basis=basis),
            row(f"d{i}", "Operation", CENTRE, scheme, "2025-03-01"),
            row(f"e{i}", "FundingFlow", CENTRE, scheme, "2025-04-01", **bonus),
        ):
            rows.append(
                {"basis": "report", **claim, "note": f"Illustrative claim {claim['claim_id']}."}
            )
    return rows


def _v2_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    fields = [*COLUMNS, *V2_COLUMNS]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows({**dict.fromkeys(fields, ""), **r} for r in rows)
    return path


def test_compare_on_all_claims_and_on_reports_only(tmp_path: Path) -> None:
    store = EmbeddedStore(None)
    load_files(store, [_v2_csv(tmp_path / "v2.csv", _v2_rows())], "v2")
    result = figures.compare(
        store, figures.parse_period("2023"), figures.parse_period("2025"), rounds=20
    )
    # What compare always gave: both sides' figures and claims, and the changes.
    assert result["change"]["federal_reach"] == 1.0
    assert {c["claim_id"] for c in result["first"]["claims"]} == {
        f"{p}{i}" for p in "ab" for i in range(3)
    }
    assert (result["rounds"], result["confidence"], result["seed"]) == (20, 0.95, 0)
    assert set(result["changes"]) == {"all", "report"}
    for basis in ("all", "report"):
        assert all(set(r) == ROW_FIELDS for r in result["changes"][basis])
    reach = {
        b: {r["figure"]: r for r in result["changes"][b]}["federal_reach"]
        for b in ("all", "report")
    }
    # 2025: the centre reaches 3 schemes along 9 claims (c0 an assessment); reports only, 8.
    assert reach["all"]["claims"] == [0, 9] and reach["all"]["assessments"] == [0, 1]
    assert reach["all"]["assessment_share"] == [None, pytest.approx(1 / 9)]
    assert reach["report"]["claims"] == [0, 8] and reach["report"]["assessments"] == [0, 0]
    assert reach["all"]["counts"] == [[0, 3], [3, 3]] and reach["all"]["method"] == "newcombe"
    degree = {
        b: {r["figure"]: r for r in result["changes"][b]}["centralization_degree"]
        for b in ("all", "report")
    }
    assert degree["all"]["claims"] == [6, 9] and degree["report"]["claims"] == [6, 8]
    assert result["changes"]["all"] != result["changes"]["report"]
    # Cached: the same request gives the same result without computing again.
    again = figures.compare(
        store, figures.parse_period("2023"), figures.parse_period("2025"), rounds=20
    )
    assert again is result


def test_cli_compare_prints_each_change_with_its_evidence(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    path = _v2_csv(tmp_path / "v2.csv", _v2_rows())
    run_cli("load", str(path), "--dataset", "v2", env=cli_env, check=True)
    compare = ["metrics", "--compare", "2023", "2025", "--rounds", "9"]
    table = run_cli(*compare, env=cli_env, check=True).stdout
    for column in ("change", "95% interval", "adj. p", "claims behind", "from assessments"):
        assert column in table
    assert "flips if one claim is left out" in table and "reports only" in table
    line = next(
        x for x in table.splitlines() if x.startswith("federal_reach ") and "all claims" in x
    )
    assert "+1.0000" in line and "0/9" in line and "-/0.11" in line
    data = json.loads(run_cli(*compare, "--format", "json", env=cli_env, check=True).stdout)
    assert data["rounds"] == 9 and set(data["changes"]) == {"all", "report"}
    assert all(set(r) == ROW_FIELDS for r in data["changes"]["report"])


def test_a_report_shows_what_each_figure_rests_on() -> None:
    from graph.analysis.figures import report
    from graph.analysis.projection import ProjectionFilter
    from graph.store import EmbeddedStore

    store = EmbeddedStore()
    with_default_dataset(store)
    every = report(store, rounds=19)["evidence"]
    reach = every["federal_reach"]
    # Counts straight from claims.csv: the assessments c005 and c006 are coordination claims
    # from the federal center, so federal reach rests partly on them.
    assert reach["assessments"] >= 2 and 0 < reach["assessment_share"] < 1
    assert reach["method"] == "wilson" and reach["low"] < reach["value"] < reach["high"]
    assert every["centralization_degree"]["method"] == "bootstrap"
    assert every["centralization_degree"]["claims"] == 144
    reports = report(store, ProjectionFilter(basis="report"))["evidence"]
    assert all(e["assessments"] == 0 for e in reports.values())
    assert reports["centralization_degree"]["method"] == "none"  # rounds=0: no bootstrap
