"""The explorer page in a real browser: Debian's Chromium driven by Playwright, headless, with
every request that does not go to 127.0.0.1 blocked and recorded.

The served page runs over a live ``recruitgraph serve`` holding the shipped dataset and a
dataset of hostile labels; the single-file page (``recruitgraph viz --out``) over 2,500
synthetic actors. Screenshots are written to test-artifacts/screenshots (or
$RECRUITGRAPH_TEST_ARTIFACTS/screenshots).
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import networkx as nx
import pytest
from playwright.sync_api import Browser, Page

from graph.ingest import load_files
from graph.ingest.synth import write_synthetic
from graph.store import EmbeddedStore
from graph.viz import NODE_BUDGET, Explorer, explorer_data, write_page
from tests.helpers import (
    BASE_ROW,
    LiveServer,
    Watch,
    claims_csv,
    gexf_problems,
    screenshot,
    start_server,
    stop,
    watched_page,
    with_default_dataset,
)

HOSTILE = '<img src=x onerror="window.__xss=1">'
CLOSER = "</script><script>window.__xss=2</script>"
MINISTRY = "Russian Ministry of Defence"
CENTER = "Russian federal government (federal center)"
CENTER_SHORT = "Russian government"  # its shortest alias in the actor registry
READY = 20_000  # ms: the page has drawn its network
#: The claims of the shipped dataset coded as an expert's assessment (claims.csv, column basis).
ASSESSMENTS = {"c001", "c002", "c003", "c004", "c005", "c006", "c007", "c040"}


class OpenPage(Protocol):
    def __call__(self, url: str, viewport: tuple[int, int] = (1400, 900)) -> tuple[Page, Watch]: ...


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    contexts = []

    def opener(url: str, viewport: tuple[int, int] = (1400, 900)) -> tuple[Page, Watch]:
        page, watch = watched_page(browser, viewport)
        contexts.append(page.context)
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=READY)
        return page, watch

    yield opener
    for context in contexts:
        context.close()


def drawn(page: Page) -> int:
    return int(page.get_attribute("#stats", "data-nodes") or -1)


def click_node(page: Page, node_id: str) -> None:
    """Click the node where the canvas draws it."""
    point = page.evaluate(
        """(id) => {
            const net = window.explorer.network;
            const at = net.canvasToDOM(net.getPositions([id])[id]);
            const box = document.getElementById("network").getBoundingClientRect();
            return { x: box.left + at.x, y: box.top + at.y };
        }""",
        node_id,
    )
    page.mouse.click(point["x"], point["y"])


def search(page: Page, text: str) -> None:
    page.fill("#search-input", text)
    page.click("#search button[type=submit]")
    page.wait_for_selector("#details:not([hidden])")


# --------------------------------------------------------------------------------------------
# The served page


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``recruitgraph serve`` over the shipped dataset and one of hostile labels."""
    work = tmp_path_factory.mktemp("viz")
    data_dir = work / "data"
    hostile = claims_csv(
        work / "hostile.csv",
        {**BASE_ROW, "object_kind": "Recruiter", "object": HOSTILE, "purpose": "recruiter_fee",
         "source_title": CLOSER, "note": HOSTILE + CLOSER},
        {**BASE_ROW, "claim_id": "t2", "relation": "Coordination", "object_kind": "Recruiter",
         "object": CLOSER, "amount": "", "currency": "", "purpose": "", "note": CLOSER + HOSTILE},
    )  # fmt: skip
    with EmbeddedStore(data_dir) as store:
        with_default_dataset(store)
        load_files(store, [hostile], "hostile")
    server = start_server(data_dir, work / "server.log", "--data-dir", str(data_dir))
    try:
        yield server
    finally:
        stop(server.process)


def test_page_loads_clean_and_draws_the_network(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz")
    total = len(page.evaluate("window.explorer.data.nodes"))
    assert drawn(page) == total > 100  # fewer at the government level
    assert page.is_hidden("#synthetic-banner"), "no synthetic data here"
    legend = page.locator("#kinds label").all_inner_texts()
    assert any("Federal body" in text for text in legend)
    page.wait_for_function("() => document.querySelectorAll('#timeline-chart circle').length > 3")
    screenshot(page, "explorer-default")
    watch.assert_clean()


def test_filters_change_the_drawn_node_count(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz")
    everything = drawn(page)
    page.uncheck("#kinds input[value=RecruitCohort]")
    without_cohorts = drawn(page)
    assert 0 < without_cohorts < everything
    page.select_option("#min-confidence", label="high")
    assert drawn(page) < without_cohorts
    page.click("#reset")
    assert drawn(page) == everything
    # the period slider: the last months only
    page.eval_on_selector(
        "#period-from", "(el) => { el.value = el.max - 3; el.dispatchEvent(new Event('input')); }"
    )
    narrowed = drawn(page)
    assert 0 < narrowed < everything
    assert page.inner_text("#period-from-label") > "2025"
    page.click("#period-all")
    page.uncheck("#relations input[value=FundingFlow]")
    assert drawn(page) < everything
    page.click("#reset")
    page.fill("#min-amount", "1000000")
    page.dispatch_event("#min-amount", "change")
    assert 0 < drawn(page) < everything
    screenshot(page, "explorer-filtered")
    watch.assert_clean()


def test_search_centres_an_actor(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz?level=organization")
    search(page, MINISTRY.lower())
    page.wait_for_timeout(600)  # the 300 ms focus animation
    offset = page.evaluate(
        """() => {
            const net = window.explorer.network;
            const id = net.getSelectedNodes()[0];
            const at = net.getPositions([id])[id], view = net.getViewPosition();
            return { id, dx: Math.abs(at.x - view.x), dy: Math.abs(at.y - view.y) };
        }"""
    )
    assert offset["dx"] < 1 and offset["dy"] < 1, offset
    assert page.inner_text("#details-title") == MINISTRY
    screenshot(page, "explorer-search")
    watch.assert_clean()


def test_click_opens_the_panel_with_sources(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz?level=organization")
    ministry = page.evaluate(
        "(label) => window.explorer.data.nodes.find((n) => n.label === label).id", MINISTRY
    )
    page.evaluate("(id) => window.explorer.network.focus(id, { scale: 1.5 })", ministry)
    click_node(page, ministry)
    page.wait_for_selector("#details:not([hidden])")
    assert page.inner_text("#details-title") == MINISTRY
    links = page.locator("#details-claims a")
    assert links.count() > 3
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert all(href.startswith(("https://", "http://")) for href in hrefs)
    assert links.first.get_attribute("rel") == "noopener noreferrer"
    # expand neighbours: the node's claims hidden by a filter come back
    neighbour_kind = page.evaluate(
        """(id) => {
            const data = window.explorer.data;
            const kind = new Map(data.nodes.map((n) => [n.id, n.kind]));
            const edge = data.edges.find((e) => (e.from === id || e.to === id)
                && kind.get(e.from === id ? e.to : e.from) !== "FederalBody");
            return kind.get(edge.from === id ? edge.to : edge.from);
        }""",
        ministry,
    )
    page.uncheck(f"#kinds input[value={neighbour_kind}]")
    before = drawn(page)
    page.click("#expand")
    assert drawn(page) > before
    screenshot(page, "explorer-details")
    watch.assert_clean()


def test_hostile_labels_run_nothing(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz")
    for label in (HOSTILE, CLOSER):
        search(page, label)
        assert page.inner_text("#details-title") == label
    assert page.inner_text("#details-claims").count(CLOSER) >= 1, "a hostile source title as text"
    notes = page.locator("#details-claims .claim-note").all_inner_texts()
    assert CLOSER + HOSTILE in notes, "a hostile note as text"
    page.hover("#network")
    assert page.evaluate("window.__xss") is None
    assert page.locator("img").count() == 0
    screenshot(page, "explorer-hostile-labels")
    watch.assert_clean()


def with_timeline(server: LiveServer, open_page: OpenPage) -> tuple[Page, Watch]:
    """The served page, once its timeline has drawn its windows."""
    page, watch = open_page(f"{server.base}/viz")
    page.wait_for_function(
        "() => document.querySelectorAll('#timeline-chart rect.window').length > 3"
    )
    return page, watch


def test_timeline_click_redraws_that_window(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = with_timeline(server, open_page)
    everything = drawn(page)
    windows = page.locator("#timeline-chart rect.window")
    windows.nth(windows.count() - 1).click()
    assert page.locator("#timeline-chart rect.window.selected").count() == 1
    assert 0 < drawn(page) < everything
    assert page.inner_text("#period-to-label") == page.evaluate(
        "window.explorer.data.span.end.slice(0, 7)"
    )
    page.select_option("#timeline-figure", "burden_share_median")
    screenshot(page, "explorer-timeline-window")
    watch.assert_clean()


def drawn_federal(page: Page) -> list[dict]:
    """The federal nodes the canvas draws: their ids and captions (lines)."""
    return page.evaluate(
        """() => {
            const x = window.explorer;
            const kind = new Map(x.data.nodes.map((n) => [n.id, n.kind]));
            return x.nodesView.get().filter((n) => kind.get(n.id) === "FederalBody")
                .map((n) => ({ id: n.id, caption: n.caption }));
        }"""
    )


def dashed_edges(page: Page) -> int:
    return page.evaluate("window.explorer.edgesView.get().filter((e) => e.dashes).length")


def choose(page: Page, control: str, value: str) -> None:
    """Pick a level or basis and wait for the page to draw it."""
    page.check(f"#{control} input[value={value}]")
    page.wait_for_selector(f"body[data-{control}={value}][data-loading=false]", timeout=READY)


def test_level_toggle_rolls_the_federal_bodies_into_one(
    server: LiveServer, open_page: OpenPage
) -> None:
    page, watch = open_page(f"{server.base}/viz?level=organization")
    assert page.is_checked("#level input[value=organization]")
    assert page.inner_text("#view").startswith("Organization level")
    organizations = drawn_federal(page)
    assert len(organizations) > 1
    choose(page, "level", "government")
    assert "level=government" in page.url
    assert page.inner_text("#view").startswith("Government level")
    [center] = drawn_federal(page)
    # the rolled-up node says on the canvas, by its short name (the registry's alias), how
    # many organizations it stands for
    assert center["caption"] == [CENTER_SHORT, f"{len(organizations)} organizations"]
    page.evaluate("(id) => window.explorer.network.focus(id, { scale: 1.2 })", center["id"])
    click_node(page, center["id"])
    page.wait_for_selector("#details:not([hidden])")
    assert page.inner_text("#details-title") == CENTER
    assert f"{len(organizations)} organizations" in page.inner_text("#details-attributes")
    # its claims still name their own parties, and say where they are drawn
    ministry = page.locator("#details-claims li", has_text=f"{MINISTRY} →").first
    assert f"drawn as {CENTER} →" in ministry.inner_text()
    # the timeline beside it is asked for at the same level
    page.wait_for_function(
        "() => document.querySelectorAll('#timeline-chart circle').length > 3"
        " && document.getElementById('timeline-note').textContent.includes('government level')"
    )
    screenshot(page, "explorer-government-level")
    choose(page, "level", "organization")
    assert len(drawn_federal(page)) == len(organizations)
    watch.assert_clean()


#: The smallest caption a reader is asked to read, in CSS pixels on screen.
READABLE_PX = 10
#: CamelCase or snake_case: a class or notation of the model, not words for a reader.
INTERNAL_NAME = re.compile(r"[a-z][A-Z]|\w_\w")


def label_boxes(page: Page) -> list[dict]:
    """The captions the canvas draws, as the page reports them (``explorer.labelBoxes``):
    text, font size on screen and rectangle in the page's CSS pixels."""
    page.wait_for_timeout(100)  # a draw after the last change
    return page.evaluate("window.explorer.labelBoxes()")


def assert_readable(boxes: list[dict], where: str) -> None:
    """No two captions overlap, and each is at least READABLE_PX on screen."""
    assert boxes, f"{where}: no caption drawn"
    small = [(b["text"], b["font"]) for b in boxes if b["font"] < READABLE_PX]
    assert small == [], f"{where}: captions below {READABLE_PX} px: {small}"
    overlapping = [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    ]
    assert overlapping == [], f"{where}: {len(overlapping)} overlapping captions: {overlapping}"


@pytest.mark.parametrize("viewport", [(1440, 900), (1280, 720)])
def test_captions_are_short_readable_and_never_overlap(
    server: LiveServer, open_page: OpenPage, viewport: tuple[int, int]
) -> None:
    page, watch = open_page(f"{server.base}/viz", viewport)
    size = f"{viewport[0]}x{viewport[1]}"
    boxes = label_boxes(page)
    assert_readable(boxes, f"opening view at {size}")
    assert len(boxes) >= 25, "the opening view names most of what it shows"
    # short names: the full name is in the data (tooltip, details), the canvas has the short
    longest = max(len(b["text"].split("\n")[0]) for b in boxes)
    assert longest <= page.evaluate(
        "Math.max(...window.explorer.data.nodes.map((n) => n.short_label.length))"
    )
    assert longest < 40, [b["text"] for b in boxes if len(b["text"].split("\n")[0]) >= 40]
    assert CENTER_SHORT in [b["text"].split("\n")[0] for b in boxes]
    # ... and its full name in its tooltip
    center = next(b["id"] for b in boxes if b["text"].startswith(CENTER_SHORT))
    tip = page.evaluate("(id) => window.explorer.nodesView.get(id).title.textContent", center)
    assert tip.startswith(CENTER)
    # the hub keeps its caption whatever the zoom; zooming in names more of the leaves
    screenshot(page, f"explorer-captions-{size}")
    page.click("#fit")
    page.wait_for_timeout(500)  # the 300 ms fit animation
    fitted = label_boxes(page)
    assert_readable(fitted, f"after Fit to screen at {size}")
    screenshot(page, f"explorer-captions-fit-{size}")
    # zoomed in on the hub: the middle of the fitted view may be empty space on a small screen
    page.evaluate(
        """(id) => { const net = window.explorer.network;
                     net.moveTo({ position: net.getPositions([id])[id], scale: 2.5 }); }""",
        center,
    )
    page.wait_for_function("() => window.explorer.labelBoxes().length > 0")
    assert_readable(label_boxes(page), f"zoomed in at {size}")
    page.evaluate("window.explorer.network.moveTo({ scale: 0.15 })")
    far = label_boxes(page)
    assert_readable(far, f"zoomed far out at {size}")
    assert len(far) < len(fitted), "far out, fewer captions fit"
    # a node whose caption gave way is named while the pointer is on it
    unnamed = page.evaluate(
        """() => {
            const x = window.explorer, net = x.network;
            const named = new Set(x.labelBoxes().map((b) => b.id));
            const box = document.getElementById("network").getBoundingClientRect();
            const all = Object.entries(net.getPositions())
                .map(([id, p]) => [id, net.canvasToDOM(p)]);
            for (const [id, at] of all) {
                if (named.has(id) || at.x < 40 || at.y < 40 || at.x > box.width - 40
                    || at.y > box.height - 40) continue;
                // alone under the pointer: no other node within 15 px
                const near = ([other, p]) => other !== id
                    && Math.hypot(p.x - at.x, p.y - at.y) < 15;
                if (all.some(near)) continue;
                return { id, x: box.left + at.x, y: box.top + at.y };
            }
        }"""
    )
    page.mouse.move(unnamed["x"], unnamed["y"])
    page.wait_for_function(
        "(id) => window.explorer.labelBoxes().some((b) => b.id === id)", arg=unnamed["id"]
    )
    assert_readable(label_boxes(page), f"pointing at a node at {size}")
    watch.assert_clean()


def test_the_legend_reads_in_plain_words(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz")
    legend = {
        name: page.locator(f"#{name} label, #{name} .legend-row").all_inner_texts()
        for name in ("kinds", "relations", "bases")
    }
    assert "Federal body" in legend["kinds"] and "Regional government" in legend["kinds"]
    assert "Funding flow" in legend["relations"]
    for name, texts in legend.items():
        internal = [text for text in texts if INTERNAL_NAME.search(text)]
        assert internal == [], f"internal names in the {name} legend: {internal}"
    # the details name relation types and purposes in the same words
    search(page, CENTER)
    details = page.inner_text("#details")
    assert "Funding flow" in details and "enlistment bonus" in details
    assert not INTERNAL_NAME.search(page.inner_text("#details-title"))
    assert "FundingFlow" not in details and "enlistment_bonus" not in details
    screenshot(page, "explorer-legend-plain-words")
    watch.assert_clean()


def test_the_page_opens_at_government_level_one_click_from_organizations(
    server: LiveServer, open_page: OpenPage
) -> None:
    page, watch = open_page(f"{server.base}/viz")
    assert page.get_attribute("body", "data-level") == "government"
    assert page.is_checked("#level input[value=government]")
    assert page.inner_text("#view").startswith("Government level")
    [center] = drawn_federal(page)
    choose(page, "level", "organization")
    assert "level=organization" in page.url
    assert len(drawn_federal(page)) > 1
    assert_readable(label_boxes(page), "organization level")
    screenshot(page, "explorer-organization-level")
    choose(page, "level", "government")
    assert [n["id"] for n in drawn_federal(page)] == [center["id"]]
    watch.assert_clean()


def test_reports_only_takes_the_dashed_assessments_away(
    server: LiveServer, open_page: OpenPage
) -> None:
    page, watch = open_page(f"{server.base}/viz")
    claims = int(page.get_attribute("#stats", "data-claims") or 0)
    assert page.get_attribute("#stats", "data-assessments") == str(len(ASSESSMENTS))
    assert dashed_edges(page) > 0
    assert "assessment (expert judgment)" in page.inner_text("#bases")
    choose(page, "basis", "report")
    assert "basis=report" in page.url
    assert dashed_edges(page) == 0
    assert page.get_attribute("#stats", "data-assessments") == "0"
    assert int(page.get_attribute("#stats", "data-claims") or 0) == claims - len(ASSESSMENTS)
    assert page.inner_text("#view") == "Government level · reports only"
    page.wait_for_function(
        "() => document.getElementById('timeline-note').textContent.includes('reports only')"
    )
    screenshot(page, "explorer-reports-only")
    choose(page, "basis", "all")
    assert int(page.get_attribute("#stats", "data-claims") or 0) == claims
    assert dashed_edges(page) > 0
    watch.assert_clean()


def test_claim_details_show_note_basis_parties_and_amount(
    server: LiveServer, open_page: OpenPage
) -> None:
    page, watch = open_page(f"{server.base}/viz")
    search(page, CENTER)
    c005 = page.locator("#details-claims li[data-claim=c005]")
    text = c005.inner_text()
    note = c005.locator(".claim-note").inner_text()
    assert note.startswith("Stevens linked this to ongoing burden-shifting")
    assert "basis: assessment (expert judgment)" in text
    assert c005.locator(".badge-assessment").inner_text().lower() == "assessment"
    assert f"{CENTER} → Russian provincial (regional) governments" in text
    assert (c005.locator("a").first.get_attribute("href") or "").startswith("https://")
    # an amount with its currency and whether it is a per-recruit level or a total
    subject = page.evaluate(
        """() => {
            for (const e of window.explorer.data.edges) for (const c of e.claims)
                if (c.amount === 400000 && c.currency === "RUB" && c.amount_basis === "per_recruit")
                    return c.subject_label;
        }"""
    )
    search(page, subject)
    assert "400,000 RUB per recruit" in page.inner_text("#details-claims")
    screenshot(page, "explorer-claim-details")
    watch.assert_clean()


# --------------------------------------------------------------------------------------------
# The single file, on 2,500 synthetic actors; and the notebook display

#: Actors of the large page: well over NODE_BUDGET (1,500), so that the page aggregates. Its
#: load (the shape checks) and layout grow with the count: 5,000 took about a minute.
LARGE = 2500


# --------------------------------------------------------------------------------------------
# The view in the address, the timeline under the filters, the exports

#: What a reader sees of the view: the controls, the period, the selection, the zoom, the
#: node count and the timeline's figure.
VIEW = """() => {
    const $ = (id) => document.getElementById(id);
    const net = window.explorer.network, centre = net.getViewPosition();
    return {
        checks: [...document.querySelectorAll("#kinds input, #relations input, #datasets input")]
            .map((box) => `${box.value}:${box.checked}`),
        level: document.querySelector("#level input:checked").value,
        confidence: $("min-confidence").value,
        amount: $("min-amount").value,
        period: [$("period-from-label").textContent, $("period-to-label").textContent],
        details: $("details").hidden ? null : $("details-title").textContent,
        nodes: $("stats").dataset.nodes,
        figure: $("timeline-figure").value,
        zoom: net.getScale(), x: centre.x, y: centre.y,
    };
}"""
#: A node drawn well inside the canvas (the opening fit shows the largest component only).
ON_SCREEN = """() => {
    const net = window.explorer.network, box = document.getElementById("network");
    return window.explorer.nodesView.getIds().find((id) => {
        const at = net.canvasToDOM(net.getPositions([id])[id]);
        return !id.startsWith("group:") && at.x > 60 && at.y > 60
            && at.x < box.clientWidth - 60 && at.y < box.clientHeight - 60;
    });
}"""


def set_amount(page: Page, text: str) -> None:
    page.fill("#min-amount", text)
    page.dispatch_event("#min-amount", "change")


TIMELINE_DRAWN = "() => document.querySelectorAll('#timeline-chart circle').length > 3"


def test_the_view_lives_in_the_address(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz?level=organization")
    page.wait_for_function(TIMELINE_DRAWN)
    page.uncheck("#kinds input[value=RecruitCohort]")
    page.uncheck("#relations input[value=DiplomaticContact]")
    page.select_option("#min-confidence", label="medium")
    set_amount(page, "1")
    page.eval_on_selector(
        "#period-from", "(el) => { el.value = 12; el.dispatchEvent(new Event('input')); }"
    )
    page.select_option("#timeline-figure", "burden_share_median")
    target = page.evaluate(ON_SCREEN)
    click_node(page, target)
    page.wait_for_selector("#details:not([hidden])")
    box = page.locator("#network").bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 200)  # zooms out: the address follows once the wheel stops
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('zoom')"
        " === window.explorer.network.getScale().toFixed(3)"
    )
    before = page.evaluate(VIEW)
    url = page.url
    assert "hide_kind=RecruitCohort" in url and "selected=" in url
    assert before["details"] and before["amount"] == "1"

    again, watch_again = open_page(url)
    again.wait_for_function(TIMELINE_DRAWN)
    after = again.evaluate(VIEW)
    for key in ("zoom", "x", "y"):
        assert after.pop(key) == pytest.approx(before.pop(key), rel=0.01, abs=1.5), key
    assert after == before
    assert again.url == url, "the reopened page keeps the same address"
    screenshot(again, "explorer-view-from-address")
    watch.assert_clean()
    watch_again.assert_clean()


def test_the_timeline_follows_every_filter(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz?level=organization")
    page.wait_for_function(TIMELINE_DRAWN)
    claims = "() => window.explorer.timeline.windows.map((w) => w.claims)"
    previous = page.evaluate(claims)
    for act, parameter, wanted in [
        (lambda: page.uncheck("#kinds input[value=RecruitCohort]"), "kinds", None),
        (lambda: page.uncheck("#relations input[value=EnforcementAction]"), "relations", None),
        (lambda: page.select_option("#min-confidence", label="high"), "min_confidence", "high"),
        (lambda: set_amount(page, "1"), "min_amount", "1"),
    ]:
        with page.expect_response(lambda r: "/api/metrics/timeline" in r.url) as answer:
            act()
        query = parse_qs(urlsplit(answer.value.url).query)
        if wanted is None:  # every checked box, the unchecked one left out
            box = "kinds" if parameter == "kinds" else "relations"
            wanted_list = page.eval_on_selector_all(
                f"#{box} input:checked", "(boxes) => boxes.map((b) => b.value)"
            )
            assert sorted(query[parameter]) == sorted(wanted_list)
        else:
            assert query[parameter] == [wanted]
        page.wait_for_function(
            f"() => JSON.stringify(({claims})()) !== {json.dumps(json.dumps(previous))}"
        )
        current = page.evaluate(claims)
        assert sum(current) < sum(previous), parameter
        previous = current
    # The period is the timeline's axis: moving it asks for nothing.
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/metrics/timeline" in r.url else None)
    page.eval_on_selector(
        "#period-to", "(el) => { el.value = el.max - 6; el.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_timeout(300)
    assert asked == []
    screenshot(page, "explorer-timeline-filtered")
    watch.assert_clean()


def test_the_view_exports_as_png_svg_csv_and_gexf(
    server: LiveServer, open_page: OpenPage, tmp_path: Path
) -> None:
    page, watch = open_page(f"{server.base}/viz?level=organization")
    page.select_option("#min-confidence", label="medium")
    page.uncheck("#kinds input[value=RecruitCohort]")
    set_amount(page, "1")
    nodes = drawn(page)
    assert nodes > 10

    def download(button: str) -> Path:
        with page.expect_download() as started:
            page.click(button)
        path = tmp_path / started.value.suggested_filename
        started.value.save_as(path)
        return path

    png = download("#export-png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000

    svg = download("#export-svg")
    shapes = ET.parse(svg).getroot().findall(".//*[@class='node']")
    assert len(shapes) == nodes

    csv_path = download("#export-csv")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    shown = page.evaluate(
        "window.explorer.drawn.edges.flatMap(({ claims }) => claims.map((c) => c.claim_id || c.id))"
    )
    assert sorted(row["claim"] for row in rows) == sorted(shown)
    assert len(rows) == int(page.get_attribute("#stats", "data-claims") or -1)
    assert {"subject", "object", "relation", "amount", "currency", "amount_basis", "basis"} <= set(
        rows[0]
    )
    cells = [cell for row in rows for cell in row.values()]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells), "formula cells are text"

    gexf = download("#export-gexf")
    assert gexf_problems(gexf) == []
    assert nx.read_gexf(gexf).number_of_nodes() == nodes

    # The SVG as a browser draws it, to look at beside the page.
    view = page.context.new_page()
    view.goto(svg.as_uri())
    screenshot(view, "explorer-export-svg")
    view.close()
    screenshot(page, "explorer-exported")
    watch.assert_clean()


# --------------------------------------------------------------------------------------------
# Keyboard and colour-independent reading


def focused(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def active_node(page: Page) -> str | None:
    """The node the network's keyboard focus is on (its listbox's active option)."""
    return page.evaluate(
        """() => {
            const id = document.getElementById("network").getAttribute("aria-activedescendant");
            return id ? document.getElementById(id).dataset.node : null;
        }"""
    )


def ring_pixel(page: Page, node_id: str) -> list[int]:
    """The canvas's colour on the focus ring's circle, right of ``node_id``."""
    return page.evaluate(
        """(id) => {
            const net = window.explorer.network;
            const box = net.getBoundingBox(id);
            const a = net.canvasToDOM({ x: box.left, y: box.top });
            const b = net.canvasToDOM({ x: box.right, y: box.bottom });
            const r = Math.max(b.x - a.x, b.y - a.y) / 2 + 6;
            const canvas = document.querySelector("#network canvas");
            const ratio = canvas.width / canvas.clientWidth;
            const x = Math.round(((a.x + b.x) / 2 + r) * ratio);
            const y = Math.round(((a.y + b.y) / 2) * ratio);
            return [...canvas.getContext("2d").getImageData(x, y, 1, 1).data];
        }""",
        node_id,
    )


def test_the_network_is_reached_and_read_by_keyboard(
    server: LiveServer, open_page: OpenPage
) -> None:
    page, watch = open_page(f"{server.base}/viz")
    # the first Tab stop skips the filters to the network
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the network"
    page.keyboard.press("Enter")
    assert focused(page) == "network"
    options = page.locator("#network [role=option]")
    assert options.count() == drawn(page)
    first = active_node(page)
    assert first == options.first.get_attribute("data-node")  # the most linked actor
    page.wait_for_timeout(50)
    colour = ring_pixel(page, first)
    assert colour[2] > colour[0] + 60, f"no focus ring drawn: {colour}"  # the ring's blue
    assert page.is_visible("#network-active")
    page.keyboard.press("ArrowDown")
    assert active_node(page) == options.nth(1).get_attribute("data-node")
    page.keyboard.press("ArrowUp")
    assert active_node(page) == first
    # typing a name jumps to it; Enter opens the details a click opens
    page.keyboard.type("russian f")
    center = page.evaluate(
        "(label) => window.explorer.data.nodes.find((n) => n.label === label).id", CENTER
    )
    assert active_node(page) == center
    assert page.inner_text("#network-active").startswith(CENTER)
    page.keyboard.press("Enter")
    page.wait_for_selector("#details:not([hidden])")
    assert page.inner_text("#details-title") == CENTER
    assert page.locator("#details-claims a").count() > 3
    assert page.inner_text("#network-said").startswith(f"Details of {CENTER} (")
    assert page.evaluate("window.explorer.network.getSelectedNodes()") == [center]
    assert page.locator(f'#network [role=option][data-node="{center}"]').get_attribute(
        "aria-selected"
    ) == "true"  # fmt: skip
    screenshot(page, "explorer-keyboard-node")
    page.keyboard.press("Escape")
    assert page.is_hidden("#details")
    assert page.evaluate("window.explorer.network.getSelectedNodes()") == []
    assert page.inner_text("#network-said") == "Details closed."
    # Tab leaves the network and Shift+Tab comes back to it, from the filters' last button
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "export-gexf"
    page.keyboard.press("Tab")
    assert focused(page) == "network" and active_node(page) == center
    watch.assert_clean()


def test_every_link_is_reached_and_opened_by_keyboard(
    server: LiveServer, open_page: OpenPage
) -> None:
    """The links, one tab stop past the network: each said in words (from, relation, to,
    claims), the arrow keys go through them, Enter opens the claims a click opens."""
    page, watch = open_page(f"{server.base}/viz")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip to the network
    assert focused(page) == "network"
    page.keyboard.press("Tab")
    assert focused(page) == "link-list"
    options = page.locator("#link-list [role=option]")
    assert options.count() == int(page.get_attribute("#stats", "data-edges") or -1) > 0
    first = options.first.inner_text()
    assert " to " in first and "claim" in first
    assert page.inner_text("#link-active").startswith(first)
    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    assert page.get_attribute("#link-list", "aria-activedescendant") == second.get_attribute("id")
    assert second.get_attribute("aria-selected") == "true"
    link = second.get_attribute("data-link")
    assert page.evaluate("window.explorer.network.getSelectedEdges()") == [link]
    page.keyboard.press("End")
    last = options.nth(options.count() - 1)
    assert page.get_attribute("#link-list", "aria-activedescendant") == last.get_attribute("id")
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    page.wait_for_selector("#details:not([hidden])")
    claims = int(re.search(r"(\d+) claims?", first).group(1))  # type: ignore[union-attr]
    assert page.locator("#details-claims > li").count() == claims
    assert " → " in page.inner_text("#details-title")
    screenshot(page, "explorer-keyboard-link")
    watch.assert_clean()


def test_the_timeline_window_moves_by_keyboard(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = with_timeline(server, open_page)
    everything = drawn(page)
    windows = page.locator("#timeline-chart rect.window").count()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the timeline"
    page.keyboard.press("Enter")
    assert focused(page) == "timeline-chart"
    chart = page.locator("#timeline-chart")
    assert chart.get_attribute("role") == "slider"
    assert chart.get_attribute("aria-valuetext") == "no window chosen: the whole span is drawn"
    page.keyboard.press("End")
    assert chart.get_attribute("aria-valuenow") == str(windows - 1)
    assert 0 < drawn(page) < everything
    assert page.inner_text("#period-to-label") == page.evaluate(
        "window.explorer.data.span.end.slice(0, 7)"
    )
    last = drawn(page)
    page.keyboard.press("ArrowLeft")
    assert chart.get_attribute("aria-valuenow") == str(windows - 2)
    text = chart.get_attribute("aria-valuetext")
    # the window in words: "April 2024 to March 2025: degree centralization 0.1, 40 claims ..."
    assert re.match(r"[A-Z][a-z]+ \d{4} to [A-Z][a-z]+ \d{4}: .+ \d+ claims \(window ", text), text
    assert page.locator("#timeline-chart rect.window.selected").get_attribute("data-index") == str(
        windows - 2
    )
    assert drawn(page) != last or page.inner_text("#period-to-label") != page.evaluate(
        "window.explorer.data.span.end.slice(0, 7)"
    )
    assert focused(page) == "timeline-chart"  # redrawn, still in focus
    screenshot(page, "explorer-keyboard-timeline")
    page.keyboard.press("Escape")
    assert chart.get_attribute("aria-valuenow") is None
    assert drawn(page) == everything
    watch.assert_clean()


def test_every_kind_has_a_shape_of_its_own(server: LiveServer, open_page: OpenPage) -> None:
    page, watch = open_page(f"{server.base}/viz?level=organization")
    kinds = page.evaluate("window.explorer.data.kinds")
    shapes = [kind["shape"] for kind in kinds]
    assert len(set(shapes)) == len(shapes), shapes  # every kind of the ontology
    legend = page.evaluate(
        """() => [...document.querySelectorAll("#kinds label")].map((row) => {
            const swatch = row.querySelector("svg.swatch");
            const outline = swatch.firstElementChild;
            return { kind: row.querySelector("input").value, shape: swatch.dataset.shape,
                     outline: outline.tagName + " " + (outline.getAttribute("points") || "") };
        })"""
    )
    assert len(legend) >= 5
    assert len({row["shape"] for row in legend}) == len(legend)
    assert len({row["outline"] for row in legend}) == len(legend), "two kinds drawn alike"
    # the legend shows the shape the network draws each kind with
    drawn_shapes = page.evaluate(
        """() => {
            const kind = new Map(window.explorer.data.nodes.map((n) => [n.id, n.kind]));
            const out = {};
            for (const node of window.explorer.nodesView.get()) {
                (out[kind.get(node.id)] ||= new Set()).add(node.shape);
            }
            return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
        }"""
    )
    for row in legend:
        assert drawn_shapes[row["kind"]] == [row["shape"]], row
    screenshot(page, "explorer-kind-shapes")
    watch.assert_clean()


@pytest.fixture(scope="module")
def large_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("viz-large")
    synthetic = work / "synth.nt"
    write_synthetic(synthetic, LARGE, 0.5, 11)
    store = EmbeddedStore()
    load_files(store, [synthetic], "synth", synthetic=True)
    return write_page(work / "explorer.html", explorer_data(store, window="P12M", step="P12M"))


def test_large_data_is_aggregated_and_marked_synthetic(
    large_page: Path, open_page: OpenPage
) -> None:
    page, watch = open_page(large_page.as_uri())
    assert page.is_visible("#notice")
    assert page.get_attribute("#notice", "data-aggregated") == "true"
    assert LARGE > NODE_BUDGET
    assert f"{LARGE:,} actors match the filters" in page.inner_text("#notice")
    assert 0 < drawn(page) <= NODE_BUDGET
    assert page.is_visible("#synthetic-banner")
    assert "Synthetic data" in page.inner_text("#synthetic-banner")
    screenshot(page, "explorer-large-aggregated")
    # a group is reached and opened by keyboard as an actor is
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    group = page.locator("#network [role=option][data-node^='group:']").first
    assert group.inner_text().endswith("claims shown") and "aggregated" in group.inner_text()
    steps = page.evaluate(
        "() => [...document.querySelectorAll('#network [role=option]')]"
        ".findIndex((o) => o.dataset.node.startsWith('group:'))"
    )
    for key in ["PageDown"] * (steps // 10) + ["ArrowDown"] * (steps % 10):
        page.keyboard.press(key)
    assert active_node(page) == group.get_attribute("data-node")
    page.keyboard.press("Enter")
    assert page.inner_text("#details-kind").endswith("actors drawn as one group")
    # narrowing the filters below the budget draws every actor again
    for kind in ("RecruitCohort", "Recruiter", "RecruitmentScheme"):
        page.uncheck(f"#kinds input[value={kind}]")
    assert page.get_attribute("#notice", "data-aggregated") == "false"
    watch.assert_clean()


def test_notebook_display_draws_in_an_iframe(browser: Browser, tmp_path: Path) -> None:
    with EmbeddedStore() as store:
        with_default_dataset(store)
        cell = Explorer(explorer_data(store), height=600)._repr_html_()
    notebook = tmp_path / "notebook-output.html"
    notebook.write_text(f"<!DOCTYPE html><html><body>{cell}</body></html>", encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 800})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(notebook.as_uri())
        frame = page.frame_locator("iframe")
        frame.locator("body[data-ready=true]").wait_for(timeout=READY)
        assert int(frame.locator("#stats").get_attribute("data-nodes") or 0) > 150
        screenshot(page, "explorer-notebook-iframe")
        assert errors == []
    finally:
        context.close()


def test_the_file_holds_one_level_and_filters_the_basis_itself(
    tmp_path: Path, open_page: OpenPage
) -> None:
    with EmbeddedStore() as store:
        with_default_dataset(store)
        page_file = write_page(tmp_path / "explorer.html", explorer_data(store))
    page, watch = open_page(page_file.as_uri())
    # no server to ask for another level: the toggle says how to write one
    assert page.is_checked("#level input[value=organization]")
    assert page.is_disabled("#level input[value=government]")
    assert "recruitgraph viz --level government" in page.inner_text("#level-note")
    # the basis is filtered in the page: its claims carry their basis
    assert dashed_edges(page) > 0
    claims = int(page.get_attribute("#stats", "data-claims") or 0)
    choose(page, "basis", "report")
    assert dashed_edges(page) == 0
    assert int(page.get_attribute("#stats", "data-claims") or 0) == claims - len(ASSESSMENTS)
    note = page.inner_text("#timeline-note")
    assert "this file holds no timeline of the view drawn above" in note
    # the exports drawn in the page work in the file; the GEXF needs the server
    with page.expect_download() as started:
        page.click("#export-csv")
    with Path(started.value.path()).open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == claims - len(ASSESSMENTS)
    assert page.is_disabled("#export-gexf")
    screenshot(page, "explorer-file-reports-only")
    watch.assert_clean()


def test_an_empty_store_gives_a_page_that_says_so(tmp_path: Path, open_page: OpenPage) -> None:
    with EmbeddedStore() as store:
        page_file = write_page(tmp_path / "empty.html", explorer_data(store))
    page, watch = open_page(page_file.as_uri())
    assert drawn(page) == 0
    assert page.inner_text("#notice") == "No claim matches these filters."
    assert page.is_disabled("#period-from")
    watch.assert_clean()
