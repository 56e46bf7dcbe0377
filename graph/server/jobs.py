"""Jobs: a long call (an upload, a restore) that a client asked to run in the background
(HTTP ``Prefer: respond-async``, RFC 7240), with its progress and, at its end, its answer.

A job runs its call on the server's event loop as a task. The call's steps of progress come
from the engine process (:data:`graph.server.engine.call_progress`) and a
:class:`~graph.ingest.progress.Tracker` gives them a rate and an ETA. A job's id is
unguessable, and only its owner (the same token: :func:`owner_of`) sees it; to anyone else it
does not exist. Finished jobs are kept ``keep_seconds``, and at most ``keep_count`` jobs at
all: a job started past that, while none has finished, is refused.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from graph.ingest.progress import Snapshot, Tracker
from graph.server.auth import Principal
from graph.server.engine import call_in_background, call_notes, call_progress

__all__ = ["Job", "Jobs", "TooManyJobs", "owner_of"]

log = logging.getLogger("recruitgraph.server")

#: What a job runs: its answer, (HTTP status, body); an error is an answer too (a 4xx body).
Work = Callable[[], Awaitable[tuple[int, Any]]]


def owner_of(principal: Principal) -> tuple[str | None, str, str]:
    """Who may see a job: the caller that started it, by token (and role and name).

    >>> owner_of(Principal("editor", "ed", token_id="1f2e"))
    ('1f2e', 'editor', 'ed')
    """
    return principal.token_id, principal.role, principal.name


class TooManyJobs(Exception):
    """Every place for a job is taken by one still running."""


@dataclass
class Job:
    """One background call: ``running``, then ``done`` (a 2xx answer) or ``failed``."""

    id: str
    operation: str
    owner: tuple[str | None, str, str]
    started: float = field(default_factory=time.time)
    state: str = "running"
    progress: Snapshot | None = None
    #: The HTTP status and body the call would have answered with, once it has ended.
    status: int | None = None
    result: Any = None
    ended: float | None = None
    #: What the job computes, for :meth:`Jobs.find` (a page and its parameters); None: not
    #: to be found again.
    key: Hashable = None
    #: The writes the server had seen when the job started (:meth:`Jobs.written`).
    writes: int = 0
    #: The data of a job that keeps it for those who find it done (the server's warm-up of
    #: the landing page: graph.server.warm), else None.
    kept: list[Any] | None = field(default=None, repr=False)
    #: Set when the job has ended.
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def document(self) -> dict[str, Any]:
        """What ``GET /api/jobs/{id}`` answers: state, the progress of the current phase
        (phase, done, total, unit, rate per second, ETA in seconds), and once ended the
        status and body of the answer."""
        step = self.progress
        document: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "state": self.state,
            "phase": None,
            "done": None,
            "total": None,
            "unit": None,
            "rate": None,
            "eta": None,
            "elapsed": round((self.ended or time.time()) - self.started, 3),
        }
        if step is not None:
            document.update(
                phase=step.phase,
                done=step.done,
                total=step.total,
                unit=step.unit,
                rate=None if step.rate is None else round(step.rate, 1),
                eta=None if step.eta is None else round(step.eta, 1),
            )
        if self.state != "running":
            document.update(status=self.status, result=self.result)
        return document


class Jobs:
    """The jobs of one server."""

    def __init__(self, *, keep_seconds: float = 3600.0, keep_count: int = 100) -> None:
        self.keep_seconds = keep_seconds
        self.keep_count = keep_count
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._writes = 0

    def start(self, principal: Principal, operation: str, work: Work, key: Hashable = None) -> Job:
        """Start ``work`` as a job of ``principal`` (``key``: what it computes, see
        :meth:`find`); TooManyJobs when every place is taken."""
        self._prune(room=1)
        if len(self._jobs) >= self.keep_count:
            raise TooManyJobs()
        job = Job(
            secrets.token_urlsafe(18), operation, owner_of(principal), key=key, writes=self._writes
        )
        self._jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(self._run(job, work))
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))
        return job

    async def wait(self, job: Job, seconds: float) -> bool:
        """Wait up to ``seconds`` for ``job`` to end; whether it has."""
        try:
            await asyncio.wait_for(job.finished.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def find(self, principal: Principal, key: Hashable) -> Job | None:
        """The latest job of ``principal`` that computes ``key``, has not failed and began
        after the last write (:meth:`written`), if any: a page asked for again joins its
        computation, or finds it done."""
        self._prune()
        owner = owner_of(principal)
        found = [
            j for j in self._jobs.values()
            if j.key == key and j.owner == owner and j.state != "failed"
            and j.writes == self._writes
        ]  # fmt: skip
        return max(found, key=lambda j: j.started) if found else None

    def written(self) -> None:
        """A write ended (one cut short may have been applied: the engine calls this after
        every write): no job begun before it is found again (:meth:`find`), so that a page
        asked for after a write is computed from the store after it."""
        self._writes += 1

    def get(self, principal: Principal, job_id: str) -> Job | None:
        """Job ``job_id`` if ``principal`` started it; None for any other (or no) job."""
        self._prune()
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner_of(principal) else None

    async def close(self) -> None:
        """At shutdown, before the engine stops: wait for the jobs still running (an upload
        finishes), but stop those that only read for a page (a ``key``: the question page's
        figures, the server's warm-up), which nobody needs once the server is gone; they end
        ``failed`` with 503. (What the engine process computes for them is not stopped, since
        pyoxigraph cannot cancel: the engine's own stop waits for it a while, then kills it.)"""
        for job_id, task in self._tasks.items():
            job = self._jobs.get(job_id)
            if job is not None and job.key is not None:
                task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _run(self, job: Job, work: Work) -> None:
        # (in the task's own copy of the request's context)
        call_notes.set(None)  # the request that started it has been answered
        call_in_background.set(True)

        def seen(snapshot: Snapshot) -> None:
            job.progress = snapshot

        call_progress.set(Tracker(seen))
        try:
            job.status, job.result = await work()
        except asyncio.CancelledError:  # (a page's job at shutdown: close)
            job.status, job.result = 503, {"error": "the server is shutting down", "status": 503}
            raise
        except Exception:  # work answers its errors; this is a bug
            log.exception("job %s (%s) failed", job.id, job.operation)
            job.status, job.result = 500, {"error": "internal error", "status": 500}
        finally:
            job.state = "done" if job.status is not None and job.status < 400 else "failed"
            job.ended = time.time()
            job.finished.set()

    def _prune(self, room: int = 0) -> None:
        """Forget finished jobs older than ``keep_seconds``, then the oldest finished ones
        past ``keep_count`` less ``room``."""
        now = time.time()
        finished = sorted(
            (j for j in self._jobs.values() if j.ended is not None), key=lambda j: j.ended or 0
        )
        for job in finished:
            too_many = len(self._jobs) + room > self.keep_count
            if too_many or now - (job.ended or now) > self.keep_seconds:
                del self._jobs[job.id]
