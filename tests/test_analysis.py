"""The projection and the analyst's reports: filters, cache, funding, reach, timeline, compare."""

from __future__ import annotations

import gc
import weakref
from datetime import date
from pathlib import Path

import networkx as nx
import pytest

from graph.analysis import figures
from graph.analysis.projection import ProjectionFilter, implicit_end, project, simple_view
from graph.ingest import load_files, load_reference
from graph.ingest.synth import write_synthetic
from graph.store import EmbeddedStore, Store
from tests.helpers import BASE_ROW, CENTRE, REGIONS, SOURCE, claims_csv, load_once, row, shift_rows


@pytest.fixture
def shift_store(tmp_path: Path) -> Store:
    store = EmbeddedStore(None)
    load_files(store, [claims_csv(tmp_path / "shift.csv", *shift_rows())], "shift")
    return store


def test_timeline_shows_control_moving_from_provinces_to_centre(shift_store: Store) -> None:
    result = figures.timeline(shift_store, window="P12M", step="P12M")
    windows = {w["start"][:4]: w for w in result["windows"]}
    assert set(windows) == {"2023", "2024", "2025"}
    early, late = windows["2023"], windows["2025"]
    share = "regional_share_of_bonus_claims"
    assert early[share] == 1.0 and late[share] == 0.0
    # The amounts state no basis (a version-1 file): they never enter the per-recruit share.
    assert early["burden_share_median"] is None and late["burden_share_median"] is None
    assert early["federal_reach"] == 0.0 and late["federal_reach"] == 1.0
    assert late["centralization_degree"] > early["centralization_degree"]
    assert late["centralization_out_degree"] == 1.0  # a pure out-star of the centre
    assert windows["2024"]["claims"] == 0
    assert not result["synthetic"]


def test_compare_gives_change_and_the_claims_behind_each_side(shift_store: Store) -> None:
    result = figures.compare(
        shift_store, figures.parse_period("2023"), figures.parse_period("2025")
    )
    assert result["change"]["regional_share_of_bonus_claims"] == -1.0
    assert result["change"]["federal_reach"] == 1.0
    first_ids = {c["claim_id"] for c in result["first"]["claims"]}
    assert first_ids == {f"{p}{i}" for p in "ab" for i in range(6)}
    assert all(
        c["sources"] == [{"url": SOURCE["source_url"], "title": SOURCE["source_title"]}]
        for c in result["second"]["claims"]
    )


def test_report_funding_by_tier_and_brokers(shift_store: Store) -> None:
    result = figures.report(shift_store)
    # Amounts without a stated basis (a version-1 file) are never summed: levels per tier.
    unknown = result["funding_by_tier"]["RUB"]["unknown"]
    assert unknown["claims"] == 12 and set(result["funding_by_tier"]["RUB"]) == {"unknown"}
    assert unknown["regional"]["claims"] == unknown["federal"]["claims"] == 6
    assert unknown["regional"]["total"] is None and unknown["federal"]["median"] == 100_000
    assert result["figures"]["regional_share_of_bonus_claims"] == 0.5
    assert result["top_actors"][0]["label"]


def test_projection_filters(shift_store: Store) -> None:
    everything = project(shift_store)
    assert everything.number_of_edges() == 30
    assert everything.graph["datasets"] == ["shift"]
    in_2025 = project(shift_store, ProjectionFilter(start=date(2025, 1, 1), end=date(2025, 12, 31)))
    assert in_2025.number_of_edges() == 18
    funding = project(shift_store, ProjectionFilter(relations=frozenset({"FundingFlow"})))
    assert {t for _, _, t in funding.edges(data="type")} == {"FundingFlow"}
    regional = project(
        shift_store, ProjectionFilter(kinds=frozenset({"RegionalGovernment", "RecruitmentScheme"}))
    )
    assert regional.number_of_edges() == 12
    assert project(shift_store, ProjectionFilter(datasets=("other",))).number_of_edges() == 0
    edge = next(iter(everything.edges(data=True)))[2]
    assert edge["sources"] == (SOURCE["source_url"],) and edge["confidence"] == "high"


def test_minimum_confidence_and_aggregates(tmp_path: Path) -> None:
    aggregate = ("RegionalGovernment", "Russian regional governments (aggregate)", "")
    scheme = ("RecruitmentScheme", "Scheme", "")
    rows = [
        row("x1", "Operation", REGIONS[0], scheme, "2024-01-01", confidence="low"),
        row("x2", "Operation", aggregate, scheme, "2024-01-01", confidence="medium"),
        row("x3", "Operation", CENTRE, scheme, "2024-01-01", confidence="high"),
    ]
    store = EmbeddedStore(None)
    load_files(store, [claims_csv(tmp_path / "c.csv", *rows)], "conf")
    ids = {
        d["claim_id"]
        for _, _, d in project(store, ProjectionFilter(min_confidence="medium")).edges(data=True)
    }
    assert ids == {"x2", "x3"}
    without = project(store, ProjectionFilter(aggregates=False))
    assert {d["claim_id"] for _, _, d in without.edges(data=True)} == {"x1", "x3"}
    assert without.nodes  # the aggregate node itself is gone
    assert not any(a for _, a in without.nodes(data="aggregate"))


def test_claim_without_end_lasts_as_long_as_its_precision() -> None:
    assert implicit_end(date(2024, 7, 1), "month") == date(2024, 7, 31)
    assert implicit_end(date(2024, 2, 1), "month") == date(2024, 2, 29)
    assert implicit_end(date(2024, 1, 1), "year") == date(2024, 12, 31)
    assert implicit_end(date(2024, 5, 9), "day") == date(2024, 5, 9)


def test_projection_is_cached_frozen_and_invalidated_by_writes(
    shift_store: Store, tmp_path: Path
) -> None:
    first = project(shift_store)
    assert project(shift_store) is first
    assert nx.is_frozen(first)
    with pytest.raises(nx.NetworkXError):
        first.add_node("x")
    load_files(shift_store, [claims_csv(tmp_path / "more.csv", BASE_ROW)], "more")
    second = project(shift_store)
    assert second is not first and second.number_of_edges() == 31


def test_cache_never_mixes_up_two_stores(tmp_path: Path) -> None:
    # Stores made and dropped one after the other often get the same id(); each must still
    # get its own projection.
    for i in range(12):
        # The reference data as a load writes it, checked once (two thirds of a small load).
        store = load_once(EmbeddedStore(None), load_reference)
        source = claims_csv(tmp_path / f"c{i}.csv", {**BASE_ROW, "amount": str(1000 + i)})
        load_files(store, [source], "claims")
        G = project(store)
        (amount,) = [d["amount"] for _, _, d in G.edges(data=True)]
        assert amount == 1000 + i
        del store, G


def test_cache_entries_go_with_their_store(shift_store: Store) -> None:
    from graph.store import cache

    store = EmbeddedStore(None)
    # A copy made without the loader, so that nothing but this test holds the store.
    store._store.extend(shift_store._store.quads_for_pattern(None, None, None, None))
    project(store)
    serial = cache._SERIALS[store]
    assert [key for key in cache._ENTRIES if key[0] == serial]
    alive = weakref.ref(store)
    del store
    gc.collect()
    assert alive() is None
    assert not [key for key in cache._ENTRIES if key[0] == serial]


def test_simple_view_weights() -> None:
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", amount=5.0, currency="RUB", amount_basis="total")
    G.add_edge("a", "b", amount=None)
    G.add_edge("a", "b", amount=7.0, currency="USD", amount_basis="total")
    G.add_edge("a", "b", amount=9.0, currency="RUB", amount_basis="per_recruit")
    G.add_edge("a", "a", amount=1.0, currency="RUB", amount_basis="total")
    assert simple_view(G, weight="count")["a"]["b"]["weight"] == 4.0
    # Money of one currency paid out; never per-recruit levels, never another currency.
    rub = simple_view(G, weight="amount", currency="RUB", amount_basis="total")
    assert rub["a"]["b"]["weight"] == 5.0
    for bad in ({}, {"currency": "RUB"}, {"currency": "RUB", "amount_basis": "per_recruit"}):
        with pytest.raises(ValueError, match="amount"):
            simple_view(G, weight="amount", **bad)
    assert not simple_view(G).has_edge("a", "a")


def test_bad_filters_and_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown relation"):
        ProjectionFilter(relations=frozenset({"Bribe"}))
    with pytest.raises(ValueError, match="ends"):
        ProjectionFilter(start=date(2025, 1, 1), end=date(2024, 1, 1))
    with pytest.raises(ValueError, match="not a period"):
        figures.parse_period("last year")
    with pytest.raises(ValueError, match="ISO 8601 duration"):
        figures.Duration.parse("12 months")
    assert figures.parse_period("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert figures.Duration.parse("P1Y6M").months == 18


def test_synthetic_centralization_rises_with_the_planted_parameter(tmp_path: Path) -> None:
    rows = []
    for x in (0.0, 0.25, 0.5, 0.75, 1.0):
        out = tmp_path / f"synth-{x}.nt"
        write_synthetic(out, actors=300, centralization=x, seed=5)
        store = EmbeddedStore(None)
        load_files(store, [out], "synthetic")
        result = figures.report(store)
        assert result["synthetic"]
        rows.append(result["figures"])
    for key in ("centralization_degree", "federal_reach", "global_reaching_centrality"):
        series = [f[key] for f in rows]
        assert series == sorted(series) and series[0] < series[-1], (key, series)
    bonus = [f["regional_share_of_bonus_claims"] for f in rows]
    assert bonus == sorted(bonus, reverse=True) and bonus[0] == 1.0, bonus
