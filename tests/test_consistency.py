"""Every answer is computed from one state of the store and says which (issue 17, item 4).

A writer loads and deletes a dataset in a loop while readers ask the live server for the
metrics report, the flows and the explorer's data: each answer must be the answer of the
state its own version names, whole (its list of datasets and the claims it counts agree),
with the version in its header and its body. Beside it, deterministic checks of the
mechanism: a write landing in the middle of a cached computation, of an operation of the
server, and writes that keep landing. The version each caller is told is the view version of
its own datasets: writes to datasets it cannot see never change it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.analysis.projection import ProjectionFilter
from graph.ingest import load_files
from graph.model.namespaces import dataset_iri
from graph.server import service
from graph.server.auth import ANONYMOUS, LOCAL_ADMIN, Principal, read_catalog
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

# Bounds of the live run: write cycles, seconds, reader threads, and the longest a state is
# held for the readers to answer from it.
CYCLES = 3
SECONDS = 30.0
READERS = 3
STATE_SECONDS = 5.0


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


class CountsHolds(EmbeddedStore):
    """A real store that notes each time a reader holds its commits back."""

    holds = 0

    def commits_held(self) -> Any:
        self.holds += 1
        return super().commits_held()


@pytest.mark.parametrize(("slow", "computed"), [(60.0, 4), (0.0, 2)])
def test_a_slow_computation_holds_commits_after_its_first_clash(slow: float, computed: int) -> None:
    """Every unheld try clashes with a write: a fast computation is tried ``TRIES`` times
    before its held try; one that took ``slow`` seconds or more goes to it after one clash,
    instead of burning its time limit on tries that would clash again."""
    store = CountsHolds()
    calls: list[int] = []

    def read() -> int:
        calls.append(1)
        if store.holds == 0:  # not yet held back: a write lands during this try
            _insert(store, len(calls))
        return _triples(store, "urn:g")

    _, value = consistent(store, read, slow=slow)
    assert (len(calls), store.holds) == (computed, 1)
    assert value == computed - 1


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


def _view(store: Store, principal: Principal) -> str:
    """The view version of ``principal``'s datasets in the store as it is now."""
    return read_catalog(store).view_version(principal)


#: The operations read under a writer; each computation is some 130 queries of the store.
OPERATIONS = [
    (service.metrics_report, {"filters": ProjectionFilter(), "top": 3}, LOCAL_ADMIN),
    (service.flows, {"group_by": "payer_tier"}, LOCAL_ADMIN),
    (service.explorer_data, {"filters": ProjectionFilter(), "window": None}, LOCAL_ADMIN),
    # A caller who sees some datasets only: its own view version, at the same state.
    (service.explorer_data, {"filters": ProjectionFilter(), "window": None}, ANONYMOUS),
    (service.question_data, {"filters": ProjectionFilter()}, LOCAL_ADMIN),
]


@pytest.mark.parametrize(
    ("place", "operation", "kwargs", "principal"),
    [(place, *operation) for place, operation in enumerate(OPERATIONS)],
    ids=["metrics", "flows", "explorer", "explorer-anonymous", "question"],
)
def test_an_operation_is_one_state_whenever_a_write_lands(
    dropping: DropsDuringRead,
    place: int,
    operation: Any,
    kwargs: dict[str, Any],
    principal: Principal,
) -> None:
    """The dataset goes away before a query of the operation: its answer is always the whole
    answer of the state its version names (the caller's view version of the state it was
    computed at). Each operation takes the first and the last query and every fifth between
    them, from its place in :data:`OPERATIONS` on: the operations read the store through the
    same projection, so between them every query of it is taken (every point for each
    operation took 200 s for the five; this, 35 s)."""
    store = dropping
    ctx = Context(store)
    churn = [quad.triple for quad in store.quads(dataset_iri(CHURN))]
    present, before = service.run(operation, ctx, principal, **kwargs)
    assert before == present["version"] == _view(store, principal)
    cache.clear()
    store.queries = 0
    assert service.run(operation, ctx, principal, **kwargs) == (present, before)
    queries = store.queries  # those of one computation (the catalog is kept)
    assert queries > 1
    for drop_at in sorted({1, queries, *range(1 + place, queries + 1, len(OPERATIONS))}):
        cache.clear()  # computed afresh, with the write landing in the middle
        store.queries, store.drop_at = 0, drop_at
        answer, version = service.run(operation, ctx, principal, **kwargs)
        store.drop_at = None
        absent, after = service.run(operation, ctx, principal, **kwargs)
        assert after != before and absent != present, "the write did not land"
        assert version == answer["version"] == after == _view(store, principal)
        assert answer == absent, f"a mixed answer (dataset deleted at query {drop_at})"
        store.replace_graph(dataset_iri(CHURN), churn)  # back as it was, a write later
        present, before = service.run(operation, ctx, principal, **kwargs)


def test_the_view_version_follows_only_the_callers_datasets(
    dropping: DropsDuringRead, tmp_path: Path
) -> None:
    """Every caller is told a version; a write to a dataset it cannot see (an update, a new
    dataset, a deletion) leaves it as it was, a write to one it sees changes it."""
    ctx = Context(dropping)
    grantee = Principal(role="reader", name="grantee", grants=frozenset({"secret"}))
    callers = {"anonymous": ANONYMOUS, "grantee": grantee, "admin": LOCAL_ADMIN}

    def views() -> dict[str, str]:
        seen = {}
        for name, principal in callers.items():
            health, version = service.run(service.healthz, ctx, principal)
            assert version == health["version"]
            seen[name] = version
        return seen

    def update(graph: str, verb: str = "INSERT") -> None:
        text = f"{verb} DATA {{ GRAPH <{graph}> {{ <urn:x> <urn:p> 1 }} }}"
        service.run(service.sparql_update, ctx, LOCAL_ADMIN, text)

    first = views()
    assert len(set(first.values())) == 2  # the anonymous caller sees less than the others
    assert first["grantee"] == first["admin"]  # the same datasets: the same version
    update(dataset_iri("secret"))
    second = views()
    assert second["anonymous"] == first["anonymous"] and second["admin"] != first["admin"]
    hidden = claims_csv(tmp_path / "hidden.csv", *SECRET_ROWS)
    service.run(service.upload, ctx, LOCAL_ADMIN, "hidden", [str(hidden)], access="restricted")
    service.run(service.delete_dataset, ctx, LOCAL_ADMIN, "hidden")
    update(dataset_iri("secret"), "DELETE")
    third = views()
    assert third["anonymous"] == first["anonymous"]
    assert len({first["admin"], second["admin"], third["admin"]}) == 3
    update(dataset_iri("pub"))
    fourth = views()
    assert fourth["anonymous"] != first["anonymous"] and fourth["admin"] != third["admin"]
    update(dataset_iri("pub"), "DELETE")  # the content as before, yet another write
    assert views()["anonymous"] not in (first["anonymous"], fourth["anonymous"])


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


def _answer(client: httpx.Client, route: str) -> tuple[str, dict[str, Any]]:
    response = client.get(route, params=ROUTES[route])
    assert response.status_code == 200, response.text
    body = response.json()
    header = response.headers.get("X-Store-Version")
    assert header is not None, f"{route} does not say its version"
    assert header == body.pop("version"), f"{route}: header and body disagree"
    return header, body


def _load(admin: httpx.Client, csv: bytes) -> str:
    response = admin.post(
        "/api/datasets",
        data={"name": CHURN},
        files={"file": ("churn.csv", csv, "text/csv")},
    )
    assert response.status_code in (200, 201), response.text
    assert response.headers["X-Store-Version"] == response.json()["version"]
    return str(response.json()["version"])


def _delete(admin: httpx.Client) -> str:
    response = admin.delete(f"/api/datasets/{CHURN}")
    assert response.status_code == 204, response.text
    return response.headers["X-Store-Version"]


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
    writes: list[tuple[str, bool]] = [(initial, False), (loaded, True), (_delete(admin), False)]

    answers: list[tuple[str, str, dict[str, Any]]] = []
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

    def answered(version: str) -> None:
        # Each state is held until a reader has answered from it (or for STATE_SECONDS at
        # most): on a loaded machine an answer can take longer than a fixed pause, and the
        # readers then saw one state only.
        since = len(answers)
        until = min(deadline, time.monotonic() + STATE_SECONDS)
        while not done.is_set() and time.monotonic() < until:
            if any(seen == version for _, seen, _ in answers[since:]):
                return
            time.sleep(0.05)

    try:
        for _ in range(CYCLES):
            if done.is_set() or time.monotonic() > deadline:
                break
            writes.append((_load(admin, churn_csv), True))
            answered(writes[-1][0])
            writes.append((_delete(admin), False))
            answered(writes[-1][0])
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    if failures:
        raise failures[0]

    # A view version names the content: each load a new one, each deletion the initial one.
    loads = [version for version, present in writes if present]
    assert len(set(loads)) == len(loads) and initial not in loads, writes
    assert all(version == initial for version, present in writes if not present), writes
    state = dict(writes)
    assert len(answers) >= 3 * len(ROUTES)
    for route, version, body in answers:
        assert version in state, f"{route}: version {version} was never written"
        expected = present if state[version] else absent
        assert body == expected[route], f"{route} at version {version}: a mixed answer"
    seen = {state[version] for _, version, _ in answers}
    assert seen == {True, False}, "the readers never saw both states"


def test_every_caller_is_told_the_version_of_its_own_datasets(
    server: LiveServer, admin: httpx.Client
) -> None:
    """Over HTTP, each caller is told a version, in the header and in the body alike; an
    update of the restricted dataset leaves the version of who cannot see it as it was."""
    query = {"query": "ASK { ?s ?p ?o }"}
    roles = [None, "reader", "reader_secret"]

    def versions() -> dict[str | None, str]:
        seen: dict[str | None, str] = {}
        for role in roles:
            with server.client(role) as client:
                routes = [*ROUTES.items(), ("/sparql", query), ("/api/datasets", {})]
                headers = set()
                for route, params in [*routes, ("/healthz", {})]:
                    response = client.get(route, params=params)
                    assert response.status_code == 200, response.text
                    header = response.headers.get("X-Store-Version")
                    assert header is not None, (role, route)
                    body = response.json()
                    if isinstance(body, dict) and route != "/sparql":
                        assert body["version"] == header, (role, route)
                    headers.add(header)
                assert len(headers) == 1, (role, headers)  # one state, one version
                seen[role] = headers.pop()
        return seen

    def update(dataset: str, verb: str) -> None:
        text = f"{verb} DATA {{ GRAPH <{dataset_iri(dataset)}> {{ <urn:x> <urn:p> 1 }} }}"
        response = admin.post("/sparql", data={"update": text})
        assert response.status_code == 200, response.text
        assert response.json()["version"] == response.headers["X-Store-Version"]

    before = versions()
    assert before[None] == before["reader"] != before["reader_secret"]
    update("secret", "INSERT")
    hidden = versions()
    assert hidden[None] == before[None] and hidden["reader"] == before["reader"]
    assert hidden["reader_secret"] != before["reader_secret"]
    update("pub", "INSERT")
    public = versions()
    assert all(public[role] != hidden[role] for role in roles)
    update("secret", "DELETE")
    update("pub", "DELETE")
