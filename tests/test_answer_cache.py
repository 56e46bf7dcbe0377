"""The server's cache of whole answers (graph.server.answers): a query asked again is answered
from it until the next write, never across what callers may see, never after a write, never
for a query whose value changes from one evaluation to the next; bounded in bytes, reported in
/healthz, off with ``--answer-cache-mb 0``. Every server here is a real ``recruitgraph serve``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.server.answers import AnswerCache, answer_size
from tests.helpers import BASE_ROW, SECOND_ROW, LiveServer, claims_csv, run_cli, serving

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with a public dataset ``pub`` and a restricted one ``secret``."""
    work = tmp_path_factory.mktemp("answers")
    with serving(work / "data", work / "server.log") as live:
        for name, row, access in (
            ("pub", BASE_ROW, "public"),
            ("secret", SECOND_ROW, "restricted"),
        ):
            csv = claims_csv(work / f"{name}.csv", row)
            answer = httpx.post(
                f"{live.base}/api/datasets",
                data={"name": name, "access": access},
                files={"file": (csv.name, csv.read_bytes(), "text/csv")},
                headers=live.auth("editor_secret"),
                timeout=60,
            )
            assert answer.status_code == 201, answer.text
        yield live


def _ask(server: LiveServer, query: str, role: str | None = None) -> httpx.Response:
    headers = {"Accept": "application/sparql-results+json"}
    if role is not None:
        headers.update(server.auth(role))
    answer = httpx.get(f"{server.base}/sparql", params={"query": query}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def _count(answer: httpx.Response) -> int:
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def _cache(server: LiveServer) -> dict[str, int]:
    health = httpx.get(f"{server.base}/healthz", headers=server.auth("admin")).json()
    stats: dict[str, int] = health["answer_cache"]
    return stats


def test_a_repeated_query_is_answered_from_the_cache_with_the_same_body_and_version(
    server: LiveServer,
) -> None:
    query = COUNT + " # repeated"
    first = _ask(server, query)
    before = _cache(server)
    second = _ask(server, query)
    after = _cache(server)
    assert second.content == first.content
    assert second.headers["x-store-version"] == first.headers["x-store-version"]
    assert after["hits"] == before["hits"] + 1
    assert 0 < after["bytes"] <= after["max_bytes"] == 64 * 1024**2


def test_callers_who_see_different_datasets_never_share_an_answer(server: LiveServer) -> None:
    query = COUNT + " # who sees what"
    anonymous = _count(_ask(server, query))
    assert _count(_ask(server, query)) == anonymous  # now kept for anonymous callers
    granted = _count(_ask(server, query, "reader_secret"))
    assert granted > anonymous  # the restricted dataset counts, not the anonymous answer
    assert _count(_ask(server, query, "reader")) == anonymous  # no grant: as anonymous
    assert _count(_ask(server, query, "editor_secret")) == granted
    # Asked again, each still gets its own.
    assert _count(_ask(server, query, "reader_secret")) == granted
    assert _count(_ask(server, query)) == anonymous


def test_no_answer_outlives_a_write(server: LiveServer) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:x:p> ?o }"
    before = _ask(server, query)
    assert _ask(server, query).content == before.content  # kept
    update = httpx.post(
        f"{server.base}/sparql",
        data={"update": "INSERT DATA { <urn:x:cache-test> <urn:x:p> 'written' }"},
        headers=server.auth("editor"),
    )
    assert update.status_code == 200, update.text
    after = _ask(server, query)
    assert (_count(before), _count(after)) == (0, 1)
    assert after.headers["x-store-version"] != before.headers["x-store-version"]
    assert _cache(server)["entries"] >= 1  # the new answer is kept in turn


def test_queries_whose_value_changes_per_evaluation_are_not_kept(server: LiveServer) -> None:
    before = _cache(server)
    for query in (
        "SELECT (NOW() AS ?t) {}",
        "SELECT (RAND() AS ?r) {}",
        "SELECT (uuid () AS ?u) {}",
    ):
        _ask(server, query)
        _ask(server, query)
    after = _cache(server)
    assert after["kept"] == before["kept"] and after["hits"] == before["hits"]


def test_an_anonymous_caller_sees_the_counts_only_with_a_valid_token(server: LiveServer) -> None:
    """/healthz tells anyone the cache's counts (as it tells the lanes' load); nothing of what
    is in it."""
    health = httpx.get(f"{server.base}/healthz").json()
    assert set(health["answer_cache"]) == {
        "entries", "bytes", "max_bytes", "hits", "misses", "kept", "evicted"
    }  # fmt: skip


def test_off_with_zero_bytes_and_a_bad_size_is_refused(tmp_path: Path, cli_env: Any) -> None:
    with serving(tmp_path / "data", tmp_path / "server.log", "--answer-cache-mb", "0") as live:
        for _ in range(3):
            _ask(live, "ASK {}")
        stats = _cache(live)
        assert (stats["max_bytes"], stats["hits"], stats["entries"]) == (0, 0, 0)
    for size in ("-1", "lots", "nan"):
        result = run_cli(
            "serve", "--data-dir", str(tmp_path / "d"), "--answer-cache-mb", size, env=cli_env
        )
        assert result.returncode == 1, size
        assert "argument --answer-cache-mb" in result.stderr and "Traceback" not in result.stderr


# -- the cache itself ----------------------------------------------------------------------


def test_an_answer_begun_before_a_write_is_not_kept() -> None:
    cache = AnswerCache(10_000)
    begun = cache.generation
    cache.writing()
    assert not cache.put(("q", b"k"), begun, (b"old", "v1"))  # landed during the write
    cache.written()
    assert not cache.put(("q", b"k"), begun, (b"old", "v1"))  # landed after it
    assert cache.get(("q", b"k")) is None
    now = cache.generation
    cache.writing()
    assert not cache.put(("q", b"k"), now, (b"new", "v2"))  # begun while a write ran
    cache.written()
    assert cache.put(("q", b"k"), cache.generation, (b"new", "v2"))
    assert cache.get(("q", b"k")) == (b"new", "v2")


def test_bounded_in_bytes_least_recently_used_first_and_no_giants() -> None:
    cache = AnswerCache(8_000)
    generation = cache.generation
    for i in range(20):
        assert cache.put(("q", f"{i}".encode()), generation, (b"x" * 500, "v"))
        cache.get(("q", b"0"))  # the first one stays in use
    stats = cache.stats()
    assert stats["bytes"] <= 8_000 and stats["evicted"] > 0
    assert cache.get(("q", b"0")) is not None and cache.get(("q", b"1")) is None
    assert not cache.put(("q", b"big"), generation, (b"x" * 1_001, "v"))  # > 1/8 of the bound
    assert not cache.put(("q", b"obj"), generation, ({"a": 1}, "v"))  # size unknown
    assert answer_size((b"ab", "cd", True)) == 12 and answer_size([b"x"]) is None
