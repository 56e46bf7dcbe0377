"""The question page: ``/`` (the landing page), its data at ``/api/question`` (one chart of it,
as the page draws it, at ``/api/question/{chart}``), its scripts and styles at
``/question/assets``.

The page answers the project's question (who runs and who pays, the federal centre or the
provinces, and is that shifting?) with charts of :func:`graph.analysis.question.question`,
computed in the engine (:func:`graph.server.service.question_data`) over the graphs the caller
may read, so a restricted dataset never reaches the page of a caller without the right. Every
script it loads is served here: no CDN.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.deps import (
    ERRORS,
    ApiError,
    Caller,
    EncodedJSON,
    EngineDep,
    Filters,
    default_filters,
)
from api.models import JobStarted, QuestionData, QuestionPart
from api.pending import data_or_job, job_key, json_when_ready, noted, start_job
from graph.analysis.question import CHARTS, QUESTION
from graph.server import service
from graph.server.auth import ANONYMOUS
from graph.server.engine import Engine
from graph.server.jobs import Jobs
from graph.server.warm import WarmFailed
from graph.viz.page import MEDIA_TYPES, SERVED_POLICY
from graph.viz.question import PENDING_ASSETS, QUESTION_ASSETS, question_page

router = APIRouter(responses=ERRORS)

#: The job of the page's figures (its operation, the words of its progress).
PAGE_JOB = "the figures of the question page"


async def warm_question_page(jobs: Jobs, engine: Engine) -> str | None:
    """The server's warm-up (:mod:`graph.server.warm`): the figures of ``/`` as an anonymous
    reader asks for it, without parameters, computed by the page's own job, which a reader's
    request for ``/`` finds and joins, or finds done; the view version they were computed
    at. Only what an anonymous caller may read goes in: a caller with a token has a job (and
    a computation) of its own.

    The job keeps the figures (the page's: bounded, megabytes at 100,000 actors) for the
    readers who find it done, until the next write, when a warm-up begins again: the
    engine's cache may not hold every chart of a large store (the projection alone fills
    it), and the page must not be computed again in a reader's request. Only where every
    write passes through this server (an embedded store, as for the answer cache); over a
    remote store a reader's page asks the engine, whose cache the warm-up filled."""
    computed: list[dict[str, Any]] = []
    job = start_job(
        jobs,
        ANONYMOUS,
        PAGE_JOB,
        job_key(PAGE_JOB, "/", ()),
        partial(engine.call, service.question_page_data, ANONYMOUS, default_filters()),
        computed,
        keep=engine.spec.sees_every_write,
    )
    await job.finished.wait()
    if not computed:
        body = job.result if isinstance(job.result, dict) else {}
        raise WarmFailed(f"{job.status}: {body.get('error', 'no figures')}")
    version = computed[0].get("version")
    return None if version is None else str(version)


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

    The charts are computed as a job of the caller's (:mod:`graph.server.jobs`), from one
    projection, the cheap ones first. When they take longer than ``--page-wait`` (a large
    store), the page answers at once with every card showing the job's progress, and draws
    each chart as soon as the job is past it (``/api/question/{chart}``): a reader never
    waits on the slowest chart. After a write, while the job computes the figures of the data
    as it is now, the page shows at once those computed before it (kept beside an embedded
    store), whole and marked as such, and offers to show the new ones when they are ready."""
    root = request.scope.get("root_path", "")
    data, job, kept = await data_or_job(
        request,
        principal,
        PAGE_JOB,
        partial(engine.call, service.question_page_data, principal, filters),
        earlier=partial(engine.call, service.question_page_earlier, principal, filters),
    )
    earlier = None
    if kept is not None:
        # The figures of before the latest write, whole, under the version they were
        # computed at, while the job computes those of now (marked so unless they are).
        data = noted({**kept["figures"], "version": kept["figures_version"]})
        earlier = None if kept["current"] else (kept["computed"], job)
    pending = None if data is not None else (CHARTS, job)
    if data is None:
        data = {"question": QUESTION, "charts": {}, "evidence": {}}
    page = question_page(
        data,
        assets_url=f"{root}/question/assets",
        api_url=root,
        pending=pending,
        earlier=earlier,
    )
    headers = {"Content-Security-Policy": SERVED_POLICY}
    if pending or kept is not None:
        headers["Cache-Control"] = "no-store"
    return HTMLResponse(page, headers=headers)


@router.get(
    "/api/question/{chart}",
    tags=["question"],
    response_model=QuestionPart,
    responses={
        202: {
            "model": JobStarted,
            "description": "Still being computed: poll the job, then ask again",
        }
    },
)
async def question_chart(
    request: Request,
    chart: Annotated[
        str, Path(description=f"one of the page's charts: {', '.join(CHARTS)}", examples=["payers"])
    ],
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
) -> Response:
    """One chart of the question page, as the page draws it on its card: its rows, the claims
    it rests on (``evidence``), its Vega-Lite ``specs`` and data ``tables``, and what the whole
    projection rests on (``claims``, ``assessments``, ``datasets``, ``synthetic``). A job past
    ``--page-wait`` (the burden share's interval and the centralization's null band take
    longest): 202 with the job's address, which the page polls."""
    if chart not in CHARTS:
        raise ApiError(404, f"no chart named {chart!r} (charts: {', '.join(CHARTS)})")
    return await json_when_ready(
        request,
        principal,
        f"the {chart} chart of the question page",
        partial(engine.call, service.question_chart, principal, filters, chart),
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
