"""/healthz, the datasets under /api/datasets: list, describe, upload (multipart or one
body), replace and delete, and /api/restore (an export brought back whole). Uploads and
restores are validated against the shapes in the engine process and written atomically; with
``Prefer: respond-async`` they run as jobs, whose progress and answer /api/jobs/{id} gives."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse, Response

from api.deps import (
    ERRORS,
    ApiError,
    Caller,
    EncodedJSON,
    EngineDep,
    JobsDep,
    answer_of,
    caller,
    error,
    error_response,
    jobs_of,
    require_editor,
)
from api.examples import export_bodies, rdf_bodies
from api.models import Dataset, Health, JobState, RestoreReport, UploadReport
from api.routes.sparql import RDF_BODY_SUFFIX, save_body
from graph.ingest import INPUT_KINDS
from graph.model.ontology import concepts
from graph.server import service
from graph.server.auth import ANONYMOUS, AuthError, Principal
from graph.server.engine import Engine, EngineError
from graph.server.jobs import TooManyJobs
from graph.store.formats import formats

_UPLOAD_SUFFIXES = {s for f in formats(*INPUT_KINDS) for s in f.suffixes}
#: What an export for a restore may be: the RDF formats that keep named graphs.
_EXPORT_SUFFIXES = {f.suffix for f in formats(*INPUT_KINDS) if f.keeps_graphs}
#: Longest name of an uploaded file, in bytes: it names the file written here (a file system
#: allows 255, and a suffix may be added).
_MAX_FILE_NAME = 200

router = APIRouter(responses=ERRORS)


#: A crash loop: this many restarts of the engine after a crash within this many seconds.
CRASH_LOOP = (3, 60.0)
#: How long /healthz waits for the engine to answer before it says the server is degraded.
HEALTH_WAIT = 5.0


def recent_crashes(engine: Engine) -> int:
    """How many times the engine was restarted after a crash in the crash-loop window."""
    return sum(1 for t in engine.crashes if time.monotonic() - t < CRASH_LOOP[1])


def engine_health(engine: Engine) -> tuple[dict[str, Any], str | None]:
    """The engine's part of /healthz, and why the server is degraded (None: it is not)."""
    count, seconds = CRASH_LOOP
    recent = recent_crashes(engine)
    last = engine.last_restart
    when = None if last is None else datetime.fromtimestamp(last, UTC)
    fields = {
        "store_state": engine.state,
        "engine_restarts": engine.restarts,
        "engine_crashes_recent": recent,
        "engine_last_restart": when and when.isoformat(timespec="seconds"),
    }
    if recent >= count:
        return fields, f"the engine crashed {recent} times in the last {seconds:g} s"
    if engine.state != "open":
        return fields, f"the store is {engine.state}"
    return fields, None


@router.get(
    "/healthz",
    tags=["status"],
    response_model=Health,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "status": "ok",
                        "store": "embedded",
                        "store_state": "open",
                        "engine_restarts": 0,
                        "engine_crashes_recent": 0,
                        "engine_last_restart": None,
                        "version": "5d41402abc4b2a76",
                        "datasets": 2,
                        "triples": 5182,
                        "cache_entries": 4,
                        "metrics_cache": {
                            "entries": 4,
                            "bytes": 5242880,
                            "max_bytes": 536870912,
                            "computed": 4,
                            "hits": 57,
                            "waited": 1,
                            "evicted": 0,
                            "too_large": 0,
                        },
                        "nx_backend": "networkx",
                        "answer_cache": {
                            "entries": 12,
                            "bytes": 48210,
                            "max_bytes": 67108864,
                            "hits": 310,
                            "misses": 41,
                            "kept": 12,
                            "evicted": 0,
                        },
                    }
                }
            }
        },
        503: error(
            "degraded: the engine is in a crash loop (3 crashes within 60 s), the store is not "
            "open, or the engine did not answer within 5 s; `error` says which, beside the "
            "engine's state",
            {
                "error": "degraded: the engine crashed 3 times in the last 60 s",
                "status": 503,
                "request_id": "5f0c9a3e1b2d4c6f",
                "store": "embedded",
                "store_state": "open",
                "engine_restarts": 3,
                "engine_crashes_recent": 3,
                "engine_last_restart": "2026-12-03T16:00:00+00:00",
            },
        ),
    },
)
async def healthz(request: Request, engine: EngineDep) -> JSONResponse:
    """Liveness, the engine's state (restarts, crash loop, the load of its lanes: cheap
    queries, analysis, writes), and what the caller can see (datasets and triples). 503, with
    an error that begins ``degraded:`` and says why, when the server cannot be relied on: a
    load balancer takes it out of rotation."""
    try:
        principal = caller(request)
    except AuthError:
        principal = None
    data: dict[str, Any] = {"status": "ok", "store": engine.spec.kind}
    answer = None
    if recent_crashes(engine) < CRASH_LOOP[0]:  # (in a crash loop: answer at once)
        with contextlib.suppress(EngineError, TimeoutError):
            # A restarting engine has a few seconds to come back.
            answer = await asyncio.wait_for(
                engine.call(service.healthz, principal or ANONYMOUS), HEALTH_WAIT
            )
    if answer is not None and principal is not None:  # (a refused token: liveness only)
        data.update(answer)  # (into a copy: identical calls in flight share one answer)
        data["lanes"] = engine.load()
        data["answer_cache"] = engine.answers.stats()
    fields, problem = engine_health(engine)
    if principal is not None:  # (a refused token, or none under --no-anonymous: liveness only)
        fields["warm"] = request.app.state.warmer.state()
    if problem is None and answer is None:
        problem = f"the engine did not answer within {HEALTH_WAIT:g} s"
    data.update(fields)
    if problem is not None:  # an error body (as every error's), with the engine's state
        data.pop("status")
        return error_response(503, f"degraded: {problem}", data)
    return JSONResponse(data)


# -- jobs: an upload or restore run in the background -------------------------------------
job_example = {
    "id": "q3Zk1V0bRr8mYx2cLw9T4aPe",
    "operation": "upload",
    "state": "running",
    "phase": "write",
    "done": 120000,
    "total": 341745,
    "unit": "triples",
    "rate": 52000.0,
    "eta": 4.3,
    "elapsed": 21.7,
}
#: The 202 of a route that may run as a job. (The Prefer header is not declared as a
#: parameter: Swagger UI would send its example, and every "Try it out" would be a job.)
ACCEPTED = {
    "description": "Prefer: respond-async: the call runs as a job; GET its Location for its "
    "progress and, once it has ended, its answer",
    "model": JobState,
    "headers": {
        "Location": {"description": "/api/jobs/{id}", "schema": {"type": "string"}},
        "Preference-Applied": {"schema": {"type": "string", "example": "respond-async"}},
    },
    "content": {
        "application/json": {
            "example": {
                **job_example,
                "phase": None,
                "done": None,
                "total": None,
                "unit": None,
                "rate": None,
                "eta": None,
                "elapsed": 0.001,
            }
        }
    },
}


def prefers_async(request: Request) -> bool:
    """Whether the request prefers ``respond-async`` (RFC 7240: among other preferences, in
    any of its Prefer headers, with or without parameters)."""
    return any(
        preference.split(";")[0].split("=")[0].strip().lower() == "respond-async"
        for header in request.headers.getlist("prefer")
        for preference in header.split(",")
    )


async def _respond(
    request: Request,
    principal: Principal,
    operation: str,
    call: Callable[[], Awaitable[dict[str, Any]]],
    directory: str,
    status_of: Callable[[dict[str, Any]], int],
) -> JSONResponse:
    """Answer with the report of ``call`` (the engine call of an upload or restore) and
    ``status_of`` it; or, when the request prefers (:func:`prefers_async`), start it as a job
    of ``principal`` and answer 202 with the job. ``directory`` (the uploaded files) is
    removed when the call has ended."""

    async def reported() -> dict[str, Any]:
        try:
            return await call()
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    if not prefers_async(request):
        report = await reported()
        return JSONResponse(report, status_of(report))

    async def answer() -> tuple[int, Any]:
        """The status and body the call answers with, an error's too."""
        status, body = await answer_of(reported, f"job {operation}")
        return (status_of(body), body) if status == 200 else (status, body)

    try:
        job = jobs_of(request).start(principal, operation, answer)
    except TooManyJobs:
        shutil.rmtree(directory, ignore_errors=True)
        raise ApiError(
            503, "too many jobs are running; try again later", headers={"Retry-After": "10"}
        ) from None
    headers = {"Location": f"/api/jobs/{job.id}", "Preference-Applied": "respond-async"}
    return JSONResponse(job.document(), 202, headers=headers)


def _created(report: dict[str, Any]) -> int:
    return 201 if report["created"] else 200


# -- datasets ----------------------------------------------------------------------------
dataset_example = {
    "name": "claims",
    "graph": "https://w3id.org/recruitgraph/dataset/claims",
    "created": "2025-03-01T12:00:00Z",
    "checksum": "sha256:9f2c…",
    "access": "public",
    "synthetic": False,
    "triples": 4263,
    "files": ["claims.csv"],
    "licence": "CC-BY-4.0",
    "loaded_by": "recruitgraph",
}


@router.get(
    "/api/datasets",
    tags=["datasets"],
    response_model=list[Dataset],
    responses={200: {"content": {"application/json": {"example": [dataset_example]}}}},
)
async def list_datasets(principal: Caller, engine: EngineDep) -> Response:
    """The datasets you can see, with their provenance and access level."""
    return EncodedJSON(await engine.call_json(service.datasets, principal))


@router.get(
    "/api/datasets/{name}",
    tags=["datasets"],
    response_model=Dataset,
    responses={200: {"content": {"application/json": {"example": dataset_example}}}},
)
async def get_dataset(
    name: Annotated[str, PathParameter(examples=["claims"])], principal: Caller, engine: EngineDep
) -> Response:
    """One dataset's description (404 if you cannot see it)."""
    return EncodedJSON(await engine.call_json(service.dataset, principal, name))


upload_example = {
    "dataset": "mine",
    "graph": "https://w3id.org/recruitgraph/dataset/mine",
    "triples": 31,
    "files": ["claims.csv"],
    "checksum": "sha256:…",
    "access": "public",
    "synthetic": False,
    "replaced": False,
    "version": "9e107d9d372bb682",
    "created": True,
}
invalid_example = {
    "error": "the data is invalid: 1 problem",
    "status": 422,
    "problems": [
        {
            "message": "a claim needs a source",
            "file": "claims.csv",
            "line": 2,
            "column": "source_url",
            "rule": "MinCountConstraintComponent",
            "text": "claims.csv, row 2, column source_url: a claim needs a source",
        }
    ],
}


@router.post(
    "/api/datasets",
    tags=["datasets"],
    status_code=201,
    response_model=UploadReport,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["name", "file"],
                        "properties": {
                            "name": {"type": "string", "examples": ["mine"]},
                            "file": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "description": "one or more files (claims CSV, Turtle, "
                                "N-Triples, N-Quads, TriG, JSON-LD, RDF/XML), by suffix",
                            },
                            "access": {
                                "type": "string",
                                "enum": sorted(concepts("AccessLevelScheme")),
                                "examples": ["public"],
                            },
                            "licence": {"type": "string", "examples": ["CC-BY-4.0"]},
                            "synthetic": {"type": "boolean", "examples": [False]},
                        },
                    }
                }
            }
        }
    },
    responses={
        201: {
            "description": "created",
            "content": {"application/json": {"example": upload_example}},
        },
        200: {"description": "an existing dataset replaced", "model": UploadReport},
        202: ACCEPTED,
        413: error("larger than the upload limit"),
        415: error("a file type that cannot be loaded"),
        422: error("invalid data: nothing was written", invalid_example),
    },
)
async def upload_dataset(request: Request, principal: Caller, engine: EngineDep) -> JSONResponse:
    """Upload files as one dataset (multipart form: ``name``, ``file`` (repeat),
    ``access``, ``licence``, ``synthetic``). It is validated against the shapes and written
    atomically, replacing a dataset of that name that you may write. With
    ``Prefer: respond-async`` it runs as a job (202 with ``Location: /api/jobs/{id}``: its
    progress, and at its end this answer)."""
    require_editor(principal, "uploading")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "send the files as multipart/form-data")
    form = await request.form(max_files=100, max_fields=100)
    directory = tempfile.mkdtemp(prefix="recruitgraph-upload-")
    try:
        paths, names = [], []
        for i, item in enumerate(form.getlist("file")):
            if isinstance(item, str):
                raise ApiError(400, "file must be a file part")
            name = Path(item.filename or f"upload-{i}").name
            if len(name.encode()) > _MAX_FILE_NAME or any(ord(c) < 32 for c in name):
                raise ApiError(
                    400,
                    f"a file name must be at most {_MAX_FILE_NAME} bytes, without control "
                    "characters",
                )
            names.append(name)  # what an error calls the file, never its path here
            suffix = Path(name).suffix.lower()
            if suffix not in _UPLOAD_SUFFIXES:
                media = (item.content_type or "").split(";")[0].strip().lower()
                if media not in RDF_BODY_SUFFIX:
                    raise ApiError(
                        415,
                        f"{name}: unknown file type; use {', '.join(sorted(_UPLOAD_SUFFIXES))}",
                    )
                name += RDF_BODY_SUFFIX[media]
            target = Path(directory) / f"{i}" / name
            target.parent.mkdir()
            with open(target, "wb") as out:
                shutil.copyfileobj(item.file, out)
            paths.append(str(target))
        if not paths:
            raise ApiError(400, "attach at least one file (form field file)")
        dataset = str(form.get("name") or "").strip()
        if not dataset:
            raise ApiError(400, "give the dataset a name (form field name)")
        access = str(form.get("access") or "").strip() or None
        licence = str(form.get("licence") or "").strip() or None
        synthetic = str(form.get("synthetic") or "").strip().lower() in (
            "1",
            "true",
            "yes",
            "on",
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    finally:
        await form.close()
    return await _respond(
        request,
        principal,
        "upload",
        lambda: engine.call(
            service.upload,
            principal,
            dataset,
            paths,
            access=access,
            licence=licence,
            synthetic=synthetic,
            names=names,
        ),
        directory,
        _created,
    )


@router.put(
    "/api/datasets/{name}",
    tags=["datasets"],
    status_code=201,
    response_model=UploadReport,
    openapi_extra={"requestBody": {"content": rdf_bodies(RDF_BODY_SUFFIX)}},
    responses={
        201: {"content": {"application/json": {"example": upload_example}}},
        200: {"description": "an existing dataset replaced", "model": UploadReport},
        202: ACCEPTED,
        422: error("invalid data: nothing was written", invalid_example),
    },
)
async def put_dataset(
    request: Request,
    principal: Caller,
    engine: EngineDep,
    name: Annotated[str, PathParameter(examples=["mine"])],
    access: Annotated[
        str | None, Query(description="public or restricted", examples=["public"])
    ] = None,
    licence: Annotated[str | None, Query(examples=["CC-BY-4.0"])] = None,
    synthetic: Annotated[bool, Query()] = False,
    shapes: Annotated[
        bool,
        Query(
            description="false: RDF that does not use the recruitment vocabulary is loaded "
            "without checking it against the shapes (data using it is always checked)"
        ),
    ] = True,
) -> JSONResponse:
    """Upload one file as the body (its Content-Type says the format: text/turtle,
    application/n-triples, text/csv for the claims CSV, …). With ``Prefer: respond-async`` it
    runs as a job (202 with ``Location: /api/jobs/{id}``: its progress, and at its end this
    answer)."""
    require_editor(principal, "uploading")
    directory, path = await save_body(request)
    return await _respond(
        request,
        principal,
        "upload",
        lambda: engine.call(
            service.upload,
            principal,
            name,
            [str(path)],
            access=access,
            licence=licence,
            synthetic=synthetic,
            names=["body"],
            shapes=shapes,
        ),
        directory,
        _created,
    )


@router.delete("/api/datasets/{name}", tags=["datasets"], status_code=204)
async def delete_dataset(
    name: Annotated[str, PathParameter(examples=["mine"])], principal: Caller, engine: EngineDep
) -> Response:
    """Delete a dataset you may write (404 if you cannot see it)."""
    require_editor(principal, "deleting")
    await engine.call(service.delete_dataset, principal, name)
    return Response(status_code=204)


# -- restore -----------------------------------------------------------------------------
restore_example = {
    "file": "body",
    "datasets": [
        {
            "name": "claims",
            "access": "public",
            "licence": "CC-BY-4.0",
            "synthetic": False,
            "triples": 3172,
            "replaced": False,
        },
        {
            "name": "secret",
            "access": "restricted",
            "licence": None,
            "synthetic": False,
            "triples": 40,
            "replaced": False,
        },
    ],
    "version": "e4d909c290d0fb1c",
}


@router.post(
    "/api/restore",
    tags=["datasets"],
    response_model=RestoreReport,
    openapi_extra={
        "requestBody": {
            "content": export_bodies(
                media for media, suffix in RDF_BODY_SUFFIX.items() if suffix in _EXPORT_SUFFIXES
            )
        }
    },
    responses={
        200: {
            "description": "every dataset of the export restored",
            "content": {"application/json": {"example": restore_example}},
        },
        202: ACCEPTED,
        403: error("restoring needs write rights on every dataset (an admin token)"),
        409: error("the store has datasets of the export and replace is not set"),
        422: error("not a valid export: nothing was written", invalid_example),
    },
)
async def restore(
    request: Request,
    principal: Caller,
    engine: EngineDep,
    replace: Annotated[
        bool, Query(description="replace the datasets of the export that the store has")
    ] = False,
) -> JSONResponse:
    """Restore an export written by ``recruitgraph export`` or ``/api/export`` (the body:
    N-Quads, TriG or JSON-LD, by its Content-Type): every dataset comes back in its named graph
    with its description (access level, licence, flags, provenance), all in one transaction or
    none. Checked as an upload is. Datasets the store has are refused (409) unless
    ``replace=true``; the store's other datasets stay. With ``Prefer: respond-async`` it runs as a
    job (202 with ``Location: /api/jobs/{id}``: its progress, and at its end this answer)."""
    require_editor(principal, "restoring")
    directory, path = await save_body(request)
    return await _respond(
        request,
        principal,
        "restore",
        lambda: engine.call(service.restore, principal, str(path), replace=replace),
        directory,
        lambda report: 200,
    )


# -- jobs ------------------------------------------------------------------------------
@router.get(
    "/api/jobs/{job_id}",
    tags=["datasets"],
    response_model=JobState,
    responses={
        200: {
            "description": "the job: running, or ended with the answer of its call",
            "content": {
                "application/json": {
                    "examples": {
                        "running": {"value": job_example},
                        "done": {
                            "value": {
                                **job_example,
                                "state": "done",
                                "phase": "commit",
                                "done": 0,
                                "total": None,
                                "rate": None,
                                "eta": 0.0,
                                "status": 201,
                                "result": upload_example,
                            }
                        },
                        "failed": {
                            "value": {
                                **job_example,
                                "state": "failed",
                                "phase": "validate",
                                "done": 0,
                                "total": None,
                                "unit": "checks",
                                "rate": None,
                                "eta": None,
                                "status": 422,
                                "result": invalid_example,
                            }
                        },
                    }
                }
            },
        },
        404: error("no job of yours has this id (a job is visible to its caller only)"),
    },
)
async def get_job(
    job_id: Annotated[str, PathParameter(examples=[job_example["id"]])],
    principal: Caller,
    jobs: JobsDep,
) -> JSONResponse:
    """A background upload or restore you started (``Prefer: respond-async``): its state
    (running, done, failed), the progress of its current phase (phase, done of total in unit,
    rate per second, ETA in seconds) and, once it has ended, ``status`` and ``result``: the
    status and body the call would have answered with (its report, or its error with the
    problems). Ended jobs are kept an hour (at most 100 jobs)."""
    job = jobs.get(principal, job_id)
    if job is None:
        raise ApiError(404, "no job of yours has this id")
    return JSONResponse(job.document())
