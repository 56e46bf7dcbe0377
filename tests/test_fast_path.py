"""The fast path of ``GET /sparql`` (:class:`api.routes.sparql.FastQueryPath`, answered in
front of FastAPI) answers exactly what the full application answers: the same status,
headers and body for queries of every kind of result, formats, dataset parameters, callers
and errors, a runaway stopped by the time limit included, and the same access-log record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import Application, create_app
from api.deps import Settings
from api.routes.sparql import FastQueryPath
from graph.server.auth import TokenStore
from tests.helpers import PUBLIC_GRAPH, SECRET_GRAPH, build_data

MAX_ROWS = 5
TIME_LIMIT = 1.0
RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Application, TestClient, dict[str, str]]]:
    data_dir: Path = tmp_path_factory.mktemp("fast") / "data"
    build_data(data_dir)
    tokens = TokenStore(data_dir)
    created = {
        "reader": tokens.create("reader", "reader", ()),
        "reader_secret": tokens.create("reader", "reader_secret", ("secret",)),
    }
    settings = Settings(data_dir=data_dir, max_rows=MAX_ROWS, query_timeout=TIME_LIMIT)
    app = create_app(settings=settings)
    with TestClient(app) as client:
        yield app, client, created


def _both(
    served: tuple[Application, TestClient, dict[str, str]],
    params: list[tuple[str, str]],
    headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    between: Callable[[], None] = lambda: None,
) -> tuple[httpx.Response, httpx.Response, bool]:
    """The answer by the fast path (where it takes the request), then (after ``between``)
    by the full application; and whether the fast path answered the first."""
    app, client, _ = served
    taken: list[int] = []
    answer = FastQueryPath.answer

    async def counted(self: FastQueryPath, *args: Any) -> None:
        taken.append(1)
        await answer(self, *args)

    monkeypatch.setattr(FastQueryPath, "answer", counted)
    fast = client.get("/sparql", params=params, headers=headers)
    fast_took = bool(taken)
    between()
    taken.clear()
    kept, app.fast_query = app.fast_query, None
    try:
        full = client.get("/sparql", params=params, headers=headers)
    finally:
        app.fast_query = kept
    assert not taken
    return fast, full, fast_took


def _same(fast: httpx.Response, full: httpx.Response) -> None:
    assert fast.status_code == full.status_code, (fast.text, full.text)
    assert [h for h in fast.headers.multi_items() if h[0] != "date"] == [
        h for h in full.headers.multi_items() if h[0] != "date"
    ]
    assert fast.content == full.content


SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 3"
CASES: dict[str, tuple[list[tuple[str, str]], dict[str, str], int, bool]] = {
    # name: (parameters, headers, status, taken by the fast path)
    "select json": ([("query", SELECT)], {}, 200, True),
    "select csv": ([("query", SELECT)], {"Accept": "text/csv"}, 200, True),
    "select xml, q-values": (
        [("query", SELECT)],
        {"Accept": "application/sparql-results+xml;q=0.9, text/csv;q=0.1"},
        200,
        True,
    ),
    "format parameter": ([("query", SELECT), ("format", "tsv")], {}, 200, True),
    "ask": ([("query", "ASK { ?s ?p ?o }")], {}, 200, True),
    "construct": (
        [("query", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2")],
        {"Accept": "text/turtle"},
        200,
        True,
    ),
    "cut at the row cap": ([("query", "SELECT * { ?s ?p ?o }")], {}, 200, True),
    "relative IRI": ([("query", "SELECT (<x> AS ?x) {}")], {}, 200, True),
    "dataset parameters": (
        [("query", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"), ("default-graph-uri", PUBLIC_GRAPH)],
        {},
        200,
        True,
    ),
    "hidden graph": (
        [("query", "ASK { ?s ?p ?o }"), ("default-graph-uri", SECRET_GRAPH)],
        {},
        400,
        True,
    ),
    "malformed": ([("query", "SELECT WHERE {")], {}, 400, True),
    "SERVICE": (
        [("query", "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")],
        {},
        400,
        True,
    ),
    "unknown function": ([("query", "SELECT (<http://example.org/f>(1) AS ?x) {}")], {}, 400, True),
    # Not taken: the routes answer these, and both answers are theirs.
    "no query": ([], {"Accept": "text/turtle"}, 200, False),
    "update by GET": ([("update", "CLEAR ALL")], {}, 400, False),
    "two queries": ([("query", "ASK {}"), ("query", "ASK {}")], {}, 400, False),
    "unknown format": ([("query", "ASK {}"), ("format", "yaml")], {}, 400, False),
    "bad token": ([("query", "ASK {}")], {"Authorization": "Bearer nope"}, 401, False),
}


@pytest.mark.parametrize("name", CASES)
def test_same_answer(
    served: tuple[Application, TestClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    params, headers, status, taken = CASES[name]
    fast, full, fast_took = _both(
        served, params, {**headers, "X-Request-ID": f"probe-{len(name)}"}, monkeypatch
    )
    assert fast_took is taken
    assert fast.status_code == status, fast.text
    _same(fast, full)
    if name == "cut at the row cap":
        assert fast.headers["X-SPARQL-MaxRows"] == str(MAX_ROWS)


@pytest.mark.parametrize("role", [None, "reader", "reader_secret"])
def test_callers_see_their_datasets(
    served: tuple[Application, TestClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    role: str | None,
) -> None:
    tokens = served[2]
    headers = {"X-Request-ID": "probe-caller"}
    if role is not None:
        headers["Authorization"] = f"Bearer {tokens[role]}"
    query = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    fast, full, taken = _both(served, [("query", query)], headers, monkeypatch)
    assert taken
    _same(fast, full)
    assert (SECRET_GRAPH in fast.text) is (role == "reader_secret")
    assert fast.headers["X-Store-Version"]


def test_runaway_stopped_on_both(
    served: tuple[Application, TestClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def restarted() -> None:  # the engine process is a new one, answering
        deadline = time.monotonic() + 60
        while served[1].get("/sparql", params={"query": "ASK {}"}).status_code != 200:
            assert time.monotonic() < deadline, "the engine did not come back"
            time.sleep(0.1)

    fast, full, taken = _both(
        served, [("query", RUNAWAY)], {"X-Request-ID": "probe-runaway"}, monkeypatch, restarted
    )
    assert taken
    assert fast.status_code == 503 and "time limit" in fast.json()["error"]
    _same(fast, full)
    restarted()


def test_same_log_record(
    served: tuple[Application, TestClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="recruitgraph.access")
    _both(served, [("query", "ASK {}")], {"X-Request-ID": "probe-log"}, monkeypatch)
    fields = [r.fields for r in caplog.records if r.name == "recruitgraph.access"]  # type: ignore[attr-defined]
    assert len(fields) == 2
    for record in fields:
        for timing in ("duration_ms", "wait_ms", "engine_ms", "compute_ms"):
            del record[timing]
    assert fields[0] == fields[1]
    assert fields[0]["route"] == "/sparql" and fields[0]["request_id"] == "probe-log"
