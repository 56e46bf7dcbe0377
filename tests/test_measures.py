"""Measures that mean what they say: money never summed across currencies or amount bases,
the burden share per recruit, who operates vs who pays, and enforcement over time. Every
expected figure is worked out by hand in the comments."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph.analysis import figures, queries
from graph.analysis.metrics import node_measures
from graph.analysis.metrics.burden import (
    burden_share,
    burden_share_edges,
    burden_share_median,
    calendar_years,
    period_label,
    quantile,
)
from graph.analysis.metrics.enforcement import claim_year, country_of, enforcement_by_year
from graph.analysis.metrics.funding import (
    funding_by_tier,
    payer_concentration,
    regional_share_of_bonus_claims,
)
from graph.analysis.metrics.roles import roles_by_tier
from graph.analysis.projection import ProjectionFilter, project, simple_view
from graph.ingest import load_files
from graph.ingest.claims_csv import COLUMNS, V2_COLUMNS
from graph.sparql import dataset_graphs
from graph.store import EmbeddedStore, Store
from tests.helpers import CENTRE, row

YEAR_2024 = (date(2024, 1, 1), date(2024, 12, 31))


# -- hand-made projections --------------------------------------------------------------------


def _graph(**graph: Any) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(**graph)
    G.add_node("centre", tier="federal", kind="FederalBody", label="Centre", aggregate=False)
    G.add_node("scheme", tier="other", kind="RecruitmentScheme", label="Scheme", aggregate=False)
    return G


def _region(G: nx.MultiDiGraph, name: str, **attrs: Any) -> None:
    G.add_node(
        name,
        tier="regional",
        kind="RegionalGovernment",
        label=f"Region {name}",
        code=f"RU-{name.upper()}",
        aggregate=attrs.pop("aggregate", False),
        **attrs,
    )


def _pay(
    G: nx.MultiDiGraph,
    payer: str,
    claim_id: str,
    amount: float | None,
    start: date,
    end: date,
    *,
    currency: str = "RUB",
    amount_basis: str | None = "per_recruit",
    purpose: str = "enlistment_bonus",
    foreigners: bool | None = None,
    basis: str = "report",
) -> None:
    """A funding claim of ``payer`` in force from ``start`` to ``end``."""
    G.add_edge(
        payer,
        "scheme",
        key=claim_id,
        claim=f"https://example.org/claim/{claim_id}",
        claim_id=claim_id,
        type="FundingFlow",
        purpose=purpose,
        amount=amount,
        currency=currency if amount is not None else None,
        amount_basis=amount_basis if amount is not None else None,
        start=start,
        end=end,
        precision="day",
        foreigners=foreigners,
        basis=basis,
    )


def _shares(row: dict[str, Any]) -> dict[str, float]:
    return {s["region"]: s["share"] for s in row["shares"]}


# -- money is never mixed -------------------------------------------------------------------------


def test_funding_by_tier_keeps_currencies_and_bases_apart() -> None:
    G = _graph()
    _region(G, "rya")
    _region(G, "ta")
    year = date(2025, 1, 1), date(2025, 12, 31)
    # Ryazan: 2,500 USD and 574,713 RUB per recruit, once shown as "577,213".
    _pay(G, "rya", "u1", 2_500.0, *year, currency="USD")
    _pay(G, "rya", "r1", 574_713.0, *year)
    _pay(G, "ta", "r2", 1_000_000.0, *year, basis="assessment")
    _pay(G, "centre", "f1", 400_000.0, *year)
    # A budget total paid out for many recruits, and one amount of unknown basis.
    _pay(G, "ta", "t1", 2e9, *year, amount_basis="total")
    _pay(G, "ta", "t2", 3e9, *year, amount_basis="total")
    _pay(G, "ta", "x1", 50_000.0, *year, amount_basis=None)
    _pay(G, "ta", "n1", None, *year)  # no amount: not in any cell
    funding = funding_by_tier(G)
    assert set(funding) == {"RUB", "USD"}
    assert funding["USD"] == {
        "per_recruit": {
            "claims": 1,
            "regional": {
                "claims": 1,
                "payers": 1,
                "assessments": 0,
                "total": None,
                "median": 2500.0,
                "min": 2500.0,
                "max": 2500.0,
            },
        }
    }
    rub = funding["RUB"]
    assert list(rub) == ["per_recruit", "total", "unknown"]
    levels = rub["per_recruit"]["regional"]
    # Two regional levels, 574,713 and 1,000,000: median 787,356.5, never a sum.
    assert levels["total"] is None and levels["median"] == pytest.approx(787_356.5)
    assert (levels["claims"], levels["payers"], levels["assessments"]) == (2, 2, 1)
    assert list(rub["per_recruit"]) == ["claims", "federal", "regional"]  # tiers in order
    assert rub["per_recruit"]["claims"] == 3
    assert rub["total"]["regional"]["total"] == 5e9 and rub["total"]["claims"] == 2
    assert rub["unknown"]["regional"]["total"] is None
    assert rub["unknown"]["regional"]["median"] == 50_000.0
    assert funding_by_tier(G, purpose="recruiter_fee") == {}
    # Node strength and edge weights: never a sum across currencies or of levels.
    with pytest.raises(ValueError, match="amount"):
        simple_view(G, weight="amount")
    with pytest.raises(ValueError, match="amount"):
        node_measures(G, weight="amount")
    view = simple_view(G, weight="amount", currency="RUB", amount_basis="total")
    assert view["ta"]["scheme"]["weight"] == 5e9 and view["rya"]["scheme"]["weight"] == 0.0
    assert simple_view(G, weight="count")["ta"]["scheme"]["weight"] == 5.0
    assert node_measures(G)["ta"]["out_strength"] == 5.0  # claims


def test_payer_concentration_within_one_currency_and_basis() -> None:
    G = _graph()
    _region(G, "a")
    _region(G, "b")
    year = date(2025, 1, 1), date(2025, 12, 31)
    # RUB paid out: a 300, b 100 -> shares 3/4, 1/4 -> H = 9/16 + 1/16 = 0.625.
    _pay(G, "a", "t1", 300.0, *year, amount_basis="total")
    _pay(G, "b", "t2", 100.0, *year, amount_basis="total")
    # Left out: a per-recruit level, and a USD total.
    _pay(G, "b", "p1", 1e9, *year)
    _pay(G, "b", "u1", 5e6, *year, currency="USD", amount_basis="total")
    assert payer_concentration(G) == pytest.approx(0.625)
    assert payer_concentration(G, currency="USD") == 1.0
    assert payer_concentration(G, currency="EUR") is None


def test_regional_share_of_bonus_claims_counts_claims() -> None:
    G = _graph()
    _region(G, "a")
    year = date(2025, 1, 1), date(2025, 12, 31)
    for i in range(3):
        _pay(G, "a", f"r{i}", 100.0, *year)
    _pay(G, "centre", "f1", None, *year)  # no amount: counted all the same
    _pay(G, "a", "fee", 5.0, *year, purpose="recruiter_fee")  # not a bonus
    assert regional_share_of_bonus_claims(G) == 0.75  # 3 of 4
    assert regional_share_of_bonus_claims(_graph()) is None


# -- burden share per recruit -------------------------------------------------------------------


def test_per_recruit_share_never_mixes_currencies_nor_totals() -> None:
    G = _graph()
    for name in ("a", "b", "c"):
        _region(G, name)
    _region(G, "all", aggregate=True)
    _pay(G, "centre", "f1", 400_000.0, *YEAR_2024)
    _pay(G, "a", "r1", 600_000.0, *YEAR_2024)  # 600 / (600 + 400) = 0.6
    _pay(G, "b", "u1", 2_500.0, *YEAR_2024, currency="USD")  # never set against RUB
    _pay(G, "c", "t1", 2e9, *YEAR_2024, amount_basis="total")  # a total never enters
    _pay(G, "c", "x1", 100.0, *YEAR_2024, amount_basis=None)  # nor an unknown basis
    _pay(G, "all", "g1", 1e6, *YEAR_2024)  # an aggregate of regions is not a region
    [year] = burden_share(G)
    assert (year["period"], year["start"], year["end"]) == ("2024", "2024-01-01", "2024-12-31")
    assert year["currency"] == "RUB"
    assert _shares(year) == {"a": pytest.approx(0.6)}
    assert (year["n"], year["median"], year["lower_quartile"]) == (1, 0.6, 0.6)
    [share] = year["shares"]
    assert (share["regional_claim"], share["federal_claim"]) == ("r1", "f1")
    assert (share["regional"], share["federal"], share["code"]) == (600_000.0, 400_000.0, "RU-A")
    assert year["claims"] == ["f1", "r1"] and year["assessments"] == 0
    [usd] = year["left_out"]
    assert (usd["region"], usd["claims"]) == ("b", ["u1"])
    assert "currency" in usd["reason"]
    # In USD, b would have a share only beside a federal USD payment: there is none.
    [in_usd] = burden_share(G, currency="USD")
    assert in_usd["n"] == 0 and in_usd["median"] is None
    assert {(o["region"], o["reason"]) for o in in_usd["left_out"]} == {
        ("a", "not in the currency compared"),
        ("b", "no federal payment in force"),
    }


def test_quartiles_across_four_regions() -> None:
    G = _graph()
    _pay(G, "centre", "f1", 400.0, *YEAR_2024)
    # Shares r / (r + 400): 100 -> 0.2, 400 -> 0.5, 600 -> 0.6, 1600 -> 0.8.
    for name, amount in [("a", 100.0), ("b", 400.0), ("c", 600.0), ("d", 1600.0)]:
        _region(G, name)
        _pay(
            G, name, f"r{name}", amount, *YEAR_2024, basis="assessment" if name == "d" else "report"
        )
    [year] = burden_share(G, [YEAR_2024])
    assert sorted(_shares(year).values()) == pytest.approx([0.2, 0.5, 0.6, 0.8])
    # Type 7: h = 3q; Q1 at h = 0.75: 0.2 + 0.75 * 0.3 = 0.425; median (0.5 + 0.6) / 2;
    # Q3 at h = 2.25: 0.6 + 0.25 * 0.2 = 0.65.
    assert year["n"] == 4
    assert year["lower_quartile"] == pytest.approx(0.425)
    assert year["median"] == pytest.approx(0.55)
    assert year["upper_quartile"] == pytest.approx(0.65)
    assert year["claims"] == ["f1", "ra", "rb", "rc", "rd"] and year["assessments"] == 1
    assert quantile([3.0], 0.25) == 3.0
    with pytest.raises(ValueError):
        quantile([], 0.5)


def test_federal_level_switching_inside_a_year() -> None:
    G = _graph()
    # 195,000 until 31 July 2024 (213 days of 2024), 400,000 from 1 August (153 days).
    _pay(G, "centre", "f195", 195_000.0, date(2022, 9, 21), date(2024, 7, 31))
    _pay(G, "centre", "f400", 400_000.0, date(2024, 8, 1), date(2024, 12, 31))
    for name in "xyzw":
        _region(G, name)
    # x: all year -> beside the 195,000 in force most of the year: 600 / 795.
    _pay(G, "x", "x1", 600_000.0, *YEAR_2024)
    # y: from September -> only the 400,000 was in force beside it: 600 / 1000.
    _pay(G, "y", "y1", 600_000.0, date(2024, 9, 1), date(2024, 12, 31))
    # z: 300,000 in January-March (91 days), 500,000 April-December (275): the latter counts;
    # over April-December the 400,000 is in force 153 days, the 195,000 122: 500 / 900.
    _pay(G, "z", "z1", 300_000.0, date(2024, 1, 1), date(2024, 3, 31))
    _pay(G, "z", "z2", 500_000.0, date(2024, 4, 1), date(2024, 12, 31))
    # w: 1,000,000 January-October (305 days), 2,000,000 from November (61 days).
    _pay(G, "w", "w1", 1_000_000.0, date(2024, 1, 1), date(2024, 10, 31))
    _pay(G, "w", "w2", 2_000_000.0, date(2024, 11, 1), date(2024, 12, 31))
    [longest] = burden_share(G, [YEAR_2024])
    assert _shares(longest) == pytest.approx(
        {"x": 600 / 795, "y": 0.6, "z": 500 / 900, "w": 1000 / 1195}
    )
    pairs = {s["region"]: (s["regional_claim"], s["federal_claim"]) for s in longest["shares"]}
    assert pairs == {
        "x": ("x1", "f195"),
        "y": ("y1", "f400"),
        "z": ("z2", "f400"),
        "w": ("w1", "f195"),
    }
    # The latest-started payment instead: w's 2,000,000 of November, beside the 400,000.
    [latest] = burden_share(G, [YEAR_2024], rule="latest")
    assert _shares(latest)["w"] == pytest.approx(2000 / 2400)
    # x has one payment; the federal one that started last in 2024 is the 400,000.
    assert _shares(latest)["x"] == pytest.approx(0.6)
    # Per half-year: in January-June only the 195,000 is in force.
    [first_half] = burden_share(G, [(date(2024, 1, 1), date(2024, 6, 30))])
    assert _shares(first_half) == pytest.approx({"x": 600 / 795, "z": 500 / 695, "w": 1000 / 1195})
    assert first_half["period"] == "2024-01-01/2024-06-30"
    with pytest.raises(ValueError, match="rule"):
        burden_share(G, rule="biggest")
    with pytest.raises(ValueError, match="before it starts"):
        burden_share(G, [(date(2024, 2, 1), date(2024, 1, 1))])


def test_foreigners_only() -> None:
    G = _graph()
    for name in "abc":
        _region(G, name)
    _pay(G, "centre", "f1", 400.0, *YEAR_2024)  # the source does not say: kept
    _pay(G, "a", "ra", 600.0, *YEAR_2024, foreigners=True)
    _pay(G, "b", "rb", 400.0, *YEAR_2024)  # unstated
    _pay(G, "c", "rc", 100.0, *YEAR_2024, foreigners=False)  # Russian citizens only
    assert set(_shares(burden_share(G)[0])) == {"a", "b", "c"}
    [only] = burden_share(G, foreigners_only=True)
    assert _shares(only) == pytest.approx({"a": 0.6})
    # Regions without a payment open to foreigners drop out (not a zero share), listed.
    assert {(o["region"], o["reason"]) for o in only["left_out"]} == {
        ("b", "no payment open to foreigners"),
        ("c", "no payment open to foreigners"),
    }
    [unstated] = burden_share(G, foreigners_only=True, keep_unstated=True)
    assert _shares(unstated) == pytest.approx({"a": 0.6, "b": 0.5})
    with pytest.raises(ValueError, match="keep_unstated"):
        burden_share(G, keep_unstated=True)
    # A federal payment that excludes foreigners does not count for them.
    G.edges["centre", "scheme", "f1"]["foreigners"] = False
    [none] = burden_share(G, foreigners_only=True)
    assert none["n"] == 0 and none["left_out"][0]["reason"] == "no federal payment in force"
    assert burden_share(G)[0]["n"] == 3


def test_headline_median_over_the_window() -> None:
    G = _graph(filter={"start": "2024-01-01", "end": "2024-12-31"})
    _pay(G, "centre", "f1", 400.0, *YEAR_2024)
    for name, amount in [("a", 100.0), ("b", 400.0), ("c", 1600.0)]:
        _region(G, name)
        _pay(G, name, f"r{name}", amount, *YEAR_2024)
    # Shares 0.2, 0.5, 0.8: median 0.5.
    assert burden_share_median(G) == 0.5
    assert sorted(k for *_, k in burden_share_edges(G)) == ["f1", "ra", "rb", "rc"]
    assert burden_share_median(_graph()) is None and burden_share_edges(_graph()) == []
    # A window that the claims cover only in part: the default periods are its years.
    G.graph["filter"] = {"start": "2024-07-01", "end": "2025-06-30"}
    assert [r["period"] for r in burden_share(G)] == [
        "2024-07-01/2024-12-31",
        "2025-01-01/2025-06-30",
    ]
    assert burden_share(G)[1]["n"] == 0


def test_periods() -> None:
    assert calendar_years(date(2023, 5, 1), date(2024, 2, 1)) == [
        (date(2023, 5, 1), date(2023, 12, 31)),
        (date(2024, 1, 1), date(2024, 2, 1)),
    ]
    assert period_label(*YEAR_2024) == "2024"
    assert period_label(date(2024, 1, 1), date(2025, 12, 31)) == "2024-01-01/2025-12-31"


# -- who operates vs who pays -----------------------------------------------------------------


def test_operators_and_payers_by_tier_and_year() -> None:
    G = _graph()
    _region(G, "a")
    _region(G, "b")
    G.add_node("ring", tier="recruiter", kind="Recruiter", label="Ring", aggregate=False)
    G.add_node("cohort", tier="other", kind="RecruitCohort", code="NP", aggregate=False)

    def claim(u: str, v: str, key: str, kind: str, start: date, end: date, **more: Any) -> None:
        G.add_edge(u, v, key=key, claim_id=key, type=kind, start=start, end=end, **more)

    day_2024 = date(2024, 5, 1), date(2024, 5, 1)
    claim("a", "scheme", "o1", "Operation", *day_2024, basis="report")
    claim("b", "scheme", "o2", "Operation", *day_2024, basis="assessment")
    claim("centre", "scheme", "o3", "Operation", date(2023, 1, 1), date(2024, 12, 31))
    claim("ring", "cohort", "k1", "Recruitment", *day_2024)
    claim("scheme", "cohort", "k2", "Recruitment", *day_2024)  # a scheme is not an actor
    _pay(G, "a", "p1", 100.0, *day_2024)
    _pay(G, "a", "p2", 200.0, *day_2024, purpose="recruiter_fee")
    _pay(G, "centre", "p3", None, date(2025, 3, 1), date(2025, 3, 1), basis="assessment")
    rows = {r["period"]: r for r in roles_by_tier(G)}
    assert list(rows) == ["2023", "2024", "2025"]
    # 2023: only the centre's operation, which spans 2023-2024, counts in both years.
    assert rows["2023"]["operators"]["federal"]["claim_ids"] == ["o3"]
    assert rows["2023"]["payers"] == {}
    ops = rows["2024"]["operators"]
    assert list(ops) == ["federal", "regional", "recruiter"]
    regional = ops["regional"]
    assert (regional["claims"], regional["actors"], regional["assessments"]) == (2, 2, 1)
    assert regional["claim_ids"] == ["o1", "o2"] and regional["types"]["Operation"]["claims"] == 2
    assert ops["recruiter"]["claim_ids"] == ["k1"] and "other" not in ops
    payers = rows["2024"]["payers"]
    assert list(payers) == ["regional"]
    assert (payers["regional"]["claims"], payers["regional"]["actors"]) == (2, 1)
    assert payers["regional"]["purposes"]["recruiter_fee"]["claim_ids"] == ["p2"]
    federal_2025 = rows["2025"]["payers"]["federal"]
    assert federal_2025["claims"] == 1 and federal_2025["assessments"] == 1
    assert rows["2025"]["operators"] == {}
    # The operators alone (the question page's chart): the same years (the payments' too),
    # the same tables, no payers.
    alone = roles_by_tier(G, payers=False)
    assert alone == [{k: v for k, v in row.items() if k != "payers"} for row in rows.values()]


# -- enforcement over time --------------------------------------------------------------------


def test_enforcement_per_year_beside_the_reporting() -> None:
    G = nx.MultiDiGraph()
    G.add_node("np", kind="ForeignGovernment", code="NP")
    G.add_node("np-police", kind="ForeignGovernment", code="NP")
    G.add_node("in-cbi", kind="ForeignGovernment", code="IN")
    G.add_node("cu", kind="ForeignGovernment", code="CU")
    G.add_node("np-cohort", kind="RecruitCohort", code="NP")
    G.add_node("in-cohort", kind="RecruitCohort", code="IN")
    G.add_node("ring", kind="Recruiter", code=None)
    G.add_node("region", kind="RegionalGovernment", code="RU-TA")
    G.add_node("scheme", kind="RecruitmentScheme", code=None)

    def claim(u: str, v: str, key: str, kind: str, start: date, **more: Any) -> None:
        precision = more.pop("precision", "day")
        end = more.pop("end", start)
        G.add_edge(
            u,
            v,
            key=key,
            claim_id=key,
            type=kind,
            start=start,
            end=end,
            precision=precision,
            basis=more.pop("basis", "report"),
            **more,
        )

    claim("np", "ring", "e1", "EnforcementAction", date(2023, 12, 6), action="arrest")
    claim("ring", "np-cohort", "r1", "Recruitment", date(2023, 3, 1))
    claim("np-police", "ring", "e2", "EnforcementAction", date(2024, 1, 5), action="ban")
    claim(
        "in-cbi",
        "ring",
        "e3",
        "EnforcementAction",
        date(2024, 5, 1),
        action="arrest",
        precision="month",
        end=date(2024, 5, 31),
        basis="assessment",
    )
    claim("ring", "np-cohort", "r2", "Recruitment", date(2024, 2, 1))
    claim("ring", "in-cohort", "r3", "Recruitment", date(2024, 3, 1))
    claim("ring", "in-cohort", "r4", "Recruitment", date(2024, 4, 1))
    claim("region", "scheme", "o1", "Operation", date(2024, 4, 1))  # about no country
    # A prosecution count accrued 2023 to October 2025: one event, in 2025, a span.
    claim(
        "cu",
        "ring",
        "e4",
        "EnforcementAction",
        date(2023, 1, 1),
        action="prosecution",
        precision="year",
        end=date(2025, 10, 11),
    )
    rows = {r["year"]: r for r in enforcement_by_year(G)}
    assert list(rows) == [2023, 2024, 2025]
    y23, y24, y25 = rows[2023], rows[2024], rows[2025]
    # 2023: the arrest and one recruitment of Nepalis: 1 event of 2 claims.
    assert (y23["events"], y23["claims"], y23["rate"]) == (1, 2, 0.5)
    assert y23["acting_countries"] == ["NP"]
    # 2024: the ban (Nepal's police, rolled to NP) and the CBI's arrest; 5 claims concern a
    # country (e2, e3, r2, r3, r4; not o1): rate 2/5; two acting countries.
    assert (y24["events"], y24["claims"], y24["rate"]) == (2, 5, 0.4)
    assert y24["by_action"] == {"arrest": 1, "ban": 1}
    assert (y24["acting_countries"], y24["n_acting_countries"]) == (["IN", "NP"], 2)
    assert y24["assessments"] == 1 and y24["event_claims"] == ["e2", "e3"]
    # Per country: India 1 event of 3 claims (e3, r3, r4); Nepal 1 of 2 (e2, r2).
    assert y24["countries"]["IN"] == {
        "events": 1,
        "by_action": {"arrest": 1},
        "claims": 3,
        "rate": pytest.approx(1 / 3),
    }
    assert (y24["countries"]["NP"]["events"], y24["countries"]["NP"]["claims"]) == (1, 2)
    # 2025: the span, counted once in its end year and flagged.
    assert (y25["events"], y25["spans"], y25["by_action"]) == (1, 1, {"prosecution": 1})
    assert (y25["claims"], y25["rate"]) == (1, 1.0)
    # A window keeps its own years only.
    G.graph["filter"] = {"start": "2024-01-01", "end": "2024-12-31"}
    assert [r["year"] for r in enforcement_by_year(G)] == [2024]
    assert enforcement_by_year(nx.MultiDiGraph()) == []


def test_claim_year_and_country() -> None:
    stock = {"start": date(2022, 1, 1), "end": date(2024, 6, 1), "precision": "year"}
    assert claim_year(stock) == (2024, True)
    event = {"start": date(2022, 9, 21), "end": date(2024, 7, 31), "precision": "day"}
    assert claim_year(event) == (2022, False)
    assert country_of({"kind": "RecruitCohort", "code": "in"}) == "IN"
    assert country_of({"kind": "ForeignGovernment", "code": None}) is None


# -- through the store: flows, report -------------------------------------------------------


TA = ("RegionalGovernment", "Government of Tatarstan (test)", "RU-TA")
RYA = ("RegionalGovernment", "Government of Ryazan (test)", "RU-RYA")
SCHEME = ("RecruitmentScheme", "Contract bonus scheme (test)", "")


def _v2_store(tmp_path: Path) -> Store:
    bonus = {"currency": "RUB", "purpose": "enlistment_bonus", "amount_basis": "per_recruit"}
    rows = [
        row(
            "f1",
            "FundingFlow",
            CENTRE,
            SCHEME,
            "2024-08-01",
            end="2024-12-31",
            amount="400000",
            **bonus,
        ),
        row(
            "r1",
            "FundingFlow",
            TA,
            SCHEME,
            "2024-03-01",
            end="2024-12-31",
            amount="600000",
            **bonus,
        ),
        row("r2", "FundingFlow", TA, SCHEME, "2025-03-01", amount="800000", **bonus),
        row(
            "u1",
            "FundingFlow",
            RYA,
            SCHEME,
            "2024-05-01",
            amount="2500",
            **{**bonus, "currency": "USD"},
        ),
        row(
            "t1",
            "FundingFlow",
            TA,
            SCHEME,
            "2025-01-01",
            amount="2000000",
            **{**bonus, "purpose": "recruiter_fee", "amount_basis": "total"},
        ),
        row("n1", "FundingFlow", CENTRE, SCHEME, "2025-04-01", purpose="enlistment_bonus"),
    ]
    fields = [*COLUMNS, *V2_COLUMNS]
    path = tmp_path / "v2.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows({**dict.fromkeys(fields, ""), "basis": "report", **r} for r in rows)
    store = EmbeddedStore(None)
    load_files(store, [path], "v2")
    return store


def test_flows_grouped_by_tier_and_period_together(tmp_path: Path) -> None:
    store = _v2_store(tmp_path)
    graphs = dataset_graphs(store)
    result = queries.flows(store, graphs, group_by=["payer_tier", "period"])
    assert result["group_by"] == ["payer_tier", "period"]
    found = [
        (
            r["payer_tier"],
            r["period"],
            r["currency"],
            r["amount_basis"],
            r["flows"],
            r["total"],
            r["median"],
        )
        for r in result["rows"]
    ]
    assert found == [
        ("federal", "2024", "RUB", "per_recruit", 1, None, "400000"),
        ("regional", "2024", "RUB", "per_recruit", 1, None, "600000"),
        ("regional", "2025", "RUB", "per_recruit", 1, None, "800000"),
        ("regional", "2025", "RUB", "total", 1, "2000000", "2000000"),
        ("regional", "2024", "USD", "per_recruit", 1, None, "2500"),
    ]
    assert result["unquantified"] == {"federal / 2025": 1}
    # The same as a comma-separated string (the HTTP query form).
    same = queries.flows(store, graphs, group_by="payer_tier,period")
    assert same["rows"] == result["rows"]
    # One grouping: regional per-recruit levels 600,000 and 800,000, median 700,000, no sum.
    tiers = queries.flows(store, graphs, group_by="payer_tier")
    regional = next(
        r
        for r in tiers["rows"]
        if r["group"] == "regional"
        and r["currency"] == "RUB"
        and r["amount_basis"] == "per_recruit"
    )
    assert (regional["median"], regional["min"], regional["max"]) == ("700000", "600000", "800000")
    assert regional["total"] is None and tiers["group_by"] == "payer_tier"
    for bad in (["payer_tier", "colour"], "period,period", []):
        with pytest.raises(ValueError, match="group_by"):
            queries.flows(store, graphs, group_by=bad)


def test_report_has_the_new_measures(tmp_path: Path) -> None:
    store = _v2_store(tmp_path)
    result = figures.report(store)
    by_year = {r["period"]: r for r in result["burden_share"]}
    # 2024: Tatarstan's 600,000 (from March) beside the 400,000 (from August): 0.6; Ryazan's
    # USD payment left out. 2025: 800,000 and no federal level in force: no share.
    assert by_year["2024"]["median"] == pytest.approx(0.6) and by_year["2024"]["n"] == 1
    assert by_year["2025"]["n"] == 0
    assert [o["reason"] for o in by_year["2025"]["left_out"]] == ["no federal payment in force"]
    assert result["figures"]["burden_share_median"] is not None
    assert result["figures"]["regional_share_of_bonus_claims"] == pytest.approx(3 / 5)
    assert result["funding_by_tier"]["USD"]["per_recruit"]["regional"]["median"] == 2500.0
    roles = {r["period"]: r for r in result["roles"]}
    assert roles["2025"]["payers"]["regional"]["purposes"]["recruiter_fee"]["claim_ids"] == ["t1"]
    assert result["enforcement"] == []  # no claim concerns a foreign country
    windowed = figures.report(
        store, ProjectionFilter(start=date(2024, 1, 1), end=date(2024, 12, 31))
    )
    assert windowed["figures"]["burden_share_median"] == pytest.approx(0.6)
    assert [r["period"] for r in windowed["burden_share"]] == ["2024"]
    assert project(store).number_of_edges() == 6
