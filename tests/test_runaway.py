"""Runaway and hostile work against a real server (time limit 2 s, results capped at 1000
rows): each query is stopped by a time, size or parse limit with a clear 4xx or 503, and the
server answers ``ASK {}`` afterwards. Texts that would crash the engine's parser never reach
it; well-formed queries that the engine will not evaluate are a 400, not a 500."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pyoxigraph as ox
import pytest

from graph.ingest import load_files
from graph.sparql import MAX_NESTING, MAX_TERMS, QueryError, serialize_capped
from graph.store import EmbeddedStore
from tests.helpers import LiveServer, start_server, stop

CHAIN = "http://example.org/chain/"
CHAIN_LENGTH = 2000
TIME_LIMIT = 2
MAX_ROWS = 1000

#: Queries that run past the time limit: the engine process is stopped (503).
SLOW = {
    "cartesian product": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "deep property path": (
        f"SELECT (COUNT(*) AS ?n) {{ ?a <{CHAIN}next>* ?b . ?c <{CHAIN}next>* ?d }}"
    ),
    "regex over every literal": (
        "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f "
        'FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "^(a|b|ab)*(x|y)+$", "i")) }'
    ),
    "heavy GROUP BY": (
        "SELECT ?c (COUNT(*) AS ?n) (SAMPLE(?i) AS ?x) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } "
        "GROUP BY ?c"
    ),
}

#: Texts refused before the engine sees them (400), and what the error names.
REFUSED = {
    "deeply nested groups": ("ASK " + "{" * 5000 + "}" * 5000, f"more than {MAX_NESTING} deep"),
    "long sum": ("SELECT * { FILTER(1" + "+1" * 20_000 + ") }", f"more than {MAX_TERMS} terms"),
    "long ||": ("ASK { FILTER(true" + " || true" * 10_000 + ") }", f"more than {MAX_TERMS} terms"),
    "long path": (
        "ASK { ?a " + "/".join([f"<{CHAIN}next>"] * 10_000) + " ?b }",
        f"more than {MAX_TERMS} terms",
    ),
    "many UNIONs": (
        "ASK { " + " UNION ".join(["{ ?s ?p ?o }"] * 10_000) + " }",
        f"more than {MAX_TERMS} terms",
    ),
    "unknown function": (
        "SELECT (<http://example.org/f>(1) AS ?x) {}",
        "custom function <http://example.org/f> is not supported",
    ),
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over one public dataset, a chain of CHAIN_LENGTH nodes (for property paths
    and products), with a time limit of TIME_LIMIT s and results capped at MAX_ROWS rows."""
    work = tmp_path_factory.mktemp("runaway")
    nodes = [f"<{CHAIN}{i}>" for i in range(CHAIN_LENGTH)]
    chain = work / "chain.nt"
    chain.write_text("".join(f"{a} <{CHAIN}next> {b} .\n" for a, b in itertools.pairwise(nodes)))
    with EmbeddedStore(work / "data") as store:
        load_files(store, [chain], "chain")
    server = start_server(
        work / "data",
        work / "server.log",
        "--data-dir", str(work / "data"),
        "--query-timeout", str(TIME_LIMIT),
        "--max-rows", str(MAX_ROWS),
    )  # fmt: skip
    try:
        yield server
    finally:
        stop(server.process)


def _still_answers(client: httpx.Client) -> None:
    for _ in range(20):  # the engine may be restarting after a stopped query
        answer = client.post("/sparql", data={"query": "ASK {}"})
        if answer.status_code != 503:
            break
        time.sleep(0.5)
    assert answer.status_code == 200, answer.text
    assert answer.json()["boolean"] is True


def _from(live: LiveServer, address: str) -> httpx.Client:
    """A client of ``live`` connecting from ``address`` (any of 127/8 is this machine): an
    anonymous caller of its own for the server's fairness."""
    return live.client(transport=httpx.HTTPTransport(local_address=address))


def test_runaways_are_stopped_and_never_starve_a_cheap_query(live: LiveServer) -> None:
    """All at once, as a crowd would send them: six runaways from one caller and one from
    another. Each is stopped at its limit with a 503; meanwhile ``ASK {}`` from a third caller
    is answered within a second (long queries move aside to heavy slots after 0.5 s, and one
    caller holds at most all but one slot of a kind)."""
    # Each text its own (LIMIT n): identical queries in flight would share one engine call.
    kinds = [*SLOW.values(), SLOW["cartesian product"], SLOW["heavy GROUP BY"]]
    flood = [f"{query} LIMIT {n}" for n, query in enumerate(kinds, 1)]
    other = SLOW["deep property path"] + " LIMIT 99"

    def send(address: str, query: str) -> httpx.Response:
        with _from(live, address) as client:
            return client.post("/sparql", data={"query": query})

    with _from(live, "127.0.0.3") as cheap, ThreadPoolExecutor(len(flood) + 1) as pool:
        _still_answers(cheap)  # the connection is open, the engine up
        started = time.monotonic()
        runaways = [pool.submit(send, "127.0.0.1", query) for query in flood]
        runaways.append(pool.submit(send, "127.0.0.2", other))
        timings = []
        # From when the first ones moved aside until well before the first is stopped at its
        # limit (a stop restarts the engine, which every call then waits for).
        time.sleep(0.7)
        while time.monotonic() - started < TIME_LIMIT - 0.8:
            asked = time.monotonic()
            answer = cheap.post("/sparql", data={"query": "ASK {}"})
            timings.append(time.monotonic() - asked)
            assert answer.status_code == 200 and answer.json()["boolean"] is True, answer.text
            time.sleep(0.05)
        answers = [future.result() for future in runaways]
    assert timings and max(timings) < 1.0, f"ASK {{}} beside {len(answers)} runaways: {timings}"
    for answer in answers:
        assert answer.status_code == 503, answer.text
        # stopped at its limit, or (sent again after another one's restart) out of time
        # while the engine restarted
        error = answer.json()["error"]
        assert f"time limit of {TIME_LIMIT:g} s" in error or "restarting" in error, error
    assert any(f"time limit of {TIME_LIMIT:g} s" in a.json()["error"] for a in answers)
    assert time.monotonic() - started < TIME_LIMIT + 15
    with live.client() as client:
        _still_answers(client)


@pytest.mark.parametrize("name", REFUSED)
def test_hostile_texts_are_refused_with_the_limit_named(live: LiveServer, name: str) -> None:
    text, reason = REFUSED[name]
    with live.client() as client:
        _still_answers(client)  # after any restart of an earlier test
        restarts = client.get("/healthz").json()["engine_restarts"]
        answer = client.post("/sparql", data={"query": text})
        assert answer.status_code == 400, answer.text
        assert reason in answer.json()["error"]
        _still_answers(client)
    # refused before the engine parsed it: no crash, no restart
    assert httpx.get(f"{live.base}/healthz").json()["engine_restarts"] == restarts


def test_a_huge_construct_is_cut_at_the_row_cap(live: LiveServer) -> None:
    query = "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }"
    with live.client() as client:
        answer = client.post("/sparql", data={"query": query, "format": "ntriples"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-SPARQL-MaxRows"] == str(MAX_ROWS)
        assert len(answer.content.splitlines()) == MAX_ROWS
        _still_answers(client)


def test_graph_results_stop_at_the_byte_cap() -> None:
    """A CONSTRUCT result is serialized into a capped buffer: past the cap the evaluation stops
    (the whole product here is 4 million triples, some 250 MB)."""
    many = " ".join(f"<http://x/{i}>" for i in range(2000))
    query = (
        f"CONSTRUCT {{ ?a <http://x/p> ?b }} "
        f"WHERE {{ VALUES ?a {{ {many} }} VALUES ?b {{ {many} }} }}"
    )
    started = time.perf_counter()
    with pytest.raises(QueryError, match="larger than the limit of 1 MiB"):
        serialize_capped(ox.Store().query(query), "turtle", max_bytes=1024**2)
    assert time.perf_counter() - started < 5
    small = serialize_capped(ox.Store().query(query + " LIMIT 10"), "ntriples", max_bytes=1024**2)
    assert len(small.body.splitlines()) == 10
