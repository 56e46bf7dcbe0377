"""The explorer's data, page, CLI command and routes, without a browser (see test_viz_browser
for the page driven in Chromium): what the page is given is the projection, complete, cited and
escaped; the served page and the file load nothing from elsewhere; restricted data stays out."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import httpx
import networkx as nx
import pytest
from rdflib import RDFS, URIRef

from graph.analysis.projection import LEVELS, ProjectionFilter, party_label, project
from graph.model.namespaces import RG
from graph.model.ontology import kinds, ontology_graph, relation_types
from graph.store import EmbeddedStore, Store
from graph.viz import Explorer, explorer_data, explorer_page, write_page
from graph.viz.network import LABEL_LENGTH, actor_aliases, basis_styles, build_network, layout
from graph.viz.page import ASSETS, json_for_script
from tests.helpers import SECRET_MARKS, LiveServer, run_cli, with_default_dataset

HOSTILE = '<img src=x onerror="window.__xss=1">'
CLOSER = "</script><script>window.__xss=2</script>"
#: The claims of the shipped dataset coded as an expert's assessment (claims.csv, column basis).
ASSESSMENTS = {"c001", "c002", "c003", "c004", "c005", "c006", "c007", "c040"}
CENTER = "Russian federal government (federal center)"


@pytest.fixture(scope="module")
def default_store() -> Store:
    store = EmbeddedStore()
    with_default_dataset(store)
    return store


@pytest.fixture(scope="module")
def default_data(default_store: Store) -> dict:
    return explorer_data(default_store)


class _Tags(HTMLParser):
    """The elements of a page that load something: (tag, attribute, value). A link within the
    page (a skip link's ``#network``) loads nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str, str]] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None and not value.startswith("#"):
                self.loads.append((tag, name, value))
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self.inline_scripts += 1


def _data_of(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="explorer-data">(.*?)</script>', page, re.S
    )
    assert match, "the page holds its data"
    return json.loads(match.group(1))


def test_the_data_is_the_projection_with_every_claim_cited(
    default_store: Store, default_data: dict
) -> None:
    G = project(default_store)
    assert {n["id"] for n in default_data["nodes"]} == set(G.nodes)
    claims = [c for edge in default_data["edges"] for c in edge["claims"]]
    assert sorted(c["id"] for c in claims) == sorted(k for _, _, k in G.edges(keys=True))
    assert all(
        c["sources"] and all(s["url"].startswith("http") for s in c["sources"]) for c in claims
    )
    # one vis edge per (from, to, relation type)
    keys = [(e["from"], e["to"], e["type"]) for e in default_data["edges"]]
    assert len(keys) == len(set(keys))
    assert default_data["synthetic"] is False
    assert [k["name"] for k in default_data["kinds"]] == list(kinds())
    assert [r["name"] for r in default_data["relations"]] == list(relation_types())
    assert default_data["confidence"] == ["low", "medium", "high"]
    assert default_data["span"]["start"] <= default_data["span"]["end"]
    node = next(n for n in default_data["nodes"] if n["kind"] == "FederalBody")
    assert {"x", "y", "shape", "color", "label", "group_key", "measures"} <= set(node)
    assert "betweenness" in default_data["measures"]
    assert default_data["timeline"]["windows"], "the file holds its timeline"


#: CamelCase or snake_case: a class or notation of the model, not words for a reader.
INTERNAL_NAME = re.compile(r"[a-z][A-Z]|\w_\w")


def test_the_legend_has_the_ontologys_words(default_data: dict) -> None:
    onto = ontology_graph()
    for style in default_data["relations"]:
        # the class's own rdfs:label, read from the ontology, not a list kept in code
        assert style["label"] == str(onto.value(URIRef(RG + style["name"]), RDFS.label))
    for style in default_data["kinds"] + default_data["relations"]:
        assert not INTERNAL_NAME.search(style["label"]), style
    assert {s["label"] for s in default_data["relations"]} >= {"Funding flow", "Coordination"}
    assert default_data["vocabulary"]["purpose"]["enlistment_bonus"] == "enlistment bonus"


def test_actors_are_drawn_by_short_names(default_store: Store, default_data: dict) -> None:
    aliases = actor_aliases(default_store)
    nodes = default_data["nodes"]
    center = next(n for n in nodes if n["label"] == CENTER)
    assert center["short_label"] == "Russian government"  # its alias in the actor registry
    for node in nodes:
        label, short = node["label"], node["short_label"]
        if short == label or short in aliases.get(node["id"], ()):
            continue
        # a cut: words from the start, an ellipsis, perhaps the closing parenthesis
        head, _, tail = short.partition("…")
        assert label.startswith(head) and label.endswith(tail) and len(short) < len(label)
    assert max(len(n["short_label"]) for n in nodes) <= LABEL_LENGTH + 8
    assert sum(len(n["label"]) > LABEL_LENGTH for n in nodes) > 30, "the shipped names are long"
    # two actors of different names never read the same on the canvas
    names: dict[str, set[str]] = {}
    for node in nodes:
        names.setdefault(node["short_label"], set()).add(node["label"])
    assert [labels for labels in names.values() if len(labels) > 1] == []


def test_no_title_reaches_pyvis_popup(default_data: dict) -> None:
    # pyvis's template turns titles containing "href" into innerHTML; the page builds its own.
    assert all("title" not in n for n in default_data["nodes"])
    assert all("title" not in e for e in default_data["edges"])


def test_layout_is_deterministic_and_keeps_components_apart(default_store: Store) -> None:
    G = project(default_store)
    first, second = layout(G), layout(G)
    assert first == second
    assert set(first) == set(G.nodes)
    assert {rank for *_, rank in first.values()} >= {0, 1}


def test_filters_narrow_the_data(default_store: Store, default_data: dict) -> None:
    federal_only = explorer_data(
        default_store, flt=ProjectionFilter(kinds=frozenset({"FederalBody", "RegionalGovernment"}))
    )
    assert 0 < len(federal_only["nodes"]) < len(default_data["nodes"])
    assert {n["kind"] for n in federal_only["nodes"]} <= {"FederalBody", "RegionalGovernment"}


def _claims_by_id(data: dict) -> dict[str, tuple[dict, dict]]:
    """Each claim of the page's data by its id, with the vis edge that carries it."""
    return {c["claim_id"]: (edge, c) for edge in data["edges"] for c in edge["claims"]}


def test_assessments_are_dashed_and_carry_their_basis(default_data: dict) -> None:
    claims = _claims_by_id(default_data)
    assert {cid for cid, (_, c) in claims.items() if c["basis"] == "assessment"} == ASSESSMENTS
    for _edge, claim in claims.values():
        # one vis edge per basis: an edge's claims share its basis, and its dashes tell it
        assert claim["basis"] == _edge["basis"]
        assert _edge["dashes"] is (claim["basis"] == "assessment")
    assert [(b["name"], b["dashes"]) for b in default_data["bases"]] == [
        ("report", False),
        ("assessment", True),
    ]
    assert "assessment (expert judgment)" in [b["legend"] for b in default_data["bases"]]
    # the claim's own note, as the CSV states it
    _, c005 = claims["c005"]
    assert c005["note"].startswith("Stevens linked this to ongoing burden-shifting")
    assert c005["subject_label"] == CENTER
    assert all(c["note"] for _, c in claims.values()), "every shipped claim has a note"


def test_reports_only_leaves_the_assessments_out(default_store: Store, default_data: dict) -> None:
    reports = explorer_data(default_store, flt=ProjectionFilter(basis="report"), window=None)
    claims = _claims_by_id(reports)
    assert set(claims) == set(_claims_by_id(default_data)) - ASSESSMENTS
    assert not any(edge["dashes"] for edge in reports["edges"])
    assert reports["filter"]["basis"] == "report"


def test_government_level_draws_one_federal_node(default_store: Store, default_data: dict) -> None:
    government = explorer_data(default_store, flt=ProjectionFilter(level="government"), window=None)
    assert government["filter"]["level"] == "government"
    federal = [n for n in default_data["nodes"] if n["kind"] == "FederalBody"]
    assert len(federal) > 1
    [center] = [n for n in government["nodes"] if n["kind"] == "FederalBody"]
    assert center["label"] == CENTER
    # it stands for every federal body drawn at the organization level, itself included
    assert sorted(a["label"] for a in center["stands_for"]) == sorted(n["label"] for n in federal)
    assert len(center["members"]) == len(federal) - 1
    # at the organization level every node stands for itself alone
    assert all(len(n["stands_for"]) == 1 for n in default_data["nodes"])
    # the claims keep their own parties: the Ministry's claims are drawn from the center
    ministry = next(n["id"] for n in federal if n["label"] == "Russian Ministry of Defence")
    moved = [
        (edge, c)
        for edge in government["edges"]
        for c in edge["claims"]
        if c["subject"] == ministry
    ]
    assert moved
    for edge, claim in moved:
        assert edge["from"] == center["id"]
        assert claim["subject_label"] == "Russian Ministry of Defence"
    # the same claims at both levels
    assert set(_claims_by_id(government)) == set(_claims_by_id(default_data))


def test_projection_edges_hold_21_keys_and_find_their_parties_labels(
    default_store: Store,
) -> None:
    # 21 keys at most: a dict of 464 bytes (22 take 832); the claim's IRI is the edge's key
    # and the labels of its own parties are read from the projection, at either level.
    by_party = {}
    for level in LEVELS:  # the organization level first
        G = project(default_store, ProjectionFilter(level=level))
        assert max(len(data) for *_, data in G.edges(data=True)) <= 21
        for u, v, data in G.edges(data=True):
            for party, end in ((data["subject"], u), (data["object"], v)):
                label = by_party.setdefault(party, party_label(G, party))
                assert label and party_label(G, party) == label
                assert (party == end) == (party not in G.graph["party_labels"])
    assert G.graph["party_labels"], "the government level rolls up federal bodies"


def _claim(cid: str, u: str, v: str, **values: object) -> tuple[str, str, str, dict]:
    data = {
        "claim_id": cid,
        "type": "FundingFlow",
        "start": date(2024, 1, 1),
        "end": date(2024, 12, 31),
        "end_stated": True,
        "precision": "month",
        "confidence": "high",
        "amount": None,
        "currency": None,
        "purpose": "enlistment_bonus",
        "count": None,
        "dataset": "hand",
        "sources": ("https://example.org/a",),
        "source_titles": ("A",),
        "basis": "report",
        "amount_basis": None,
        "foreigners": True,
        "note": f"note of {cid}",
        "subject": u,
        "object": v,
    }
    data.update(values)
    return u, v, f"urn:claim:{cid}", data


def test_edge_width_counts_claims_and_never_adds_money() -> None:
    # Two reports from one region to one scheme: 400,000 RUB per recruit and 2,500 USD per
    # recruit, and one total of 2,000,000,000 RUB; an assessment beside them. The width of
    # the reports' edge is 3 claims (not 2,000,402,500 of anything); the assessment's is 1.
    G = nx.MultiDiGraph()
    for node, kind, tier in (("r", "RegionalGovernment", "regional"),
                             ("s", "RecruitmentScheme", "other")):  # fmt: skip
        G.add_node(node, kind=kind, tier=tier, label=node.upper(), aggregate=False,
                   synthetic=False, code=None, part_of=None, members=[])  # fmt: skip
    claims = [
        _claim("h1", "r", "s", amount=400000.0, currency="RUB", amount_basis="per_recruit"),
        _claim("h2", "r", "s", amount=2500.0, currency="USD", amount_basis="per_recruit"),
        _claim("h3", "r", "s", amount=2e9, currency="RUB", amount_basis="total"),
        _claim("h4", "r", "s", basis="assessment", note="an expert thinks so"),
    ]
    for u, v, key, data in claims:
        G.add_edge(u, v, key=key, **data)
    edges = {edge["basis"]: edge for edge in build_network(G).edges}
    assert set(edges) == {"report", "assessment"}
    assert edges["report"]["value"] == 3 and edges["report"]["dashes"] is False
    assert edges["assessment"]["value"] == 1 and edges["assessment"]["dashes"] is True
    amounts = {(c["amount"], c["currency"], c["amount_basis"]) for c in edges["report"]["claims"]}
    assert amounts == {(400000.0, "RUB", "per_recruit"), (2500.0, "USD", "per_recruit"),
                       (2e9, "RUB", "total")}  # fmt: skip
    assert edges["assessment"]["claims"][0]["note"] == "an expert thinks so"


def test_nodes_are_not_sized_by_summed_money(default_data: dict) -> None:
    # A node's strength, offered as its size, is the number of claims at it (self-loops
    # aside), counted here from the edges the page draws: no amount enters it.
    claims_at: dict[str, int] = {}
    for edge in default_data["edges"]:
        if edge["from"] != edge["to"]:
            for end in (edge["from"], edge["to"]):
                claims_at[end] = claims_at.get(end, 0) + len(edge["claims"])
    assert "strength" in default_data["measures"]
    for node in default_data["nodes"]:
        assert node["measures"]["strength"] == claims_at.get(node["id"], 0), node["label"]


def test_basis_legend_follows_the_ontology() -> None:
    from graph.model.ontology import concepts

    assert {b["name"] for b in basis_styles()} == set(concepts("ClaimBasisScheme"))


def test_json_in_a_script_cannot_close_it() -> None:
    text = str(json_for_script({"label": CLOSER + HOSTILE + "&amp;"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"label": CLOSER + HOSTILE + "&amp;"}


def test_hostile_labels_stay_data(default_data: dict) -> None:
    data = json.loads(json.dumps(default_data))
    data["nodes"][0]["label"] = HOSTILE
    data["nodes"][1]["label"] = CLOSER
    data["edges"][0]["claims"][0]["sources"][0]["title"] = CLOSER
    page = explorer_page(data, title="<b>title</b>")
    assert HOSTILE not in page and "</script><script>window.__xss" not in page
    outside_data = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)
    assert "__xss" not in outside_data, "hostile text only ever inside the JSON blocks"
    assert "<b>title</b>" not in page and "&lt;b&gt;title&lt;/b&gt;" in page
    parsed = _data_of(page)
    assert parsed["nodes"][0]["label"] == HOSTILE
    assert parsed["nodes"][1]["label"] == CLOSER


def test_single_file_loads_nothing(default_data: dict) -> None:
    page = explorer_page(default_data)
    tags = _Tags()
    tags.feed(page)
    assert [value for _, _, value in tags.loads] == ["data:,"], "only the empty favicon"
    assert tags.inline_scripts >= 2 + 2  # two data blocks, vis-network and the page's script
    assert "connect-src 'none'" in html.unescape(page[:1000])
    for name in ASSETS:
        text = ASSETS[name].read_text(encoding="utf-8")
        assert text[:200].replace("</script", "<\\/script") in page


def test_served_page_links_only_its_own_assets(default_data: dict) -> None:
    page = explorer_page(default_data, assets_url="/viz/assets", api_url="")
    tags = _Tags()
    tags.feed(page)
    assert {value for _, _, value in tags.loads} == {"data:,"} | {
        f"/viz/assets/{name}" for name in ASSETS
    }
    assert tags.inline_scripts == 2  # only the JSON blocks: no inline code


def test_notebook_display_is_an_iframe_with_the_page(default_data: dict) -> None:
    frame = Explorer(default_data, height=500)._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "height:500px" in frame
    assert "<script" not in frame, "the page is escaped inside the attribute"
    assert "&lt;script" in frame


def test_write_page_is_whole_or_nothing(tmp_path: Path, default_data: dict) -> None:
    target = write_page(tmp_path / "page.html", default_data)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(TypeError):
        write_page(tmp_path / "broken.html", default_data, unknown_option=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_cli_writes_the_page(tmp_path: Path, cli_env: dict[str, str]) -> None:
    with EmbeddedStore(cli_env["RECRUITGRAPH_DATA_DIR"]) as store:
        with_default_dataset(store)
    out = tmp_path / "explorer.html"
    done = run_cli("viz", "--out", str(out), "--window", "P6M", "--step", "P6M", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "wrote the explorer page with" in done.stderr
    data = _data_of(out.read_text(encoding="utf-8"))
    assert data["timeline"]["window"] == "P6M"
    assert len(data["nodes"]) > 100


def test_cli_writes_the_government_level_of_reports(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    # the claims with the actor registry, whose part_of rolls the federal bodies up
    with EmbeddedStore(cli_env["RECRUITGRAPH_DATA_DIR"]) as store:
        with_default_dataset(store)
    out = tmp_path / "explorer.html"
    done = run_cli(
        "viz", "--out", str(out), "--level", "government", "--basis", "report", env=cli_env
    )
    assert done.returncode == 0, done.stderr
    data = _data_of(out.read_text(encoding="utf-8"))
    assert data["filter"]["level"] == "government" and data["filter"]["basis"] == "report"
    assert [n["label"] for n in data["nodes"] if n["kind"] == "FederalBody"] == [CENTER]
    assert not ASSESSMENTS & set(_claims_by_id(data))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--window", "P0M"], "duration"),
        (["--kind", "Nope"], "unknown kind"),
        (["--from", "2025-01-01", "--to", "2024-01-01"], "before it starts"),
    ],
)
def test_cli_refuses_bad_input_and_writes_nothing(
    tmp_path: Path, cli_env: dict[str, str], arguments: list[str], message: str
) -> None:
    out = tmp_path / "explorer.html"
    done = run_cli("viz", "--out", str(out), *arguments, env=cli_env)
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_cli_refuses_a_missing_directory(tmp_path: Path, cli_env: dict[str, str]) -> None:
    done = run_cli("viz", "--out", str(tmp_path / "no" / "page.html"), env=cli_env)
    assert done.returncode == 1 and "no such directory" in done.stderr


# --------------------------------------------------------------------------------------------
# HTTP, on the shared live server (public, restricted and synthetic datasets)


def test_viz_page_and_assets_are_served(live: LiveServer) -> None:
    with live.client() as client:
        page = client.get("/viz")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        for name in ASSETS:
            asset = client.get(f"/viz/assets/{name}")
            assert asset.status_code == 200
            assert asset.headers["content-type"].startswith(("text/javascript", "text/css"))
        missing = client.get("/viz/assets/../app.py")
        assert missing.status_code == 404
        assert client.get("/viz/assets/nothing.js").json()["status"] == 404


def test_viz_page_opens_at_government_level(live: LiveServer) -> None:
    with live.client() as client:
        assert _data_of(client.get("/viz").text)["filter"]["level"] == "government"
        chosen = client.get("/viz", params={"level": "organization"}).text
        assert _data_of(chosen)["filter"]["level"] == "organization"
        # the data route keeps the default of every other route
        assert client.get("/api/viz").json()["filter"]["level"] == "organization"


def test_viz_data_route(live: LiveServer) -> None:
    with live.client() as client:
        data = client.get("/api/viz", params={"window": "P12M"}).json()
        assert data["synthetic"] is True, "the shared server holds a synthetic dataset"
        assert {d["name"] for d in data["datasets"]} == {"pub", "synth"}
        assert data["timeline"]["windows"]
        only_pub = client.get("/api/viz", params={"dataset": "pub"}).json()
        assert only_pub["synthetic"] is False and only_pub["timeline"] is None
        assert len(only_pub["nodes"]) < len(data["nodes"])


def test_viz_data_route_takes_level_and_basis(live: LiveServer) -> None:
    with live.client() as client:
        data = client.get("/api/viz", params={"level": "government", "basis": "report"}).json()
        assert data["filter"]["level"] == "government" and data["filter"]["basis"] == "report"
        assert all(c["basis"] == "report" for e in data["edges"] for c in e["claims"])
        everything = client.get("/api/viz", params={"basis": "all"}).json()
        assert everything["filter"]["basis"] is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"window": "P0M"}, "duration"),
        ({"kinds": "Nope"}, "unknown kind"),
        ({"min_confidence": "certain"}, "confidence"),
        ({"start": "yesterday"}, "date"),
        ({"level": "village"}, "level"),
        ({"basis": "rumour"}, "basis"),
    ],
)
def test_viz_refuses_bad_filters(live: LiveServer, params: dict, message: str) -> None:
    for path in ("/api/viz", "/viz"):
        answer = httpx.get(live.base + path, params=params, timeout=30)
        if path == "/viz" and "window" in params:
            continue  # the page takes no timeline parameter
        assert answer.status_code in (400, 422), answer.text
        assert message in answer.json()["error"]


@pytest.mark.parametrize("path", ["/viz", "/api/viz"])
def test_restricted_data_stays_out_of_the_explorer(live: LiveServer, path: str) -> None:
    with live.client() as anonymous, live.client("reader") as reader:
        for client in (anonymous, reader):
            text = client.get(path).text
            for mark in SECRET_MARKS:
                assert mark not in text, f"{mark} leaked through {path}"
    with live.client("reader_secret") as allowed:
        assert "zzsecret" in allowed.get(path).text.lower()
