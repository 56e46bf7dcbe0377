"""Pages whose data may take long to compute (the question page, the explorer): they never
keep a reader waiting on one long request (issue 13, item 3).

The data is computed as a job of the caller's (:mod:`graph.server.jobs`, under the write time
limit), found again by the page and its parameters. When it is ready within ``serve
--page-wait`` seconds, the page is answered as usual. Otherwise the answer is, at once, a small
page (:func:`graph.viz.question.pending_page`) that shows the job's progress, polls it and,
when it is done, loads the same address again: the page then finds the job done, and its data,
computed by then, comes from the engine's cache. (A page whose job ends while it waits is
made of that job's data: one engine call.) A page asked for again while its job runs
joins that job.

A page whose data was computed before, at an earlier state of the store, may show that data
instead while its job runs (:func:`data_or_job`'s ``earlier``: the question page after a
write), marked as earlier: a reader then waits neither for the job nor ``--page-wait``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.deps import ApiError, answer_of, jobs_of, settings_of
from graph.server.auth import Principal
from graph.server.engine import call_notes
from graph.server.jobs import Job, Jobs, TooManyJobs
from graph.viz.page import SERVED_POLICY
from graph.viz.question import pending_page

__all__ = [
    "data_or_job",
    "job_key",
    "json_when_ready",
    "noted",
    "page_when_ready",
    "start_job",
]

_Data = TypeVar("_Data")

log = logging.getLogger("recruitgraph.server")

#: Seconds a page that has earlier data to show waits for its job before it shows that data.
EARLIER_WAIT = 0.5

#: Calls for earlier data still running after their page was answered without them (held
#: here until they end: a task nobody holds may be collected before it ends).
_left: set[asyncio.Task[Any]] = set()


def _job(
    request: Request,
    principal: Principal,
    what: str,
    compute: Callable[[], Awaitable[_Data]],
) -> tuple[Job, list[_Data]]:
    """The job of ``compute`` for the request's parameters (found again, or started), and
    the list its data goes into when it is this request's own (a job found done: the data it
    kept, if it kept it)."""
    jobs = jobs_of(request)
    key = job_key(what, request.url.path, request.query_params.multi_items())
    job = jobs.find(principal, key)
    # The data, when this request's own job computes it while the request waits: the job
    # itself keeps only that it is ready (GET /api/jobs/{id} stays small).
    computed: list[_Data] = []
    if job is not None:
        return job, (job.kept or computed) if job.state == "done" else computed
    try:
        job = start_job(jobs, principal, what, key, compute, computed)
    except TooManyJobs:
        raise ApiError(
            503, "too many jobs are running; try again later", headers={"Retry-After": "10"}
        ) from None
    return job, computed


async def _ready(
    request: Request,
    principal: Principal,
    what: str,
    compute: Callable[[], Awaitable[_Data]],
) -> tuple[Job, list[_Data], bool]:
    """The job of ``compute`` for the request's parameters (started, or found again), the data
    when this request's own job computed it, and whether the job ended within ``--page-wait``."""
    job, computed = _job(request, principal, what, compute)
    ready = job.state == "done" or await jobs_of(request).wait(job, settings_of(request).page_wait)
    return job, _noted(computed), ready


def _noted(computed: list[_Data]) -> list[_Data]:
    """``computed``; the view version of its data (a job's) noted (:func:`noted`)."""
    for data in computed[:1]:
        noted(data)
    return computed


def noted(data: _Data) -> _Data:
    """``data``; its view version (a dict's ``version``: data computed outside the request,
    by a job or at an earlier state) noted for the request's ``X-Store-Version``, as an
    engine call of its own would."""
    note = call_notes.get()
    if note is not None and isinstance(data, dict) and data.get("version") is not None:
        note.version = str(data["version"])
    return data


def job_key(what: str, path: str, parameters: Iterable[tuple[str, str]]) -> Hashable:
    """What a page's job computes (:meth:`graph.server.jobs.Jobs.find`): the page (``what``),
    its path and its query parameters in any order.

    >>> job_key("the figures of the question page", "/", [("b", "2"), ("a", "1")])
    ('the figures of the question page', '/', (('a', '1'), ('b', '2')))
    """
    return what, path, tuple(sorted(parameters))


def start_job(
    jobs: Jobs,
    principal: Principal,
    what: str,
    key: Hashable,
    compute: Callable[[], Awaitable[_Data]],
    computed: list[_Data],
    *,
    keep: bool = False,
) -> Job:
    """Start ``compute()`` as the job of ``principal`` that computes ``key`` (see
    :func:`job_key`); its data, when it ends well, goes into ``computed``. A request for the
    same page finds the job (and joins it) until it has been forgotten or a write ends
    (:meth:`~graph.server.jobs.Jobs.written`). ``keep``: the job keeps its data for the
    requests that find it done, which then need no engine call. TooManyJobs when every place
    for a job is taken."""

    async def work() -> tuple[int, Any]:
        status, body = await answer_of(compute, what)
        if status != 200:
            return status, body
        computed.append(body)
        return status, {"ready": True}

    job = jobs.start(principal, what, work, key=key)
    if keep:
        job.kept = computed
    return job


async def page_when_ready(
    request: Request,
    principal: Principal,
    what: str,
    compute: Callable[[], Awaitable[_Data]],
    render: Callable[[_Data], str],
) -> Response:
    """The page ``render`` makes of ``compute()``'s data, or the page of its progress.

    ``what`` names the page (the job's ``operation``, the progress page's words); ``compute``
    is the engine call (a cached operation) for the request's parameters.
    """
    root = request.scope.get("root_path", "")
    headers = {"Content-Security-Policy": SERVED_POLICY}
    job, computed, ready = await _ready(request, principal, what, compute)
    if not ready:
        page = pending_page(
            f"{root}/api/jobs/{job.id}",
            what=what,
            assets_url=f"{root}/question/assets",
            api_url=root,
        )
        return HTMLResponse(page, headers={**headers, "Cache-Control": "no-store"})
    if job.status != 200:
        return JSONResponse(job.result, job.status or 500)
    # Computed by a job earlier (the page loaded again): the engine's cache answers.
    data = computed[0] if computed else await compute()
    return HTMLResponse(render(data), headers=headers)


async def json_when_ready(
    request: Request,
    principal: Principal,
    what: str,
    compute: Callable[[], Awaitable[_Data]],
) -> Response:
    """``compute()``'s data as JSON, or, past ``--page-wait``, 202 with the address of its
    job (``{"job": "/api/jobs/{id}"}`` and ``Location``): the page polls the job and, once it
    is done, asks again, when the engine's cache answers."""
    root = request.scope.get("root_path", "")
    job, computed, ready = await _ready(request, principal, what, compute)
    if not ready:
        url = f"{root}/api/jobs/{job.id}"
        return JSONResponse(
            {"job": url, "state": job.state},
            202,
            headers={"Location": url, "Cache-Control": "no-store"},
        )
    if job.status != 200:
        return JSONResponse(job.result, job.status or 500)
    return JSONResponse(computed[0] if computed else await compute())


async def data_or_job(
    request: Request,
    principal: Principal,
    what: str,
    compute: Callable[[], Awaitable[_Data]],
    earlier: Callable[[], Awaitable[dict[str, Any] | None]] | None = None,
) -> tuple[_Data | None, str, dict[str, Any] | None]:
    """``compute()``'s data when its job (for the request's parameters) ends within
    ``--page-wait``, else None; the address of its job, which a page polls while it draws
    what it can (the question page: each chart as the job gets past it); and the data that
    ``earlier()`` found (the page's data computed at an earlier state of the store: an engine
    call, asked while the job runs), when the job did not end within :data:`EARLIER_WAIT`
    (or ``--page-wait``, if shorter), else None. A job that failed raises its error
    (:class:`~api.deps.ApiError`), as the page would have."""
    root = request.scope.get("root_path", "")
    jobs, wait = jobs_of(request), settings_of(request).page_wait
    started = time.monotonic()
    job, computed = _job(request, principal, what, compute)
    shown: dict[str, Any] | None = None
    if job.state == "done":
        ready = True
    elif earlier is None:
        ready = await jobs.wait(job, wait)
    else:
        # Asked at once, while the job runs: a reader who would wait for the job is shown
        # this instead, and waits no longer than it takes to find.
        found = asyncio.ensure_future(_earlier(earlier, what))
        ready = await jobs.wait(job, min(EARLIER_WAIT, wait))
        if ready:
            _left.add(found)
            found.add_done_callback(_left.discard)
        else:
            shown = await found
            if shown is None:  # nothing earlier: the page waits for its job as usual
                ready = await jobs.wait(job, max(0.0, wait - (time.monotonic() - started)))
    computed = _noted(computed)
    if ready and job.status != 200:
        body = job.result if isinstance(job.result, dict) else {}
        raise ApiError(job.status or 500, str(body.get("error", "the page failed")))
    data = (computed[0] if computed else await compute()) if ready else None
    return data, f"{root}/api/jobs/{job.id}", None if ready else shown


async def _earlier(
    earlier: Callable[[], Awaitable[dict[str, Any] | None]], what: str
) -> dict[str, Any] | None:
    """What ``earlier()`` found; None when it fails (logged: the page is answered without
    it, as if there were nothing earlier to show)."""
    status, body = await answer_of(earlier, f"the earlier {what}")
    if status != 200:
        log.warning("the earlier %s could not be read (%s): %s", what, status, body)
        return None
    return body if isinstance(body, dict) else None
