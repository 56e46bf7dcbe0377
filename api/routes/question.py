"""The question page: ``/`` (the landing page), its data at ``/api/question``, its scripts and
styles at ``/question/assets``.

The page answers the project's question (who runs and who pays, the federal centre or the
provinces, and is that shifting?) with charts of :func:`graph.analysis.question.question`,
computed in the engine (:func:`graph.server.service.question_data`) over the graphs the caller
may read, so a restricted dataset never reaches the page of a caller without the right. Every
script it loads is served here: no CDN.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from api.deps import (
    ERRORS,
    ApiError,
    Caller,
    EncodedJSON,
    EngineDep,
    Filters,
    JobsDep,
    SettingsDep,
    answer_of,
)
from api.models import QuestionData
from graph.server import service
from graph.server.jobs import TooManyJobs
from graph.viz.page import MEDIA_TYPES, SERVED_POLICY
from graph.viz.question import PENDING_ASSETS, QUESTION_ASSETS, pending_page, question_page

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
    jobs: JobsDep,
    settings: SettingsDep,
    job_id: Annotated[str | None, Query(alias="job", include_in_schema=False)] = None,
) -> Response:
    """The question page: who pays and who operates by tier and year, the regions' share of the
    per-recruit sign-up payment with its interval, enforcement by foreign governments, and
    centralization against chance; each chart with the claims and sources it rests on.

    The figures are computed as a job of the caller's (:mod:`graph.server.jobs`); when they
    take longer than a moment (a large store), the page answers at once with their progress
    and loads itself again when they are ready (``job``: the job that computed them)."""
    root = request.scope.get("root_path", "")

    async def compute() -> None:
        await engine.call(service.question_data, principal, filters)

    async def work() -> tuple[int, Any]:
        status, body = await answer_of(compute, "the question page")
        return status, ({"ready": True} if status == 200 else body)

    headers = {"Content-Security-Policy": SERVED_POLICY}
    job = jobs.get(principal, job_id) if job_id else None
    if job is None or job.state != "done":
        try:
            job = jobs.start(principal, "question page", work)
        except TooManyJobs:
            raise ApiError(
                503, "too many jobs are running; try again later", headers={"Retry-After": "10"}
            ) from None
        if not await jobs.wait(job, settings.page_wait):
            page = pending_page(
                job.id,
                f"{root}/api/jobs/{job.id}",
                assets_url=f"{root}/question/assets",
                api_url=root,
            )
            return HTMLResponse(page, headers={**headers, "Cache-Control": "no-store"})
        if job.status != 200:
            return JSONResponse(job.result, job.status or 500)
    # Computed by the job a moment ago: the engine's cache answers.
    data = await engine.call(service.question_data, principal, filters)
    page = question_page(data, assets_url=f"{root}/question/assets", api_url=root)
    return HTMLResponse(page, headers=headers)


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
