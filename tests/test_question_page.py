"""The question page at / in Debian's Chromium through Playwright, against a real server over
the default dataset, and the single file of `recruitgraph report` opened from disk: it opens
clean (nothing requested away from 127.0.0.1, no console error), every chart draws, says how
many claims it rests on, and a click lists them with their sources. Screenshots:
test-artifacts/screenshots/question-*.png."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from graph.store import EmbeddedStore
from tests.helpers import (
    LiveServer,
    Watch,
    run_cli,
    screenshot,
    serving_default_dataset,
    watched_page,
    with_default_dataset,
)

READY = 30_000  # ms
CHARTS = ("payers", "operators", "burden", "enforcement", "centralization")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving_default_dataset(tmp_path_factory.mktemp("question-page")) as live:
        yield live


def _drawn(page: Page) -> None:
    """Wait until every chart that has a plot holds its svg."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.plot')].length > 0 &&
                 [...document.querySelectorAll('.plot')].every((p) => p.querySelector('svg'))""",
        timeout=READY,
    )


@pytest.fixture
def landing(browser: Browser, server: LiveServer) -> Iterator[tuple[Page, Watch]]:
    opened, watch = watched_page(browser, viewport=(1440, 900))
    opened.goto(f"{server.base}/", wait_until="networkidle")
    _drawn(opened)
    try:
        yield opened, watch
    finally:
        opened.context.close()


def _number(text: str) -> int:
    """A count as the page writes it (with thousands separators: 3,281)."""
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", text), text
    return int(text.replace(",", ""))


def _check_charts(page: Page) -> None:
    for name in CHARTS:
        card = page.locator(f'[data-chart="{name}"]')
        assert card.locator(".plot svg").count() >= 1, f"{name}: nothing drawn"
        count = _number(card.locator(".evidence .count").inner_text())
        assert count > 0, f"{name}: no claim count"
        assert card.locator(".plot .mark-group, .plot .role-mark").count() > 0


def test_the_landing_page_opens_clean_and_draws_every_chart(
    landing: tuple[Page, Watch],
) -> None:
    page, watch = landing
    _check_charts(page)
    # one payers panel per currency and amount basis (RUB levels, RUB totals, USD levels)
    assert page.locator('[data-chart="payers"] .plot svg').count() == 3
    assert "per recruit" in page.locator('[data-chart="payers"]').inner_text()
    burden = page.locator('[data-chart="burden"] .reading').inner_text()
    assert burden.startswith("Median regional share per recruit: ") and "%" in burden
    assert "null band" in page.locator('[data-chart="centralization"] .reading').inner_text()
    screenshot(page, "question-landing")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    screenshot(page, "question-landing-bottom")
    watch.assert_clean()


def test_a_click_lists_the_claims_with_their_sources(landing: tuple[Page, Watch]) -> None:
    page, watch = landing
    card = page.locator('[data-chart="burden"]')
    count = _number(card.locator(".evidence .count").inner_text())
    card.locator(".show-claims").click()
    table = card.locator(".claims table")
    table.wait_for(timeout=READY)
    assert table.locator("tbody tr").count() == count
    first = table.locator("tbody tr").first
    source = first.locator("td").last.locator("a").first
    assert source.get_attribute("href").startswith("http")
    assert source.get_attribute("rel") == "noopener noreferrer"
    actor = first.locator("td.what a").first
    assert actor.get_attribute("href").startswith("/viz?focus=https%3A%2F%2Fw3id.org")
    # relations in a reader's words, not the model's class names
    assert "Funding flow" in first.locator("td.what .relation").inner_text()
    assert "FundingFlow" not in table.inner_text()
    card.scroll_into_view_if_needed()
    screenshot(page, "question-claims")
    card.locator(".show-claims").click()
    assert card.locator(".claims").is_hidden()
    watch.assert_clean()


def test_a_chart_its_data_and_its_claims_are_reached_by_keyboard(
    landing: tuple[Page, Watch],
) -> None:
    page, watch = landing
    card = page.locator('[data-chart="burden"]')
    plot = card.locator(".plot").first
    # Tab reaches the chart, which says what it shows
    page.keyboard.press("Tab")
    for _ in range(60):  # the header's links, then each chart and its controls in turn
        if page.evaluate(
            "document.activeElement.closest('[data-chart=\"burden\"] .plot') !== null"
        ):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the burden chart")
    label = plot.get_attribute("aria-label")
    assert label.startswith("Burden share per recruit") and "Line chart" in label
    assert "Median regional share per recruit" in label  # the reading, in words
    assert plot.get_attribute("role") == "figure"
    # Enter: the claims behind the chart, listed under it, with the keyboard there
    page.keyboard.press("Enter")
    claims = card.locator(".claims")
    claims.locator("table").wait_for(timeout=READY)
    count = _number(card.locator(".evidence .count").inner_text())
    assert claims.locator("tbody tr").count() == count
    assert page.evaluate("document.activeElement.classList.contains('claims')")
    # from the claims to their actors and sources, by keyboard
    page.keyboard.press("Tab")
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href.startswith(("/viz?focus=", "http"))
    # the data as a table: back past the claims' button to its disclosure, open it with Enter
    passed = []
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        passed.append(
            page.evaluate("document.activeElement.tagName + '.' + document.activeElement.className")
        )
        if passed[-1].startswith("SUMMARY"):
            break
    assert passed[-1] == "SUMMARY.", passed
    assert "BUTTON.show-claims" in passed
    summary = card.locator(".data summary")
    page.keyboard.press("Enter")
    table = card.locator(".data table")
    assert table.is_visible()
    rows = table.locator("tbody tr")
    periods = page.evaluate(
        "() => window.__periods = JSON.parse(document.getElementById('question-data')"
        ".textContent).charts.burden.rows.map((r) => r.period)"
    )
    assert (
        rows.count() == len(periods) and rows.first.locator("td").first.inner_text() == periods[0]
    )
    assert rows.first.locator("td").nth(1).inner_text().endswith("%")
    # a row's claims, followed by keyboard: Tab to its button, Enter
    last = rows.last.locator("button.row-claims")
    behind = len(last.get_attribute("data-claims").split())
    for _ in range(2 * rows.count() + 2):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.label") == periods[-1]:
            break
    else:
        pytest.fail("Tab never reached the last row's claims")
    page.keyboard.press("Enter")
    said = claims.locator(".claims-of").inner_text()
    assert said == f"The {behind:,} claims behind {periods[-1]}:"
    assert claims.locator("tbody tr").count() == behind
    assert page.evaluate("document.activeElement.classList.contains('claims')")
    summary.scroll_into_view_if_needed()
    screenshot(page, "question-keyboard")
    watch.assert_clean()


def test_a_click_on_a_bar_lists_the_claims_behind_it(landing: tuple[Page, Watch]) -> None:
    page, watch = landing
    card = page.locator('[data-chart="operators"]')
    bar = card.locator(".plot .mark-rect path").first
    bar.click()
    claims = card.locator(".claims")
    claims.locator("table").wait_for(timeout=READY)
    words = claims.locator(".claims-of").inner_text()
    assert re.fullmatch(r"The \d+ claims? behind \d{4}, \w+, (report|assessment):", words), words
    shown = int(words.split()[1])
    assert claims.locator("tbody tr").count() == shown > 0
    watch.assert_clean()


def test_the_single_file_opens_offline(
    browser: Browser, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    with EmbeddedStore(cli_env["RECRUITGRAPH_DATA_DIR"]) as store:
        with_default_dataset(store)
    out = tmp_path / "question.html"
    done = run_cli("report", "--out", str(out), env=cli_env, timeout=300)
    assert done.returncode == 0, done.stderr
    page, watch = watched_page(browser, viewport=(1440, 900))
    try:
        page.goto(out.as_uri(), wait_until="load")
        _drawn(page)
        _check_charts(page)
        card = page.locator('[data-chart="enforcement"]')
        card.locator(".show-claims").click()
        rows = card.locator(".claims tbody tr")
        assert rows.count() == _number(card.locator(".evidence .count").inner_text())
        # no server behind a file: actors are named, not linked to an explorer
        assert rows.first.locator("td.what a").count() == 0
        screenshot(page, "question-file")
        watch.assert_clean()
    finally:
        page.context.close()


# --------------------------------------------------------------------------------------------
# A page whose figures take a while: it answers at once with their progress (issue 13, item 3)


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that never waits for the figures (``--page-wait 0``), as one over a store
    whose figures take minutes would not."""
    with serving_default_dataset(tmp_path_factory.mktemp("slow"), "--page-wait", "0") as live:
        yield live


def test_a_page_whose_figures_are_not_ready_answers_at_once_and_polls_them(
    browser: Browser, slow_server: LiveServer
) -> None:
    opened, watch = watched_page(browser, viewport=(1440, 900))
    try:
        answer = opened.goto(f"{slow_server.base}/?basis=report")
        assert answer is not None and answer.ok
        assert answer.headers["cache-control"] == "no-store"
        assert opened.locator("#pending-status").is_visible()
        screenshot(opened, "question-pending")
        # the job ends, the page loads itself again, at the same address
        opened.wait_for_selector("#question-data", state="attached", timeout=READY)
        _drawn(opened)
        assert opened.url == f"{slow_server.base}/?basis=report"
        assert opened.locator("#pending-status").count() == 0
        assert opened.locator("[data-chart=payers] .count").inner_text().isdigit()
        watch.assert_clean()
    finally:
        opened.context.close()


def test_a_page_asked_again_joins_its_job_and_then_finds_it_done(
    slow_server: LiveServer,
) -> None:
    with httpx.Client(base_url=slow_server.base, timeout=30) as client:
        first = client.get("/", params={"basis": "assessment"})
        again = client.get("/", params={"basis": "assessment"})
        job = re.search(r'"job":"([^"]+)"', first.text)
        assert job is not None and f'"job":"{job[1]}"' in again.text, "the same job"
        for _ in range(300):  # bounded: 30 s
            state = client.get(job[1]).json()
            if state["state"] != "running":
                break
            time.sleep(0.1)
        assert state["state"] == "done", state
        ready = client.get("/", params={"basis": "assessment"})
        assert 'id="question-data"' in ready.text
        # other parameters are another computation
        other = client.get("/", params={"basis": "report", "end": "2025-12-31"})
        assert 'id="pending-status"' in other.text


def test_the_explorer_too_answers_at_once_and_polls_its_network(
    browser: Browser, slow_server: LiveServer
) -> None:
    opened, watch = watched_page(browser, viewport=(1440, 900))
    try:
        opened.goto(f"{slow_server.base}/viz?basis=report")
        assert "network of the explorer" in opened.locator("#pending-status").inner_text()
        opened.wait_for_selector("body[data-ready=true]", timeout=READY)
        screenshot(opened, "explorer-after-progress")
        watch.assert_clean()
    finally:
        opened.context.close()


def test_the_cheap_cards_are_drawn_while_a_slow_chart_is_still_computed(
    browser: Browser, slow_server: LiveServer
) -> None:
    """Every chart a job (``--page-wait 0``); the parts of the two resampled charts held back
    (as on a large store, where they come last): the others are drawn meanwhile, and the held
    cards show their progress until their parts come."""
    opened, watch = watched_page(browser, viewport=(1440, 900))
    held: list[Route] = []
    slow = ("burden", "centralization")

    released = False

    def hold(route: Route) -> None:
        # (with --page-wait 0 a part is asked for twice: a 202 and its job, then the part)
        if released:
            route.continue_()
        else:
            held.append(route)

    opened.route(re.compile(r".*/api/question/(burden|centralization)(\?.*)?$"), hold)
    try:
        answer = opened.goto(f"{slow_server.base}/?min_confidence=low")
        assert answer is not None and answer.ok
        assert opened.locator("#pending-status").is_visible()
        for name in ("payers", "operators", "enforcement"):
            opened.locator(f'[data-chart="{name}"] .plot svg').first.wait_for(timeout=READY)
        for name in slow:
            card = opened.locator(f'[data-chart="{name}"]')
            assert card.get_attribute("aria-busy") == "true"
            assert card.locator(".plot svg").count() == 0
            assert card.locator(".pending .progress").inner_text().startswith("Comput")
        assert opened.locator("#pending-status").is_visible()
        assert opened.locator("#scope-claims").inner_text().split()[0].replace(",", "").isdigit()
        screenshot(opened, "question-cheap-cards-first")
        # both parts asked for (their jobs end within seconds; 30 s at most, as READY: a loaded
        # machine took more than 10)
        for _ in range(300):
            if len(held) == len(slow):
                break
            opened.wait_for_timeout(100)
        assert len(held) == len(slow)
        released = True
        for route in held:
            route.continue_()
        _drawn(opened)
        assert opened.locator("#pending-status").count() == 0
        assert opened.locator("[aria-busy=true]").count() == 0
        _check_charts(opened)
        watch.assert_clean()
    finally:
        opened.context.close()
