"""The engine is called with the operation itself: only the operations of
graph.server.service run in the engine process, whatever reaches its socket."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from fastapi.responses import JSONResponse

from graph.server import service
from graph.server.auth import ANONYMOUS
from graph.server.engine import (
    Engine,
    EngineCrashed,
    EngineError,
    EngineTimeout,
    StoreSpec,
    call_in_background,
    reference,
    resolve,
)
from graph.store import EmbeddedStore
from tests.helpers import with_default_dataset


def test_a_reference_names_an_operation_and_nothing_else() -> None:
    for function in (service.neighborhood, service.upload, service.explorer_data):
        assert resolve(reference(function)) is function
    assert service.writes(service.upload) and not service.writes(service.neighborhood)
    for other in (os.remove, service.describe_error, service.Context, print, len):
        with pytest.raises(TypeError, match=r"is not an operation of graph\.server\.service"):
            reference(other)
    for forged in (
        ("os", "remove"),
        ("graph.server.service", "describe_error"),  # a function of the module, no operation
        ("graph.server.service", "_dataset_graph"),
        ("graph.server.service", "Context"),
        ("graph.server.service", "network.explorer_data"),  # reached through an attribute
        ("graph.server.service", "os"),
        "graph.server.service:healthz",
        ("graph.server.service", "healthz", "extra"),
        None,
    ):
        with pytest.raises(TypeError, match=r"not an operation of graph\.server\.service"):
            resolve(forged)


def test_the_engine_runs_operations_and_refuses_anything_else(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "store") as store:
        with_default_dataset(store)

    async def scenario() -> None:
        engine = Engine(StoreSpec("embedded", str(tmp_path / "store")), timeout=60)
        await engine.start()
        try:
            health = await engine.call(service.healthz, ANONYMOUS)
            assert health["status"] == "ok" and health["triples"] > 1000
            # Not an operation: refused before anything is sent.
            with pytest.raises(TypeError):
                await engine.call(os.remove, ANONYMOUS, "x")  # type: ignore[arg-type, call-arg]
            # A forged reference on the socket: answered as an internal error, not run.
            victim = tmp_path / "victim"
            victim.write_text("still here")
            worker = engine._worker
            assert worker is not None
            pending = worker.send(10**9, ("os", "remove"), (str(victim),), {}, False)
            ok, payload = await asyncio.wait_for(pending.future, 30)
            assert not ok and payload[0] == 500
            assert victim.read_text() == "still here"
            # and the engine goes on
            assert (await engine.call(service.dataset, ANONYMOUS, "claims"))["name"] == "claims"
            # An answer asked as JSON is encoded in the engine process: the bytes a JSONResponse
            # of the object would send; a call for the object and one for its bytes in flight
            # at once do not share an answer.
            as_object, as_json = await asyncio.gather(
                engine.call(service.datasets, ANONYMOUS),
                engine.call_json(service.datasets, ANONYMOUS),
            )
            assert isinstance(as_json, bytes) and as_json == JSONResponse(as_object).body
            with pytest.raises(EngineError) as missing:
                await engine.call(service.dataset, ANONYMOUS, "nosuch")
            assert missing.value.status == 404
            assert engine.restarts == 0
        finally:
            await engine.close()

    asyncio.run(scenario())


#: A query that runs for minutes on an empty store (10⁹ solutions to count): the engine process
#: is made to crash under it. The texts that crashed pyoxigraph's parser (long chains of ``!``,
#: deep brackets) are now refused before the engine sees them (graph.sparql.guard), so the
#: crash is a SIGSEGV sent from here, which the engine cannot tell from its own.
_LONG_QUERY = (
    "SELECT (COUNT(*) AS ?n) { "
    + " ".join(f"VALUES ?{v} {{ {' '.join(map(str, range(1000)))} }}" for v in "abc")
    + " }"
)


def test_a_query_that_crashes_the_engine_is_not_sent_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    EmbeddedStore(tmp_path / "store").close()

    async def scenario() -> None:
        engine = Engine(StoreSpec("embedded", str(tmp_path / "store")), timeout=60)
        await engine.start()
        try:
            first = engine._worker
            assert first is not None
            running = asyncio.ensure_future(
                engine.call(service.sparql_query, ANONYMOUS, _LONG_QUERY)
            )
            await asyncio.sleep(1.5)
            assert not running.done()
            os.kill(first.process.pid, signal.SIGSEGV)
            with pytest.raises(EngineCrashed) as crashed:
                # Sent again, it would run for minutes in the new engine: it fails at once.
                await asyncio.wait_for(running, 30)
            assert crashed.value.status == 503
            assert "the query stopped the engine" in crashed.value.message
            # The engine process died once and was started again, once; it answers.
            assert first.process.wait(30) != 0
            body, _, _ = await engine.call(service.sparql_query, ANONYMOUS, "ASK {}")
            assert b"true" in body
            assert engine.restarts == 1
        finally:
            await engine.close()

    with caplog.at_level("WARNING", logger="recruitgraph.server"):
        asyncio.run(scenario())
    assert any("died on its own" in record.getMessage() for record in caplog.records)


def test_after_a_restart_the_next_engine_waits_ready(tmp_path: Path) -> None:
    """None is kept before the first restart; after it, a standby process (imported, store not
    opened) takes over at the next restart, and a new standby is made; close ends both."""
    EmbeddedStore(tmp_path / "store").close()

    async def crash_and_wait(engine: Engine) -> None:
        worker = engine._worker
        assert worker is not None
        os.kill(worker.process.pid, signal.SIGSEGV)
        for _ in range(300):  # the server notices the crash (bounded: 30 s)
            if engine._worker is not worker:
                break
            await asyncio.sleep(0.1)
        body, _, _ = await engine.call(service.sparql_query, ANONYMOUS, "ASK {}")
        assert b"true" in body

    async def scenario() -> None:
        # No answers kept: each ASK must reach the engine process (and so wait for the new one).
        engine = Engine(
            StoreSpec("embedded", str(tmp_path / "store")), timeout=60, answer_cache_bytes=0
        )
        await engine.start()
        try:
            assert engine._standby is None  # nothing kept while nothing went wrong
            await crash_and_wait(engine)
            assert engine._standby is not None
            standby = engine._standby[0]
            assert standby.poll() is None
            await crash_and_wait(engine)
            assert engine._worker is not None
            assert engine._worker.process.pid == standby.pid  # the standby took over
            assert engine._standby is not None and engine._standby[0].pid != standby.pid
            last = engine._standby[0]
        finally:
            await engine.close()
        assert last.wait(10) is not None  # the unused standby ended with the engine

    asyncio.run(scenario())


def test_a_job_past_its_limit_is_told_in_a_readers_words(tmp_path: Path) -> None:
    """A background job (a page's figures) runs under the longer limit for jobs; stopped, it
    says what a reader of the page can do, not what a SPARQL user can ("LIMIT")."""
    EmbeddedStore(tmp_path / "store").close()

    async def stopped(engine: Engine, background: bool) -> tuple[EngineTimeout, float]:
        token = call_in_background.set(background)
        try:
            started = asyncio.get_running_loop().time()
            with pytest.raises(EngineTimeout) as timeout:
                await engine.call(service.sparql_query, ANONYMOUS, _LONG_QUERY)
            return timeout.value, asyncio.get_running_loop().time() - started
        finally:
            call_in_background.reset(token)

    async def scenario() -> None:
        engine = Engine(StoreSpec("embedded", str(tmp_path / "store")), timeout=1, write_timeout=2)
        await engine.start()
        try:
            query, query_s = await stopped(engine, False)
            for _ in range(60):  # the engine process is started again after a time-out
                if engine._worker is not None and engine._worker.alive:
                    break
                await asyncio.sleep(0.5)
            await engine.call(service.healthz, ANONYMOUS)
            job, job_s = await stopped(engine, True)
        finally:
            await engine.close()
        assert query.status == job.status == 503
        # Each stopped at its own limit, not the other's (the query at 1 s, the job at the
        # jobs' 2 s), and not before it: the limit it was given, not a wall-clock bound that a
        # loaded machine could break.
        assert (query.seconds, job.seconds) == (1, 2)
        assert query_s >= 1, query_s
        assert job_s >= 2, job_s
        assert "query was stopped after the time limit of 1 s" in query.message
        assert "LIMIT" in query.message
        assert "computation was stopped after the time limit of 2 s" in job.message
        assert "LIMIT" not in job.message and "serve --write-timeout" in job.message

    asyncio.run(scenario())


def test_a_first_caller_that_goes_away_leaves_the_answer_to_those_who_joined(
    tmp_path: Path,
) -> None:
    """An identical read joins the one in flight; its first caller cancelled (a client gone),
    those who joined still get the answer."""
    EmbeddedStore(tmp_path / "store").close()
    query = (
        "SELECT (COUNT(*) AS ?n) { "
        + " ".join(f"VALUES ?{v} {{ {' '.join(map(str, range(200)))} }}" for v in "abc")
        + " }"
    )

    async def scenario() -> bytes:
        engine = Engine(StoreSpec("embedded", str(tmp_path / "store")), timeout=60)
        await engine.start()
        try:
            first = asyncio.create_task(engine.call(service.sparql_query, ANONYMOUS, query))
            await asyncio.sleep(0.05)
            joined = asyncio.create_task(engine.call(service.sparql_query, ANONYMOUS, query))
            await asyncio.sleep(0.05)
            first.cancel()
            body, _, _ = await asyncio.wait_for(joined, 60)
            assert first.cancelled()
            assert engine.load()["query"]["shared"] == 1
            return body
        finally:
            await engine.close()

    assert b'"8000000"' in asyncio.run(scenario())
