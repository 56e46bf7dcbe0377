"""The JSON graph API under /api: entities, neighbourhoods, paths, money flows and exports.
Each route parses its parameters and makes one call to the engine, which runs the library
function (:mod:`graph.analysis.queries` through :mod:`graph.server.service`) over the graphs
the caller may read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from api.deps import (
    ERRORS,
    ApiError,
    Caller,
    ClaimFilters,
    Datasets,
    EncodedJSON,
    EngineDep,
    error,
    projection_filters,
)
from api.models import Entity, EntityPage, Flows, Neighborhood, Paths
from graph.analysis.projection import ProjectionFilter
from graph.analysis.queries import FLOW_GROUPS
from graph.server import service
from graph.store.export import EXPORT_KINDS, export_format
from graph.store.formats import formats

_ENTITY = "regional-government/ru-ta-government"
_FEDERAL = "federal-body/ru-federal-center"

#: Money flows are funding claims: no relations filter.
FlowFilters = Annotated[
    ProjectionFilter,
    Depends(
        projection_filters("start", "end", "kinds", "min_confidence", "datasets", "level", "basis")
    ),
]
#: An export names its datasets itself (they choose the graphs written, not only the claims).
ExportFilters = Annotated[
    ProjectionFilter,
    Depends(
        projection_filters(
            "start", "end", "kinds", "relations", "min_confidence", "min_amount", "level", "basis"
        )
    ),
]

router = APIRouter(responses=ERRORS)


# -- entities ----------------------------------------------------------------------------
@router.get(
    "/api/entities",
    tags=["graph"],
    response_model=EntityPage,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "total": 1,
                        "limit": 50,
                        "offset": 0,
                        "items": [
                            {
                                "id": "https://w3id.org/recruitgraph/id/" + _ENTITY,
                                "short_id": _ENTITY,
                                "kind": "RegionalGovernment",
                                "tier": "regional",
                                "label": "Government of the Republic of Tatarstan",
                                "synthetic": False,
                            }
                        ],
                    }
                }
            }
        }
    },
)
async def list_entities(
    principal: Caller,
    engine: EngineDep,
    q: Annotated[
        str | None, Query(description="text in the label, any case", examples=["tatarstan"])
    ] = None,
    kind: Annotated[
        str | None,
        Query(
            description="FederalBody, RegionalGovernment, Recruiter, ForeignGovernment, "
            "RecruitCohort or RecruitmentScheme",
            examples=["RegionalGovernment"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Search actors and schemes by label and kind, a page at a time."""
    return EncodedJSON(
        await engine.call_json(
            service.entities, principal, q=q, kind=kind, limit=limit, offset=offset
        )
    )


@router.get(
    "/api/entities/{id:path}",
    tags=["graph"],
    response_model=Entity,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "id": "https://w3id.org/recruitgraph/id/" + _ENTITY,
                        "kind": "RegionalGovernment",
                        "label": "Government of the Republic of Tatarstan",
                        "datasets": ["claims"],
                        "attributes": {
                            "rdfs:label": [
                                {
                                    "value": "Government of the Republic of Tatarstan",
                                    "language": "en",
                                }
                            ]
                        },
                        "outgoing": [
                            {
                                "id": "https://w3id.org/recruitgraph/id/claim/claims/c019",
                                "type": "FundingFlow",
                                "counterpart": {
                                    "id": "…/scheme/scheme-tatarstan-regional-one-time-"
                                    "sign-up-payment",
                                    "label": "Tatarstan regional one-time sign-up payment",
                                    "kind": "RecruitmentScheme",
                                },
                                "start": "2024-07-01",
                                "end": None,
                                "confidence": "medium",
                                "amount": "1050000",
                                "currency": "RUB",
                                "purpose": "enlistment_bonus",
                                "sources": [
                                    {
                                        "title": "Moscow to pay about US$23,000 for "
                                        "contract military service",
                                        "url": "https://www.pravda.com.ua/eng/news/…",
                                    }
                                ],
                            }
                        ],
                        "incoming": [],
                    }
                }
            }
        },
        404: error("no such entity among the datasets you can read"),
    },
)
async def get_entity(
    id: Annotated[str, PathParameter(examples=[_ENTITY])], principal: Caller, engine: EngineDep
) -> Response:
    """One entity (``regional-government/ru-ta-government`` or its full IRI): attributes, and
    the claims it is a party of, with periods, amounts, counterparts and sources."""
    return EncodedJSON(await engine.call_json(service.entity, principal, id))


@router.get(
    "/api/neighborhood",
    tags=["graph"],
    response_model=Neighborhood,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "center": "https://w3id.org/recruitgraph/id/" + _ENTITY,
                        "depth": 1,
                        "nodes": [
                            {
                                "id": "…/" + _ENTITY,
                                "label": "Government of the Republic of Tatarstan",
                                "kind": "RegionalGovernment",
                                "distance": 0,
                            }
                        ],
                        "edges": [
                            {
                                "id": "…/claim/claims/c019",
                                "type": "FundingFlow",
                                "source": "…",
                                "target": "…",
                                "amount": "1050000",
                                "currency": "RUB",
                            }
                        ],
                        "truncated": False,
                    }
                }
            }
        }
    },
)
async def neighborhood(
    filters: ClaimFilters,
    principal: Caller,
    engine: EngineDep,
    id: Annotated[str, Query(description="the entity", examples=[_ENTITY])],
    depth: Annotated[int, Query(ge=1, le=3)] = 1,
) -> Response:
    """The parties within ``depth`` claims of an entity and the claims among them."""
    return EncodedJSON(
        await engine.call_json(service.neighborhood, principal, id, depth=depth, filters=filters)
    )


@router.get(
    "/api/paths",
    tags=["graph"],
    response_model=Paths,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "source": "…/" + _ENTITY,
                        "target": "…/" + _FEDERAL,
                        "mode": "shortest",
                        "paths": [
                            {
                                "length": 2,
                                "nodes": [{"id": "…"}],
                                "claims": [[{"id": "…", "type": "Coordination"}]],
                            }
                        ],
                        "truncated": False,
                    }
                }
            }
        }
    },
)
async def paths(
    filters: ClaimFilters,
    principal: Caller,
    engine: EngineDep,
    source: Annotated[str, Query(examples=[_ENTITY])],
    target: Annotated[str, Query(examples=[_FEDERAL])],
    mode: Annotated[
        str, Query(description="shortest, or all simple paths", examples=["shortest"])
    ] = "shortest",
    max_length: Annotated[int, Query(ge=1, le=6, description="most claims on a path")] = 4,
    directed: Annotated[
        bool, Query(description="follow claims from payer/actor to target only")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Shortest, or all simple, paths of claims between two parties."""
    return EncodedJSON(
        await engine.call_json(
            service.paths,
            principal,
            source,
            target,
            mode=mode,
            max_length=max_length,
            directed=directed,
            limit=limit,
            filters=filters,
        )
    )


@router.get(
    "/api/flows",
    tags=["graph"],
    response_model=Flows,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "group_by": "payer_tier",
                        "rows": [
                            {
                                "group": "regional",
                                "payer_tier": "regional",
                                "currency": "RUB",
                                "amount_basis": "per_recruit",
                                "total": None,
                                "flows": 57,
                                "median": "1100000",
                                "median_low": "500000",
                                "median_high": "1800000",
                                "median_coverage": 0.9669,
                                "min": "0",
                                "max": "4100000",
                            },
                            {
                                "group": "regional",
                                "payer_tier": "regional",
                                "currency": "RUB",
                                "amount_basis": "total",
                                "total": "2000000000",
                                "flows": 1,
                                "median": "2000000000",
                                "median_low": "2000000000",
                                "median_high": "2000000000",
                                "median_coverage": 0.0,
                                "min": "2000000000",
                                "max": "2000000000",
                            },
                        ],
                        "unquantified": {"federal": 1, "regional": 1},
                    }
                }
            }
        }
    },
)
async def flows(
    filters: FlowFilters,
    principal: Caller,
    engine: EngineDep,
    group_by: Annotated[
        str,
        Query(
            description="one or more of " + ", ".join(FLOW_GROUPS) + ", comma-separated",
            examples=["payer_tier", "payer_tier,period"],
        ),
    ] = "payer_tier",
    granularity: Annotated[
        str, Query(description="for group_by=period: year, quarter, month")
    ] = "year",
    purpose: Annotated[
        str | None, Query(description="e.g. enlistment_bonus", examples=["enlistment_bonus"])
    ] = None,
) -> Response:
    """Money per group, currency and amount basis (never mixed): totals of money paid
    out, and the median, minimum and maximum of per-recruit levels (never summed)."""
    return EncodedJSON(
        await engine.call_json(
            service.flows,
            principal,
            group_by=group_by,
            granularity=granularity,
            purpose=purpose,
            filters=filters,
        )
    )


@router.get(
    "/api/export",
    tags=["graph"],
    response_class=Response,
    responses={
        200: {
            "description": "the file",
            "content": {f.media_type: {} for f in formats(*EXPORT_KINDS)},
        }
    },
)
async def export(
    filters: ExportFilters,
    principal: Caller,
    engine: EngineDep,
    format: Annotated[
        str,
        Query(
            description="nquads, trig, jsonld (datasets as named graphs); turtle, "
            "ntriples, rdfxml (their union); graphml, gexf (Gephi), csv (edge list)",
            examples=["graphml"],
        ),
    ] = "nquads",
    datasets: Datasets = None,
) -> Response:
    """Download the datasets you can read (or the named ones) as RDF, or the claims network
    as GraphML, GEXF or a CSV edge list (with the filters)."""
    try:
        media_type = export_format(format).media_type
    except ValueError as problem:
        raise ApiError(400, str(problem)) from None
    path, _count = await engine.call(
        service.export, principal, format, datasets=datasets, filters=filters
    )
    name = "recruitgraph-" + ("-".join(datasets) if datasets else "all") + Path(path).suffix
    return FileResponse(
        path,
        media_type=media_type,
        filename=name,
        background=BackgroundTask(os.unlink, path),
    )
