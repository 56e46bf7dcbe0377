"""Shared fixtures of the HTTP API tests: a live server started as a user starts it
(``recruitgraph serve`` in a subprocess, on a free loopback port), over a real on-disk store
holding a public dataset, a restricted one and a small synthetic one, with a token per role.

The restricted dataset ``secret`` marks everything it holds with ``zzsecret`` (labels, notes,
source URL) and the amount 987654321, and shares the actor ``regional-government/ru-ta`` with
the public data, so that a leak through any route shows up as one of those marks.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from graph.ingest import load_files
from graph.ingest.synth import write_synthetic
from graph.model.namespaces import dataset_iri
from graph.server.auth import TokenStore
from graph.store import EmbeddedStore
from tests.conftest import BIN, free_port, stop, wait_for_http
from tests.test_ingest import BASE_ROW, SECOND_ROW, claims_csv

SECRET_MARKS = ("zzsecret", "987654321", dataset_iri("secret"))
SECRET_GRAPH = dataset_iri("secret")
PUBLIC_GRAPH = dataset_iri("pub")
TATARSTAN = "https://w3id.org/recruitgraph/id/regional-government/ru-ta"
QUERY_TIMEOUT = 3
MAX_ROWS = 1000

SECRET_ROWS = [
    {
        **BASE_ROW,
        "claim_id": "s1",
        "relation": "FundingFlow",
        "object_kind": "Recruiter",
        "object": "Zzsecret recruiting bureau",
        "amount": "987654321",
        "purpose": "recruiter_fee",
        "source_title": "Zzsecret leaked ledger",
        "source_url": "https://example.org/zzsecret",
        "note": "Zzsecret: a restricted claim.",
    },
    {
        **BASE_ROW,
        "claim_id": "s2",
        "relation": "Coordination",
        "subject_kind": "FederalBody",
        "subject": "Zzsecret federal office",
        "subject_code": "",
        "object_kind": "RegionalGovernment",
        "object": "Government of Tatarstan",
        "object_code": "RU-TA",
        "amount": "",
        "currency": "",
        "purpose": "",
        "source_title": "Zzsecret memo",
        "source_url": "https://example.org/zzsecret-memo",
        "note": "Zzsecret: the office steers Tatarstan.",
    },
]

ROLES = {
    "reader": ("reader", ()),
    "reader_secret": ("reader", ("secret",)),
    "editor": ("editor", ()),
    "editor_secret": ("editor", ("secret",)),
    "admin": ("admin", ()),
}


@dataclass
class LiveServer:
    """A running ``recruitgraph serve`` and a token per role."""

    base: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    log: Path | None = None

    def client(self, role: str | None = None, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def engine_pid(self) -> int | None:
        """The pid of the engine process (the server's child)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        return pids[0] if pids else None


def build_data(data_dir: Path, work: Path) -> None:
    """The datasets every API test sees: pub (public), secret (restricted), synth (public,
    synthetic)."""
    synth = work / "synth.nt"
    write_synthetic(synth, 30, 0.5, 7)
    with EmbeddedStore(data_dir) as store:
        load_files(store, [claims_csv(work / "pub.csv", BASE_ROW, SECOND_ROW)], "pub")
        load_files(store, [claims_csv(work / "secret.csv", *SECRET_ROWS)], "secret",
                   access="restricted")  # fmt: skip
        load_files(store, [synth], "synth")


def start_server(
    data_dir: Path, log: Path, *options: str, env: dict[str, str] | None = None
) -> LiveServer:
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "recruitgraph"), "serve", "--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or dict(os.environ),
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", process, seconds=60)
    except BaseException:
        stop(process)
        raise RuntimeError(f"the server did not start:\n{log.read_text()}") from None
    return LiveServer(base, process, data_dir, log=log)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, oxigraph_server: str) -> Iterator[LiveServer]:
    """The shared server: query time limit 3 s, results capped at 1000 rows, SERVICE allowed
    to the test's Oxigraph server only."""
    work = tmp_path_factory.mktemp("api")
    data_dir = work / "data"
    build_data(data_dir, work)
    tokens = TokenStore(data_dir)
    created = {name: tokens.create(role, name, grants) for name, (role, grants) in ROLES.items()}
    server = start_server(
        data_dir,
        work / "server.log",
        "--data-dir", str(data_dir),
        "--query-timeout", str(QUERY_TIMEOUT),
        "--max-rows", str(MAX_ROWS),
        "--max-upload-mb", "1",
        "--allow-service", f"{oxigraph_server}/",
    )  # fmt: skip
    server.tokens = created
    try:
        yield server
    finally:
        stop(server.process)


def assert_no_secret(text: str, where: str) -> None:
    lowered = text.lower()
    for mark in SECRET_MARKS:
        assert mark.lower() not in lowered, f"{where} reveals {mark!r}"


def wait_until(predicate: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False
