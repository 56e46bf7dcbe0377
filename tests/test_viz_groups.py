"""The explorer's aggregate view (issue 13, item 3): past ``serve --aggregate-above`` actors,
``/viz`` draws groups of actors first and opens them on demand, by click and by keyboard.

A small synthetic store (about 300 parties) stands for a large one: the server draws groups
past 100 actors, and with ``--page-wait 0`` every call for links or members answers 202 and
a job, which the page polls, as it does on a store of 100,000 actors. Debian's Chromium
through Playwright; screenshots are kept in test-artifacts/screenshots.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from graph.ingest import dataset_contents, dataset_description, ensure_reference
from graph.ingest.synth import synthetic_triples
from graph.model.namespaces import dataset_iri
from graph.store import EmbeddedStore
from graph.viz.groups import MEMBERS_PAGE, aggregate_data, group_links, group_members
from tests.helpers import LiveServer, screenshot, start_server, stop, watched_page

ACTORS = 300
READY = 20_000  # ms


def _write_synthetic(store: EmbeddedStore, actors: int) -> None:
    """A synthetic dataset of ``actors`` actors, as bench/viz_page.py writes its stores."""
    ensure_reference(store)
    triples = list(synthetic_triples(actors, 0.5, 1))
    description = dataset_description(
        "synth", checksum="sha256:test", files=["synthetic"], synthetic=True,
        triples=len(triples), loaded_by="test", model=True,
    )  # fmt: skip
    store.replace_graphs(dataset_contents(dataset_iri("synth"), triples, description))


@pytest.fixture(scope="module")
def synthetic_store() -> Iterator[EmbeddedStore]:
    with EmbeddedStore() as store:
        _write_synthetic(store, ACTORS)
        yield store


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("groups") / "data"
    with EmbeddedStore(data_dir) as store:
        _write_synthetic(store, ACTORS)
    live = start_server(
        data_dir, data_dir.parent / "server.log", "--data-dir", str(data_dir),
        "--aggregate-above", "100", "--page-wait", "0",
    )  # fmt: skip
    try:
        yield live
    finally:
        stop(live.process)


@pytest.fixture
def groups_page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """``/viz`` drawn (its groups on the screen); on leaving, nothing went wrong on it."""
    page, watch = watched_page(browser, (1440, 900))
    try:
        page.goto(f"{server.base}/viz")
        page.wait_for_selector("body[data-ready=true]", timeout=READY)
        yield page
        watch.assert_clean()
    finally:
        page.context.close()


def _members(page: Page) -> int:
    return int(page.get_attribute("#stats", "data-members") or -1)


# --------------------------------------------------------------------------------------------
# The library: counts by the store, members page by page


def test_groups_count_every_party_once(synthetic_store: EmbeddedStore) -> None:
    data = aggregate_data(synthetic_store)
    assert data["actors"] >= ACTORS
    kinds = {cell["kind"] for cell in data["cells"]}
    # Cohorts grouped by their country, a kind without a place in one group.
    cohorts = [cell for cell in data["cells"] if cell["kind"] == "RecruitCohort"]
    assert len(cohorts) > 1 and all(cell["code"] and cell["place"] for cell in cohorts)
    assert [c["id"] for c in data["cells"] if c["kind"] == "Recruiter"] == ["Recruiter|"]
    assert {"FederalBody", "RegionalGovernment", "Recruiter", "RecruitCohort"} <= kinds
    links = group_links(synthetic_store)
    cells = {cell["id"] for cell in data["cells"]}
    assert links and all(link["from"] in cells and link["to"] in cells for link in links)


def test_members_come_a_page_at_a_time_with_their_links(synthetic_store: EmbeddedStore) -> None:
    recruiters = next(
        c for c in aggregate_data(synthetic_store)["cells"] if c["kind"] == "Recruiter"
    )
    first = group_members(synthetic_store, None, "Recruiter|")
    assert len(first["members"]) == min(MEMBERS_PAGE, recruiters["count"])
    assert first["total"] == recruiters["count"]
    assert all(link["member"] in {m["id"] for m in first["members"]} for link in first["links"])
    # A cohort's page, with its links to the recruiters drawn already, actor by actor.
    cohort = next(
        c for c in aggregate_data(synthetic_store)["cells"] if c["kind"] == "RecruitCohort"
    )
    page = group_members(synthetic_store, None, cohort["id"], opened=["Recruiter|@0"])
    drawn = {m["id"] for m in first["members"]}
    pairs = [link for link in page["links"] if "actor" in link]
    assert all(link["actor"] in drawn for link in pairs)
    # Pairs are a share of the claims with the recruiters' group, never more.
    for member in page["members"]:
        to_group = sum(
            link["claims"]
            for link in page["links"]
            if "actor" not in link
            and (link["member"], link["cell"]) == (member["id"], "Recruiter|")
        )
        paired = sum(link["claims"] for link in pairs if link["member"] == member["id"])
        assert paired <= to_group


# --------------------------------------------------------------------------------------------
# The page


def test_a_large_store_opens_on_groups(groups_page: Page) -> None:
    page = groups_page
    assert page.get_attribute("body", "data-view") == "groups"
    nodes = int(page.get_attribute("#stats", "data-nodes") or 0)
    assert 0 < nodes < ACTORS
    assert _members(page) == 0
    # The links between groups come from a job (page-wait 0), polled by the page.
    page.wait_for_selector("body[data-links=true]", timeout=READY)
    assert int(page.get_attribute("#stats", "data-edges") or 0) > 0
    assert page.is_visible("#synthetic-banner")
    screenshot(page, "viz-groups-opening")


def test_a_group_opens_on_a_click(groups_page: Page) -> None:
    page = groups_page
    page.wait_for_selector("body[data-links=true]", timeout=READY)
    before = int(page.get_attribute("#stats", "data-nodes") or 0)
    target = "cell:Recruiter|"
    point = page.evaluate("(id) => window.groupsView.pointOf(id)", target)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector("body[data-opened='1']", timeout=READY)
    members = _members(page)
    assert 0 < members <= MEMBERS_PAGE
    ids = page.evaluate("() => window.groupsView.nodeIds()")
    assert target not in ids and any(i.startswith("actor:") for i in ids)
    assert int(page.get_attribute("#stats", "data-nodes") or 0) > before
    # The members' own links are drawn.
    edges = page.evaluate(
        "() => window.groupsView.network.body.data.edges.get()"
        ".filter((e) => e.from.startsWith('actor:') || e.to.startsWith('actor:')).length"
    )
    assert edges > 0
    screenshot(page, "viz-groups-opened-by-click")


def test_a_group_opens_and_closes_from_the_keyboard(groups_page: Page) -> None:
    page = groups_page
    button = page.locator("#group-list button[data-node^='cell:RecruitCohort']").first
    node = button.get_attribute("data-node")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-opened='1']", timeout=READY)
    assert _members(page) > 0
    assert node not in page.evaluate("() => window.groupsView.nodeIds()")
    # A second group, with Space, then the first closed again with Enter.
    second = page.locator("#group-list button[data-node^='cell:Recruiter|']").first
    second.focus()
    page.keyboard.press("Space")
    page.wait_for_selector("body[data-opened='2']", timeout=READY)
    screenshot(page, "viz-groups-opened-by-keyboard")
    close = page.locator(f"#group-list button[data-node='close:{node[5:]}']")  # type: ignore[index]
    close.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(id) => window.groupsView.nodeIds().includes(id)", arg=node, timeout=READY
    )


def test_the_routes_refuse_what_they_cannot_answer(server: LiveServer) -> None:
    """A clear 4xx for a group that is none, before any job starts."""
    with httpx.Client(base_url=server.base, timeout=30) as client:
        unknown = client.get("/api/viz/groups/members", params={"cell": "Nothing|"})
        assert unknown.status_code == 400 and "Nothing" in unknown.json()["error"]
        negative = client.get(
            "/api/viz/groups/members", params={"cell": "Recruiter|", "offset": -1}
        )
        assert negative.status_code == 422
        groups = client.get("/api/viz/groups").json()
        assert groups["actors"] >= ACTORS
