"""The metrics under /api/metrics: how centralized the network is, who pays, and the trend.

Each route parses the projection filters and makes one call to the engine, which runs the
library function of :mod:`graph.analysis` over the graphs the caller may read. Every answer
carries ``synthetic``: true when any of the data behind it is generated.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from api.app import caller, engine_of
from api.graph_routes import Datasets, End, Kinds, MinConfidence, Relations, Start, _filters
from graph.projection import ProjectionFilter

Aggregates = Annotated[
    bool,
    Query(description='include claims about aggregates ("the regional governments" as a whole)'),
]
Top = Annotated[int, Query(ge=1, le=1000, description="rows of the ranked tables")]

_FIGURES_EXAMPLE = {
    "actors": 157,
    "claims": 142,
    "sampled_from": None,
    "centralization_degree": 0.0148,
    "centralization_betweenness": 0.0008,
    "global_reaching_centrality": 0.0518,
    "krackhardt_hierarchy": 0.9934,
    "burden_shift_index": 0.9925,
    "payer_concentration": 0.9251,
    "federal_reach": 0.1351,
}


def _projection_filter(
    start: str | None,
    end: str | None,
    kinds: list[str] | None,
    relations: list[str] | None,
    min_confidence: str | None,
    datasets: list[str] | None,
    aggregates: bool,
) -> ProjectionFilter:
    filters = _filters(start, end, kinds, relations, min_confidence, datasets)
    return replace(filters, aggregates=aggregates)


def projection_filters(
    start: Start = None,
    end: End = None,
    kinds: Kinds = None,
    relations: Relations = None,
    min_confidence: MinConfidence = None,
    datasets: Datasets = None,
    aggregates: Aggregates = True,
) -> ProjectionFilter:
    """The projection filters of a request (a FastAPI dependency)."""
    return _projection_filter(start, end, kinds, relations, min_confidence, datasets, aggregates)


#: Every projection filter as query parameters, parsed into one ProjectionFilter.
Filters = Annotated[ProjectionFilter, Depends(projection_filters)]


def _example(data: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": data}}}}


def install(app: FastAPI) -> None:
    @app.get(
        "/api/metrics",
        tags=["metrics"],
        responses=_example(
            {
                "synthetic": False,
                "datasets": ["claims"],
                "figures": _FIGURES_EXAMPLE,
                "funding_by_tier": {"RUB": {"federal": 595000.0, "regional": 2078924713.0}},
                "brokers": [{"label": "Russian Ministry of Defence", "score": 3.0}],
            }
        ),
    )
    async def metrics(
        request: Request,
        filters: Filters,
        top: Top = 10,
    ) -> JSONResponse:
        """The full report of the claims that pass the filters: Freeman centralization,
        hierarchy, the burden-shift index, funding per tier and currency, payer concentration,
        federal reach, the brokers between federal bodies and recruiters, the top actors."""
        result = await engine_of(request).call("metrics_report", caller(request), filters, top)
        return JSONResponse(result)

    @app.get(
        "/api/metrics/timeline",
        tags=["metrics"],
        responses=_example(
            {
                "window": "P12M",
                "step": "P3M",
                "synthetic": False,
                "windows": [{"start": "2024-01-01", "end": "2024-12-31", **_FIGURES_EXAMPLE}],
            }
        ),
    )
    async def timeline(
        request: Request,
        filters: Filters,
        window: Annotated[
            str, Query(description="window length, ISO 8601 duration", examples=["P12M"])
        ] = "P12M",
        step: Annotated[
            str, Query(description="step between windows, ISO 8601 duration", examples=["P3M"])
        ] = "P3M",
    ) -> JSONResponse:
        """Every graph-level figure over sliding windows from ``start`` (default: the first
        claim) to ``end`` (default: the last): is the network more centralized than a year
        ago?"""
        result = await engine_of(request).call(
            "metrics_timeline", caller(request), filters, window, step
        )
        return JSONResponse(result)

    @app.get(
        "/api/metrics/compare",
        tags=["metrics"],
        responses=_example(
            {
                "synthetic": False,
                "first": {"start": "2024-01-01", "end": "2024-12-31", "figures": {}, "claims": []},
                "second": {"start": "2025-01-01", "end": "2025-12-31", "figures": {}, "claims": []},
                "change": {"burden_shift_index": 0.0357, "federal_reach": 0.073},
            }
        ),
    )
    async def compare(
        request: Request,
        first: Annotated[
            str, Query(description="2024, 2024-07 or 2024-01-01/2024-06-30", examples=["2024"])
        ],
        second: Annotated[str, Query(description="the other period", examples=["2025"])],
        kinds: Kinds = None,
        relations: Relations = None,
        min_confidence: MinConfidence = None,
        datasets: Datasets = None,
        aggregates: Aggregates = True,
    ) -> JSONResponse:
        """The figures of two periods, the change between them, and the claims with their
        sources behind each side."""
        filters = _projection_filter(
            None, None, kinds, relations, min_confidence, datasets, aggregates
        )
        result = await engine_of(request).call(
            "metrics_compare", caller(request), filters, first, second
        )
        return JSONResponse(result)

    @app.get(
        "/api/metrics/nodes",
        tags=["metrics"],
        responses=_example(
            {
                "synthetic": False,
                "by": "betweenness",
                "nodes": [
                    {
                        "id": "https://w3id.org/recruitgraph/id/federal-body/russian-government",
                        "label": "Russian government",
                        "kind": "FederalBody",
                        "rank": 1,
                        "betweenness": 0.0008,
                    }
                ],
            }
        ),
    )
    async def nodes(
        request: Request,
        filters: Filters,
        by: Annotated[
            str,
            Query(
                description="degree, strength, betweenness, closeness, eigenvector, pagerank, "
                "in_degree, out_degree",
                examples=["betweenness"],
            ),
        ] = "betweenness",
        top: Top = 20,
    ) -> JSONResponse:
        """Node-level measures of every actor, ranked by one of them."""
        result = await engine_of(request).call("metrics_nodes", caller(request), filters, by, top)
        return JSONResponse(result)
