"""Fair under load (issue 17): heavy analysis runs in a lane of its own, so a cheap query is
answered at once while it is saturated; identical analysis calls in flight compute once; one
caller cannot fill a lane; a full queue is refused at once with Retry-After. The long mixed run
is bench/load_mixed.py; runaway queries beside a cheap one are in test_runaway.py."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.responses import JSONResponse

from graph.analysis.projection import ProjectionFilter
from graph.ingest import load_files
from graph.ingest.synth import write_synthetic
from graph.server import service
from graph.server.auth import ANONYMOUS
from graph.server.engine import Engine, EngineBusy, StoreSpec, client_address
from graph.store import EmbeddedStore, cache
from tests.helpers import LiveServer, start_server, stop


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over a synthetic store whose metrics report takes about a second to compute,
    with time limits long enough that no heavy call is stopped (a restart would delay every
    query, which is not what is measured here)."""
    work = tmp_path_factory.mktemp("fairness")
    data_dir = work / "data"
    write_synthetic(work / "synth.nt", 200, 0.5, 7)
    with EmbeddedStore(data_dir) as store:
        load_files(store, [work / "synth.nt"], "synth")
    server = start_server(
        data_dir, work / "server.log", "--data-dir", str(data_dir), "--query-timeout", "120"
    )
    try:
        yield server
    finally:
        stop(server.process)


def _lanes(client: httpx.Client) -> dict[str, dict[str, int]]:
    return client.get("/healthz").json()["lanes"]


def test_a_cheap_query_is_answered_within_a_second_while_analysis_is_saturated(
    busy: LiveServer,
) -> None:
    # 8 different reports (each its own period: nothing shared, nothing cached), from two
    # callers (one caller alone holds at most all but one of the lane's slots).
    heavy = [f"/api/metrics?start=20{10 + i}-01-01&top={i + 1}" for i in range(8)]

    def report(i: int) -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{1 + i % 2}")
        with httpx.Client(base_url=busy.base, transport=transport, timeout=120) as client:
            return client.get(heavy[i])

    with busy.client() as client, ThreadPoolExecutor(len(heavy)) as pool:
        client.get("/sparql", params={"query": "ASK {}"})  # the connection is open
        reports = [pool.submit(report, i) for i in range(len(heavy))]
        saturated = False
        timings = []
        deadline = time.monotonic() + 60
        while len(timings) < 5 and time.monotonic() < deadline:
            analysis = _lanes(client)["analysis"]
            if analysis["running"] < analysis["slots"] or analysis["waiting"] == 0:
                time.sleep(0.05)
                continue
            saturated = True
            started = time.monotonic()
            answer = client.get("/sparql", params={"query": "ASK {}"})
            timings.append(time.monotonic() - started)
            assert answer.status_code == 200 and answer.json()["boolean"] is True
        assert saturated, "the analysis lane was never full: the reports are too quick"
        assert all(r.result().status_code == 200 for r in reports)
    assert max(timings) < 1.0, f"ASK {{}} took {max(timings):.2f} s beside 8 reports: {timings}"


def test_json_answers_are_sent_as_the_engine_encoded_them(busy: LiveServer) -> None:
    # The engine process encodes them (Engine.call_json); they must be the bytes and headers a
    # JSONResponse of the same object gives, and an error body is as it was.
    with busy.client() as client:
        for path in ("/api/viz", "/api/metrics", "/api/datasets", "/api/flows"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert answer.content == JSONResponse(answer.json()).body, path
            assert answer.headers["content-type"] == "application/json", path
            assert int(answer.headers["content-length"]) == len(answer.content), path
            assert answer.headers["x-request-id"], path
        missing = client.get("/api/datasets/nosuch")
        assert missing.status_code == 404
        assert set(missing.json()) == {"error", "status", "request_id"}
        assert missing.json()["request_id"] == missing.headers["x-request-id"]


def test_a_cheap_query_is_not_delayed_while_big_answers_are_sent(busy: LiveServer) -> None:
    # The explorer's data (the largest answer) asked without pause by 6 clients: the server
    # sends the engine's bytes as they are, so its event loop stays free for ASK {}.
    stop = threading.Event()
    sent: list[int] = []

    def explore() -> None:
        with busy.client() as client:
            while not stop.is_set():
                answer = client.get("/api/viz")
                assert answer.status_code == 200
                sent.append(len(answer.content))

    timings = []
    with busy.client() as client, ThreadPoolExecutor(6) as pool:
        client.get("/sparql", params={"query": "ASK {}"})  # the connection is open
        explorers = [pool.submit(explore) for _ in range(6)]
        try:
            deadline = time.monotonic() + 30
            while len(sent) < 6 and time.monotonic() < deadline:
                time.sleep(0.05)  # the first answer is computed, the others encoded once
            for _ in range(15):
                started = time.monotonic()
                answer = client.get("/sparql", params={"query": "ASK {}"})
                timings.append(time.monotonic() - started)
                assert answer.status_code == 200 and answer.json()["boolean"] is True
                time.sleep(0.05)
        finally:
            stop.set()
        for explorer in explorers:
            explorer.result()
    assert len(sent) >= 12 and min(sent) > 100_000, (len(sent), min(sent, default=0))
    assert max(timings) < 1.0, f"ASK {{}} took {max(timings):.2f} s beside /api/viz: {timings}"


def test_twenty_clients_asking_for_the_same_report_compute_it_once(busy: LiveServer) -> None:
    url = f"{busy.base}/api/metrics?start=2019-06-01&top=7"  # asked by no other test
    with busy.client() as client:
        before = _lanes(client)["analysis"]
        barrier = threading.Barrier(20)

        def ask(_: int) -> Any:
            barrier.wait()
            return httpx.get(url, timeout=120)

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(ask, range(20)))
        after = _lanes(client)["analysis"]
    assert [a.status_code for a in answers] == [200] * 20
    assert all(a.json() == answers[0].json() for a in answers)
    assert after["calls"] - before["calls"] == 1, (before, after)
    assert after["shared"] - before["shared"] == 19, (before, after)


_T = TypeVar("_T")

#: A query that counts 4 million rows: about a second of work on an empty store.
_SLOW = "SELECT (COUNT(*) AS ?n) WHERE {{ {} {} {} {} }}".format(
    *(f"VALUES ?{v} {{ {' '.join(map(str, range(45)))} }}" for v in "abcd")
)


async def _as(address: str, call: Awaitable[_T]) -> _T:
    """``call`` made for a request from ``address``: an anonymous caller of its own."""
    client_address.set(address)  # in this task's own context only
    return await call


def test_one_caller_cannot_fill_a_lane_and_a_full_queue_is_refused_at_once(
    tmp_path: Path,
) -> None:
    EmbeddedStore(tmp_path / "store").close()
    # Two query slots, no heavy slots (long queries stay where they are), one place to wait.
    spec = StoreSpec("embedded", str(tmp_path / "store"), threads=2, heavy_threads=0)

    async def scenario() -> None:
        engine = Engine(spec, timeout=60, queue=1)
        await engine.start()
        try:
            # One caller floods the query lane: its slow query takes one slot (all but one
            # is its share), its next query waits, the third finds no room to wait and is
            # refused without waiting.
            flood = [
                asyncio.ensure_future(
                    _as("192.0.2.1", engine.call(service.sparql_query, ANONYMOUS, text))
                )
                for text in (_SLOW, "SELECT (42 AS ?x) {}")
            ]
            while engine.load()["query"]["waiting"] == 0:
                await asyncio.sleep(0.01)
            assert engine.load()["query"]["running"] == 1
            started = time.monotonic()
            with pytest.raises(EngineBusy) as refused:
                await _as("192.0.2.1", engine.call(service.sparql_query, ANONYMOUS, "ASK {}"))
            assert time.monotonic() - started < 1
            assert refused.value.status == 503
            assert "query calls are waiting already" in refused.value.message
            assert int(refused.value.headers["Retry-After"]) >= 1
            # Another caller goes past the flood at once, and the other lanes go on.
            started = time.monotonic()
            body, _, _ = await _as(
                "192.0.2.2", engine.call(service.sparql_query, ANONYMOUS, "ASK {}")
            )
            assert b"true" in body and time.monotonic() - started < 1
            assert engine.load()["query"]["waiting"] == 1
            assert await engine.call(service.metrics_report, ANONYMOUS, ProjectionFilter())
            slow, waited = await asyncio.gather(*flood)
            assert b"4100625" in slow[0] and b"42" in waited[0]
            assert engine.load()["query"]["refused"] == 1
        finally:
            await engine.close()

    asyncio.run(scenario())


def test_the_cache_computes_a_key_once_while_others_wait() -> None:
    computed = []

    def compute() -> int:
        computed.append(1)
        time.sleep(0.3)  # long enough for every thread to ask meanwhile
        return 42

    with EmbeddedStore(None) as store:
        barrier = threading.Barrier(20)

        def ask(_: int) -> int:
            barrier.wait()
            return cache.cached(store, "fairness-test", "key", compute)

        before = cache.stats()
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(ask, range(20)))
        after = cache.stats()
    assert results == [42] * 20
    assert len(computed) == 1
    assert after["computed"] - before["computed"] == 1
    assert after["waited"] - before["waited"] >= 1


def test_a_freed_slot_wakes_the_first_waiter_whose_caller_fits_and_no_other() -> None:
    """A call that ends hands its slot to the first waiting call whose caller holds less than
    its share, past those of a caller at its share; the others stay asleep (they were all
    woken to check again before: a wake-up of every waiting call per call). A waiter woken
    and then cancelled before it took the slot hands it on."""
    from graph.server.engine import _Lane

    async def scenario() -> None:
        lane = _Lane("query", slots=3, queue=10)  # a caller's share: 2 of the 3
        held = [await lane.enter(caller, 1) for caller in ("a", "a", "b")]
        woken: list[str] = []

        async def wait(name: str, caller: str) -> None:
            ticket = await lane.enter(caller, 5)
            woken.append(name)
            lane.leave(ticket)

        waiting = {n: asyncio.ensure_future(wait(n, c)) for n, c in [("a3", "a"), ("c1", "c"),
                                                                      ("c2", "c")]}  # fmt: skip
        await asyncio.sleep(0)
        assert lane.waiting == 3 and woken == []
        lane.leave(held[2])  # b's slot: a is at its share, so c1 is the one that fits
        assert [f.done() for _, f in lane._waiters] == [False, False]  # a3 and c2 sleep on
        waiting["c1"].cancel()  # woken, then gone before it ran: c2 takes the slot
        await asyncio.sleep(0.01)
        assert "c2" in woken and "a3" not in woken
        assert lane.waiting == 1  # a3, still at its caller's share
        waiting["a3"].cancel()
        await asyncio.gather(*waiting.values(), return_exceptions=True)

    asyncio.run(scenario())
