"""The jobs of the server (graph.server.jobs) on their own: progress, answers, who sees them and
how many are kept. (Jobs through HTTP, with the engine process: tests/test_api_graph.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graph.ingest.progress import Step
from graph.server.auth import Principal
from graph.server.engine import call_progress
from graph.server.jobs import Jobs, TooManyJobs

EDITOR = Principal("editor", "ed", token_id="a1")
#: Another token of the same role and name: another caller.
OTHER = Principal("editor", "ed", token_id="b2")


def test_a_job_tells_its_progress_then_its_answer_to_its_caller_only() -> None:
    async def scenario() -> None:
        jobs = Jobs()
        go_on = asyncio.Event()

        async def upload() -> tuple[int, Any]:
            progress = call_progress.get()  # (what the engine is given for the call)
            assert progress is not None
            progress(Step("write", 0, 10, "triples"))
            progress(Step("write", 4, 10, "triples"))
            await go_on.wait()
            return 422, {"error": "the data is invalid: 1 problem", "problems": [{}]}

        job = jobs.start(EDITOR, "upload", upload)
        await asyncio.sleep(0.01)
        running = job.document()
        assert (running["state"], running["phase"], running["done"], running["total"]) == (
            "running",
            "write",
            4,
            10,
        )
        assert running["unit"] == "triples" and "status" not in running
        assert jobs.get(OTHER, job.id) is None and jobs.get(EDITOR, job.id) is job
        assert jobs.get(EDITOR, job.id[:-1]) is None
        go_on.set()
        await jobs.close()
        ended = job.document()
        assert (ended["state"], ended["status"]) == ("failed", 422)
        assert ended["result"]["problems"] == [{}]

    asyncio.run(scenario())


def test_ended_jobs_are_kept_a_bounded_time_and_number() -> None:
    async def scenario() -> None:
        jobs = Jobs(keep_seconds=3600, keep_count=2)
        go_on = asyncio.Event()

        async def upload() -> tuple[int, Any]:
            await go_on.wait()
            return 201, {"dataset": "mine"}

        first, second = jobs.start(EDITOR, "upload", upload), jobs.start(EDITOR, "upload", upload)
        with pytest.raises(TooManyJobs):  # both places taken by running jobs
            jobs.start(EDITOR, "upload", upload)
        go_on.set()
        await jobs.close()
        assert first.document()["state"] == "done" and first.document()["result"]["dataset"]
        third = jobs.start(EDITOR, "upload", upload)  # the oldest ended job makes room
        assert jobs.get(EDITOR, first.id) is None and jobs.get(EDITOR, second.id) is second
        await jobs.close()
        jobs.keep_seconds = 0  # then none is kept past its time
        await asyncio.sleep(0.01)
        assert jobs.get(EDITOR, second.id) is None and jobs.get(EDITOR, third.id) is None
        assert len(first.id) >= 24 and first.id != second.id  # unguessable

    asyncio.run(scenario())
