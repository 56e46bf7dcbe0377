"""What every route depends on: the server's settings, the caller, the engine, the errors it
answers with, and the projection filters, each declared once.

A route takes them as parameters (``principal: Caller``, ``engine: EngineDep``,
``filters: Filters``); FastAPI works them out per request before the route runs. Routes that
must look at the request before knowing who calls (the SPARQL protocol, /healthz) call
:func:`caller` themselves.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.models import ErrorBody
from graph.analysis.projection import LEVELS, ProjectionFilter
from graph.analysis.queries import BadRequest, parse_filter
from graph.model.ontology import concepts, confidence_levels, kinds, relation_types
from graph.server import service
from graph.server.auth import AuthError, Principal, TokenStore, principal_for
from graph.server.engine import Engine, EngineError, StoreSpec
from graph.server.jobs import Jobs
from graph.sparql.update_size import MAX_UPDATE_TRIPLES
from graph.store import default_data_dir
from graph.store.cache import DEFAULT_MAX_BYTES
from graph.store.credentials import Credentials
from graph.viz.groups import AGGREGATE_ABOVE

__all__ = [
    "ERRORS",
    "REQUEST_ID",
    "STATIC",
    "ApiError",
    "Caller",
    "EncodedJSON",
    "EngineDep",
    "Filters",
    "JobsDep",
    "Settings",
    "SettingsDep",
    "answer_of",
    "caller",
    "default_filters",
    "engine_of",
    "error",
    "error_body",
    "error_response",
    "identify",
    "jobs_of",
    "noted_role",
    "projection_filters",
    "require_editor",
    "settings_of",
]

#: The files the application serves under /static (the query page, its script and styles).
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Settings:
    """How the server runs. The store is an embedded one in ``data_dir``, or the remote
    endpoint ``store_url`` (then ``data_dir`` only holds the tokens file)."""

    data_dir: Path | None = None
    store_url: str | None = None
    update_url: str | None = None
    #: A remote store's Graph Store endpoint (loads), and its credentials (handed to the
    #: engine process in its environment, never on its command line).
    graph_store_url: str | None = None
    store_credentials: Credentials | None = field(default=None, repr=False)
    #: Whether the start-up probe showed that the remote server lets the protocol's dataset
    #: parameters win over a query's FROM (else the layer checks FROM itself).
    store_honours_dataset_parameters: bool = False
    #: Seconds a query (or any read) may run before it is stopped.
    query_timeout: float = 30.0
    #: Seconds an upload or update (validation included) may run.
    write_timeout: float = 600.0
    #: Most rows (solutions, or triples of a CONSTRUCT) a SPARQL result holds; more are cut.
    max_rows: int = 100_000
    #: Largest request body: uploads, updates, Graph Store writes (413 past it).
    max_upload_bytes: int = 64 * 1024**2
    #: Most triples a SPARQL update may delete and insert (400 past it, before it runs).
    max_update_triples: int = MAX_UPDATE_TRIPLES
    #: Largest query text.
    max_query_bytes: int = 1024**2
    #: Whether callers without a token may read public datasets.
    anonymous: bool = True
    #: SERVICE / LOAD targets that are allowed (IRIs; an entry ending in / covers its subtree).
    allow: tuple[str, ...] = ()
    #: The access level the edits dataset (writes to the default graph) is created at.
    edits_access: str = "public"
    #: Cheap reads (SPARQL, lookups) the engine runs at once.
    threads: int = 4
    #: Analysis calls (metrics, explorer, reports, paths) the engine runs at once.
    analysis_threads: int = 2
    #: Queries past 0.5 s the engine runs at once besides ``threads`` (StoreSpec.heavy_threads).
    heavy_threads: int = 4
    #: Bytes of whole answers the server keeps until the next write (graph.server.answers;
    #: 0: off; always off for a remote store).
    answer_cache_bytes: int = 64 * 1024**2
    #: Seconds a page (the question page) waits for its figures before it answers with a page
    #: that shows their computation's progress and polls it.
    page_wait: float = 2.0
    #: Whether the server computes the anonymous reader's landing page in the background at
    #: start and after every write (graph.server.warm; ``serve --no-warm``: not).
    warm: bool = True
    #: Past this many actors the explorer draws groups first (graph.viz.groups).
    aggregate_above: int = AGGREGATE_ABOVE
    #: Bytes of derived results (projections, reports) the engine process keeps
    #: (graph.store.cache; 0: none).
    metrics_cache_bytes: int = DEFAULT_MAX_BYTES
    #: The networkx backend the engine process runs the analysis on
    #: (graph.analysis.backends; None: networkx's own configuration).
    nx_backend: str | None = None
    #: Directory to delete at shutdown (a temporary copy of an in-memory store).
    cleanup: Path | None = field(default=None, repr=False)

    def spec(self) -> StoreSpec:
        if self.store_url:
            return StoreSpec(
                "remote",
                self.store_url,
                self.update_url,
                self.allow,
                self.threads,
                self.analysis_threads,
                heavy_threads=self.heavy_threads,
                metrics_cache_bytes=self.metrics_cache_bytes,
                nx_backend=self.nx_backend,
                graph_store_url=self.graph_store_url,
                server_timeout=self.query_timeout,
                credentials=self.store_credentials,
                honours_dataset_parameters=self.store_honours_dataset_parameters,
            )
        directory = self.data_dir if self.data_dir is not None else default_data_dir()
        return StoreSpec(
            "embedded",
            str(directory),
            None,
            self.allow,
            self.threads,
            self.analysis_threads,
            heavy_threads=self.heavy_threads,
            metrics_cache_bytes=self.metrics_cache_bytes,
            nx_backend=self.nx_backend,
        )

    def token_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else default_data_dir()


# --------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """An error answered as JSON ``{"error": message, "status": status, ...details}``."""

    def __init__(
        self,
        status: int,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or {}
        self.headers = headers


#: The id of the request being answered (set by :class:`api.app.RequestLog`): every error
#: body names it, as every log line of the request does.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def error_body(status: int, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of an error, with the request's id (an internal error's ``details``
    name the id its traceback was logged under)."""
    body = {"error": message, "status": status, "request_id": REQUEST_ID.get(), **(details or {})}
    if body["request_id"] is None:
        del body["request_id"]
    return body


def error_response(
    status: int,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error answered: :func:`error_body`."""
    return JSONResponse(error_body(status, message, details), status, headers=headers)


async def answer_of(call: Callable[[], Awaitable[Any]], what: str) -> tuple[int, Any]:
    """The HTTP status and body that ``call`` (an engine call) answers with when it runs
    as a job: (200, its result), or an error's status and :func:`error_body` (an internal
    error logged under the request's id, as :mod:`api.app` does for a request)."""
    try:
        return 200, await call()
    except (ApiError, EngineError) as failure:
        return failure.status, error_body(failure.status, failure.message, failure.details)
    except Exception as bug:
        status, message, details = service.internal_error(bug, what, REQUEST_ID.get())
        return status, error_body(status, message, details)


class EncodedJSON(Response):
    """A JSON answer encoded in the engine process already
    (:meth:`~graph.server.engine.Engine.call_json`): its bytes are sent as they are, with the
    media type of a ``JSONResponse``, which encodes the same bytes from the object."""

    media_type = "application/json"


def error(description: str, example: dict[str, Any] | None = None) -> dict[str, Any]:
    """An error response in the OpenAPI document of a route: the real body
    (:class:`~api.models.ErrorBody`) and what the status means there."""
    response: dict[str, Any] = {"model": ErrorBody, "description": description}
    if example is not None:
        response["content"] = {"application/json": {"example": example}}
    return response


#: The errors every route may answer (each router documents them for its routes).
ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": error(
        "the request cannot be answered as it is; `error` says why: 400 malformed, 401 no or a "
        "bad token, 403 not allowed, 404 not found (or not visible to you), 413 too large, "
        "415 an unknown content type, 422 invalid parameters or data (with `problems`)"
    ),
    "5XX": error(
        "the server could not answer: 503 when the call ran past its time limit, no slot "
        "freed up or the engine is restarting; 502 when a remote store did not answer; 500 an "
        "internal error (logged by the server)"
    ),
}


# --------------------------------------------------------------------------------------------
# The server's parts, and the caller


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def jobs_of(request: Request) -> Jobs:
    return request.app.state.jobs


def identify(
    scope: MutableMapping[str, Any], authorization: str | None, tokens: TokenStore, anonymous: bool
) -> Principal:
    """:func:`~graph.server.auth.principal_for`, noting the caller's role (``refused`` for a
    bad token) in the request's state for the request log (:func:`noted_role`), so that the
    log does not authenticate the request a second time."""
    state = scope.setdefault("state", {})
    try:
        principal = principal_for(authorization, tokens, anonymous=anonymous)
    except AuthError:
        state["caller_role"] = "refused"
        raise
    state["caller_role"] = principal.role
    return principal


def noted_role(scope: Mapping[str, Any]) -> str | None:
    """The role :func:`identify` noted for this request; None if it never authenticated."""
    role = scope.get("state", {}).get("caller_role")
    return None if role is None else str(role)


def caller(request: Request) -> Principal:
    """The principal of a request (AuthError → 401)."""
    return identify(
        request.scope,
        request.headers.get("authorization"),
        request.app.state.tokens,
        settings_of(request).anonymous,
    )


def require_editor(principal: Principal, what: str = "writing") -> None:
    """401 for an anonymous caller, 403 for a reader: ``what`` needs an editor token."""
    if principal.can_edit:
        return
    if principal.role == "anonymous":
        raise ApiError(401, f"{what} needs an editor token", headers={"WWW-Authenticate": "Bearer"})
    raise ApiError(403, f"{what} needs an editor or admin token")


SettingsDep = Annotated[Settings, Depends(settings_of)]
EngineDep = Annotated[Engine, Depends(engine_of)]
JobsDep = Annotated[Jobs, Depends(jobs_of)]
#: The caller, from the request's token (401 for a bad one).
Caller = Annotated[Principal, Depends(caller)]


# --------------------------------------------------------------------------------------------
# The projection filters: each query parameter declared once

Start = Annotated[
    str | None,
    Query(
        description="claims overlapping the period from this date",
        examples=["2024-01-01"],
        json_schema_extra={"format": "date"},
    ),
]
End = Annotated[
    str | None,
    Query(
        description="claims overlapping the period up to this date",
        examples=["2025-12-31"],
        json_schema_extra={"format": "date"},
    ),
]
Kinds = Annotated[
    list[str] | None,
    Query(
        description=f"only parties of these kinds (repeat or comma-separate): {', '.join(kinds())}",
        examples=["RegionalGovernment,RecruitmentScheme"],
    ),
]
Relations = Annotated[
    list[str] | None,
    Query(
        description=f"only claims of these relation types: {', '.join(relation_types())}",
        examples=["FundingFlow"],
    ),
]
MinConfidence = Annotated[
    str | None,
    Query(
        description=f"claims at least this firm: {', '.join(confidence_levels())}",
        examples=["medium"],
        json_schema_extra={"enum": list(confidence_levels())},
    ),
]
MinAmount = Annotated[
    float | None,
    Query(
        description="claims of at least this amount, in their own currency (claims without "
        "an amount left out)",
        examples=[100000],
    ),
]
Datasets = Annotated[
    list[str] | None,
    Query(alias="dataset", description="only these datasets (repeat)", examples=["claims"]),
]
Level = Annotated[
    str,
    Query(
        description="organization: each registered actor a node; government: every actor "
        "rolled up along part_of to its top organization (every federal body to the federal "
        "center, an agency to its government)",
        examples=["government"],
        json_schema_extra={"enum": list(LEVELS)},
    ),
]
Basis = Annotated[
    str,
    Query(
        description="report: only claims that report a fact; all: assessments too",
        examples=["report"],
        json_schema_extra={"enum": [*concepts("ClaimBasisScheme"), "all"]},
    ),
]
Aggregates = Annotated[
    bool,
    Query(description='include claims about aggregates ("the regional governments" as a whole)'),
]

#: Every filter parameter: its type with its documentation, and its default.
_PARAMETERS: dict[str, tuple[Any, Any]] = {
    "start": (Start, None),
    "end": (End, None),
    "kinds": (Kinds, None),
    "relations": (Relations, None),
    "min_confidence": (MinConfidence, None),
    "min_amount": (MinAmount, None),
    "datasets": (Datasets, None),
    "level": (Level, "organization"),
    "basis": (Basis, "all"),
    "aggregates": (Aggregates, True),
}


def projection_filters(*names: str) -> Callable[..., ProjectionFilter]:
    """A dependency that reads the filter parameters ``names`` (each declared once above) and
    parses them into one :class:`~graph.analysis.projection.ProjectionFilter` (400 for a bad
    value). A route that takes fewer filters (no ``relations`` for money flows, no period
    for a comparison of two periods) documents and reads only its own."""
    unknown = set(names) - set(_PARAMETERS)
    if unknown:
        raise ValueError(f"unknown filter parameters: {', '.join(sorted(unknown))}")

    def dependency(**values: Any) -> ProjectionFilter:
        aggregates = values.pop("aggregates", True)
        try:
            parsed = parse_filter(
                start=values.get("start"),
                end=values.get("end"),
                kinds_=values.get("kinds"),
                relations=values.get("relations"),
                min_confidence=values.get("min_confidence"),
                min_amount=values.get("min_amount"),
                datasets=values.get("datasets"),
                level=values.get("level"),
                basis=values.get("basis"),
            )
        except BadRequest as error:
            raise ApiError(400, str(error)) from None
        return replace(parsed, aggregates=aggregates)

    # FastAPI reads the parameters of a dependency from its signature.
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_PARAMETERS[name][0],
                default=_PARAMETERS[name][1],
            )
            for name in names
        ]
    )
    return dependency


_CLAIMS = (
    "start",
    "end",
    "kinds",
    "relations",
    "min_confidence",
    "min_amount",
    "datasets",
    "level",
    "basis",
)

_filters = projection_filters(*_CLAIMS, "aggregates")
#: Every filter, aggregates included (the metrics and the explorer).
Filters = Annotated[ProjectionFilter, Depends(_filters)]


def default_filters() -> ProjectionFilter:
    """The filters of a route that takes :data:`Filters` asked for without a parameter."""
    return _filters(**{name: _PARAMETERS[name][1] for name in (*_CLAIMS, "aggregates")})


#: The filters of the graph routes (neighbourhood, paths): aggregates always take part.
ClaimFilters = Annotated[ProjectionFilter, Depends(projection_filters(*_CLAIMS))]
