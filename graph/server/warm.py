"""The warm-up: the server computes in the background what an anonymous reader's landing page
needs, at start and after every write, so that a reader arriving afterwards gets the whole page
at once (issue 13, item 3), as a BI server warms its default dashboards.

:class:`Warmer` holds the policy, not the computation: it runs one coroutine of the
application's (``warm``: for the question page, :func:`api.routes.question.warm_question_page`,
the page's own job, which a reader's request for the same page joins), one at a time. A
:meth:`Warmer.kick` while one runs (a write during it) supersedes it: its figures are of the
store before the write, and one more warm-up starts as soon as it ends; every kick meanwhile
folds into that one. The older one is not cancelled, since what the engine process computes
for it cannot be stopped, and is not waited for in vain either: its computation runs again
at the new version when a write lands during it (:func:`graph.store.consistency.consistent`),
so the next finds most of its work cached. A burst of writes thus costs at most two warm-ups,
never one per write. A failure is logged and shown in ``/healthz``; it never stops the server.
:meth:`Warmer.close` (at shutdown) cancels the one running.

The warm-up runs as a background call of the engine (under the write time limit, in the
analysis lane, whose threads run at a lower priority: see
:class:`~graph.server.engine.StoreSpec`), so it never holds up start-up, health checks or
foreground queries beyond the share of the analysis lane any one caller may hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["WarmFailed", "Warmer"]

log = logging.getLogger("recruitgraph.server")

#: What a warm-up runs: it computes the default views and returns the view version it warmed
#: (None if it cannot tell), or raises :class:`WarmFailed` (or any error: a bug, logged).
Warm = Callable[[], Awaitable[str | None]]


class WarmFailed(Exception):
    """The warm-up's computation answered with an error (its message says which)."""


class Warmer:
    """Runs ``warm`` in the background, one at a time, the latest :meth:`kick` winning.

    ``warm`` None: the warm-up is off (``serve --no-warm``; or no anonymous reader).

    Examples
    --------
    >>> async def warm() -> str:
    ...     return "v1"
    >>> async def main() -> dict:
    ...     warmer = Warmer(warm)
    ...     warmer.kick()
    ...     await warmer.settled()
    ...     await warmer.close()
    ...     return warmer.state()
    >>> state = asyncio.run(main())
    >>> state["state"], state["version"], state["runs"]
    ('done', 'v1', 1)
    >>> Warmer(None).state()["state"]
    'off'
    """

    def __init__(self, warm: Warm | None) -> None:
        self._warm = warm
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        #: ``off``, ``idle`` (not started yet), ``running``, ``done`` or ``failed``.
        self.current = "off" if warm is None else "idle"
        self.version: str | None = None
        self.seconds: float | None = None
        self.error: str | None = None
        #: Warm-ups started, and how many were superseded (a write during them: one more
        #: followed).
        self.runs = 0
        self.superseded = 0
        self._again = False
        self._started = 0.0

    def kick(self) -> None:
        """Warm up (again): at start, and after a write. While one runs, one more follows it."""
        if self._warm is None or self._closing:
            return
        if self._task is not None and not self._task.done():
            if not self._again:
                self._again = True
                self.superseded += 1
            return
        # In a context of its own, not the writer's request's (its address, its notes).
        self._task = asyncio.get_running_loop().create_task(
            self._run(), context=contextvars.Context()
        )

    async def _run(self) -> None:
        assert self._warm is not None
        while True:
            self._again = False
            self.runs += 1
            self.current, self.error, self._started = "running", None, time.monotonic()
            try:
                version = await self._warm()
            except WarmFailed as failure:
                self._ended("failed", None, str(failure))
                log.warning("the warm-up failed: %s", failure)
            except Exception as bug:  # never stops the server; logged with its traceback
                self._ended("failed", None, f"internal error: {type(bug).__name__}")
                log.exception("the warm-up failed")
            else:
                self._ended("done", version, None)
                log.info("warmed up the landing page in %.1f s (version %s)", self.seconds, version)
            if not self._again or self._closing:
                return

    def _ended(self, state: str, version: str | None, error: str | None) -> None:
        self.current, self.error = state, error
        self.version = version
        self.seconds = round(time.monotonic() - self._started, 3)

    async def settled(self) -> None:
        """Wait until the latest warm-up has ended (for tests and benchmarks)."""
        while (task := self._task) is not None and not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    async def close(self) -> None:
        """Stop the warm-up running (at shutdown); no more start."""
        self._closing = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def state(self) -> dict[str, Any]:
        """What ``/healthz`` shows: ``state`` (off, idle, running, done, failed), the view
        version warmed, the seconds the last warm-up took (so far, while one runs), its
        error, and how many ran and were superseded."""
        seconds = self.seconds
        if self.current == "running":
            seconds = round(time.monotonic() - self._started, 3)
        return {
            "state": self.current,
            "version": self.version,
            "seconds": seconds,
            "error": self.error,
            "runs": self.runs,
            "superseded": self.superseded,
        }
