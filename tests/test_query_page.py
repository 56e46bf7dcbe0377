"""The SPARQL query page (/sparql in a browser): YASGUI served from the package, in Debian's
Chromium through Playwright against a real server over the default dataset. The editor
highlights and completes the store's own vocabulary, marks where the server says a query is
wrong, keeps the query in the address bar; results sort, page and filter, show values without
datatype tags, link actors to the explorer, and download in the format of their kind. Nothing
is loaded from anywhere but the server. Screenshots: test-artifacts/screenshots/query-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser, Page

from tests.helpers import (
    LiveServer,
    Watch,
    screenshot,
    serving_default_dataset,
    watched_page,
)

READY = 20_000  # ms
#: Claims with their sources: more rows than one page of the table holds.
MANY = "SELECT ?claim ?source WHERE { ?claim prov:wasDerivedFrom ?source }"
CONSTRUCT = "CONSTRUCT { ?a rdfs:label ?l } WHERE { ?a a rg:RegionalGovernment ; rdfs:label ?l }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving_default_dataset(tmp_path_factory.mktemp("query-page")) as live:
        yield live


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[tuple[Page, Watch]]:
    opened, watch = watched_page(browser)
    opened.set_viewport_size({"width": 1440, "height": 900})
    opened.goto(f"{server.base}/sparql", wait_until="networkidle")
    opened.wait_for_selector(".yasqe .CodeMirror", timeout=READY)
    try:
        yield opened, watch
    finally:
        opened.context.close()


def set_query(page: Page, text: str) -> None:
    page.evaluate("(text) => { recruitgraphQuery.yasgui.getTab().setQuery(text); }", text)


def run(page: Page) -> None:
    # Wait for the results of this run to be drawn: the chip and busy marker of a run before
    # it would let a loaded machine read the previous table.
    page.evaluate(
        """() => { window.__drawn = false;
            const yasr = recruitgraphQuery.yasgui.getTab().getYasr();
            yasr.once("drawn", () => { window.__drawn = true; }); }"""
    )
    page.click(".yasqe .yasqe_queryButton")
    page.wait_for_function("() => window.__drawn === true", timeout=READY)
    page.wait_for_function("() => !document.querySelector('.yasqe .query_busy')", timeout=READY)


def hints(page: Page, text: str) -> list[str]:
    """The completions offered with the cursor at the end of ``text``."""
    set_query(page, text)
    page.click(".yasqe .CodeMirror-code")
    page.keyboard.press("Control+End")
    page.keyboard.press("Control+Space")
    page.wait_for_selector(".CodeMirror-hint", timeout=5_000)
    found: list[str] = page.eval_on_selector_all(
        ".CodeMirror-hint", "(items) => items.map((i) => i.textContent)"
    )
    page.keyboard.press("Escape")
    return found


def test_opens_offline_with_the_editor_and_the_vocabulary(page: tuple[Page, Watch]) -> None:
    opened, watch = page
    assert opened.locator(".cm-keyword, .cm-variable-2, .cm-string-2").count() > 0  # highlighted
    # The store's prefixes need no declaration: the editor does not flag them.
    assert opened.evaluate("() => recruitgraphQuery.yasgui.getTab().getYasqe().queryValid")
    assert opened.locator(".parseErrorIcon").count() == 0
    assert "rg:FundingFlow" in hints(opened, "SELECT * WHERE {\n  ?s a rg:Fun")
    assert hints(opened, "SELECT * WHERE {\n  ?s rg:amountB") == ["rg:amountBasis"]
    assert "schema:amount" in hints(opened, "SELECT * WHERE {\n  ?s schema:am")
    # The server's prefixes are offered as the server declares them ...
    assert "rg: <https://w3id.org/recruitgraph/ontology#>" in hints(opened, "PREFIX r")
    assert "schema: <https://schema.org/>" in hints(opened, "PREFIX sch")
    # ... and never declared again with another namespace as one types them.
    set_query(opened, "SELECT * WHERE {\n  ?s ")
    opened.click(".yasqe .CodeMirror-code")
    opened.keyboard.press("Control+End")
    opened.keyboard.type("schema:amount ?o }")
    opened.wait_for_timeout(300)
    typed = opened.evaluate("() => recruitgraphQuery.yasgui.getTab().getQuery()")
    assert typed == "SELECT * WHERE {\n  ?s schema:amount ?o }"
    screenshot(opened, "query-completion")
    watch.assert_clean()


def test_results_sort_page_filter_and_show_plain_values(page: tuple[Page, Watch]) -> None:
    opened, watch = page
    run(opened)  # the first example: totals paid, per payer and currency
    cells = opened.locator(".yasr table.dataTable tbody td").all_inner_texts()
    assert cells and not any("^^" in c or "xsd:" in c for c in cells)  # no datatype tags
    set_query(opened, MANY)
    run(opened)
    info = opened.locator(".dataTables_info, .dt-info").inner_text()
    assert "of" in info and "Showing 1 to 50" in info  # paged
    first = opened.locator(".yasr table.dataTable tbody tr").first.inner_text()
    opened.locator(".yasr table.dataTable thead th", has_text="claim").first.click()
    opened.locator(".yasr table.dataTable thead th", has_text="claim").first.click()
    assert opened.locator(".yasr table.dataTable tbody tr").first.inner_text() != first  # sorted
    opened.locator(".yasr .tableFilter").press_sequentially("claims/c00")
    opened.wait_for_function(
        "() => document.querySelectorAll('.yasr table.dataTable tbody tr').length < 50"
    )
    shown = opened.locator(".yasr table.dataTable tbody tr").all_inner_texts()
    assert 0 < len(shown) < 10 and all("claims/c00" in row for row in shown)  # filtered
    screenshot(opened, "query-results")
    watch.assert_clean()


def test_the_query_lives_in_the_address_bar(page: tuple[Page, Watch], server: LiveServer) -> None:
    opened, watch = page
    set_query(opened, CONSTRUCT)
    run(opened)
    assert "query=CONSTRUCT" in opened.url.replace("+", " ").replace("%7B", "{") or (
        "CONSTRUCT" in opened.evaluate("() => decodeURIComponent(location.hash)")
    )
    link = opened.url
    assert "#" in link and "Bearer" not in link
    other, other_watch = watched_page(opened.context.browser)  # type: ignore[arg-type]
    try:
        other.goto(link, wait_until="networkidle")
        other.wait_for_selector(".yasqe .CodeMirror", timeout=READY)
        text = other.evaluate("() => recruitgraphQuery.yasgui.getTab().getQuery()")
        assert text == CONSTRUCT
        other_watch.assert_clean()
    finally:
        other.context.close()
    watch.assert_clean()


def test_the_servers_error_is_marked_where_it_says(page: tuple[Page, Watch]) -> None:
    opened, _ = page
    set_query(opened, "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = )\n}")
    run(opened)
    message = opened.locator(".yasr .errorResult").inner_text()
    assert "400" in message and "malformed SPARQL query" in message
    marked = opened.evaluate(
        """() => { const y = recruitgraphQuery.yasgui.getTab().getYasqe();
            return [...Array(y.lineCount()).keys()].filter((i) =>
                (y.lineInfo(i).bgClass || "").includes("rg-error-line")); }"""
    )
    position = message.split("error at ")[1].split(":")[0]
    assert marked == [int(position) - 1]
    assert opened.locator(".rg-error-gutter").count() == 1
    screenshot(opened, "query-error")
    # Mended, the mark goes.
    set_query(opened, "ASK {}")
    run(opened)
    assert opened.locator(".rg-error-gutter").count() == 0


def test_actors_open_in_the_explorer(page: tuple[Page, Watch]) -> None:
    opened, watch = page
    set_query(opened, "SELECT ?actor WHERE { ?actor a rg:FederalBody } LIMIT 3")
    run(opened)
    hrefs = opened.eval_on_selector_all(".yasr table a.iri", "(links) => links.map((a) => a.href)")
    assert hrefs and all("/viz?" in h and "focus=" in h for h in hrefs)
    opened.goto(hrefs[0])
    opened.wait_for_selector("body[data-ready=true]", timeout=READY)
    opened.wait_for_selector("#details:not([hidden])", timeout=READY)
    actor = unquote(hrefs[0].split("focus=")[1])
    selected = opened.evaluate("() => window.explorer.network.getSelectedNodes()")
    assert selected == [actor]
    screenshot(opened, "query-actor-in-explorer")
    watch.assert_clean()


@pytest.mark.parametrize(
    ("query", "view", "suffix"),
    [("SELECT * WHERE { ?s ?p ?o } LIMIT 5", "table", ".csv"), (CONSTRUCT, "response", ".ttl")],
)
def test_downloads_match_the_kind_of_result(
    page: tuple[Page, Watch], tmp_path: Path, query: str, view: str, suffix: str
) -> None:
    opened, watch = page
    set_query(opened, query)
    run(opened)
    opened.click(f".yasr .select_{view}")
    with opened.expect_download() as download:
        opened.click(".yasr .yasr_downloadIcon")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == suffix
    text = saved.read_text()
    if suffix == ".csv":
        assert sorted(text.splitlines()[0].replace('"', "").split(",")) == ["o", "p", "s"]
    else:
        assert "@prefix" in text or "<https://w3id.org/recruitgraph/id/" in text
    watch.assert_clean()
