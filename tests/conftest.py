"""Shared fixtures: real stores of every kind, a real `oxigraph serve` process and a live API
server. Helpers that are not fixtures live in tests/helpers.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from graph.store import EmbeddedStore, RemoteStore, Store
from tests.helpers import (
    BIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    MAX_ROWS,
    QUERY_TIMEOUT,
    LiveServer,
    build_data,
    free_port,
    serving,
    start_virtuoso,
    stop,
    wait_for_http,
)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live `oxigraph serve` on a free loopback port; yields its base URL."""
    executable = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
    if executable is None:
        raise RuntimeError("the oxigraph server is missing: install the dev extra (make test)")
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph-serve")
    process = subprocess.Popen(
        [executable, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/query?query=ASK%7B%7D", process)
        yield base
    finally:
        stop(process)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live Virtuoso 7 on loopback in a new database (see tests/helpers.py
    :func:`start_virtuoso`); yields its base URL."""
    process, base = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield base
    finally:
        stop(process)


@pytest.fixture(params=["memory", "disk", "remote"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each kind of store, empty: in memory, on disk, and a live Oxigraph server."""
    if request.param == "memory":
        opened: Store = EmbeddedStore(None)
    elif request.param == "disk":
        opened = EmbeddedStore(tmp_path / "store")
    else:
        base = request.getfixturevalue("oxigraph_server")
        opened = RemoteStore(f"{base}/query")
        opened._execute_update("DROP ALL")
    yield opened
    opened.close()


@pytest.fixture
def memory_store() -> Iterator[Store]:
    with EmbeddedStore(None) as opened:
        yield opened


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI as a user would, with its own data directory."""
    env = dict(os.environ)
    env["RECRUITGRAPH_DATA_DIR"] = str(tmp_path / "data")
    env.pop("RECRUITGRAPH_STORE_URL", None)
    return env


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, oxigraph_server: str) -> Iterator[LiveServer]:
    """The live API server of a test module: query time limit 3 s, results capped at 1000
    rows, SERVICE allowed to the test's Oxigraph server only (see tests/helpers.py)."""
    work = tmp_path_factory.mktemp("api")
    data_dir = work / "data"
    build_data(data_dir)
    with serving(
        data_dir,
        work / "server.log",
        "--query-timeout", str(QUERY_TIMEOUT),
        "--max-rows", str(MAX_ROWS),
        "--max-upload-mb", "1",
        "--allow-service", f"{oxigraph_server}/",
    ) as server:  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (see tests/helpers.py)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()
