"""The FastAPI application: a thin HTTP layer over the :mod:`graph` library."""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from graph.ingest import list_datasets
from graph.sparql import QueryError, run_query, serialize_result
from graph.store import Store

#: Media type of each result format, in the order preferred when a client accepts anything.
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
_BY_MEDIA_TYPE = {media: fmt for fmt, media in MEDIA_TYPES.items()}


def _negotiate(accept: str, is_graph: bool) -> str:
    """The result format for an Accept header (q-values respected), or the default."""
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in _BY_MEDIA_TYPE and q > 0:
            ranked.append((-q, position, _BY_MEDIA_TYPE[media]))
    graph_formats = {"turtle", "ntriples", "jsonld", "rdfxml"}
    for _, _, fmt in sorted(ranked):
        if (fmt in graph_formats) == is_graph:
            return fmt
    return "turtle" if is_graph else "json"


def create_app(store: Store) -> FastAPI:
    """The application over ``store``."""
    app = FastAPI(
        title="recruitgraph",
        description="Who runs and who pays for the recruitment of foreigners into Russia's "
        "war: a knowledge graph of sourced claims, with SPARQL.",
    )
    app.state.store = store

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        """Liveness and what the store holds."""
        datasets = list_datasets(store)
        return {
            "status": "ok",
            "store": store.kind,
            "version": store.version,
            "datasets": len(datasets),
            "triples": sum(d.triples for d in datasets),
        }

    def answer(request: Request, query: str | None, fmt: str | None) -> Response:
        if not query:
            return JSONResponse({"error": "give a SPARQL query in the query parameter"}, 400)
        try:
            result = run_query(store, query)
            is_graph = not isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
            chosen = fmt or _negotiate(request.headers.get("accept", ""), is_graph)
            body = serialize_result(result, chosen)
        except QueryError as error:
            return JSONResponse({"error": str(error)}, 400)
        return Response(body, media_type=MEDIA_TYPES.get(chosen, "application/octet-stream"))

    @app.get("/sparql")
    def sparql_get(
        request: Request,
        query: Annotated[str | None, Query(description="SPARQL query")] = None,
        format: Annotated[str | None, Query(description="result format")] = None,
    ) -> Response:
        """SPARQL 1.1 Protocol: query by GET."""
        return answer(request, query, format)

    @app.post("/sparql")
    async def sparql_post(request: Request) -> Response:
        """SPARQL 1.1 Protocol: query by POST, form-encoded or ``application/sparql-query``."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        fmt = request.query_params.get("format")
        if content_type == "application/sparql-query":
            query = (await request.body()).decode("utf-8", "replace")
        elif content_type == "application/x-www-form-urlencoded":
            form = await request.form()
            query = str(form.get("query") or "")
            fmt = str(form.get("format") or fmt or "") or None
        else:
            return JSONResponse(
                {"error": f"unsupported content type {content_type or '(none)'}"}, 415
            )

        return await run_in_threadpool(answer, request, query, fmt)

    return app
