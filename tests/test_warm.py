"""The server's warm-up of the landing page (graph/server/warm.py), against a real `recruitgraph
serve` on 127.0.0.1: it runs at start and again after a write, `/` then answers the whole page
at once (no card left computing), a reader arriving during it joins it, `--no-warm` turns it
off, a restricted dataset never enters it, a failed one is logged and the server goes on,
and a shutdown during it is clean. Its figures are kept on disk beside the store
(graph/store/disk_cache.py): a server started again over the same store has them at once,
unless the store was written in between; after a write, a reader is shown at once the figures
of before it, marked as such, until those of the data as it is now are ready.

The servers run with ``--page-wait 0``: a page whose figures are not ready at once answers
with its cards computing, so a page drawn whole can only have come from the warm-up."""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from graph.ingest.load import load_files
from graph.ingest.synth import write_synthetic
from graph.store import EmbeddedStore
from graph.store.disk_cache import DIRECTORY
from tests.helpers import (
    REGIONS,
    LiveServer,
    claims_csv,
    row,
    screenshot,
    serving,
    shift_rows,
    stop,
    watched_page,
    with_default_dataset,
)

#: What the page shows while its cards are still computing (graph/viz/templates/question.html).
PENDING = 'id="pending-status"'
#: What it shows while it draws the figures of before a write, those of after it computing.
EARLIER = 'id="earlier"'
SECRET = "Zzsecret recruiting bureau"
FRESH = "Zzfresh recruiting bureau"
LATER = "Zzlater recruiting bureau"


def _recruiter(label: str) -> dict[str, str]:
    recruiter = ("Recruiter", label, "")
    return row("s1", "FundingFlow", REGIONS[0], recruiter, "2024-05-01", amount="5000",
               currency="RUB", purpose="recruiter_fee")  # fmt: skip


def _upload(server: LiveServer, name: str, content: bytes) -> None:
    """An editor uploads ``content`` (a claims CSV) as the public dataset ``name``."""
    with server.client("editor") as editor:
        response = editor.post(
            "/api/datasets",
            data={"name": name, "access": "public"},
            files={"file": (f"{name}.csv", content, "text/csv")},
            timeout=120,
        )
        assert response.status_code in (200, 201), response.text


def _warm(server: LiveServer, runs: int = 1, seconds: float = 120) -> dict[str, Any]:
    """The warm-up's state once its ``runs``-th run has ended."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = httpx.get(f"{server.base}/healthz", timeout=30).json()["warm"]
        if state["runs"] >= runs and state["state"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"the warm-up did not end: {state}")


def _build(work: Path) -> Path:
    """The default dataset, and a restricted dataset naming a recruiter nobody else names."""
    with EmbeddedStore(work / "data") as store:
        with_default_dataset(store)
        secret = claims_csv(work / "secret.csv", _recruiter(SECRET))
        load_files(store, [secret], "secret", access="restricted")
    return work


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("warm"))


@pytest.fixture(scope="module")
def server(data: Path) -> Iterator[LiveServer]:
    with serving(data / "data", data / "server.log", "--page-wait", "0") as live:
        yield live


def test_the_warm_up_runs_at_start_and_the_page_is_drawn_whole(server: LiveServer) -> None:
    state = _warm(server)
    assert state["state"] == "done", state
    assert state["seconds"] > 0 and state["version"]
    calls = httpx.get(f"{server.base}/healthz", timeout=30).json()["lanes"]["analysis"]["calls"]
    page = httpx.get(f"{server.base}/", timeout=30)
    assert page.status_code == 200
    # made of the warm-up's figures: not computed again, nor asked of the engine
    health = httpx.get(f"{server.base}/healthz", timeout=30).json()
    assert health["lanes"]["analysis"]["calls"] == calls
    assert PENDING not in page.text
    assert 'data-chart="payers"' in page.text and "Minist" in page.text
    # the page's figures are those the warm-up computed, for the same view of the store
    assert page.headers["X-Store-Version"] == state["version"]


def test_restricted_data_never_enters_the_warmed_page(server: LiveServer) -> None:
    _warm(server)
    anonymous = httpx.get(f"{server.base}/", timeout=30)
    assert PENDING not in anonymous.text and SECRET not in anonymous.text
    # a caller who may read the restricted dataset gets figures of its own, which name it
    with server.client("reader_secret") as reader:
        figures = reader.get("/api/question", timeout=60)
        assert figures.status_code == 200 and SECRET in figures.text
        assert figures.headers["X-Store-Version"] != anonymous.headers["X-Store-Version"]


def test_a_write_warms_the_page_again(server: LiveServer, data: Path) -> None:
    before = _warm(server)
    assert FRESH not in httpx.get(f"{server.base}/", timeout=30).text
    fresh = claims_csv(data / "fresh.csv", _recruiter(FRESH)).read_bytes()
    _upload(server, "fresh", fresh)
    after = _warm(server, runs=before["runs"] + 1)
    assert after["state"] == "done" and after["version"] != before["version"]
    page = httpx.get(f"{server.base}/", timeout=30)
    assert PENDING not in page.text and FRESH in page.text
    assert page.headers["X-Store-Version"] == after["version"]


def test_no_warm_warms_nothing(tmp_path: Path) -> None:
    data = _build(tmp_path)
    with serving(data / "data", data / "server.log", "--page-wait", "0", "--no-warm") as server:
        health = httpx.get(f"{server.base}/healthz", timeout=30).json()
        assert health["warm"]["state"] == "off" and health["warm"]["runs"] == 0
        assert health["lanes"]["analysis"]["calls"] == 0
        # nothing computed the figures: the first reader's page has its cards computing
        assert PENDING in httpx.get(f"{server.base}/", timeout=30).text


def test_a_failed_warm_up_is_logged_and_the_server_goes_on(tmp_path: Path) -> None:
    data = _build(tmp_path)
    # a background call's time limit is the write limit: too short for the page's figures
    with serving(data / "data", data / "server.log", "--write-timeout", "0.05") as server:
        state = _warm(server)
        assert state["state"] == "failed" and "503" in state["error"], state
        assert "the warm-up failed" in (data / "server.log").read_text()
        deadline = time.monotonic() + 60
        while (health := httpx.get(f"{server.base}/healthz", timeout=30)).status_code != 200:
            assert time.monotonic() < deadline, health.text  # the engine comes back
            time.sleep(0.2)
        assert httpx.get(f"{server.base}/api/datasets", timeout=30).status_code == 200


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose page takes seconds to compute: 5,000 synthetic actors."""
    work = tmp_path_factory.mktemp("warm-large")
    write_synthetic(work / "synthetic.nt", actors=5000, centralization=0.6, seed=3)
    with EmbeddedStore(work / "data") as store:
        load_files(store, [work / "synthetic.nt"], "synthetic", synthetic=True)
        load_files(store, [claims_csv(work / "shift.csv", *shift_rows())], "shift")
    return work


def _computing(data: Path) -> Path:
    """``data``, its kept figures removed: a server over it computes them again (the tests
    below need a warm-up that runs a while, as after a write)."""
    shutil.rmtree(data / DIRECTORY, ignore_errors=True)
    return data


def _running(server: LiveServer) -> dict[str, Any]:
    health = httpx.get(f"{server.base}/healthz", timeout=30).json()
    assert health["warm"]["state"] == "running", health["warm"]
    return health


def test_a_reader_during_the_warm_up_joins_it(large: Path, tmp_path: Path) -> None:
    with serving(_computing(large / "data"), tmp_path / "server.log", "--page-wait", "0") as server:
        _running(server)
        page = httpx.get(f"{server.base}/", timeout=30)
        assert PENDING in page.text  # still computing: the cards show its progress
        # ... of the warm-up's own job: no second computation, not even a joined one
        analysis = _running(server)["lanes"]["analysis"]
        assert analysis["calls"] == 1 and analysis["shared"] == 0, analysis
        state = _warm(server)
        assert state["state"] == "done"
        page = httpx.get(f"{server.base}/", timeout=30)
        assert PENDING not in page.text and 'data-chart="payers"' in page.text


def test_a_write_during_the_warm_up_supersedes_it(large: Path, tmp_path: Path) -> None:
    fresh = claims_csv(tmp_path / "fresh.csv", _recruiter(FRESH)).read_bytes()
    with serving(_computing(large / "data"), tmp_path / "server.log", "--page-wait", "0") as server:
        first = _running(server)["warm"]
        for name in ("fresh", "fresh-again"):  # a burst of writes during the warm-up
            _upload(server, name, fresh)
        assert _running(server)["warm"]["runs"] == 1  # the first still runs
        state = _warm(server, runs=2)
        # superseded once: one more warm-up followed it, both writes folded into it
        assert state["state"] == "done", (first, state)
        assert state["runs"] == 2 and state["superseded"] == 1, (first, state)
        page = httpx.get(f"{server.base}/", timeout=30)
        assert PENDING not in page.text and FRESH in page.text
        assert page.headers["X-Store-Version"] == state["version"]


def test_a_shutdown_during_the_warm_up_is_clean(large: Path, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with serving(_computing(large / "data"), log, "--page-wait", "0", new_session=True) as server:
        _running(server)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0
    text = log.read_text()
    assert "Traceback" not in text and "ERROR" not in text, text
    assert "the warm-up failed" not in text
    stop(server.process)  # (exited already: a no-op)


def test_a_restart_finds_the_figures_kept_on_disk_unless_the_store_was_written(
    tmp_path: Path,
) -> None:
    data = _build(tmp_path)
    with serving(data / "data", tmp_path / "first.log", "--page-wait", "0") as server:
        first = _warm(server)
        page = httpx.get(f"{server.base}/", timeout=30)
        assert PENDING not in page.text
    assert list((data / "data" / DIRECTORY).glob("question_page-*.json"))
    with serving(data / "data", tmp_path / "second.log", "--page-wait", "0") as server:
        again = _warm(server)
        # the same figures, read back: no projection computed, the page drawn whole
        cache = httpx.get(f"{server.base}/healthz", timeout=30).json()["metrics_cache"]
        assert cache["computed"] == 0, cache
        assert again["state"] == "done" and again["version"] == first["version"]
        kept = httpx.get(f"{server.base}/", timeout=30)
        assert PENDING not in kept.text and kept.text == page.text
        assert kept.headers["X-Store-Version"] == first["version"]
    # a write while no server runs (`recruitgraph load` into the data directory)
    with EmbeddedStore(data / "data") as store:
        load_files(store, [claims_csv(tmp_path / "fresh.csv", _recruiter(FRESH))], "fresh")
    with serving(data / "data", tmp_path / "third.log", "--page-wait", "0") as server:
        after = _warm(server)
        cache = httpx.get(f"{server.base}/healthz", timeout=30).json()["metrics_cache"]
        assert cache["computed"] > 0 and after["version"] != first["version"]
        page = httpx.get(f"{server.base}/", timeout=30)
        assert PENDING not in page.text and FRESH in page.text
    # only the figures of the store as it is now are kept, and the latest computed (the same)
    kept = sorted(p.name for p in (data / "data" / DIRECTORY).glob("question_page-*.json"))
    assert len(kept) == 2 and sum(name.endswith("-latest.json") for name in kept) == 1, kept


def test_after_a_write_a_reader_gets_the_earlier_figures_at_once_then_the_current(
    large: Path, tmp_path: Path, browser: Browser
) -> None:
    later = claims_csv(tmp_path / "later.csv", _recruiter(LATER)).read_bytes()
    with serving(_computing(large / "data"), tmp_path / "server.log", "--page-wait", "0") as server:
        before = _warm(server)
        _upload(server, "later", later)
        _running(server)  # the figures of the data with "later" are being computed
        page = httpx.get(f"{server.base}/", timeout=30)
        # the whole page of before the write, under its version, marked: no card computing
        assert EARLIER in page.text and PENDING not in page.text and LATER not in page.text
        assert 'data-chart="payers"' in page.text and "before the latest" in page.text
        assert page.headers["X-Store-Version"] == before["version"]
        assert page.headers["Cache-Control"] == "no-store"
        opened, watch = watched_page(browser, viewport=(1440, 900))
        try:
            opened.goto(f"{server.base}/", wait_until="domcontentloaded")
            assert opened.locator("#earlier").is_visible()
            opened.wait_for_function(
                "() => [...document.querySelectorAll('.plot')].length > 0 &&"
                " [...document.querySelectorAll('.plot')].every((p) => p.querySelector('svg'))",
                timeout=60_000,
            )
            screenshot(opened, "question-earlier")
            # when the job is done, a button shows the current figures
            load = opened.locator("#earlier-load")
            load.wait_for(state="visible", timeout=180_000)
            screenshot(opened, "question-earlier-ready")
            load.click()
            opened.locator("#earlier").wait_for(state="detached", timeout=60_000)
            assert LATER in opened.content()  # the figures of now: the new claim among them
            watch.assert_clean()
        finally:
            opened.context.close()
        after = _warm(server, runs=before["runs"] + 1)
        page = httpx.get(f"{server.base}/", timeout=30)
        assert EARLIER not in page.text and LATER in page.text
        assert page.headers["X-Store-Version"] == after["version"]
        # made restricted: its figures are never shown to a caller who may not read it now
        with server.client("admin") as admin:
            response = admin.put(
                "/api/datasets/later",
                params={"access": "restricted"},
                content=later,
                headers={"Content-Type": "text/csv"},
                timeout=120,
            )
            assert response.status_code in (200, 201), response.text
        _running(server)
        page = httpx.get(f"{server.base}/", timeout=30)
        assert EARLIER not in page.text and PENDING in page.text and LATER not in page.text
        with server.client("admin") as admin:
            own = admin.get("/", timeout=30)
        assert EARLIER in own.text and LATER in own.text
