"""The FastAPI application: a thin HTTP layer over the :mod:`graph` library.

The application does not open the store itself. At start-up it starts the engine process
(:mod:`graph.server.engine`), which owns the store and runs every operation of
:mod:`graph.server.service`
with a time limit; each route parses its request, works out the caller from its token
(:mod:`graph.server.auth`) and hands one call to the engine.

Other modules add their routes the same way: ``await request.app.state.engine.call("library",
principal, "graph.analysis.metrics:some_function", ...)`` runs ``some_function(store, graphs, ...)``
over the caller's readable graphs in the engine process, within the time limit.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.server.auth import AuthError, Principal, TokenStore, principal_for
from graph.server.engine import Engine, EngineError, StoreSpec
from graph.store import Store, default_data_dir

log = logging.getLogger("recruitgraph.api")
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Settings:
    """How the server runs. The store is an embedded one in ``data_dir``, or the remote
    endpoint ``store_url`` (then ``data_dir`` only holds the tokens file)."""

    data_dir: Path | None = None
    store_url: str | None = None
    update_url: str | None = None
    #: Seconds a query (or any read) may run before it is stopped.
    query_timeout: float = 30.0
    #: Seconds an upload or update (validation included) may run.
    write_timeout: float = 600.0
    #: Most rows (solutions, or triples of a CONSTRUCT) a SPARQL result holds; more are cut.
    max_rows: int = 100_000
    #: Largest request body: uploads, updates, Graph Store writes (413 past it).
    max_upload_bytes: int = 64 * 1024**2
    #: Largest query text.
    max_query_bytes: int = 1024**2
    #: Whether callers without a token may read public datasets.
    anonymous: bool = True
    #: SERVICE / LOAD targets that are allowed (IRIs; an entry ending in / covers its subtree).
    allow: tuple[str, ...] = ()
    #: Calls the engine runs at once.
    threads: int = 4
    #: Directory to delete at shutdown (a temporary copy of an in-memory store).
    cleanup: Path | None = field(default=None, repr=False)

    def spec(self) -> StoreSpec:
        if self.store_url:
            return StoreSpec("remote", self.store_url, self.update_url, self.allow, self.threads)
        directory = self.data_dir if self.data_dir is not None else default_data_dir()
        return StoreSpec("embedded", str(directory), None, self.allow, self.threads)

    def token_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else default_data_dir()


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


def error_response(
    status: int,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": message, "status": status, **(details or {})}, status, headers=headers
    )


def settings_for_store(store: Store, settings: Settings) -> Settings:
    """Settings that serve ``store``. The application takes the store over: an embedded one
    on disk is closed here and reopened by the engine process; an in-memory one is copied to
    a temporary directory (deleted at shutdown)."""
    if store.kind == "remote":
        query_url = getattr(store, "query_url", store.location)
        return replace(settings, store_url=query_url, update_url=getattr(store, "update_url", None))
    if store.location != ":memory:":
        store.close()
        return replace(settings, data_dir=Path(store.location))
    directory = Path(tempfile.mkdtemp(prefix="recruitgraph-served-"))
    copy = ox.Store(str(directory))
    for graph in store.graph_names():
        copy.extend(store.quads(graph))
    copy.flush()
    del copy
    return replace(settings, data_dir=directory, cleanup=directory)


class BodyLimit:
    """Refuse request bodies larger than the limit (413), whether announced by
    Content-Length or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = 0
                if announced > self.limit:
                    response = error_response(413, self._message())
                    await response(scope, receive, send)
                    return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise ApiError(413, self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"the request body is larger than the limit of {self.limit // 1024**2} MiB"


def create_app(store: Store | None = None, settings: Settings | None = None) -> FastAPI:
    """The application over ``store`` (taken over, see :func:`settings_for_store`), or over
    the store that ``settings`` names."""
    settings = settings or Settings()
    if store is not None:
        settings = settings_for_store(store, settings)
    engine = Engine(
        settings.spec(), timeout=settings.query_timeout, write_timeout=settings.write_timeout
    )
    tokens = TokenStore(settings.token_dir())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        try:
            yield
        finally:
            await engine.close()
            if settings.cleanup is not None:
                shutil.rmtree(settings.cleanup, ignore_errors=True)

    # The interactive docs (/docs, /redoc) load their scripts from the app, not from a CDN.
    app = FastAPIOffline(
        title="recruitgraph",
        version="0.1.0",
        description=(
            "Who runs and who pays for the recruitment of foreigners into Russia's war: a "
            "knowledge graph of sourced claims. SPARQL 1.1 at `/sparql` (Protocol, Update, "
            "Service Description) and `/rdf-graphs` (Graph Store Protocol); a JSON graph API "
            "under `/api`.\n\n"
            "**Access**: send `Authorization: Bearer <token>` (tokens come from `recruitgraph "
            "token create`). Without one you read the public datasets (unless the server "
            "runs with `--no-anonymous`). Restricted datasets are invisible to callers whose "
            "token does not cover them, through every route.\n\n"
            f"**Limits**: each query stops after {settings.query_timeout:g} s (503); a SPARQL "
            f"result holds at most {settings.max_rows:,} rows (the header `X-SPARQL-MaxRows` "
            "says when a result was cut); request bodies up to "
            f"{settings.max_upload_bytes // 1024**2} MiB (413)."
        ),
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.tokens = tokens
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.message, error.details, error.headers)

    @app.exception_handler(EngineError)
    async def _engine_error(request: Request, error: EngineError) -> JSONResponse:
        return error_response(error.status, error.message, error.details)

    @app.exception_handler(AuthError)
    async def _auth_error(request: Request, error: AuthError) -> JSONResponse:
        return error_response(401, str(error), headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
            for e in error.errors()
        ]
        text = "; ".join(f"{p['where']}: {p['message']}" for p in problems)
        return error_response(422, f"invalid request: {text}", {"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail), headers=error.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error (logged by the server)")

    from api import graph_routes, metrics_routes, sparql_routes, viz_routes

    sparql_routes.install(app)
    graph_routes.install(app)
    metrics_routes.install(app)
    viz_routes.install(app)
    app.add_middleware(sparql_routes.FastQueryPath, settings=settings, engine=engine, tokens=tokens)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def caller(request: Request) -> Principal:
    """The principal of a request (AuthError → 401)."""
    settings: Settings = request.app.state.settings
    return principal_for(
        request.headers.get("authorization"),
        request.app.state.tokens,
        anonymous=settings.anonymous,
    )


def require_editor(principal: Principal, what: str = "writing") -> None:
    """401 for an anonymous caller, 403 for a reader: ``what`` needs an editor token."""
    if principal.can_edit:
        return
    if principal.role == "anonymous":
        raise ApiError(401, f"{what} needs an editor token", headers={"WWW-Authenticate": "Bearer"})
    raise ApiError(403, f"{what} needs an editor or admin token")


def engine_of(request: Request) -> Engine:
    return request.app.state.engine
