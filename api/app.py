"""The FastAPI application: a thin HTTP layer over the :mod:`graph` library.

The application does not open the store itself. At start-up it starts the engine process
(:mod:`graph.server.engine`), which owns the store and runs every operation of
:mod:`graph.server.service` with a time limit; each route (:mod:`api.routes`, one router per
area) parses its request, works out the caller from its token (:mod:`api.deps`) and hands one
call to the engine. This module only builds the application: settings, engine, error
handlers, routers, middleware, and the fast path of queries in front of them.

A route calls the operation itself: ``await engine_of(request).call(service.neighborhood,
principal, ref, depth=2)`` runs :func:`graph.server.service.neighborhood` over the caller's
readable graphs in the engine process, within the time limit. A library function a route
needs gets an operation of its own in :mod:`graph.server.service`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import cast

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import REQUEST_ID, STATIC, ApiError, Settings, error_response, noted_role
from api.openapi import openapi_document
from api.routes import ROUTERS
from api.routes.question import warm_question_page
from api.routes.sparql import FastQueryPath
from graph.errors import RecruitgraphError
from graph.server.auth import AuthError, TokenStore, principal_for
from graph.server.engine import (
    CallNotes,
    Engine,
    EngineError,
    call_notes,
    client_address,
)
from graph.server.jobs import Jobs
from graph.server.service import describe_error, internal_error
from graph.server.warm import Warmer
from graph.store import Store

__all__ = ["RequestLog", "Settings", "create_app", "settings_for_store"]

log = logging.getLogger("recruitgraph.api")


def settings_for_store(store: Store, settings: Settings) -> Settings:
    """Settings that serve ``store``. The application takes the store over: an embedded one
    on disk is closed here and reopened by the engine process; an in-memory one is copied to
    a temporary directory (deleted at shutdown)."""
    if store.kind == "remote":
        return replace(
            settings,
            store_url=getattr(store, "query_url", store.location),
            update_url=getattr(store, "update_url", None),
            graph_store_url=getattr(store, "graph_store_url", None),
            store_credentials=getattr(store, "credentials", None),
            store_honours_dataset_parameters=store.honours_dataset_parameters,
        )
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


#: An incoming X-Request-ID that is kept (a proxy's or a client's id); any other is replaced.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

access_log = logging.getLogger("recruitgraph.access")


class RequestLog:
    """Give every request an id and log one record when it is answered.

    The id is the request's ``X-Request-ID`` when that is a sane token (letters, digits,
    ``._:-``, at most 64), else a new one; it goes back in ``X-Request-ID`` on every response
    and in every error body (:data:`api.deps.REQUEST_ID`). The record
    (``recruitgraph.access``) holds the id, the caller's role (never the token), method,
    route template, path, status, duration in ms and bytes sent, and of the duration the ms
    its engine calls waited for a slot, spent in the engine process and computed there
    (:class:`~graph.server.engine.CallNotes`). A response that already names an id (an
    internal error of the engine, logged under its own id) keeps it, and the record names
    that one.

    An answer computed by the engine also carries ``X-Store-Version``, the view version of
    the state it was computed from (of the datasets the caller may read: see
    :func:`graph.server.service.run`).
    """

    def __init__(self, app: ASGIApp, tokens: TokenStore) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.around(self.app, scope, receive, send)

    async def around(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the HTTP request ``scope`` by ``app``, with its id, headers and record."""
        started = time.perf_counter()
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"),
            "",
        )
        request_id = incoming if _SANE_ID.fullmatch(incoming) else secrets.token_hex(8)
        # Not reset afterwards: the handler of an unexpected exception runs after this
        # middleware has returned (outside it), and reads the id from here.
        REQUEST_ID.set(request_id)
        # Who an anonymous caller is, for its share of the engine's slots (a proxy: one address).
        client = scope.get("client")
        client_address.set(client[0] if client else None)
        notes = CallNotes()
        call_notes.set(notes)
        status, sent = 500, 0

        async def answer(message: Message) -> None:
            nonlocal status, sent, request_id
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = MutableHeaders(scope=message)
                request_id = response_headers.get("x-request-id") or request_id
                response_headers["X-Request-ID"] = request_id
                if notes.version is not None:
                    response_headers["X-Store-Version"] = notes.version
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, answer)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                self._log(scope, request_id, status, sent, started, notes)

    def _log(
        self,
        scope: Scope,
        request_id: str,
        status: int,
        sent: int,
        t0: float,
        notes: CallNotes,
    ) -> None:
        role = noted_role(scope)
        if role is None:  # a route that never asked who calls (assets, docs)
            try:
                role = principal_for(Headers(scope=scope).get("authorization"), self.tokens).role
            except AuthError:
                role = "refused"
        route = scope.get("route")
        fields = {
            "request_id": request_id,
            "role": role,
            "method": scope["method"],
            "route": getattr(route, "path", None),
            # As sent (percent-encoded): a decoded path could break a text line.
            "path": scope.get("raw_path", b"").decode("latin-1") or scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - t0) * 1000, 1),
            "bytes": sent,
            "wait_ms": round(notes.waited * 1000, 1),
            "engine_ms": round(notes.engine * 1000, 1),
            "compute_ms": round(notes.computed * 1000, 1),
        }
        access_log.info(
            "%s %s %d %.1f ms %d B %s %s",
            scope["method"],
            fields["path"],
            status,
            fields["duration_ms"],
            sent,
            role,
            request_id,
            extra={"fields": fields},
        )


def unexpected_error(method: str, path: str, error: Exception) -> JSONResponse:
    """The answer to a bug in this process: 500, logged with its traceback under the
    request's id (which the client gets), as the engine process does for a bug in an
    operation."""
    status, message, details = internal_error(error, f"{method} {path}", REQUEST_ID.get())
    return error_response(status, message, details, headers={"X-Request-ID": details["request_id"]})


class Application(FastAPI):
    """The application: FastAPI, with queries by ``GET /sparql`` answered in front of it
    (:class:`~api.routes.sparql.FastQueryPath`, with the request log of every request but
    none of the framework's middleware, routing and parameters); any other request, and any
    query the fast path does not take, goes through FastAPI. (``FastAPIOffline`` builds a
    plain FastAPI instance; :func:`create_app` makes it one of this class, which adds no
    state of its own.)"""

    fast_query: FastQueryPath | None = None
    request_log: RequestLog | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast, log = self.fast_query, self.request_log
        if (
            fast is not None
            and log is not None
            and scope["type"] == "http"
            and scope["path"] == "/sparql"
            and (prepared := fast.prepare(scope)) is not None
        ):

            async def answer(scope: Scope, receive: Receive, send: Send) -> None:
                try:
                    await fast.answer(prepared, scope, receive, send)
                except Exception as error:  # as the full stack's handler answers a bug
                    response = unexpected_error(scope["method"], scope["path"], error)
                    await response(scope, receive, send)

            await log.around(answer, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def operation_id(route: APIRoute) -> str:
    """The OpenAPI operationId of a route: its name (the endpoint function's, or the name
    given where one function serves two methods), so that a client's generated method reads
    ``list_datasets`` rather than ``list_datasets_api_datasets_get``."""
    return route.name


def create_app(store: Store | None = None, settings: Settings | None = None) -> Application:
    """The application over ``store`` (taken over, see :func:`settings_for_store`), or over
    the store that ``settings`` names."""
    settings = settings or Settings()
    if store is not None:
        settings = settings_for_store(store, settings)
    engine = Engine(
        settings.spec(),
        timeout=settings.query_timeout,
        write_timeout=settings.write_timeout,
        answer_cache_bytes=settings.answer_cache_bytes,
    )
    tokens = TokenStore(settings.token_dir())
    jobs = Jobs()
    # The anonymous reader's landing page, warmed at start and after every write (there is
    # no anonymous reader to warm it for under --no-anonymous).
    warmer = Warmer(
        partial(warm_question_page, jobs, engine) if settings.warm and settings.anonymous else None
    )
    engine.written.extend((jobs.written, warmer.kick))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        warmer.kick()  # in the background: the server answers meanwhile
        try:
            yield
        finally:
            engine.closing()
            await warmer.close()
            await jobs.close()  # background uploads finish before the engine stops
            await engine.close()
            if settings.cleanup is not None:
                shutil.rmtree(settings.cleanup, ignore_errors=True)

    # The interactive docs (/docs, /redoc) load their scripts from the app, not from a CDN.
    offline = FastAPIOffline(
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
        generate_unique_id_function=operation_id,
    )
    offline.__class__ = Application
    app = cast(Application, offline)
    app.state.engine = engine
    app.state.jobs = jobs
    app.state.warmer = warmer
    app.state.settings = settings
    app.state.tokens = tokens
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.message, error.details, error.headers)

    @app.exception_handler(EngineError)
    async def _engine_error(request: Request, error: EngineError) -> JSONResponse:
        return error_response(error.status, error.message, error.details, error.headers)

    @app.exception_handler(RecruitgraphError)
    async def _library_error(request: Request, error: RecruitgraphError) -> JSONResponse:
        # The library's own errors raised in this process (parsing a request), as the engine
        # answers them.
        return error_response(*describe_error(error))

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
        return unexpected_error(request.method, request.url.path, error)

    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(RequestLog, tokens=tokens)  # outermost: it sees every answer
    app.request_log = RequestLog(app, tokens)  # the same log, for the fast path
    app.fast_query = FastQueryPath(settings, engine, tokens)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app
