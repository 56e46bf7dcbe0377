"""Only the library's own errors become 4xx; anything else is a bug, logged with its traceback
under a request id and answered 500 with that id.

The internal errors here are real ones, provoked without mocks: a store whose dataset
description holds a triple count that is not a number (written by another tool, straight into
the store), which :func:`graph.ingest.list_datasets` cannot read (a plain ValueError, which
used to reach the client as "400 invalid literal for int()"), and a tokens file written by a
newer version (a record with a field this one does not know), which breaks the server process
itself when a request brings a token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import httpx
import pytest

from graph.analysis import queries
from graph.errors import Forbidden, InvalidArgument, NotFound, RecruitgraphError
from graph.ingest import load_files
from graph.ingest.actors import UnknownActorError
from graph.ingest.validation import Problem, ValidationError
from graph.model.namespaces import dataset_iri, description_iri
from graph.server import auth, service
from graph.server.auth import ANONYMOUS, AuthError
from graph.server.engine import Engine, EngineError, StoreSpec
from graph.server.service import Context, datasets, describe_error
from graph.sparql import AccessError, QueryError
from graph.store import EmbeddedStore
from tests.helpers import BASE_ROW, claims_csv, run_cli, start_server, stop, wait_until

RG = "https://w3id.org/recruitgraph/ontology#"

# -- the mapping ------------------------------------------------------------------------------

LIBRARY_ERRORS = [
    (InvalidArgument("top must be >= 0, got -1"), 400),
    (QueryError("malformed SPARQL query: line 1"), 400),
    (queries.BadRequest("not a valid entity id or IRI: '<'"), 400),
    (UnknownActorError("unknown actor 'nobody'"), 400),
    (NotFound("no such dataset: gone"), 404),
    (queries.NotFound("no entity regional-government/xx"), 404),
    (Forbidden("you may not write dataset pub"), 403),
    (auth.Forbidden("only an admin may change the access level of a dataset"), 403),
    (AccessError("the update writes a graph you may not write"), 403),
    (AuthError("the token is not valid (unknown or revoked)"), 401),
]
# A StoreError (502) names the store, which is the operator's to read: it is logged and
# answered without its message (tests/test_leaks.py).


@pytest.mark.parametrize(("error", "status"), LIBRARY_ERRORS, ids=lambda e: type(e).__name__)
def test_each_library_error_has_its_status_and_message(
    error: RecruitgraphError, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        got, message, details = describe_error(error, "an operation")
    assert (got, details) == (status, None)
    assert str(error) in message
    assert caplog.records == []  # the caller's fault: nothing for the operator


def test_invalid_data_is_422_with_its_problems() -> None:
    problems = [Problem("amount must be a number", line=3, column="amount", value="lots")]
    status, message, details = describe_error(ValidationError(problems))
    assert status == 422 and message == "the data is invalid: 1 problem"
    assert details == {"problems": [problems[0].as_dict()]}


def test_bad_input_errors_are_still_what_callers_catch() -> None:
    """Library callers and ``pytest.raises(ValueError)`` keep working."""
    for kind in (InvalidArgument, QueryError, queries.BadRequest, UnknownActorError):
        assert issubclass(kind, ValueError) and issubclass(kind, RecruitgraphError)
    assert issubclass(AccessError, PermissionError) and issubclass(queries.NotFound, LookupError)
    assert auth.Forbidden is Forbidden
    with pytest.raises(ValueError, match="invalid dataset name"):
        dataset_iri("Not A Name")


def _raised(code: str) -> BaseException:
    try:
        exec(code, {})
    except Exception as error:
        return error
    raise AssertionError(f"{code} raised nothing")


@pytest.mark.parametrize(
    "code", ["{'payer': 1}['tier']", "int('many')", "1 / 0"], ids=["KeyError", "ValueError", "0"]
)
def test_any_other_error_is_a_500_whose_traceback_is_logged_under_its_id(
    code: str, caplog: pytest.LogCaptureFixture
) -> None:
    error = _raised(code)
    with caplog.at_level(logging.ERROR, logger="recruitgraph.server"):
        status, message, details = describe_error(error, "neighborhood")
    assert status == 500 and details is not None
    request_id = details["request_id"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    assert message == f"internal error (request id {request_id})"  # nothing of the bug itself
    [record] = caplog.records
    assert f"request id {request_id}" in record.getMessage() and "neighborhood" in record.message
    assert "Traceback" in caplog.text and type(error).__name__ in caplog.text
    assert describe_error(error)[2] != details  # a new id each time


# -- a real internal error: a store the library cannot read ----------------------------------


@pytest.fixture
def corrupt_store(tmp_path: Path) -> Path:
    """An on-disk store with a public dataset whose description says it holds "many"
    triples."""
    directory = tmp_path / "data"
    graph = dataset_iri("pub")
    described = description_iri(graph)
    with EmbeddedStore(directory) as store:
        load_files(store, [claims_csv(tmp_path / "pub.csv", BASE_ROW)], "pub")
        store.update(
            f"DELETE {{ GRAPH <{described}> {{ <{graph}> <{RG}tripleCount> ?n }} }} "
            f'INSERT {{ GRAPH <{described}> {{ <{graph}> <{RG}tripleCount> "many" }} }} '
            f"WHERE {{ GRAPH <{described}> {{ <{graph}> <{RG}tripleCount> ?n }} }}"
        )
    return directory


def test_an_operation_that_fails_on_bad_stored_data_is_an_internal_error(
    corrupt_store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with EmbeddedStore(corrupt_store) as store, pytest.raises(ValueError) as raised:
        datasets(Context(store), ANONYMOUS)
    assert not isinstance(raised.value, RecruitgraphError)  # not the caller's fault
    with caplog.at_level(logging.ERROR, logger="recruitgraph.server"):
        status, _, details = describe_error(raised.value, "datasets")
    assert status == 500 and details is not None and details["request_id"] in caplog.text
    assert "invalid literal for int()" in caplog.text and "list_datasets" in caplog.text


def test_the_engine_process_logs_the_traceback_and_answers_500(
    corrupt_store: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    async def calls() -> tuple[EngineError, EngineError]:
        engine = Engine(StoreSpec("embedded", str(corrupt_store)), timeout=60)
        await engine.start()
        try:
            with pytest.raises(EngineError) as internal:
                await engine.call(service.datasets, ANONYMOUS)
            with pytest.raises(EngineError) as bad:
                await engine.call(service.dataset, ANONYMOUS, "Not A Name")
        finally:
            await engine.close()
        return internal.value, bad.value

    internal, bad = asyncio.run(calls())
    request_id = internal.headers["X-Request-ID"]
    assert internal.status == 500 and internal.details == {"request_id": request_id}
    assert internal.message == f"internal error (request id {request_id})"
    assert (bad.status, bad.headers) == (400, {})
    assert "invalid dataset name 'Not A Name'" in bad.message
    log = capfd.readouterr().err  # the engine process writes to the server's stderr
    [line] = [line for line in log.splitlines() if request_id in line]
    assert "ERROR recruitgraph.server [engine]" in line and "datasets" in line
    after = log[log.index(line) :]
    assert "Traceback" in after and "invalid literal for int()" in after


# -- over HTTP --------------------------------------------------------------------------------


def _internal(response: httpx.Response) -> str:
    """The request id of a 500 answered as it should be."""
    assert response.status_code == 500, response.text
    request_id = response.headers["x-request-id"]
    assert response.json() == {
        "error": f"internal error (request id {request_id})",
        "status": 500,
        "request_id": request_id,
    }
    return request_id


def test_internal_errors_over_http_are_500_with_a_request_id_in_the_log(
    corrupt_store: Path, tmp_path: Path
) -> None:
    # A tokens file of a newer version: its record has a field this version does not know.
    record = {"id": "t1", "name": "newer", "role": "reader", "hash": "x", "created": "2030"}
    tokens = {"version": 2, "tokens": [{**record, "expires": "2031"}]}
    (corrupt_store / auth.TOKEN_FILE).write_text(json.dumps(tokens))
    log = tmp_path / "server.log"
    server = start_server(corrupt_store, log, "--data-dir", str(corrupt_store))
    try:
        with httpx.Client(base_url=server.base, timeout=60) as client:
            in_engine = _internal(client.get("/api/datasets"))
            bad = client.get("/api/datasets/Not%20A%20Name")
            assert bad.status_code == 400, bad.text
            assert "invalid dataset name" in bad.json()["error"]
            # Every answer names its request, the caller's mistakes too.
            assert bad.json()["request_id"] == bad.headers["x-request-id"]
            # (Bad input checked before the store is read: everything else reads the corrupt
            # description.)
            export = client.get("/api/export", params={"format": "xlsx"})
            assert export.status_code == 400 and "unknown export format" in export.text
            # Last: after an exception in the server process itself, uvicorn closes the
            # connection (Starlette re-raises it once the 500 is sent).
            in_server = _internal(
                client.get("/api/datasets", headers={"Authorization": "Bearer rgt_any"})
            )
    finally:
        stop(server.process)
    assert in_engine != in_server
    for request_id, cause in ((in_engine, "invalid literal for int()"), (in_server, "TypeError")):
        assert wait_until(lambda r=request_id: r in log.read_text())
        text = log.read_text()
        after = text[text.index(f"request id {request_id}") :]
        assert "Traceback" in after and cause in after, after[:2000]


# -- the command line -------------------------------------------------------------------------


def test_the_cli_says_an_internal_error_is_a_bug_and_where_its_traceback_is(
    corrupt_store: Path, cli_env: dict[str, str]
) -> None:
    result = run_cli("datasets", "--data-dir", str(corrupt_store), env=cli_env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("internal error: ValueError: invalid literal for int()")
    assert "a bug in recruitgraph, not in your input" in result.stderr
    [path] = re.findall(r"traceback is in (\S+)", result.stderr)
    traceback = Path(path).read_text()
    Path(path).unlink()
    assert traceback.startswith("Traceback") and "list_datasets" in traceback
    bad = run_cli("delete", "Not A Name", "--data-dir", str(corrupt_store), env=cli_env)
    assert bad.returncode == 1 and bad.stderr.startswith("error: invalid dataset name")
