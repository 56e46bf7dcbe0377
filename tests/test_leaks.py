"""No error body names a server path, an internal URL or a credential, and no answer tells a
caller about a dataset it cannot see (issue 17, "leaks of detail"): a malformed upload, a
corrupt token file, a remote store that does not answer, /healthz, and the name of a hidden
dataset. Each is tried against a real server on 127.0.0.1."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.model.namespaces import RG, dataset_iri
from graph.server.service import describe_error
from graph.store import RemoteStore, StoreError
from tests.helpers import (
    BASE_ROW,
    BIN,
    LiveServer,
    build_data,
    claims_csv,
    free_port,
    start_server,
    stop,
    wait_for_http,
)

#: Text that only a server-side path of an upload contains.
TEMP_MARKS = ("recruitgraph-upload-", "file://", "/tmp")


def _assert_no_path(text: str, where: str) -> None:
    for mark in TEMP_MARKS:
        assert mark not in text, f"{where} names a server path ({mark!r}): {text}"


# -- uploads ------------------------------------------------------------------------------


MALFORMED = b"@prefix ex: <https://example.org/> .\nex:a ex:b "
#: Well-formed, but a claim without anything a claim needs; its subject is a relative IRI,
#: which resolves against the uploaded file's location on the server.
INVALID = f"<#c1> a <{RG}FundingFlow> .\n".encode()


@pytest.mark.parametrize("content", [MALFORMED, INVALID], ids=["malformed", "invalid"])
def test_an_upload_error_names_the_clients_file_not_the_servers(
    live: LiveServer, content: bytes
) -> None:
    with live.client("editor") as editor:
        multipart = editor.post(
            "/api/datasets",
            data={"name": "upload-errors"},
            files={"file": ("mine.ttl", content, "text/turtle")},
        )
        put = editor.put(
            "/api/datasets/upload-errors", content=content, headers={"Content-Type": "text/turtle"}
        )
        gsp = editor.put(
            "/rdf-graphs",
            params={"graph": dataset_iri("upload-errors")},
            content=content,
            headers={"Content-Type": "text/turtle"},
        )
    assert multipart.status_code == 422, multipart.text
    _assert_no_path(multipart.text, "a multipart upload's 422")
    problems = multipart.json()["problems"]
    assert problems and all(p.get("file", "mine.ttl") == "mine.ttl" for p in problems)
    assert "mine.ttl" in multipart.text
    for answer, where in ((put, "PUT /api/datasets"), (gsp, "PUT /rdf-graphs")):
        assert answer.status_code == 422, answer.text
        _assert_no_path(answer.text, where)
        assert all(p.get("file", "body") == "body" for p in answer.json()["problems"])


# -- the token file --------------------------------------------------------------------------


def test_a_corrupt_token_file_is_logged_not_told(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    build_data(data_dir)
    server = start_server(data_dir, tmp_path / "server.log", "--data-dir", str(data_dir))
    try:
        (data_dir / "tokens.json").write_text("{ not json", "utf-8")
        answer = httpx.get(
            f"{server.base}/api/datasets", headers={"Authorization": "Bearer rgt_anything"}
        )
        assert httpx.get(f"{server.base}/api/datasets").status_code == 200  # anonymous reads
    finally:
        stop(server.process)
    assert answer.status_code == 401
    assert "authentication is unavailable" in answer.json()["error"]
    assert str(data_dir) not in answer.text and "tokens.json" not in answer.text
    assert str(data_dir / "tokens.json") in (tmp_path / "server.log").read_text()


# -- a remote store ---------------------------------------------------------------------------


def test_a_remote_store_error_masks_its_password_and_the_client_gets_no_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://user:secret@127.0.0.1:{free_port()}/query"  # nothing listens there
    with pytest.raises(StoreError) as raised:
        RemoteStore(url, timeout=5)
    message = str(raised.value)
    assert "secret" not in message and "user:***@127.0.0.1" in message
    with caplog.at_level(logging.WARNING, logger="recruitgraph.server"):
        status, text, details = describe_error(raised.value)
    assert status == 502 and text.startswith("the store did not answer")
    assert "127.0.0.1" not in text and "secret" not in text and "user" not in text
    assert details is not None and details["request_id"] in text
    logged = caplog.text
    assert "user:***@127.0.0.1" in logged and "secret" not in logged
    assert details["request_id"] in logged


@pytest.fixture
def remote_behind_password(tmp_path: Path) -> Iterator[tuple[LiveServer, subprocess.Popen[bytes]]]:
    """A server over an Oxigraph server reached at a URL that carries a password, and the
    Oxigraph process (the test stops it)."""
    executable = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
    assert executable is not None, "the oxigraph server is missing: install the dev extra"
    port = free_port()
    oxigraph = subprocess.Popen(
        [executable, "serve", "--location", str(tmp_path / "ox"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = None
    try:
        wait_for_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", oxigraph)
        url = f"http://user:secret@127.0.0.1:{port}/query"
        server = start_server(
            tmp_path / "data", tmp_path / "server.log",
            "--store-url", url, "--data-dir", str(tmp_path / "data"),
        )  # fmt: skip
        yield server, oxigraph
    finally:
        if server is not None:
            stop(server.process)
        stop(oxigraph)


def test_a_remote_store_that_stops_answering_is_a_502_without_its_url(
    remote_behind_password: tuple[LiveServer, subprocess.Popen[bytes]],
) -> None:
    server, oxigraph = remote_behind_password
    engine = server.engine_pid()
    assert engine is not None  # its arguments (ps shows them) carry no credentials
    assert b"secret" not in Path(f"/proc/{engine}/cmdline").read_bytes()
    stop(oxigraph)
    answer = httpx.get(f"{server.base}/sparql", params={"query": "SELECT * { ?s ?p ?o }"})
    assert answer.status_code == 502, answer.text
    assert "the store did not answer" in answer.json()["error"]
    for mark in ("secret", "127.0.0.1", "/query", "user"):
        assert mark not in answer.text, f"the 502 names {mark!r}"
    stop(server.process)
    log = (server.log or Path()).read_text()
    assert "secret" not in log
    assert "user:***@127.0.0.1" in log


# -- /healthz -------------------------------------------------------------------------------


def test_healthz_shows_each_caller_the_version_of_its_own_datasets(live: LiveServer) -> None:
    """Every caller is told a version, the same for callers who see the same datasets: it
    says nothing of the datasets a caller cannot see."""
    seen = {}
    for role in (None, "reader", "editor", "reader_secret", "admin"):
        with live.client(role) as client:
            response = client.get("/healthz")
        health = response.json()
        assert health["status"] == "ok" and health["datasets"] >= 1
        assert health["version"] == response.headers["X-Store-Version"], health
        seen[role] = health["version"]
    assert seen[None] == seen["reader"] == seen["editor"] != seen["admin"]
    assert seen["reader_secret"] == seen["admin"]


# -- the name of a hidden dataset -----------------------------------------------------------


def test_an_editor_cannot_tell_a_hidden_dataset_from_a_reserved_name(
    live: LiveServer, tmp_path: Path
) -> None:
    csv = claims_csv(tmp_path / "claims.csv", BASE_ROW).read_bytes()

    def refusal(editor: httpx.Client, name: str, **form: str) -> tuple[int, str]:
        answer = editor.post(
            "/api/datasets",
            data={"name": name, **form},
            files={"file": ("claims.csv", csv, "text/csv")},
        )
        return answer.status_code, answer.json()["error"].replace(name, "NAME")

    with live.client("editor") as editor:
        hidden = refusal(editor, "secret")  # exists, restricted, no grant
        hidden_restricted = refusal(editor, "secret", access="restricted")
        free_restricted = refusal(editor, "zzfree", access="restricted")  # free, no grant
        reference = refusal(editor, "reference")  # exists, public, reserved
        gsp = editor.put(
            "/rdf-graphs",
            params={"graph": dataset_iri("secret")},
            content=b"<https://example.org/a> <https://example.org/b> 'c' .\n",
            headers={"Content-Type": "application/n-triples"},
        )
        assert editor.get("/api/datasets/zzfree").status_code == 404  # nothing was made
    assert hidden == hidden_restricted == free_restricted == reference
    assert hidden[0] == 403
    assert (gsp.status_code, gsp.json()["error"].replace("secret", "NAME")) == hidden
    with live.client("admin") as admin:
        assert admin.get("/api/datasets/secret").json()["loaded_by"] != "editor"
