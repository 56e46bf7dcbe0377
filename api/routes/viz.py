"""The explorer: the page at /viz, its data at /api/viz, its scripts and styles at /viz/assets.

The page and its data come from :mod:`graph.viz` through the engine
(:func:`graph.server.service.explorer_data`), over the graphs the caller may read, so a
restricted dataset never reaches the page of a caller without the right. Everything the page
loads is served here: no CDN.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from api.deps import ERRORS, ApiError, Caller, EncodedJSON, EngineDep, Filters
from api.models import ExplorerData
from api.pending import page_when_ready
from graph.server import service
from graph.viz.network import OPENING_LEVEL
from graph.viz.page import ASSETS, MEDIA_TYPES, explorer_page

router = APIRouter(responses=ERRORS)


@router.get(
    "/viz",
    tags=["explorer"],
    # Errors are JSON: the page's own media type is documented for the page alone.
    response_class=Response,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def viz(
    request: Request,
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
) -> Response:
    """The explorer page over the claims that pass the filters (the page filters further
    by itself, without a reload). Without ``level=`` it opens at the government level. When
    its data takes longer than a moment (a large store), the page answers at once with the
    progress of its computation, a job (:mod:`api.pending`)."""
    if "level" not in request.query_params:
        filters = replace(filters, level=OPENING_LEVEL)
    root = request.scope.get("root_path", "")
    return await page_when_ready(
        request,
        principal,
        "the network of the explorer",
        lambda: engine.call(service.explorer_data, principal, filters, window=None),
        lambda data: explorer_page(data, assets_url=f"{root}/viz/assets", api_url=root),
    )


@router.get(
    "/api/viz",
    tags=["explorer"],
    response_model=ExplorerData,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "synthetic": False,
                        "datasets": [{"name": "claims", "synthetic": False}],
                        "nodes": [{"id": "…", "label": "Russian Ministry of Defence"}],
                        "edges": [{"from": "…", "to": "…", "type": "FundingFlow"}],
                    }
                }
            }
        }
    },
)
async def viz_data(
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
    window: Annotated[
        str | None,
        Query(
            description="add the timeline with windows of this length (ISO 8601)",
            examples=["P12M"],
        ),
    ] = None,
    step: Annotated[str, Query(description="step between windows (ISO 8601)")] = "P3M",
) -> Response:
    """What the explorer draws: pyvis (vis-network) nodes with kind, place, position,
    node measures and the actors each stands for (``level=government`` rolls every actor
    up to its top organization); one edge per relation type and basis between two actors
    (an assessment's dashed), carrying its claims with period, confidence, basis, note,
    own parties, amount with currency and amount basis, and sources (``basis=report``:
    reports only); the legend; optionally the timeline."""
    data = await engine.call_json(
        service.explorer_data, principal, filters, window=window, step=step
    )
    return EncodedJSON(data)


@router.get("/viz/assets/{name}", include_in_schema=False)
async def viz_asset(name: str) -> FileResponse:
    path = ASSETS.get(name)
    if path is None:
        raise ApiError(404, f"no explorer asset named {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])
