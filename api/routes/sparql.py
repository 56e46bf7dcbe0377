"""SPARQL 1.1 over HTTP: the Protocol (query and update) at /sparql with its Service
Description and a query page for browsers, and the Graph Store HTTP Protocol at /rdf-graphs."""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import URL
from starlette.types import Receive, Scope, Send

from api.deps import (
    ERRORS,
    STATIC,
    ApiError,
    Settings,
    caller,
    engine_of,
    error,
    error_response,
    identify,
    require_editor,
    settings_of,
)
from api.examples import rdf_bodies
from api.models import UpdateResult, UploadReport
from graph.ingest import INPUT_KINDS
from graph.model.namespaces import ID, PREFIXES, dataset_iri
from graph.model.vocabulary import vocabulary
from graph.server import service
from graph.server.auth import AuthError, TokenStore
from graph.server.engine import Engine, EngineError
from graph.sparql import QueryError, accepts_html, format_name, negotiate
from graph.store.formats import Kind, by_name
from graph.store.formats import formats as registry

_FORM = "application/x-www-form-urlencoded"
_QUERY = "application/sparql-query"
_UPDATE = "application/sparql-update"
#: Media types of RDF bodies that the Graph Store Protocol and uploads accept, and the file
#: suffix that tells the loader the format.
#: The graphs the interactive docs fill in: the default dataset's, and a new dataset's.
CLAIMS_GRAPH = dataset_iri("claims")
NEW_GRAPH = dataset_iri("mine")
#: ``?default`` names the default graph by being present; its value is empty.
DefaultGraph = Annotated[
    str | None,
    Query(
        description="present (with an empty value): the default graph (union of datasets)",
        examples=[""],
    ),
]

RDF_BODY_SUFFIX = {media: f.suffix for f in registry(*INPUT_KINDS) for media in f.media_types}

_QUERY_EXAMPLES = {
    "funding by payer": {
        "summary": "Who pays: totals paid (amounts stated as totals), per currency",
        "value": "SELECT ?payer ?currency (SUM(?amount) AS ?total) WHERE {\n"
        "  ?flow a rg:FundingFlow ; rg:amountBasis rg:TotalAmount ;\n"
        "        rg:from/rdfs:label ?payer ;\n"
        "        schema:amount ?amount ; schema:currency ?currency }\n"
        "GROUP BY ?payer ?currency ORDER BY DESC(?total) LIMIT 20",
    },
    "datasets": {
        "summary": "The datasets (named graphs) you can see",
        "value": "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    },
}


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ApiError(400, f"give one {name} per request, not {len(values)}")
    return values[0] if values else None


async def _text_body(request: Request, limit: int) -> str:
    body = await request.body()
    if len(body) > limit:
        raise ApiError(413, f"the request is larger than the limit of {limit // 1024} KiB")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the request body is not UTF-8 text") from None


def _formats(request: Request, fmt: str | None) -> tuple[str, str]:
    """(format for SELECT/ASK, format for CONSTRUCT/DESCRIBE): the ``format`` parameter if
    given, else the Accept header with its q-values, else JSON and Turtle."""
    if fmt:
        try:
            name = format_name(fmt)
        except QueryError as error:
            raise ApiError(400, str(error)) from None
        return name, name
    accept = request.headers.get("accept")
    return negotiate(accept, "results") or "json", negotiate(accept, "graph") or "turtle"


async def _run_query(
    request: Request,
    query: str,
    default_graph_uri: list[str],
    named_graph_uri: list[str],
    fmt: str | None,
) -> Response:
    settings = settings_of(request)
    if not query.strip():
        raise ApiError(400, "the query is empty")
    if len(query.encode()) > settings.max_query_bytes:
        raise ApiError(413, "the query text is too long")
    principal = caller(request)
    body, media_type, truncated = await engine_of(request).call(
        service.sparql_query,
        principal,
        query,
        default_graph_uri=default_graph_uri or None,
        named_graph_uri=named_graph_uri or None,
        formats=_formats(request, fmt),
        max_rows=settings.max_rows,
        base_iri=endpoint_url(request.scope),
    )
    headers = {"Vary": "Accept"}
    if truncated:
        headers["X-SPARQL-MaxRows"] = str(settings.max_rows)
    return Response(body, media_type=media_type, headers=headers)


def endpoint_url(scope: Scope) -> str:
    """The URL of the endpoint a request was sent to, without its query: the base IRI that
    relative IRIs of its SPARQL resolve against, as Oxigraph resolves them."""
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    server = scope.get("server")
    return _endpoint_url(
        scope.get("scheme", "http"), host, server and tuple(server), scope.get("root_path", ""),
        scope["path"],
    )  # fmt: skip


@functools.lru_cache(maxsize=256)
def _endpoint_url(
    scheme: str, host: bytes | None, server: tuple[str, int] | None, root_path: str, path: str
) -> str:
    # Remembered: every query asks it, and Starlette's URL takes a tenth of a cheap query's
    # time in the server (the arguments are all the URL is made of, bar the query string).
    scope = {
        "type": "http",
        "scheme": scheme,
        "server": server,
        "root_path": root_path,
        "path": path,
        "query_string": b"",
        "headers": [] if host is None else [(b"host", host)],
    }
    return str(URL(scope=scope))


async def _run_update(
    request: Request, update: str, using: list[str], using_named: list[str]
) -> Response:
    if not update.strip():
        raise ApiError(400, "the update is empty")
    principal = caller(request)
    require_editor(principal, "an update")
    settings = settings_of(request)
    result = await engine_of(request).call(
        service.sparql_update,
        principal,
        update,
        max_triples=settings.max_update_triples,
        using_graph_uri=using or None,
        using_named_graph_uri=using_named or None,
        base_iri=endpoint_url(request.scope),
        edits_access=settings.edits_access,
    )
    return JSONResponse({"status": "ok", **result})


@functools.cache
def query_page() -> str:
    """The query page with what its editor needs of the model (the prefixes the server
    declares, the vocabulary it completes, the namespace of entities), written into it."""
    context = {"prefixes": PREFIXES, "vocabulary": vocabulary(), "entity": ID}
    # In a <script> element: "</" must not end it.
    data = json.dumps(context, ensure_ascii=False).replace("</", "<\\/")
    return (STATIC / "sparql.html").read_text("utf-8").replace("__CONTEXT__", data)


def _page() -> HTMLResponse:
    return HTMLResponse(query_page())


async def _service_description(request: Request, fmt: str | None) -> Response:
    principal = caller(request)
    graph_fmt = (
        _formats(request, fmt)[1]
        if fmt
        else (negotiate(request.headers.get("accept"), "graph") or "turtle")
    )
    endpoint = str(request.url.replace(query=""))
    body = await engine_of(request).call(
        service.service_description, principal, endpoint, graph_fmt
    )
    media_type = by_name(graph_fmt, Kind.GRAPH).media_type
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})


def _params(request: Request, name: str) -> list[str]:
    return request.query_params.getlist(name)


router = APIRouter(responses=ERRORS)


@router.get(
    "/sparql",
    name="sparql",
    summary="SPARQL query by GET; the service description; the query page",
    response_class=Response,
    responses={
        200: {
            "description": "Query results, in the format the Accept header or the "
            "`format` parameter asks for",
            "content": {
                "application/sparql-results+json": {
                    "example": {
                        "head": {"vars": ["n"]},
                        "results": {"bindings": [{"n": {"type": "literal", "value": "142"}}]},
                    }
                },
                "text/csv": {"example": "n\r\n142\r\n"},
                "text/turtle": {},
            },
        },
        400: error("malformed query, SERVICE, two queries, or an update by GET"),
        503: error("the query ran past the time limit and was stopped"),
    },
)
async def sparql_get(
    request: Request,
    query: Annotated[
        str | None,
        Query(description="the SPARQL query", openapi_examples=_QUERY_EXAMPLES),
    ] = None,
    format: Annotated[
        str | None,
        Query(
            description="result format, for browsers that cannot set Accept: json, xml, "
            "csv, tsv (SELECT/ASK); turtle, ntriples, jsonld, rdfxml (CONSTRUCT/DESCRIBE)",
            examples=["csv"],
        ),
    ] = None,
    default_graph_uri: Annotated[
        list[str] | None,
        Query(
            alias="default-graph-uri",
            description="graphs whose union is the default",
            examples=[[CLAIMS_GRAPH]],
        ),
    ] = None,
    named_graph_uri: Annotated[
        list[str] | None,
        Query(alias="named-graph-uri", description="the named graphs", examples=[[CLAIMS_GRAPH]]),
    ] = None,
) -> Response:
    """SPARQL 1.1 Protocol, query by GET. Without a query: the query page for a browser
    (Accept: text/html), else the SPARQL Service Description (Turtle by default)."""
    if _params(request, "update"):
        raise ApiError(400, "updates are sent by POST, never by GET")
    text = _one(_params(request, "query"), "query")
    if text is None:
        if accepts_html(request.headers.get("accept")) and not format:
            return _page()
        return await _service_description(request, format)
    return await _run_query(request, text, default_graph_uri or [], named_graph_uri or [], format)


@router.post(
    "/sparql",
    summary="SPARQL query or update by POST",
    openapi_extra={
        "requestBody": {
            "content": {
                _QUERY: {"schema": {"type": "string"}, "example": "ASK { ?s ?p ?o }"},
                _UPDATE: {
                    "schema": {"type": "string"},
                    "example": "DELETE DATA { GRAPH <https://w3id.org/recruitgraph/"
                    "dataset/mine> { <https://w3id.org/recruitgraph/id/claim/mine/c1> "
                    "rg:confidence rg:LowConfidence } }",
                },
                _FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "update": {"type": "string"},
                            "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "using-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "using-named-graph-uri": {
                                "type": "array",
                                "items": {"type": "string"},
                            },
                            "format": {"type": "string"},
                        },
                    },
                    "example": {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"},
                },
            }
        }
    },
    responses={
        200: {
            "description": "query results, or for an update a JSON summary",
            "model": UpdateResult,
            "content": {
                "application/sparql-results+json": {},
                "application/sparql-results+xml": {},
                "text/csv": {},
                "text/turtle": {},
            },
        },
        400: error(
            "malformed, SERVICE/LOAD, an unknown graph in the dataset parameters, or an "
            "update that reaches graphs by GRAPH ?var or would write more triples than the limit"
        ),
        401: error("an update without a token"),
        403: error("an update by a reader, or of graphs the caller may not write"),
        413: error("the body is too large"),
        415: error("an unknown content type"),
    },
)
async def sparql_post(request: Request) -> Response:
    """SPARQL 1.1 Protocol: a query (form ``query=`` or ``application/sparql-query``) or
    an update (form ``update=`` or ``application/sparql-update``, editor token needed)."""
    settings = settings_of(request)
    kind = content_type(request)
    url_queries = _params(request, "query")
    fmt = request.query_params.get("format")
    if kind == _QUERY:
        if url_queries:
            raise ApiError(400, "give the query once: in the body, not also in the URL")
        text = await _text_body(request, settings.max_query_bytes)
        return await _run_query(
            request,
            text,
            _params(request, "default-graph-uri"),
            _params(request, "named-graph-uri"),
            fmt,
        )
    if kind == _UPDATE:
        text = await _text_body(request, settings.max_upload_bytes)
        return await _run_update(
            request,
            text,
            _params(request, "using-graph-uri"),
            _params(request, "using-named-graph-uri"),
        )
    if kind == _FORM:
        raw = await _text_body(request, settings.max_upload_bytes)
        fields: dict[str, list[str]] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):
            fields.setdefault(key, []).append(value)
        queries = fields.get("query", []) + url_queries
        updates = fields.get("update", [])
        if queries and updates:
            raise ApiError(400, "give a query or an update, not both")
        if updates:
            return await _run_update(
                request,
                _one(updates, "update") or "",
                fields.get("using-graph-uri", []) + _params(request, "using-graph-uri"),
                fields.get("using-named-graph-uri", []) + _params(request, "using-named-graph-uri"),
            )
        query = _one(queries, "query")
        if query is None:
            raise ApiError(400, "give a SPARQL query in the query field (or update=)")
        fmt = (fields.get("format") or [fmt or ""])[0] or None
        return await _run_query(
            request,
            query,
            fields.get("default-graph-uri", []) + _params(request, "default-graph-uri"),
            fields.get("named-graph-uri", []) + _params(request, "named-graph-uri"),
            fmt,
        )
    raise ApiError(
        415,
        f"unsupported content type {kind or '(none)'}: send {_QUERY}, {_UPDATE} or {_FORM}",
    )


# -- Graph Store HTTP Protocol -----------------------------------------------------------
def _target(request: Request) -> str | None:
    graphs = _params(request, "graph")
    default = "default" in request.query_params
    if graphs and default:
        raise ApiError(400, "give either graph=<iri> or default, not both")
    if not graphs and not default:
        raise ApiError(400, "name the graph: ?graph=<iri> or ?default")
    return _one(graphs, "graph") if graphs else None


@router.get(
    "/rdf-graphs",
    summary="Graph Store Protocol: read a graph",
    response_class=Response,
    responses={200: {"content": {"text/turtle": {}, "application/n-triples": {}}}},
)
@router.head(
    "/rdf-graphs",
    name="gsp_head",
    summary="Graph Store Protocol: the media type and size of a graph",
    response_class=Response,
)
async def gsp_get(
    request: Request,
    graph: Annotated[
        str | None,
        Query(
            description="the graph IRI (a dataset's)",
            examples=[CLAIMS_GRAPH],
        ),
    ] = None,
    default: DefaultGraph = None,
    format: Annotated[
        str | None,
        Query(description="turtle, ntriples, jsonld, rdfxml, nquads, trig", examples=["turtle"]),
    ] = None,
) -> Response:
    """The triples of a dataset's graph you may read (404 otherwise), or with
    ``?default`` of the default graph: the union of the datasets you may read."""
    target = _target(request)
    graph_fmt = _formats(request, format)[1]
    body, media_type = await engine_of(request).call(
        service.gsp_get, caller(request), target, graph_fmt
    )
    if request.method == "HEAD":
        return Response(media_type=media_type, headers={"Content-Length": str(len(body))})
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})


#: What a Graph Store write documents: its RDF body, and its answers.
_GSP_WRITE: dict[str, Any] = {
    "status_code": 201,
    "response_model": UploadReport,
    "openapi_extra": {"requestBody": {"content": rdf_bodies(RDF_BODY_SUFFIX)}},
    "responses": {
        200: {"description": "replaced or added to", "model": UploadReport},
        201: {"description": "created"},
        422: error("the data violates the shapes (report in `problems`)"),
    },
}


@router.put(
    "/rdf-graphs",
    name="gsp_put",
    summary="Graph Store Protocol: replace a dataset's graph",
    **_GSP_WRITE,
)
@router.post(
    "/rdf-graphs",
    name="gsp_post",
    summary="Graph Store Protocol: add to a dataset's graph",
    **_GSP_WRITE,
)
async def gsp_write(
    request: Request,
    graph: Annotated[
        str | None,
        Query(examples=[NEW_GRAPH]),
    ] = None,
    default: DefaultGraph = None,
    access: Annotated[
        str | None,
        Query(description="public or restricted (new datasets; admins)", examples=["public"]),
    ] = None,
) -> Response:
    """Writes are validated as uploads are (422 with the SHACL report) and atomic. The graph
    is a dataset's (``https://w3id.org/recruitgraph/dataset/<name>``), any other absolute IRI
    (a dataset of that name, created by the first write), or with ``?default`` the default
    graph: the edits dataset."""
    target = _target(request)
    principal = caller(request)
    require_editor(principal)
    # The body's file name is the route, which the dataset's description keeps as its source.
    directory, path = await save_body(request, stem=f"graph-store-{request.method.lower()}")
    try:
        report = await engine_of(request).call(
            service.gsp_put,
            principal,
            target,
            str(path),
            merge=request.method == "POST",
            access=access,
            edits_access=settings_of(request).edits_access,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return JSONResponse(report, status_code=201 if report["created"] else 200)


@router.delete(
    "/rdf-graphs",
    status_code=204,
    summary="Graph Store Protocol: delete a dataset's graph",
)
async def gsp_delete(
    request: Request,
    graph: Annotated[str | None, Query(examples=[NEW_GRAPH])] = None,
    default: DefaultGraph = None,
) -> Response:
    """Delete a dataset's graph; with ``?default``, the edits dataset (the default graph's
    writable part)."""
    target = _target(request)
    principal = caller(request)
    require_editor(principal, "deleting")
    await engine_of(request).call(service.gsp_delete, principal, target)
    return Response(status_code=204)


async def save_body(
    request: Request, suffix: str | None = None, stem: str = "body"
) -> tuple[str, Path]:
    """Stream the request body to a temporary file named so that the loader knows its
    format (from the Content-Type); (its directory, its path). 415 for an unknown type."""
    if suffix is None:
        kind = content_type(request)
        if kind not in RDF_BODY_SUFFIX:
            known = ", ".join(RDF_BODY_SUFFIX)
            raise ApiError(415, f"unsupported content type {kind or '(none)'}; use {known}")
        suffix = RDF_BODY_SUFFIX[kind]
    directory = tempfile.mkdtemp(prefix="recruitgraph-upload-")
    path = Path(directory) / f"{stem}{suffix}"
    try:
        with open(path, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    os.chmod(directory, 0o700)
    return directory, path


class FastQueryPath:
    """The hot path, ``GET /sparql?query=…``, answered in front of the framework (see
    :class:`api.app.Application`): for a cheap query, FastAPI's middleware, routing and
    parameter machinery cost more than the engine itself. Only a well-formed query from an
    accepted caller takes it (:meth:`prepare`); everything else — no query, an update,
    repeated parameters, a bad token, an unknown format — falls through to the routes above,
    which give the answers and errors. The semantics are those of ``sparql_get``: the same
    status, headers and body (tests/test_fast_path.py)."""

    _KNOWN = frozenset({"query", "format", "default-graph-uri", "named-graph-uri"})

    def __init__(self, settings: Settings, engine: Engine, tokens: TokenStore):
        self.settings = settings
        self.engine = engine
        self.tokens = tokens
        #: The route the request would have taken (``sparql_get``), named in its log record.
        self.route = next(r for r in router.routes if getattr(r, "name", None) == "sparql")

    def prepare(self, scope: Scope) -> _Prepared | None:
        """What the engine is asked for this request, or None: the request is not a plain
        query by GET from an accepted caller, and the routes answer it."""
        if scope["method"] != "GET":
            return None
        params = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        queries = [v for k, v in params if k == "query"]
        if (
            len(queries) != 1
            or not queries[0].strip()
            or any(k not in self._KNOWN for k, _ in params)
        ):
            return None
        text = queries[0]
        if len(text.encode()) > self.settings.max_query_bytes:
            return None
        accept = authorization = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        fmt = [v for k, v in params if k == "format"]
        try:
            principal = identify(scope, authorization, self.tokens, self.settings.anonymous)
            if fmt:
                if len(fmt) > 1:
                    return None
                name = format_name(fmt[0])
                formats = (name, name)
            else:
                formats = (
                    negotiate(accept, "results") or "json",
                    negotiate(accept, "graph") or "turtle",
                )
        except (AuthError, QueryError):
            return None
        default = [v for k, v in params if k == "default-graph-uri"]
        named = [v for k, v in params if k == "named-graph-uri"]
        return principal, text, default, named, formats

    async def answer(self, prepared: _Prepared, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request that :meth:`prepare` accepted, as ``sparql_get`` would."""
        scope["route"] = self.route
        principal, text, default, named, formats = prepared
        try:
            body, media_type, truncated = await self.engine.call(
                service.sparql_query,
                principal,
                text,
                default_graph_uri=default or None,
                named_graph_uri=named or None,
                formats=formats,
                max_rows=self.settings.max_rows,
                base_iri=endpoint_url(scope),
            )
        except EngineError as error:
            response: Response = error_response(
                error.status, error.message, error.details, error.headers
            )
        else:
            headers = {"Vary": "Accept"}
            if truncated:
                headers["X-SPARQL-MaxRows"] = str(self.settings.max_rows)
            response = Response(body, media_type=media_type, headers=headers)
        await response(scope, receive, send)


#: What :meth:`FastQueryPath.prepare` found: the caller, the query, the dataset parameters and
#: the formats (SELECT/ASK, CONSTRUCT/DESCRIBE).
_Prepared = tuple[Any, str, list[str], list[str], tuple[str, str]]
