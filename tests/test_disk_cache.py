"""Derived results kept on disk beside an embedded store (graph/store/disk_cache.py): found
again by a new process over the same store, never after a write (nor after one made by another
process while this one was away), never across code versions; damaged files are computed
again; only the current state's results stay, within the byte bound; stores that cannot keep
them (in memory) compute every time."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.store import EmbeddedStore, Store, disk_cache
from graph.store.disk_cache import (
    DIRECTORY,
    cached_on_disk,
    keep_latest,
    latest_kept,
    state_digest,
)

WRITE = "INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> %d } }"


def _counting(store: Store) -> tuple[Callable[[], dict[str, Any]], list[int]]:
    calls: list[int] = []

    def compute() -> dict[str, Any]:
        calls.append(1)
        return {"triples": len(list(store.quads("urn:g"))), "at": [1, "x", None, 2.5]}

    return compute, calls


def _in_another_process(directory: Path, name: str, call: str) -> Any:
    """What ``call`` of :mod:`graph.store.disk_cache`'s function ``name`` gives (as JSON) in
    another process over the store in ``directory``."""
    script = (
        "import json, sys\n"
        "from graph.store import EmbeddedStore\n"
        f"from graph.store.disk_cache import {name}\n"
        "with EmbeddedStore(sys.argv[1]) as store:\n"
        f"    print(json.dumps({call}))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script, str(directory)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return json.loads(found.stdout)


def _files(directory: Path) -> list[str]:
    folder = directory / DIRECTORY
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_result_is_found_again_by_another_process_until_the_store_is_written(
    tmp_path: Path,
) -> None:
    with EmbeddedStore(tmp_path / "data") as store:
        store.update(WRITE % 1, graphs=["urn:g"])
        compute, calls = _counting(store)
        first = cached_on_disk(store, "count", ("a", 1), compute)
        assert first == {"triples": 1, "at": [1, "x", None, 2.5]} and calls == [1]
    # another process, over the same directory: found, not computed
    call = "cached_on_disk(store, 'count', ('a', 1), lambda: 'computed')"
    assert _in_another_process(tmp_path / "data", "cached_on_disk", call) == first
    with EmbeddedStore(tmp_path / "data") as store:
        compute, calls = _counting(store)
        assert cached_on_disk(store, "count", ("a", 1), compute) == first and calls == []
        # another key, another kind: computed
        cached_on_disk(store, "count", ("a", 2), compute)
        cached_on_disk(store, "other", ("a", 1), compute)
        assert len(calls) == 2
        # a write: computed again, and the results of the state before it are gone
        store.update(WRITE % 2, graphs=["urn:g"])
        assert cached_on_disk(store, "count", ("a", 1), compute)["triples"] == 2
        assert len(calls) == 3
        assert len(_files(tmp_path / "data")) == 1


def test_a_write_of_another_process_in_between_is_seen(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "data") as store:
        compute, calls = _counting(store)
        assert cached_on_disk(store, "count", (), compute)["triples"] == 0
    with EmbeddedStore(tmp_path / "data") as store:  # e.g. `recruitgraph load` meanwhile
        store.update(WRITE % 1, graphs=["urn:g"])
    with EmbeddedStore(tmp_path / "data") as store:
        compute, calls = _counting(store)
        assert cached_on_disk(store, "count", (), compute)["triples"] == 1 and calls == [1]


def test_a_write_that_does_not_name_its_graphs_is_seen(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "data") as store:
        before = state_digest(store)
        store.update(WRITE % 1)
        assert state_digest(store) not in (None, before)


def test_two_stores_never_share_a_state(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "a") as a, EmbeddedStore(tmp_path / "b") as b:
        assert a.version == b.version
        assert state_digest(a) != state_digest(b)


def test_other_code_computes_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with EmbeddedStore(tmp_path / "data") as store:
        compute, calls = _counting(store)
        cached_on_disk(store, "count", (), compute)
        monkeypatch.setattr(disk_cache, "code_digest", lambda: "0" * 32)
        cached_on_disk(store, "count", (), compute)
        assert len(calls) == 2


def test_a_damaged_file_is_computed_again_and_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with EmbeddedStore(tmp_path / "data") as store:
        compute, calls = _counting(store)
        cached_on_disk(store, "count", (), compute)
        (name,) = _files(tmp_path / "data")
        path = tmp_path / "data" / DIRECTORY / name
        path.write_text('{"triples": 0, "at": [1, "x"', encoding="utf-8")  # cut short
        with caplog.at_level(logging.WARNING, "recruitgraph.store"):
            assert cached_on_disk(store, "count", (), compute)["at"] == [1, "x", None, 2.5]
        assert len(calls) == 2 and "damaged" in caplog.text
        assert json.loads(path.read_text(encoding="utf-8"))["triples"] == 0


def test_a_directory_that_cannot_be_written_is_logged_and_the_result_given(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with EmbeddedStore(tmp_path / "data") as store:
        (tmp_path / "data" / DIRECTORY).write_text("a file in the way", encoding="utf-8")
        compute, calls = _counting(store)
        with caplog.at_level(logging.WARNING, "recruitgraph.store"):
            assert cached_on_disk(store, "count", (), compute)["triples"] == 0
            assert cached_on_disk(store, "count", (), compute)["triples"] == 0
        assert len(calls) == 2 and "cannot keep a result" in caplog.text


def test_an_in_memory_store_keeps_nothing() -> None:
    store = EmbeddedStore()
    compute, calls = _counting(store)
    cached_on_disk(store, "count", (), compute)
    cached_on_disk(store, "count", (), compute)
    assert store.directory is None and len(calls) == 2


def test_keys_are_told_by_value_and_results_not_of_json_types_are_not_kept(
    tmp_path: Path,
) -> None:
    with EmbeddedStore(tmp_path / "data") as store:
        compute, calls = _counting(store)
        first = (frozenset({"b", "a", "c"}), date(2024, 1, 1))
        cached_on_disk(store, "count", first, compute)
        cached_on_disk(store, "count", (frozenset({"c", "a", "b"}), date(2024, 1, 1)), compute)
        assert len(calls) == 1
        # a key it cannot tell by value, a result JSON cannot hold: computed every time
        cached_on_disk(store, "count", object(), compute)
        cached_on_disk(store, "count", object(), compute)
        assert len(calls) == 3
        cached_on_disk(store, "sets", (), lambda: {1, 2})
        assert cached_on_disk(store, "sets", (), lambda: {3}) == {3}
        with pytest.raises(ValueError, match="kind"):
            cached_on_disk(store, "../escape", (), compute)


def test_the_least_recently_used_go_past_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(disk_cache, "MAX_BYTES", 2500)
    with EmbeddedStore(tmp_path / "data") as store:
        big = {"text": "x" * 1000}
        for key in range(3):
            cached_on_disk(store, "big", key, lambda: big)
        # at most two of about 1 kB fit; the oldest went
        assert len(_files(tmp_path / "data")) == 2
        calls: list[int] = []

        def again() -> dict[str, str]:
            calls.append(1)
            return big

        cached_on_disk(store, "big", 2, again)
        assert calls == []
        cached_on_disk(store, "big", 0, again)
        assert calls == [1]


def test_the_latest_result_stays_across_writes_until_replaced(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "data") as store:
        compute, _ = _counting(store)
        cached_on_disk(store, "count", (), compute)
        keep_latest(store, "count", "all", {"triples": 0, "version": store.version})
        for value in (1, 2):  # writes, and results of the states after them
            store.update(WRITE % value, graphs=["urn:g"])
            cached_on_disk(store, "count", (), compute)
        # the latest stays (the results of earlier states went), found by another process
        names = _files(tmp_path / "data")
        assert len(names) == 2 and sum(name.endswith("-latest.json") for name in names) == 1
    call = "latest_kept(store, 'count', 'all')"
    found = _in_another_process(tmp_path / "data", "latest_kept", call)
    assert found == {"triples": 0, "version": 0}
    with EmbeddedStore(tmp_path / "data") as store:
        # another key, another kind: none; the next one filed replaces it
        assert latest_kept(store, "count", "other") is None
        assert latest_kept(store, "other", "all") is None
        keep_latest(store, "count", "all", {"triples": 2})
        assert latest_kept(store, "count", "all") == {"triples": 2}
        assert len(_files(tmp_path / "data")) == 2


def test_the_latest_result_of_other_code_or_an_in_memory_store_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = EmbeddedStore()
    keep_latest(memory, "count", (), {"triples": 0})
    assert latest_kept(memory, "count", ()) is None
    with EmbeddedStore(tmp_path / "data") as store:
        keep_latest(store, "count", (), {"triples": 0})
        monkeypatch.setattr(disk_cache, "code_digest", lambda: "0" * 32)
        assert latest_kept(store, "count", ()) is None
        # within the bound with the others: the least recently used goes, latest or not
        monkeypatch.setattr(disk_cache, "MAX_BYTES", 2500)
        keep_latest(store, "big", 0, {"text": "x" * 1000})
        for key in range(2):
            cached_on_disk(store, "big", key, lambda: {"text": "x" * 1000})
        assert latest_kept(store, "big", 0) is None and len(_files(tmp_path / "data")) == 2
