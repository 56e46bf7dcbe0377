"""The question page's data (graph.analysis.question) on the default dataset, checked against the
claims file itself; the single file that `recruitgraph report --out` writes; and /api/question
and / over HTTP, where a restricted dataset stays invisible to a caller without the right."""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graph.analysis.evidence import _network, burden_share_intervals, figure_interval
from graph.analysis.metrics.burden import PeriodPayments, _claim_id, burden_share_median
from graph.analysis.metrics.views import _simple
from graph.analysis.projection import ProjectionFilter, claims_of, project, within
from graph.analysis.question import _Claims, _year_network, _years_of, question
from graph.store import EmbeddedStore, Store
from graph.viz import question as viz_question
from graph.viz.question import (
    QUESTION_ASSETS,
    chart_specs,
    chart_tables,
    page_part,
    question_page,
)
from tests.helpers import SECRET_MARKS, LiveServer, run_cli, with_default_dataset

CLAIMS = Path(str(files("graph.data") / "claims.csv"))


@pytest.fixture(scope="module")
def default_store() -> Iterator[Store]:
    with EmbeddedStore(None) as store:
        yield with_default_dataset(store)


@pytest.fixture(scope="module")
def page(default_store: Store) -> dict[str, Any]:
    return question(default_store)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with CLAIMS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_payers_keep_currencies_and_amount_bases_apart(
    page: dict[str, Any], rows: list[dict[str, str]]
) -> None:
    payers = page["charts"]["payers"]
    funded = [r for r in rows if r["relation"] == "FundingFlow"]
    expected = Counter((r["currency"], r["amount_basis"]) for r in funded if r["amount"])
    drawn: Counter[tuple[str, str]] = Counter()
    for row in payers["rows"]:
        drawn[(row["currency"], row["amount_basis"])] += row["flows"]
        assert len(row["claim_ids"]) == row["flows"]
        # a level is a median, never a sum; a total is the sum of the year's totals
        if row["amount_basis"] == "total":
            assert row["value"] == row["total"]
        else:
            assert row["total"] is None and row["value"] == row["median"]
    assert drawn == expected
    assert payers["panels"] == [{"currency": c, "amount_basis": b} for c, b in sorted(expected)]
    assert payers["unquantified"] == sum(1 for r in funded if not r["amount"])
    assert payers["claims"] == sum(expected.values())
    assessed = sum(1 for r in funded if r["amount"] and r["basis"] == "assessment")
    assert payers["assessments"] == assessed
    # The federal per-recruit levels of 2024: 195,000 RUB (the Ministry of Defence, c016) and
    # 400,000 RUB from August (c013): their median and range, not their sum.
    [federal] = [
        r
        for r in payers["rows"]
        if (r["payer_tier"], r["period"], r["currency"], r["amount_basis"])
        == ("federal", "2024", "RUB", "per_recruit")
    ]
    assert federal["claim_ids"] == ["c013", "c016"]
    assert (federal["min"], federal["median"], federal["max"]) == (195_000, 297_500, 400_000)


def test_every_chart_names_its_claims_with_their_sources(
    page: dict[str, Any], rows: list[dict[str, str]]
) -> None:
    basis = {r["claim_id"]: r["basis"] for r in rows}
    assert page["claims"] == len(rows)
    assert page["assessments"] == sum(1 for b in basis.values() if b == "assessment")
    for name, chart in page["charts"].items():
        assert chart["rows"], f"{name}: no rows on the default dataset"
        assert chart["claims"] == len(chart["claim_ids"]) > 0
        assert chart["assessments"] == sum(basis[i] == "assessment" for i in chart["claim_ids"])
        for claim_id in chart["claim_ids"]:
            claim = page["evidence"][claim_id]
            assert claim["sources"] and all(s["url"].startswith("http") for s in claim["sources"])
            assert claim["from_id"].startswith("https://w3id.org/recruitgraph/id/")
    enforcement = page["charts"]["enforcement"]
    actions = [r for r in rows if r["relation"] == "EnforcementAction"]
    assert sum(r["events"] for r in enforcement["rows"]) == len(actions)
    assert enforcement["claim_ids"] == sorted(r["claim_id"] for r in actions)


def test_operators_count_claims_by_tier_and_year(page: dict[str, Any]) -> None:
    operators = page["charts"]["operators"]
    for row in operators["rows"]:
        assert row["reports"] + row["assessments"] == row["claims"] == len(row["claim_ids"])
    tiers = {r["tier"] for r in operators["rows"]}
    assert {"federal", "regional"} <= tiers
    # the assessments (H. Stevens, c001-c007) are among the operators' evidence
    assert operators["assessments"] > 0


def test_the_centres_share_of_operation_claims_has_its_interval(
    page: dict[str, Any], rows: list[dict[str, str]]
) -> None:
    operators = page["charts"]["operators"]
    shares = operators["shares"]
    assert shares, "the default dataset has governments operating schemes"
    by_cell = {(r["period"], r["tier"]): r for r in operators["rows"]}
    for share in shares:
        federal = by_cell.get((share["period"], "federal"), {"claims": 0})["claims"]
        regional = by_cell.get((share["period"], "regional"), {"claims": 0})["claims"]
        assert (share["centre"], share["provinces"]) == (federal, regional)
        assert share["claims"] == federal + regional == len(share["claim_ids"])
        assert share["share"] == pytest.approx(federal / (federal + regional))
        # a Wilson interval: inside [0, 1], around the share, never a point
        assert 0 <= share["low"] < share["high"] <= 1
        assert share["low"] <= share["share"] <= share["high"]
    # fewer claims, a wider band: the year with the fewest has the widest interval
    fewest = min(shares, key=lambda s: s["claims"])
    most = max(shares, key=lambda s: s["claims"])
    if fewest["claims"] < most["claims"]:
        assert fewest["high"] - fewest["low"] > most["high"] - most["low"]


def test_burden_share_has_its_interval(page: dict[str, Any]) -> None:
    burden = page["charts"]["burden"]["rows"]
    assert {r["period"] for r in burden} >= {"2024", "2025"}
    for row in burden:
        assert row["currency"] == "RUB"
        assert 0 <= row["low"] <= row["median"] <= row["high"] <= 1
        assert row["lower_quartile"] <= row["median"] <= row["upper_quartile"]
        assert row["regions"] > 0 and row["claims"] == len(row["claim_ids"])


def test_centralization_against_its_null_band(page: dict[str, Any]) -> None:
    chart = page["charts"]["centralization"]
    assert chart["figure"] == "centralization_out_degree"
    for row in chart["rows"]:
        assert 0 <= row["low"] <= row["high"] <= 1
        assert 0 <= row["observed"] <= 1 and 0 < row["p_value"] <= 1
        assert row["claims"] == len(row["claim_ids"])


def test_the_burden_resamples_are_computed_as_the_figure_is(default_store: Store) -> None:
    """PeriodPayments gives, for any subset of a year's payments, the median share the figure
    gives for the network of those claims (exactly); the interval from one projection agrees
    with the old one, from a projection of each year, within its Monte Carlo error."""
    G = project(default_store)
    periods = _years_of(G, (d for *_, d in G.edges(data=True)))
    rng = np.random.default_rng(7)
    compared = 0
    for (lo, hi), payments in zip(periods, PeriodPayments.per_period(G, periods), strict=True):
        year = project(default_store, ProjectionFilter().window(lo, hi))
        assert sorted(year.edges(keys=True)) == sorted(within(G, lo, hi).edges(keys=True))
        if not payments.inputs:
            continue
        drawn = rng.random((40, len(payments.inputs))) < 0.6
        drawn[0] = True
        data = {(u, v, k): d for u, v, k, d in year.edges(keys=True, data=True)}
        expected = [
            burden_share_median(
                _network(
                    year,
                    [(*e, data[e]) for e, on in zip(payments.inputs, row, strict=True) if on],
                    year.nodes.__getitem__,
                )
            )
            for row in drawn
        ]
        assert payments.medians(drawn) == expected
        assert expected[0] == burden_share_median(year) == payments.share()[0]["median"]
        compared += 1
    assert compared >= 2
    new = burden_share_intervals(G, periods, rounds=999, seed=1)
    for (lo, hi), interval in zip(periods, new, strict=True):
        year = project(default_store, ProjectionFilter().window(lo, hi))
        old = figure_interval(year, "burden_share_median", rounds=999, seed=1)
        assert (interval.value, interval.method, interval.claims) == (
            old.value,
            old.method,
            old.claims,
        )
        if old.method == "bootstrap":
            # the 2.5% and 97.5% percentiles of 999 resamples of a few claims: each
            # within 0.1 (the shares move in steps of a region's share)
            assert abs(interval.low - old.low) < 0.1 and abs(interval.high - old.high) < 0.1
        else:
            assert (interval.low, interval.high) == (old.low, old.high)


def test_a_page_carries_a_bounded_number_of_claims(
    page: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(viz_question, "PAGE_CLAIMS", 3)
    chart = page["charts"]["payers"]
    part = page_part({"chart": "payers", "data": chart, "evidence": page["evidence"]})
    assert part["data"]["claims"] == chart["claims"] > 3  # the count stays whole
    assert part["data"]["claim_ids"] == chart["claim_ids"][:3]
    assert part["data"]["claims_left_out"] == chart["claims"] - 3
    kept = {i for r in part["data"]["rows"] for i in r["claim_ids"]} | {*chart["claim_ids"][:3]}
    assert set(part["evidence"]) == kept
    assert all(len(r["claim_ids"]) <= 3 for r in part["data"]["rows"])
    assert all(r["claims_left_out"] == max(0, r["flows"] - 3) for r in part["data"]["rows"])
    assert part["specs"] and len(part["tables"]) == len(part["specs"])


def test_a_period_from_long_before_the_data_costs_what_the_data_does(
    default_store: Store,
) -> None:
    """Years before the first claim hold nothing: they are not computed (schemathesis sent
    start=1077-07-08, and 950 empty years of null models ran past the 30 s limit)."""
    early = date(1077, 7, 8)
    page = question(default_store, ProjectionFilter(start=early), rounds=19)
    years = {row["period"] for chart in page["charts"].values() for row in chart["rows"]}
    assert years and min(years) >= "2022", sorted(years)[:3]


def test_reports_only_leaves_the_assessments_out(default_store: Store) -> None:
    reports = question(default_store, ProjectionFilter(basis="report"))
    assert reports["assessments"] == 0
    assert all(chart["assessments"] == 0 for chart in reports["charts"].values())


def test_specs_draw_one_panel_per_currency_and_basis(page: dict[str, Any]) -> None:
    specs = chart_specs(page)
    assert len(specs["payers"]) == len(page["charts"]["payers"]["panels"])
    # the operators' bars, then the centre's share with its interval
    assert len(specs["operators"]) == 2
    assert specs["operators"][1]["data"]["values"] == page["charts"]["operators"]["shares"]
    assert all(len(specs[name]) == 1 for name in specs if name not in ("payers", "operators"))
    # JSON all the way (no dates or decimals left for the page to choke on)
    json.dumps(specs, allow_nan=False)


def test_categories_are_told_by_shape_as_well_as_colour(page: dict[str, Any]) -> None:
    specs = chart_specs(page)
    by_field = [("tier", spec) for spec in [*specs["payers"], specs["operators"][0]]]
    by_field.append(("action", specs["enforcement"][0]))
    for field, spec in by_field:
        shaped = [
            layer["encoding"]["shape"]
            for layer in spec["layer"]
            if "shape" in layer.get("encoding", {})
        ]
        assert len(shaped) == 1, "one layer of markers"
        scale = shaped[0]["scale"]
        assert shaped[0]["field"] == field
        assert len(set(scale["range"])) == len(scale["domain"]) >= 5
        colours = [layer["encoding"].get("color") for layer in spec["layer"]]
        colours = [c for c in colours if c]
        assert colours and all(
            c["field"] == field and c["scale"]["domain"] == scale["domain"] for c in colours
        )
    # every action drawn has its shape
    drawn = {r["action"] for r in page["charts"]["enforcement"]["rows"]}
    assert drawn <= set(by_field[-1][1]["layer"][1]["encoding"]["shape"]["scale"]["domain"])


def test_tables_hold_what_each_chart_draws_and_the_claims_behind_each_row(
    page: dict[str, Any],
) -> None:
    specs = chart_specs(page)
    tables = chart_tables(specs)
    for name, plots in specs.items():
        assert len(tables[name]) == len(plots)
        behind = set(page["charts"][name]["claim_ids"])
        for spec, table in zip(plots, tables[name], strict=True):
            assert len(table["rows"]) == len(spec["data"]["values"])
            assert all(len(row["cells"]) == len(table["columns"]) for row in table["rows"])
            assert all(set(row["claim_ids"]) <= behind for row in table["rows"])
    # an operator bar's claims are its row's claims of that basis: reports and assessments
    # together are the row's, each claim once
    split = Counter()
    for row in tables["operators"][0]["rows"]:
        period, tier, basis = row["label"].split(", ")
        assert all(page["evidence"][claim]["basis"] == basis for claim in row["claim_ids"])
        split.update((period, tier, claim) for claim in row["claim_ids"])
    whole = Counter(
        (r["period"], r["tier"], claim)
        for r in page["charts"]["operators"]["rows"]
        for claim in r["claim_ids"]
    )
    assert split == whole
    burden = tables["burden"][0]
    assert burden["summary"].startswith("Line chart with its band of ")
    assert burden["rows"][0]["cells"][1].endswith("%")  # the tooltip's format (.1%)


def _foreign_references(text: str) -> list[str]:
    """src and href attributes that reach a host (the file must need none)."""
    return re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]*""", text, re.I)


def test_cli_writes_one_self_contained_file(tmp_path: Path, cli_env: dict[str, str]) -> None:
    with EmbeddedStore(cli_env["RECRUITGRAPH_DATA_DIR"]) as store:
        with_default_dataset(store)
    out = tmp_path / "question.html"
    done = run_cli("report", "--out", str(out), env=cli_env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "wrote the question page (5 of 5 charts" in done.stderr
    text = out.read_text(encoding="utf-8")
    assert _foreign_references(text) == []
    assert "<script src" not in text and "<link" not in text.replace('<link rel="icon"', "")
    assert "connect-src 'none'" in html.unescape(text)
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        marker = QUESTION_ASSETS[name].read_text(encoding="utf-8")[200:260]
        assert marker in text, f"{name} is not inlined"


def test_cli_refuses_bad_input_and_writes_nothing(tmp_path: Path, cli_env: dict[str, str]) -> None:
    out = tmp_path / "question.html"
    done = run_cli("report", "--out", str(out), "--kind", "Nope", env=cli_env)
    assert done.returncode == 1 and "unknown kind" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
    missing = run_cli("report", "--out", str(tmp_path / "no" / "q.html"), env=cli_env)
    assert missing.returncode == 1 and "no such directory" in missing.stderr


def test_the_page_escapes_what_the_data_says(page: dict[str, Any]) -> None:
    hostile = {**page, "question": "<script>alert(1)</script>"}
    text = question_page(hostile)
    assert "<script>alert(1)</script>" not in text


# --------------------------------------------------------------------------------------------
# HTTP, on the shared live server (public, restricted and synthetic datasets)


def test_question_page_and_data_are_served(live: LiveServer) -> None:
    with live.client() as client:
        landing = client.get("/")
        assert landing.status_code == 200
        assert landing.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in landing.headers["content-security-policy"]
        assert _foreign_references(landing.text) == []
        for name in QUESTION_ASSETS:
            assert client.get(f"/question/assets/{name}").status_code == 200
        assert client.get("/question/assets/nothing.js").json()["status"] == 404
        data = client.get("/api/question").json()
        assert set(data["datasets"]) == {"pub", "synth"}
        assert data["synthetic"] is True and "Synthetic data" in landing.text
        only_pub = client.get("/api/question", params={"dataset": "pub"}).json()
        assert only_pub["synthetic"] is False
        assert only_pub["charts"]["payers"]["claim_ids"] == ["t1"]


def test_restricted_datasets_stay_invisible(live: LiveServer) -> None:
    with live.client() as client:
        for path in ("/", "/api/question"):
            assert_hidden = client.get(path).text
            for mark in SECRET_MARKS:
                assert mark.lower() not in assert_hidden.lower(), (path, mark)
    with live.client("reader_secret") as client:
        assert "secret" in client.get("/api/question").json()["datasets"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({"kinds": "Nope"}, 400), ({"start": "yesterday"}, 400), ({"level": "village"}, 400)],
)
def test_bad_filters_are_refused(live: LiveServer, params: dict[str, str], status: int) -> None:
    with live.client() as client:
        for path in ("/", "/api/question"):
            answer = client.get(path, params=params)
            assert answer.status_code == status, (path, answer.text)
            assert answer.json()["status"] == status


@pytest.mark.parametrize("level", ["organization", "government"])
def test_each_years_network_is_the_simple_view_of_within(default_store: Store, level: str) -> None:
    """The centralization's network of a period, made from the claims read once, is the
    simple view of ``within`` (the same nodes and ties in the same order: every figure and
    null drawn on it the same), and names the claims of ``within``'s edges, in their order."""
    G = project(default_store, ProjectionFilter(level=level))
    claims = _Claims(G)
    periods = [*claims.periods, (date(2024, 3, 1), date(2024, 3, 31)), (date(1990, 1, 1),) * 2]
    for lo, hi in periods:
        year = within(G, lo, hi)
        expected = _simple(year)
        network, behind = _year_network(claims, lo, hi)
        assert list(network.nodes) == list(expected.nodes)
        assert list(network.edges) == list(expected.edges)
        assert [list(network.pred[n]) for n in network] == [list(expected.pred[n]) for n in year]
        assert behind == [(_claim_id(k, d), d) for *_, k, d in year.edges(keys=True, data=True)]
        assert claims.in_force(lo, hi) == [
            place
            for place, (*_, d) in enumerate(claims.edges)
            if d["start"] <= hi and d["end"] >= lo
        ]


def test_the_evidence_of_a_chart_is_made_once_and_as_claims_of_makes_it(
    default_store: Store,
) -> None:
    """A chart's evidence: the records of :func:`claims_of` of the claims it names, in its
    order, with the ids of their parties; a record made for one chart is the one another
    chart gets (the centralization names every claim)."""
    G = project(default_store, ProjectionFilter(level="government"))
    claims = _Claims(G)

    def expected(wanted: set[str]) -> list[tuple[str, dict[str, Any]]]:
        edges = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True)
                 if _claim_id(k, d) in wanted]  # fmt: skip
        parties = {k: (u, v) for u, v, k in edges}
        return [
            (r["claim_id"] or r["claim"], {**r, "from_id": parties[r["claim"]][0],
                                           "to_id": parties[r["claim"]][1]})
            for r in claims_of(G, edges)
        ]  # fmt: skip

    ids = sorted(set(claims.ids))
    first = claims.evidence(set(ids[::3]))
    assert list(first.items()) == expected(set(ids[::3]))
    every = claims.evidence(set(ids))
    assert list(every.items()) == expected(set(ids)) and len(every) == len(ids)
    assert all(every[claim] is record for claim, record in first.items())
    assert claims.evidence(set()) == {}
    assert any(G.nodes[r["from_id"]].get("members") for r in every.values())  # rolled up
