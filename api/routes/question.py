"""The question page: ``/`` (the landing page), its data at ``/api/question``, its scripts and
styles at ``/question/assets``.

The page answers the project's question (who runs and who pays, the federal centre or the
provinces, and is that shifting?) with charts of :func:`graph.analysis.question.question`,
computed in the engine (:func:`graph.server.service.question_data`) over the graphs the caller
may read, so a restricted dataset never reaches the page of a caller without the right. Every
script it loads is served here: no CDN.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from api.deps import (
    ERRORS,
    ApiError,
    Caller,
    EncodedJSON,
    EngineDep,
    Filters,
)
from api.models import QuestionData
from api.pending import page_when_ready
from graph.server import service
from graph.viz.page import MEDIA_TYPES
from graph.viz.question import PENDING_ASSETS, QUESTION_ASSETS, question_page

router = APIRouter(responses=ERRORS)


@router.get(
    "/",
    tags=["question"],
    # Errors are JSON: the page's own media type is documented for the page alone.
    response_class=Response,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def question(
    request: Request,
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
) -> Response:
    """The question page: who pays and who operates by tier and year, the regions' share of the
    per-recruit sign-up payment with its interval, enforcement by foreign governments, and
    centralization against chance; each chart with the claims and sources it rests on.

    The figures are computed as a job of the caller's (:mod:`graph.server.jobs`); when they
    take longer than a moment (a large store), the page answers at once with their progress
    and loads itself again when they are ready."""
    root = request.scope.get("root_path", "")
    return await page_when_ready(
        request,
        principal,
        "the figures of the question page",
        lambda: engine.call(service.question_data, principal, filters),
        lambda data: question_page(data, assets_url=f"{root}/question/assets", api_url=root),
    )


@router.get("/api/question", tags=["question"], response_model=QuestionData)
async def question_json(filters: Filters, principal: Caller, engine: EngineDep) -> Response:
    """What the question page draws: per chart (``payers``, ``operators``, ``burden``,
    ``enforcement``, ``centralization``) its rows by year, the ids of the claims it rests on
    and how many are assessments; money by currency and amount basis (per-recruit levels and
    totals never added together); and the claims themselves with their sources
    (``evidence``)."""
    data = await engine.call_json(service.question_data, principal, filters)
    return EncodedJSON(data)


@router.get("/question/assets/{name}", include_in_schema=False)
async def question_asset(name: str) -> FileResponse:
    path = QUESTION_ASSETS.get(name) or PENDING_ASSETS.get(name)
    if path is None:
        raise ApiError(404, f"no question page asset named {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])
