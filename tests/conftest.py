"""Shared fixtures: real stores of every kind, and a real `oxigraph serve` process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.store import EmbeddedStore, RemoteStore, Store

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Poll ``url`` until it answers (bounded in time); fail if the process dies first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


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


def run_cli(
    *args: str, env: dict[str, str], check: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed `recruitgraph` console script."""
    result = subprocess.run(
        [str(BIN / "recruitgraph"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"recruitgraph {' '.join(args)} failed:\n{result.stderr}")
    return result
