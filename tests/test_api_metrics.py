"""The metrics routes against the live server: report, timeline, comparison, node table, with
the filters, the synthetic flag and access control."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import LiveServer, assert_no_secret


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as c:
        yield c


def test_report_of_public_data(client: httpx.Client) -> None:
    response = client.get("/api/metrics", params={"dataset": "pub"})
    assert response.status_code == 200
    report = response.json()
    assert report["synthetic"] is False and report["datasets"] == ["pub"]
    assert report["figures"]["claims"] == 2
    # A version-1 file: the amount's basis is unknown, so a level (median), never a sum.
    regional = report["funding_by_tier"]["RUB"]["unknown"]["regional"]
    assert regional["median"] == 400000.0 and regional["total"] is None
    assert report["figures"]["regional_share_of_bonus_claims"] == 1.0
    assert {"burden_share", "roles", "enforcement"} <= set(report)


def test_synthetic_flag_is_carried(client: httpx.Client) -> None:
    report = client.get("/api/metrics", params={"dataset": "synth"}).json()
    assert report["synthetic"] is True
    timeline = client.get("/api/metrics/timeline", params={"dataset": "synth"}).json()
    assert timeline["synthetic"] is True and timeline["windows"]


def test_timeline_compare_and_nodes(client: httpx.Client) -> None:
    timeline = client.get(
        "/api/metrics/timeline", params={"window": "P6M", "step": "P6M", "dataset": "pub"}
    ).json()
    assert [w["start"] for w in timeline["windows"]] == ["2024-01-01", "2024-07-01"]
    compared = client.get(
        "/api/metrics/compare",
        params={"first": "2023", "second": "2024", "dataset": "pub", "rounds": 19},
    ).json()
    assert compared["first"]["figures"]["claims"] == 0
    assert compared["second"]["figures"]["claims"] == 2
    assert all(c["sources"] for c in compared["second"]["claims"])
    nodes = client.get("/api/metrics/nodes", params={"by": "degree", "top": 3}).json()
    assert len(nodes["nodes"]) == 3 and nodes["nodes"][0]["rank"] == 1


def test_a_period_far_past_the_data_costs_what_the_data_does(client: httpx.Client) -> None:
    """Windows wholly outside the claims are left out: a period to the year 3219 (schemathesis
    sent one to /api/viz, whose timeline ran past the time limit) gives the same windows as the
    data's own span, aligned on the period's start."""
    params = {"window": "P6M", "step": "P6M", "dataset": "pub"}
    plain = client.get("/api/metrics/timeline", params=params).json()["windows"]
    wide = client.get(
        "/api/metrics/timeline", params={**params, "start": "1000-01-01", "end": "3219-04-30"}
    )
    assert wide.status_code == 200
    assert [w["start"] for w in wide.json()["windows"]] == [w["start"] for w in plain]
    explorer = client.get(
        "/api/viz", params={"window": "P12M", "end": "3219-04-30", "dataset": "pub"}
    )
    assert explorer.status_code == 200 and len(explorer.json()["timeline"]["windows"]) < 10


def test_minimum_amount_keeps_the_claims_of_that_amount_or_more(client: httpx.Client) -> None:
    def claims(minimum: str) -> int:
        params = {"dataset": "pub", "min_amount": minimum}
        count: int = client.get("/api/metrics", params=params).json()["figures"]["claims"]
        return count

    # Two claims, one of them of 400,000 RUB: a claim with no amount is left out.
    assert claims("0") == claims("400000") == 1
    assert claims("400001") == 0


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("/api/metrics", {"relations": "Bribe"}, "unknown relation"),
        ("/api/metrics", {"start": "2025-01-01", "end": "2024-01-01"}, "before it starts"),
        ("/api/metrics/timeline", {"window": "a year"}, "ISO 8601"),
        ("/api/metrics/compare", {"first": "2024", "second": "later"}, "not a period"),
        ("/api/metrics/compare", {"first": "2024"}, "second"),
        ("/api/metrics/nodes", {"by": "charisma"}, "unknown node measure"),
        ("/api/metrics", {"min_confidence": "certain"}, "confidence"),
        ("/api/metrics", {"min_amount": "lots"}, "min_amount"),
    ],
)
def test_bad_parameters_are_400_or_422(
    client: httpx.Client, path: str, params: dict[str, str], words: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code in (400, 422), response.text
    assert words.lower() in response.text.lower()


def test_restricted_claims_stay_out_of_metrics(live: LiveServer) -> None:
    for role in (None, "reader", "editor"):
        with live.client(role) as c:
            for path in ("/api/metrics", "/api/metrics/timeline", "/api/metrics/nodes"):
                response = c.get(
                    path, params={"top": 50} if path != "/api/metrics/timeline" else {}
                )
                assert response.status_code == 200
                assert_no_secret(response.text, f"{path} as {role}")
            compared = c.get(
                "/api/metrics/compare",
                params={"first": "2023", "second": "2025", "rounds": 0, "leave_out": False},
            )
            assert_no_secret(compared.text, f"compare as {role}")
    # The same request with the grant does show them, so the checks above can fail.
    with live.client("reader_secret") as c:
        wide = {"first": "2000-01-01/2040-12-31", "second": "2025", "rounds": 0, "leave_out": False}
        assert "zzsecret" in c.get("/api/metrics/compare", params=wide).text.lower()


def _mapped(pid: int, library: str) -> bool:
    """Whether the process ``pid`` has a shared object of ``library`` (a package) mapped."""
    return f"/site-packages/{library}/" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/PID/maps")
def test_reports_are_computed_by_the_engine_and_the_http_process_stays_lean(
    live: LiveServer, client: httpx.Client
) -> None:
    """The HTTP process answers a report, a timeline and the explorer without loading scipy
    (70 MiB of resident memory): the engine process runs them (tests/test_memory.py checks
    the imports themselves)."""
    for path in ("/api/metrics", "/api/metrics/timeline", "/viz"):
        assert client.get(path, params={"dataset": "pub"}).status_code == 200, path
    engine = live.engine_pid()
    assert engine is not None and _mapped(engine, "scipy")
    assert not _mapped(live.process.pid, "scipy")
