"""/docs in a real browser: for every GET route, Swagger UI's "Try it out" then "Execute"
with the values it pre-fills (the documented examples) answers 2xx from a live server over
the default dataset, offline (every request away from 127.0.0.1 is blocked and recorded);
so does every write route once a token is given through "Authorize", but the multipart
upload (Swagger UI cannot pre-fill a file).

A screenshot of the comparison's answer is kept in test-artifacts/screenshots (or
$RECRUITGRAPH_TEST_ARTIFACTS/screenshots)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from graph.store import EmbeddedStore
from tests.helpers import LiveServer, screenshot, serving, watched_page, with_default_dataset

#: The routes the issue names; the test runs every GET route besides.
NAMED = ("/api/metrics/compare", "/api/neighborhood", "/api/paths")
ANSWER = 180_000  # ms: the comparison resamples 199 rounds
#: The write operations (their blocks' ids), in an order in which each example applies: a
#: dataset written and deleted, a graph written, added to and deleted, then restored from
#: the example export; a merge undone; an update.
WRITES = (
    "datasets-put_dataset",
    "datasets-delete_dataset",
    "default-gsp_put",
    "default-gsp_post",
    "default-gsp_delete",
    "datasets-restore",
    "actors-merge_actors",
    "actors-unmerge_actor",
    "default-sparql_post",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    work = tmp_path_factory.mktemp("docs")
    with EmbeddedStore(work / "data") as store:
        with_default_dataset(store)
    with serving(work / "data", work / "server.log") as live:
        yield live


def get_operations(base: str) -> list[tuple[str, str]]:
    """(path, the id of its block in Swagger UI) of every GET operation of /openapi.json."""
    document = httpx.get(f"{base}/openapi.json", timeout=30).json()
    return [
        (path, f"operations-{item['get'].get('tags', ['default'])[0]}-{item['get']['operationId']}")
        for path, item in document["paths"].items()
        # (a job exists once its caller has started one: tests/test_api_graph.py)
        if "get" in item and path != "/api/jobs/{job_id}"
    ]


def try_it_out(page: Page, block_id: str) -> tuple[str, str]:
    """Open an operation, press "Try it out" and "Execute"; (status shown, request URL)."""
    block = page.locator(f"#{block_id}")
    block.locator(".opblock-summary").first.click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=ANSWER)
    answer = status.inner_text().strip(), block.locator(".request-url pre").first.inner_text()
    # Closed again: an open block keeps its rendered answer in the page, and every later
    # operation in a page holding them all took seconds longer (6 s for /healthz, 26 routes in).
    block.locator(".opblock-summary").first.click()
    return answer


def test_try_it_out_answers_2xx_for_every_get_route(server: LiveServer, browser: Browser) -> None:
    operations = get_operations(server.base)
    assert set(NAMED) <= {path for path, _ in operations}
    page, watch = watched_page(browser)
    try:
        page.goto(f"{server.base}/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        answers = {path: try_it_out(page, block_id) for path, block_id in operations}
        failed = {path: answer for path, answer in answers.items() if not answer[0].startswith("2")}
        assert failed == {}
        # The required parameters were filled in from the examples.
        assert "first=2024&second=2025" in answers["/api/metrics/compare"][1]
        assert "id=regional-government%2Fru-ta-government" in answers["/api/neighborhood"][1]
        page.locator("#operations-metrics-compare").scroll_into_view_if_needed()
        assert Path(screenshot(page, "docs-try-it-out")).stat().st_size > 0
        watch.assert_clean()
    finally:
        page.context.close()


def test_try_it_out_writes_with_a_token(server: LiveServer, browser: Browser) -> None:
    document = httpx.get(f"{server.base}/openapi.json", timeout=30).json()
    writes = {
        f"operations-{operation.get('tags', ['default'])[0]}-{operation['operationId']}"
        for item in document["paths"].values()
        for method, operation in item.items()
        if method not in ("get", "head")
    }
    assert writes == {f"operations-{w}" for w in WRITES} | {"operations-datasets-upload_dataset"}
    page, watch = watched_page(browser)
    try:
        page.goto(f"{server.base}/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        page.locator("button.authorize").first.click()
        page.locator(".modal-ux input").first.fill(server.tokens["admin"])
        page.locator(".modal-ux button.authorize").click()
        page.locator(".modal-ux button.btn-done").click()
        answers = {write: try_it_out(page, f"operations-{write}")[0] for write in WRITES}
        assert {w: status for w, status in answers.items() if not status.startswith("2")} == {}
        watch.assert_clean()
    finally:
        page.context.close()
