"""The cache of derived results (graph.store.cache) bounded in bytes: the least recently used
go until the total fits, a result larger than the bound is served and not kept, the bound is
set by the library and by ``recruitgraph serve --metrics-cache-mb`` (bad sizes refused);
and what it measures (graph.store.sizing, graph.analysis.projection.projection_bytes).
The same cache through a real server's /healthz: tests/test_operations.py."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph.analysis.projection import projection_bytes
from graph.store import EmbeddedStore, Store, cache
from graph.store.sizing import deep_size
from tests.helpers import run_cli


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty in-memory store, with the cache emptied before and its bound put back after."""
    bound = cache.stats()["max_bytes"]
    cache.clear()
    with EmbeddedStore(None) as opened:
        yield opened
    cache.set_max_bytes(bound)
    cache.clear()


def _sized(nbytes: int) -> tuple[str, int]:
    """A result and the size the test says it has."""
    return ("result", nbytes)


def _held(store: Store) -> list[Any]:
    return [key[3] for key in cache._ENTRIES if key[0] == cache._SERIALS[store]]


def test_the_bytes_held_stay_under_the_bound_least_recently_used_out_first(
    store: Store,
) -> None:
    cache.set_max_bytes(1000)
    before = cache.stats()
    for i in range(10):
        cache.cached(store, "t", i, lambda i=i: _sized(300), size=lambda r: r[1])
        cache.cached(store, "t", 0, lambda: pytest.fail("0 was evicted"), size=lambda r: r[1])
        assert cache.stats()["bytes"] <= 1000
    after = cache.stats()
    assert _held(store) == [8, 9, 0]  # 0 stays in use
    assert (after["entries"], after["bytes"]) == (3, 900)
    assert after["evicted"] - before["evicted"] == 7
    cache.set_max_bytes(600)  # a lower bound evicts at once
    assert _held(store) == [9, 0] and cache.stats()["bytes"] == 600


def test_a_result_larger_than_the_bound_is_served_once_to_all_who_wait_and_not_kept(
    store: Store,
) -> None:
    cache.set_max_bytes(1000)
    cache.cached(store, "t", "small", lambda: _sized(400), size=lambda r: r[1])
    computed = []

    def giant() -> tuple[str, int]:
        computed.append(1)
        time.sleep(0.2)  # long enough for every thread to ask meanwhile
        return _sized(5000)

    barrier = threading.Barrier(4)

    def ask(_: int) -> tuple[str, int]:
        barrier.wait()
        return cache.cached(store, "t", "giant", giant, size=lambda r: r[1])

    before = cache.stats()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(ask, range(4)))
    after = cache.stats()
    assert len(computed) == 1 and len({id(r) for r in results}) == 1
    assert after["too_large"] - before["too_large"] == 1
    assert _held(store) == ["small"] and after["bytes"] == 400  # nothing evicted for it
    cache.cached(store, "t", "giant", giant, size=lambda r: r[1])
    assert len(computed) == 2  # asked again later: computed again


def test_no_result_is_taken_from_before_a_write(store: Store) -> None:
    """A result not kept is not handed to a caller who asks after the store moved on."""
    cache.set_max_bytes(0)  # keep nothing
    first = cache.cached(store, "t", "k", lambda: ["v", store.version])
    store.update("INSERT DATA { <urn:x:s> <urn:x:p> 1 }")
    second = cache.cached(store, "t", "k", lambda: ["v", store.version])
    assert second[1] > first[1] and cache.stats()["entries"] == 0


@pytest.mark.parametrize("bad", [-1, 1.5, "512", True])
def test_a_bad_bound_is_refused(store: Store, bad: Any) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        cache.set_max_bytes(bad)


def test_the_command_line_refuses_a_bad_size(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """(One size: the parsing is --answer-cache-mb's, whose test tries more.)"""
    result = run_cli(
        "serve", "--data-dir", str(tmp_path / "d"), "--metrics-cache-mb", "-1", env=cli_env
    )
    assert result.returncode == 1
    assert "argument --metrics-cache-mb: -1 is not a size in MiB" in result.stderr
    assert "Traceback" not in result.stderr


# -- what is measured ----------------------------------------------------------------------


def _exact(value: object) -> int:
    """Every object reachable once, no sampling."""
    return deep_size(value, sample=sys.maxsize)


@pytest.mark.parametrize("kind", [nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph])
def test_a_graph_is_measured_close_to_every_object_once(kind: type[nx.Graph]) -> None:
    G = kind()
    labels = [f"label of actor {i}" for i in range(300)]
    for i in range(300):
        G.add_node(f"actor/{i}", label=labels[i], members=[f"m{i}"])
    for i in range(2000):  # hubs: actor/0 takes a third of the edges
        u, v = ("actor/0" if i % 3 == 0 else f"actor/{i % 300}"), f"actor/{(i * 7) % 300}"
        G.add_edge(u, v, claim=f"claim/{i}", label=labels[i % 300], amount=float(i))
    G.graph["filter"] = {"level": "organization"}
    frozen = nx.freeze(G)
    exact = _exact(frozen)
    assert abs(projection_bytes(frozen) - exact) / exact < 0.05


def test_a_sampled_walk_comes_close_and_counts_shared_objects_once() -> None:
    rows = [{"id": f"claim/{i}", "amount": float(i), "sources": ("a", "b")} for i in range(5000)]
    report = {"rows": rows, "label": "x" * 10_000}
    exact = _exact(report)
    assert abs(deep_size(report) - exact) / exact < 0.05
    shared = "y" * 10_000
    assert deep_size([shared] * 1000) < 2 * sys.getsizeof(shared)
