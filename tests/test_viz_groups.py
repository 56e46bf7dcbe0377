"""The explorer's aggregate view (issue 13, item 3): past ``serve --aggregate-above`` actors,
``/viz`` draws groups of actors first and opens them on demand, by click and by keyboard.

A small synthetic store (about 300 parties) stands for a large one: the server draws groups
past 100 actors, and with ``--page-wait 0`` every call for links or members answers 202 and
a job, which the page polls, as it does on a store of 100,000 actors. Debian's Chromium
through Playwright; screenshots are kept in test-artifacts/screenshots.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from playwright.sync_api import Browser, Page

from graph.analysis.projection import ProjectionFilter, actor_identity, project
from graph.analysis.queries import parse_filter
from graph.ingest import dataset_contents, dataset_description, ensure_reference
from graph.ingest.actors import merge, unmerge
from graph.ingest.synth import synthetic_triples
from graph.model.namespaces import ORG, SKOS, dataset_iri
from graph.model.ontology import kinds
from graph.sparql import dataset_graphs
from graph.sparql.query import run_query
from graph.store import EmbeddedStore, lexical_rows
from graph.viz.groups import (
    LINK_CLAIMS,
    MEMBERS_PAGE,
    aggregate_data,
    cell_id,
    group_links,
    group_members,
)
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


def _of_kind(store: EmbeddedStore, kind: str) -> list[str]:
    """The actors of ``kind``, in IRI order."""
    text = f"SELECT ?a WHERE {{ ?a a <{kinds()[kind].iri}> }} ORDER BY ?a"
    return [row[0] for row in lexical_rows(run_query(store, text))]


def _write_parts(store: EmbeddedStore) -> list[str]:
    """Every federal body but the first part of the first (``org:subOrganizationOf``), in a
    dataset of its own: three organizations, one government. Returns the federal bodies."""
    federal = _of_kind(store, "FederalBody")
    part_of = ox.NamedNode(ORG + "subOrganizationOf")
    parts = [ox.Triple(ox.NamedNode(f), part_of, ox.NamedNode(federal[0])) for f in federal[1:]]
    description = dataset_description(
        "parts", checksum="sha256:test", files=["parts"], synthetic=True,
        triples=len(parts), loaded_by="test", model=True,
    )  # fmt: skip
    store.replace_graphs(dataset_contents(dataset_iri("parts"), parts, description))
    return federal


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
        _write_parts(store)
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


def _cell_of(attrs: dict[str, Any]) -> str:
    """The cell of a node of the projection."""
    return cell_id(attrs["kind"], attrs["code"] if kinds()[attrs["kind"]].code else None)


@pytest.fixture(scope="module")
def merged_store() -> Iterator[tuple[EmbeddedStore, dict[str, str]]]:
    """A small synthetic store with analysts' merges (one across two countries' cohorts,
    one of two recruiters, one undone) and federal bodies part of one: and the actors named."""
    with EmbeddedStore() as store:
        _write_synthetic(store, ACTORS)
        federal = _write_parts(store)
        recruiters = _of_kind(store, "Recruiter")
        cohort = kinds()["RecruitCohort"]
        country = f"<{cohort.code.predicate}>/<{SKOS}notation>"  # type: ignore[union-attr]
        text = f"SELECT ?a ?code WHERE {{ ?a a <{cohort.iri}> ; {country} ?code }} ORDER BY ?a"
        cohorts: dict[str, str] = {}
        for iri, code in lexical_rows(run_query(store, text)):
            cohorts.setdefault(code, iri)
        moved, into = sorted(cohorts.values())[:2]  # cohorts of two countries
        merge(store, moved, into, "one cohort, two names", "test")
        merge(store, recruiters[0], recruiters[1], "one recruiter, two names", "test")
        merge(store, recruiters[2], recruiters[3], "a mistake", "test")
        unmerge(store, recruiters[2], "test")
        named = {"cohort": moved, "survivor": into, "recruiter": recruiters[0],
                 "unmerged": recruiters[2], "federal": federal[1], "top": federal[0]}  # fmt: skip
        yield store, named


@pytest.mark.parametrize("level", ["organization", "government"])
@pytest.mark.parametrize("narrowed", [False, True], ids=["every claim", "firm claims"])
def test_merges_and_parts_count_as_the_network_draws_them(
    merged_store: tuple[EmbeddedStore, dict[str, str]], level: str, narrowed: bool
) -> None:
    """A merged actor counts as its survivor, and at the government level a part as its top
    organization, in the groups, their links and their members: the counts and links of the
    projection (the small view's network) of the same data, at either level."""
    store, named = merged_store
    flt = ProjectionFilter(level=level, min_confidence="medium" if narrowed else None)
    network = project(store, flt)
    data = aggregate_data(store, None, flt)
    counts = {cell["id"]: cell["count"] for cell in data["cells"]}
    if narrowed:  # the parties of the claims that pass, as drawn
        drawn = [attrs for _node, attrs in network.nodes(data=True)]
    else:  # every actor, but those drawn as another
        shown = actor_identity(store, dataset_graphs(store), level)[0]
        every = dict(network.nodes(data=True))
        assert named["cohort"] in shown and named["unmerged"] not in shown
        assert (named["federal"] in shown) == (level == "government")
        assert data["actors"] == sum(len(_of_kind(store, kind)) for kind in kinds()) - len(shown)
        drawn = [attrs for node, attrs in every.items() if node not in shown]
        # the isolated actors (no claim) of the store are not in the network: its cells only
        counts = {key: counts[key] for key in {_cell_of(attrs) for attrs in drawn}}
    by_cell: dict[str, int] = {}
    for attrs in drawn:
        by_cell[_cell_of(attrs)] = by_cell.get(_cell_of(attrs), 0) + 1
    assert counts == by_cell
    links = {
        (ln["from"], ln["to"], ln["type"]): ln["claims"] for ln in group_links(store, None, flt)
    }
    expected: dict[tuple[str, str, str], int] = {}
    for u, v, attrs in network.edges(data=True):
        key = (_cell_of(network.nodes[u]), _cell_of(network.nodes[v]), attrs["type"])
        expected[key] = expected.get(key, 0) + 1
    assert links == expected
    # Members: the merged actor is no member; the survivor's links hold the merged one's claims.
    cohort_cell = next(
        _cell_of(attrs) for node, attrs in network.nodes(data=True) if node == named["survivor"]
    )
    page = group_members(store, None, cohort_cell, flt=flt)
    ids = {member["id"] for member in page["members"]}
    assert named["survivor"] in ids and named["cohort"] not in ids
    assert page["total"] == len(ids) == counts[cohort_cell]
    claims = sum(ln["claims"] for ln in page["links"] if ln["member"] == named["survivor"])
    assert claims == network.degree(named["survivor"])
    federal = group_members(store, None, "FederalBody|", flt=flt)
    bodies = {member["id"] for member in federal["members"]}
    assert (named["federal"] in bodies) == (level == "organization") and named["top"] in bodies
    assert sum(ln["claims"] for ln in federal["links"]) == sum(
        network.degree(node) for node in bodies if node in network
    )


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


def test_the_groups_open_at_government_level_one_click_from_organizations(
    groups_page: Page, client: httpx.Client
) -> None:
    """Without a level in the address the groups are counted at the government level (the
    three federal bodies of the store, two of them part of the first, as one), the level
    written into the address; the organization level is one click on its radio button, and
    back."""
    page = groups_page
    assert "level=government" in page.url
    assert page.get_attribute("body", "data-level") == "government"
    assert page.is_checked("#level input[value=government]")
    assert page.inner_text("#view").startswith("Government level")

    def federal(page: Page) -> int:
        served = page.evaluate("() => JSON.parse(document.getElementById('groups-data').text)")
        return sum(c["count"] for c in served["cells"] if c["kind"] == "FederalBody")

    assert federal(page) == 1
    page.wait_for_selector("body[data-links=true]", timeout=READY)
    screenshot(page, "viz-groups-government-level")
    page.click("#level input[value=organization]")
    page.wait_for_url("**level=organization**", timeout=READY)
    page.wait_for_selector("body[data-ready=true][data-level=organization]", timeout=READY)
    assert page.inner_text("#view").startswith("Organization level")
    assert federal(page) == 3
    # the links and members asked for at the level drawn
    organizations = _ready(client, "/api/viz/groups", {"level": "organization"})
    assert (
        page.evaluate("() => JSON.parse(document.getElementById('groups-data').text).cells")
        == organizations["cells"]
    )
    page.wait_for_selector("body[data-links=true]", timeout=READY)
    screenshot(page, "viz-groups-organization-level")
    page.focus("#level input[value=organization]")
    page.keyboard.press("ArrowDown")  # to the other level, from the keyboard
    page.wait_for_url("**level=government**", timeout=READY)
    page.wait_for_selector("body[data-ready=true][data-level=government]", timeout=READY)


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
        groups = _ready(client, "/api/viz/groups", {})  # a job past --page-wait
        assert groups["actors"] >= ACTORS


# --------------------------------------------------------------------------------------------
# Filters: the groups, their links and their members counted under the explorer's filters


#: Filters of every kind the explorer offers, as the address gives them.
FILTERS = [
    {"min_confidence": "high"},
    {"start": "2025-01-01", "end": "2025-06-30"},
    {"relations": "FundingFlow"},
    {"kinds": ["Recruiter", "RecruitCohort"]},
    {"basis": "report", "min_amount": "1000"},
    {"aggregates": "false", "level": "government"},
]


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: "&".join(sorted(p)))
def test_the_groups_count_the_parties_the_network_draws(
    synthetic_store: EmbeddedStore, params: dict[str, Any]
) -> None:
    """Under a filter, the groups hold the actors the network of a small store draws under
    it (the projection's nodes), and their links its claims."""
    given = dict(params)
    aggregates = given.pop("aggregates", "true") == "true"
    lists = {"kinds": "kinds_", "relations": "relations"}
    flt = parse_filter(**{
        lists.get(k, k): ([v] if isinstance(v, str) else v) if k in lists
        else float(v) if k == "min_amount" else v
        for k, v in given.items()
    })  # fmt: skip
    flt = replace(flt, aggregates=aggregates)
    network = project(synthetic_store, flt)
    data = aggregate_data(synthetic_store, None, flt)
    assert data["filtered"] and data["actors"] == network.number_of_nodes()
    by_cell: dict[str, int] = {}
    for _node, attrs in network.nodes(data=True):
        key = cell_id(attrs["kind"], attrs["code"] if kinds()[attrs["kind"]].code else None)
        by_cell[key] = by_cell.get(key, 0) + 1
    assert {c["id"]: c["count"] for c in data["cells"]} == by_cell
    links = group_links(synthetic_store, None, flt)
    assert sum(link["claims"] for link in links) == network.number_of_edges()


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=60) as client:
        yield client


def _ready(client: httpx.Client, url: str, params: dict[str, Any]) -> Any:
    """The answer of a route that may answer with a job (``--page-wait 0``), polled."""
    answer = client.get(url, params=params)
    for _ in range(120):
        if answer.status_code != 202:
            break
        job = answer.json()["job"]
        for _ in range(120):
            if client.get(job).json()["state"] != "running":
                break
            time.sleep(0.25)
        answer = client.get(url, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_filter_changes_the_served_counts(client: httpx.Client) -> None:
    """Through the real server: fewer actors, claims and members under a filter, and only
    the kinds chosen."""
    whole = _ready(client, "/api/viz/groups", {})
    firm = _ready(client, "/api/viz/groups", {"min_confidence": "high"})
    assert not whole["filtered"] and firm["filtered"]
    assert 0 < firm["actors"] < whole["actors"]
    assert firm["filter"]["min_confidence"] == "high"
    recruiters = _ready(client, "/api/viz/groups", {"kinds": "Recruiter,RecruitCohort"})
    assert {c["kind"] for c in recruiters["cells"]} == {"Recruiter", "RecruitCohort"}
    every_kind = _ready(client, "/api/viz/groups", {"kinds": ",".join(kinds())})
    assert every_kind["cells"] == whole["cells"]  # every kind chosen: no filter
    claims = {
        name: sum(link["claims"] for link in _ready(client, "/api/viz/groups/links", params))
        for name, params in {"whole": {}, "firm": {"min_confidence": "high"}}.items()
    }
    assert 0 < claims["firm"] < claims["whole"]
    cell = next(c for c in firm["cells"] if c["kind"] == "Recruiter")
    members = _ready(
        client, "/api/viz/groups/members", {"cell": cell["id"], "min_confidence": "high"}
    )
    assert members["total"] == cell["count"]
    assert len(members["members"]) == min(cell["count"], MEMBERS_PAGE)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"min_confidence": "certain"}, 400, "confidence"),
        ({"start": "last year"}, 400, "start"),
        ({"start": "2025-06-01", "end": "2025-01-01"}, 400, "before it starts"),
        ({"level": "planet"}, 400, "level"),
        ({"kinds": "Nothing"}, 400, "Nothing"),
        ({"relations": "Gossip"}, 400, "Gossip"),
        ({"basis": "rumour"}, 400, "basis"),
        ({"min_amount": "lots"}, 422, "min_amount"),
        ({"dataset": "no-such-dataset"}, 404, "no-such-dataset"),
    ],
)
def test_bad_filters_get_a_clear_4xx(
    client: httpx.Client, params: dict[str, str], status: int, words: str
) -> None:
    link = {"source": "FederalBody|", "target": "Recruiter|", "relation": "FundingFlow"}
    for url in (
        "/viz",
        "/api/viz/groups",
        "/api/viz/groups/links",
        "/api/viz/groups/members",
        "/api/viz/groups/claims",
    ):
        extra = {"/api/viz/groups/members": {"cell": "Recruiter|"}, "/api/viz/groups/claims": link}
        extra = extra.get(url, {})
        answer = client.get(url, params={**params, **extra})
        assert answer.status_code == status, (url, answer.text)
        assert words in answer.text


def test_the_page_follows_the_filters_in_its_address(browser: Browser, server: LiveServer) -> None:
    """The filters in the address are those in force (the form shows them, the groups are
    counted under them); changed and applied from the keyboard, they go to the address."""
    page, watch = watched_page(browser, (1440, 900))
    try:
        page.goto(f"{server.base}/viz?min_confidence=high")
        page.wait_for_selector("body[data-ready=true]", timeout=READY)
        page.wait_for_selector("body[data-links=true]", timeout=READY)
        assert page.is_visible("#filtered-note")
        assert page.input_value("select[name=min_confidence]") == "high"
        firm = page.evaluate("() => JSON.parse(document.getElementById('groups-data').text)")
        assert firm["filter"]["min_confidence"] == "high"
        screenshot(page, "viz-groups-filtered")
        # Recruiters and cohorts only (the claims between them), from the keyboard: uncheck
        # every other kind, apply.
        kept = ("Recruiter", "RecruitCohort")
        for box in page.locator("#kind-checks input").all():
            if box.get_attribute("value") not in kept:
                box.focus()
                page.keyboard.press("Space")
        page.locator("#apply").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**kinds=RecruitCohort&kinds=Recruiter**", timeout=READY)
        page.wait_for_selector("body[data-ready=true]", timeout=READY)
        assert "min_confidence=high" in page.url
        ids = page.evaluate("() => window.groupsView.nodeIds()")
        assert ids and all(i.split(":")[1].split("|")[0] in kept for i in ids)
        assert page.is_checked("#kind-checks input[value=Recruiter]")
        assert not page.is_checked("#kind-checks input[value=FederalBody]")
        watch.assert_clean()
    finally:
        page.context.close()


def test_every_link_between_groups_is_reached_by_keyboard(groups_page: Page) -> None:
    """The links between groups, one tab stop past the list of groups: each said in words,
    the arrow keys go through them, Enter opens what a click opens."""
    page = groups_page
    page.wait_for_selector("body[data-links=true]", timeout=READY)
    page.locator("#group-list button").last.focus()
    page.keyboard.press("Tab")  # past the legend, which holds no control
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "link-list"
    options = page.locator("#link-list [role=option]")
    assert options.count() == int(page.get_attribute("#stats", "data-edges") or -1) > 0
    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    words = second.inner_text()
    assert " to " in words and "claim" in words
    assert page.get_attribute("#link-list", "aria-activedescendant") == second.get_attribute("id")
    link = second.get_attribute("data-link")
    assert page.evaluate("() => window.groupsView.network.getSelectedEdges()") == [link]
    page.keyboard.press("Enter")
    page.wait_for_selector("#details:not([hidden])")
    claims = int(re.search(r"([\d,]+) claims?", words).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert f"{claims:,}" in page.inner_text("#details-attributes")
    assert " → " in page.inner_text("#details-title")
    # Its claims, as a click lists them: the latest (at most LINK_CLAIMS), with sources.
    listed = page.locator("#details-claims > li")
    listed.first.wait_for(timeout=READY)
    assert listed.count() == min(claims, LINK_CLAIMS)
    assert (
        " → " in listed.first.inner_text() and page.locator("#details-claims .sources li").count()
    )
    screenshot(page, "viz-groups-keyboard-link")


def test_a_link_lists_its_claims_under_the_filters(client: httpx.Client) -> None:
    """The claims behind a link between groups: as many as the link counts (up to
    LINK_CLAIMS), of its relation, between its groups, under the filters."""
    for params in ({}, {"min_confidence": "high"}):
        links = _ready(client, "/api/viz/groups/links", params)
        link = min((ln for ln in links if ln["claims"] > 1), key=lambda ln: ln["claims"])
        ask = {"source": link["from"], "target": link["to"], "relation": link["type"]}
        claims = _ready(client, "/api/viz/groups/claims", {**ask, **params})["claims"]
        assert len(claims) == min(link["claims"], LINK_CLAIMS)
        assert all(c["type"] == link["type"] and c["sources"] for c in claims)
        if params:
            assert {c["confidence"] for c in claims} == {"high"}
    refused = client.get("/api/viz/groups/claims", params={**ask, "relation": "Gossip"})
    assert refused.status_code == 400 and "Gossip" in refused.json()["error"]
    refused = client.get("/api/viz/groups/claims", params={**ask, "source": "Nothing|"})
    assert refused.status_code == 400 and "Nothing" in refused.json()["error"]
