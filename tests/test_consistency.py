"""Every answer is computed from one state of the store and says which (issue 17, item 4).

A writer loads and deletes a dataset in a loop while readers ask the live server for the
metrics report, the flows and the explorer's data: each answer must be the answer of the
state its own version names, whole (its list of datasets and the claims it counts agree),
with the version in its header and its body. Beside it, deterministic checks of the
mechanism: a write landing in the middle of a cached computation, of an operation of the
server, and writes that keep landing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from graph.analysis.projection import ProjectionFilter
from graph.ingest import load_files
from graph.model.namespaces import dataset_iri
from graph.server import service
from graph.server.auth import ANONYMOUS, LOCAL_ADMIN
from graph.server.service import Context
from graph.store import EmbeddedStore, Store, cache, consistent
from graph.store.cache import cached
from tests.helpers import (
    BASE_ROW,
    SECOND_ROW,
    SECRET_ROWS,
    LiveServer,
    claims_csv,
    serving,
    shift_rows,
)

CHURN = "churn"

#: The routes read under the writer, with their parameters.
ROUTES: dict[str, dict[str, Any]] = {
    "/api/metrics": {"top": 3},
    "/api/flows": {"group_by": "payer_tier"},
    "/api/viz": {},
}

# Bounds of the live run: write cycles, seconds, reader threads.
CYCLES = 3
SECONDS = 6.0
READERS = 3


def _triples(store: Store, graph: str) -> int:
    return sum(1 for _ in store.quads(graph))


def _insert(store: Store, n: int) -> None:
    store.update(f"INSERT DATA {{ GRAPH <urn:g> {{ <urn:s{n}> <urn:p> {n} }} }}")


# -- the cache and the optimistic read ----------------------------------------------------------


def test_a_cached_result_is_computed_wholly_at_the_version_it_is_kept_under() -> None:
    """A write lands between two reads of one computation: the cache must neither return
    nor keep that mixture (it used to keep it under the version before the write)."""
    store = EmbeddedStore()
    calls: list[int] = []

    def compute() -> tuple[int, int]:
        before = _triples(store, "urn:g")
        if not calls:
            _insert(store, 1)  # a write in the middle of the first computation
        calls.append(1)
        return before, _triples(store, "urn:g")

    first = cached(store, "test", "mixed", compute)
    assert first == (1, 1), "an answer mixing the store before and after a write"
    assert len(calls) == 2

    def never() -> tuple[int, int]:
        raise AssertionError("computed again at an unchanged version")

    assert cached(store, "test", "mixed", never) == first
    _insert(store, 2)
    assert cached(store, "test", "mixed", compute) == (2, 2)


def test_writes_that_keep_landing_wait_for_the_last_try() -> None:
    """A writer commits as fast as it can: after its optimistic tries the read holds commits
    back, and its answer is still one state."""
    store = EmbeddedStore()
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        while not stop.is_set() and written[0] < 5000:
            written[0] += 1
            _insert(store, written[0])

    def slow_read() -> tuple[int, int]:
        first = _triples(store, "urn:g")
        time.sleep(0.02)
        return first, _triples(store, "urn:g")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        _, (first, second) = consistent(store, slow_read)
    finally:
        stop.set()
        thread.join()
    assert first == second, "the answer mixes two states"
    assert written[0] > 0


# -- an operation of the server, a write in the middle ------------------------------------------


class DropsDuringRead(EmbeddedStore):
    """A real store in which dataset ``churn`` is deleted just before the ``drop_at``-th query
    (a writer landing at a chosen point of a read)."""

    drop_at: int | None = None
    queries = 0

    def query(self, *args: Any, **kwargs: Any) -> Any:
        self.queries += 1
        if self.queries == self.drop_at:
            self.drop_graph(dataset_iri(CHURN))
        return super().query(*args, **kwargs)


@pytest.fixture(scope="module")
def dropping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DropsDuringRead]:
    """Datasets pub (public), secret (restricted) and churn (public, deleted by the tests and
    put back)."""
    work = tmp_path_factory.mktemp("dropping")
    with DropsDuringRead() as store:
        load_files(store, [claims_csv(work / "pub.csv", BASE_ROW, SECOND_ROW)], "pub")
        load_files(store, [claims_csv(work / "secret.csv", *SECRET_ROWS)], "secret",
                   access="restricted")  # fmt: skip
        load_files(store, [claims_csv(work / "churn.csv", *shift_rows())], CHURN)
        yield store


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        (service.metrics_report, {"filters": ProjectionFilter(), "top": 3}),
        (service.flows, {"group_by": "payer_tier"}),
        (service.explorer_data, {"filters": ProjectionFilter(), "window": None}),
    ],
    ids=["metrics", "flows", "explorer"],
)
def test_an_operation_is_one_state_whenever_a_write_lands(
    dropping: DropsDuringRead, operation: Any, kwargs: dict[str, Any]
) -> None:
    """The dataset goes away before each query of the operation in turn: its answer is
    always the whole answer of the state its version names."""
    store = dropping
    ctx = Context(store)
    churn = [quad.triple for quad in store.quads(dataset_iri(CHURN))]
    present, before = service.run(operation, ctx, LOCAL_ADMIN, **kwargs)
    assert before == present["version"] == store.version
    cache.clear()
    store.queries = 0
    assert service.run(operation, ctx, LOCAL_ADMIN, **kwargs) == (present, before)
    queries = store.queries  # those of one computation (the catalog is kept)
    assert queries > 1
    for drop_at in range(1, queries + 1):
        cache.clear()  # computed afresh, with the write landing in the middle
        store.queries, store.drop_at = 0, drop_at
        answer, version = service.run(operation, ctx, LOCAL_ADMIN, **kwargs)
        store.drop_at = None
        absent, after = service.run(operation, ctx, LOCAL_ADMIN, **kwargs)
        assert after == before + 1 and absent != present, "the write did not land"
        assert version == answer["version"] == after
        assert answer == absent, f"a mixed answer (dataset deleted at query {drop_at})"
        store.replace_graph(dataset_iri(CHURN), churn)  # back as it was, a version later
        present, before = service.run(operation, ctx, LOCAL_ADMIN, **kwargs)


def test_only_a_caller_who_reads_every_dataset_learns_the_version(
    dropping: DropsDuringRead,
) -> None:
    ctx = Context(dropping)
    kwargs = {"filters": ProjectionFilter(), "top": 3}
    answer, version = service.run(service.metrics_report, ctx, LOCAL_ADMIN, **kwargs)
    assert version == answer["version"] == dropping.version
    answer, version = service.run(service.metrics_report, ctx, ANONYMOUS, **kwargs)
    assert version is None and "version" not in answer


# -- the live server under a writer -------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server over a public dataset and a restricted one, with a token per role
    (lighter than the shared ``live``: no synthetic data, no Oxigraph server)."""
    work = tmp_path_factory.mktemp("consistency")
    data_dir = work / "data"
    with EmbeddedStore(data_dir) as store:
        load_files(store, [claims_csv(work / "pub.csv", BASE_ROW, SECOND_ROW)], "pub")
        load_files(store, [claims_csv(work / "secret.csv", *SECRET_ROWS)], "secret",
                   access="restricted")  # fmt: skip
    with serving(data_dir, work / "server.log") as live:
        yield live


@pytest.fixture(scope="module")
def churn_csv(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("churn") / "churn.csv"
    return claims_csv(path, *shift_rows()).read_bytes()


def _answer(client: httpx.Client, route: str) -> tuple[int, dict[str, Any]]:
    response = client.get(route, params=ROUTES[route])
    assert response.status_code == 200, response.text
    body = response.json()
    header = response.headers.get("X-Store-Version")
    assert header is not None, f"{route} does not say its version"
    assert int(header) == body.pop("version"), f"{route}: header and body disagree"
    return int(header), body


def _load(admin: httpx.Client, csv: bytes) -> int:
    response = admin.post(
        "/api/datasets",
        data={"name": CHURN},
        files={"file": ("churn.csv", csv, "text/csv")},
    )
    assert response.status_code in (200, 201), response.text
    assert int(response.headers["X-Store-Version"]) == response.json()["version"]
    return int(response.json()["version"])


def _delete(admin: httpx.Client) -> int:
    response = admin.delete(f"/api/datasets/{CHURN}")
    assert response.status_code == 204, response.text
    return int(response.headers["X-Store-Version"])


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client("admin") as client:
        yield client


def test_answers_under_a_writer_are_each_one_state(
    server: LiveServer, admin: httpx.Client, churn_csv: bytes
) -> None:
    # The answer of each route in each state: without the dataset, and with it.
    start = {route: _answer(admin, route) for route in ROUTES}
    versions = {version for version, _ in start.values()}
    assert len(versions) == 1
    (initial,) = versions
    absent = {route: body for route, (_, body) in start.items()}
    loaded = _load(admin, churn_csv)
    present = {route: _answer(admin, route)[1] for route in ROUTES}
    assert all(present[r] != absent[r] for r in ROUTES), "the dataset changes no answer"
    # Each write: the version it made, and whether the dataset is there from it on.
    writes: list[tuple[int, bool]] = [(initial, False), (loaded, True), (_delete(admin), False)]

    answers: list[tuple[str, int, dict[str, Any]]] = []
    done = threading.Event()
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            with server.client("admin") as client:
                while not done.is_set():
                    for route in ROUTES:
                        answers.append((route, *_answer(client, route)))
        except BaseException as error:  # reported by the test's thread
            failures.append(error)
            done.set()

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + SECONDS
    try:
        for _ in range(CYCLES):
            if done.is_set() or time.monotonic() > deadline:
                break
            writes.append((_load(admin, churn_csv), True))
            time.sleep(0.2)
            writes.append((_delete(admin), False))
            time.sleep(0.2)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    if failures:
        raise failures[0]

    # One commit per write: every version between is some write's own.
    made = [version for version, _ in writes]
    assert made == list(range(initial, initial + len(made))), made
    state = dict(writes)
    assert len(answers) >= 3 * len(ROUTES)
    for route, version, body in answers:
        assert version in state, f"{route}: version {version} was never written"
        expected = present if state[version] else absent
        assert body == expected[route], f"{route} at version {version}: a mixed answer"
    seen = {state[version] for _, version, _ in answers}
    assert seen == {True, False}, "the readers never saw both states"


@pytest.mark.parametrize(
    ("role", "sees_version"), [(None, False), ("reader", False), ("reader_secret", True)]
)
def test_the_version_header_only_for_who_reads_every_dataset(
    server: LiveServer, role: str | None, sees_version: bool
) -> None:
    query = {"query": "ASK { ?s ?p ?o }"}
    with server.client(role) as client:
        for route, params in [*ROUTES.items(), ("/sparql", query), ("/api/datasets", {})]:
            response = client.get(route, params=params)
            assert response.status_code == 200, response.text
            assert ("X-Store-Version" in response.headers) is sees_version, route
            body = response.json()
            if isinstance(body, dict) and route != "/sparql":
                assert ("version" in body) is sees_version, route
