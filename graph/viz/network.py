"""The explorer's network: a projection drawn as a pyvis (vis-network) graph, with everything
the page needs to filter, size, aggregate and cite without asking the server again.

One vis edge stands for every claim of one relation type and one basis (report or
assessment) between two actors, and carries those claims (period, confidence, amount with its
currency and basis, note, the claim's own parties, dataset, sources), so that the page can
filter by period, confidence, basis, amount or dataset and still cite each claim it draws.
Nodes carry their kind, place code, node measures and, once actors are rolled up (the
``government`` level, or analysts' merges), the actors they stand for. Node colour follows the
actor's tier and node shape its kind; an edge's colour and arrowhead follow its relation type,
and its dashes its basis (dashed: an assessment), all read from the ontology, so that a kind,
relation type or basis added there is drawn without a change here.

An edge's width is the number of claims it carries, never a sum of amounts: the amounts of one
link may be in several currencies, and per-recruit payment levels cannot be added to totals.

Positions are computed here (networkx's spring layout, seeded), not by the browser's physics:
a page of 1,500 actors opens settled, stays where it was after a filter, and can be set
moving again from the page.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

from graph.analysis.figures import data_span, node_table, timeline
from graph.analysis.projection import (
    LEVELS,
    ProjectionFilter,
    party_label,
    project,
    simple_view,
    sources_of,
)
from graph.ingest import list_datasets
from graph.model.namespaces import SKOS
from graph.model.ontology import (
    concept_texts,
    confidence_levels,
    kinds,
    relation_labels,
    tiers,
)
from graph.sparql import dataset_graphs
from graph.store import Store
from graph.store.cache import cached

# pyvis (and the IPython it imports) is imported where it is used: the server's HTTP
# process imports this module (for the operations' names) and never runs it
# (tests/test_memory.py).
if TYPE_CHECKING:
    from pyvis.network import Network

__all__ = [
    "LABEL_LENGTH",
    "NODE_BUDGET",
    "OPENING_LEVEL",
    "TIER_COLOURS",
    "actor_aliases",
    "basis_styles",
    "build_network",
    "explorer_data",
    "group_key",
    "kind_styles",
    "layout",
    "relation_styles",
    "short_label",
    "short_labels",
    "vocabulary",
]

#: Past this many actors the page aggregates (cohorts by country, then recruiters by region,
#: then any kind by place) instead of drawing every node: vis-network's canvas stays usable
#: up to about this size, and a layout beyond it takes minutes in users' reports.
NODE_BUDGET = 1500

#: The level the explorer opens at when the address names none: one node per government
#: (every federal body in the federal center) reads at a glance; the organization level is
#: one click away on the page.
OPENING_LEVEL = "government"

#: The most characters a label on the canvas has: a short name (an alias) where the registry
#: gives one this short, else the name cut at a word with an ellipsis. About a third of the
#: shipped names are longer (up to 105 characters); the full name is in the tooltip and the
#: details panel.
LABEL_LENGTH = 32

#: Node colours given to the tiers in the ontology's order (``rg:order``: federal red, regional
#: orange, recruiter purple, foreign blue, other grey); a kind's tier is its ``rg:tier``.
_TIER_PALETTE = ("#c0392b", "#e67e22", "#8e44ad", "#2471a3", "#7f8c8d")
#: The colour of a tier past the palette.
_GREY = "#7f8c8d"
#: Node colours by tier.
TIER_COLOURS = dict(zip(tiers(), _TIER_PALETTE, strict=False))
#: vis-network shapes given to the kinds in the ontology's order; shapes whose label is drawn
#: beneath them, so labels stay readable whatever the node size.
_SHAPES = ("dot", "diamond", "square", "triangle", "hexagon", "star", "triangleDown")
#: Edge colours and vis-network arrowheads given to the relation types in the ontology's order:
#: a relation type is told by its arrowhead as well as its colour (not by colour alone), which
#: leaves the dashes to tell an assessment from a report.
_EDGE_COLOURS = ("#1f77b4", "#7f7f7f", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf")
_ARROWS = ("arrow", "circle", "diamond", "vee", "bar", "box", "inv_triangle")
#: The basis whose claims are drawn solid; every other basis of the ontology (an expert's
#: assessment) is drawn dashed. "report" is also the value of ``ProjectionFilter.basis``.
_REPORT = "report"


def kind_styles() -> list[dict[str, Any]]:
    """The legend: each actor kind of the ontology with its label, tier, colour and shape."""
    return [
        {
            "name": kind.name,
            "label": kind.label,
            "tier": kind.tier,
            "colour": TIER_COLOURS.get(kind.tier, _GREY),
            "shape": _SHAPES[i % len(_SHAPES)],
        }
        for i, kind in enumerate(kinds().values())
    ]


def relation_styles() -> list[dict[str, Any]]:
    """Each relation type of the ontology with its label (``rdfs:label``: "Funding flow"),
    edge colour and arrowhead (a vis-network arrow type)."""
    return [
        {
            "name": name,
            "label": label,
            "colour": _EDGE_COLOURS[i % len(_EDGE_COLOURS)],
            "arrow": _ARROWS[i % len(_ARROWS)],
        }
        for i, (name, label) in enumerate(relation_labels().items())
    ]


def short_label(label: str, aliases: Sequence[str] = (), length: int = LABEL_LENGTH) -> str:
    """The name an actor is drawn with: ``label`` if it has at most ``length`` characters,
    else its shortest alias that short (the registry's ``skos:altLabel``), else ``label`` cut
    after the last word that fits, with an ellipsis, keeping a closing parenthesis of a few
    words (the country of "Ministry of Defence (Cameroon)"), which tells like names apart.

    >>> short_label("Russian federal government (federal center)", ["Russian government"])
    'Russian government'
    >>> short_label("Ministry of Foreign Affairs (Sri Lanka)")
    'Ministry of Foreign… (Sri Lanka)'
    >>> short_label("Nepali human-smuggling ring sending youths to the Russian army")
    'Nepali human-smuggling ring…'
    >>> short_label("</script><script>window.__xss=2</script>", length=20)
    '</script><script>wi…'
    """
    if len(label) <= length:
        return label
    fitting = sorted((alias for alias in aliases if alias and len(alias) <= length), key=len)
    if fitting:
        return fitting[0]
    tail = re.search(r" (\([^()]{1,16}\))$", label)
    end = f" {tail.group(1)}" if tail else ""
    budget = length - len(end) - 1  # the words', beside the ending and the ellipsis
    head = ""
    for word in label[: len(label) - len(end)].split(" "):
        if len(head) + len(word) + 1 > budget:
            # A first word longer than all the room (a name without spaces) is cut itself.
            head = head or word[:budget]
            break
        head = f"{head} {word}" if head else word
    return head.rstrip(" ,;:-(") + "…" + end


def short_labels(
    names: dict[Any, str], aliases: dict[Any, list[str]], length: int = LABEL_LENGTH
) -> dict[Any, str]:
    """:func:`short_label` of each of ``names`` (``{node: label}``), longer where two would
    read the same: a cut that leaves "Government of the Republic…" for several regions is
    lengthened, a few words at a time, until each reads differently or is whole.

    >>> short_labels({1: "Government of the Republic of Tatarstan",
    ...               2: "Government of the Republic of Dagestan"}, {}, length=24)
    {1: 'Government of the Republic of Tatarstan', 2: 'Government of the Republic of Dagestan'}
    """
    result: dict[Any, str] = {}
    pending = dict(names)
    while pending:
        shortened = {
            node: short_label(name, aliases.get(node, ()), length) for node, name in pending.items()
        }
        counts = Counter(shortened.values())
        for node, text in shortened.items():
            if counts[text] == 1 or text == pending[node]:
                result[node] = text
        pending = {node: name for node, name in pending.items() if node not in result}
        length += 8
    return result


def actor_aliases(store: Store, graphs: Sequence[str] | None = None) -> dict[str, list[str]]:
    """``{actor IRI: [aliases]}``: the ``skos:altLabel`` of each actor in ``graphs`` (None:
    every dataset), as the actor registry writes them."""
    found: dict[str, list[str]] = {}
    for graph in dataset_graphs(store) if graphs is None else graphs:
        for actor, alias in store.statements(graph, SKOS + "altLabel"):
            found.setdefault(actor, []).append(alias)
    return found


def basis_styles() -> list[dict[str, Any]]:
    """The legend of claim bases: each basis of the ontology's ``ClaimBasisScheme`` with its
    label, its definition, the words the legend shows, and whether its edges are dashed.

    Reports are drawn solid, every other basis (an expert's assessment) dashed, so that a
    judgment is never read as a documented fact, whatever the colours a reader can tell.

    Returns
    -------
    list of dict
        ``name`` (the notation, as in the claims' ``basis``), ``label``, ``definition``,
        ``legend`` (e.g. ``"assessment (expert judgment)"``) and ``dashes`` (bool).

    Examples
    --------
    >>> for style in basis_styles():
    ...     print(style["name"], style["dashes"], style["legend"])
    report False report (documented by the source)
    assessment True assessment (expert judgment)

    References
    ----------
    .. [1] The ``rg:ClaimBasisScheme`` of ``ontologies/recruitment.ttl``.
    """
    texts = concept_texts("ClaimBasisScheme")
    # Reports first: the solid line before the dashed one in the legend.
    names = sorted(texts, key=lambda name: name != _REPORT)
    return [
        {
            "name": name,
            "label": text["label"],
            "definition": text["definition"],
            # A few words beside the label (the concept's skos:scopeNote), where the
            # definition is too long for a legend.
            "legend": f"{text['label']} ({text['note']})",
            "dashes": name != _REPORT,
        }
        for name in names
        for text in (texts[name],)
    ]


def vocabulary() -> dict[str, dict[str, str]]:
    """The plain words the page uses for the coded values of a claim: the label of each
    amount basis (``"per recruit"``, ``"total"``) and funding purpose
    (``"enlistment bonus"`` ...), read from the ontology's SKOS schemes.

    Examples
    --------
    >>> words = vocabulary()
    >>> words["amount_basis"]["per_recruit"], words["purpose"]["enlistment_bonus"]
    ('per recruit', 'enlistment bonus')
    """
    return {
        "amount_basis": {
            name: texts["label"] for name, texts in concept_texts("AmountBasisScheme").items()
        },
        "purpose": {
            name: texts["label"] for name, texts in concept_texts("FundingPurposeScheme").items()
        },
    }


def layout(
    G: nx.MultiDiGraph,
    *,
    seed: int = 7,
    spacing: float = 60.0,
    aspect: float = 1.6,
    budget: int = NODE_BUDGET,
) -> dict[Any, tuple[float, float, int]]:
    """Node positions (x, y) in vis-network's pixel space for the actors of ``G``, and the
    rank of each one's connected component by size (0: the largest).

    Each connected component gets a seeded spring layout (Fruchterman and Reingold 1991) of
    its own, of radius ``spacing`` times the square root of its size (about constant room per
    actor), and the components are then packed in rows, largest first. Laid out together,
    the small components would be pushed to a far ring and shrink the picture. Rows are
    ``aspect`` times as wide as the packing is high, the shape of a screen. The same data
    always opens the same way.

    A component of more than ``budget`` actors, which the page draws aggregated, is laid out
    by its aggregates (:func:`_grouped_layout`): the spring layout is quadratic per
    iteration, about 25 s for 5,000 actors here, and the page would draw the groups anyway.
    """
    if G.number_of_nodes() == 0:
        return {}
    view = simple_view(G, directed=False)
    boxes = []
    components = sorted(nx.connected_components(view), key=lambda c: (-len(c), min(c)))
    for component in components:
        radius = spacing * math.sqrt(len(component)) if len(component) > 1 else 0.0
        if len(component) > budget:
            # node -> (x, y): pairs of floats here, numpy arrays from networkx below
            local: dict[Any, Any] = _grouped_layout(
                G, view.subgraph(component), radius, seed, spacing
            )
        elif radius:
            # Twice networkx's default distance between nodes (1/sqrt(n)): leaves of a hub,
            # and their labels, bunch less.
            local = nx.spring_layout(
                view.subgraph(component),
                k=2 / math.sqrt(len(component)),
                seed=seed,
                iterations=50,
                scale=radius,
            )
        else:
            local = {node: (0.0, 0.0) for node in component}
        boxes.append((radius + spacing / 2, local))
    # Shelf packing, largest first.
    area = sum((2 * half) ** 2 for half, _ in boxes)
    width = max(2 * boxes[0][0], math.sqrt(area * aspect) * 1.05)
    positions: dict[Any, tuple[float, float, int]] = {}
    x = y = row_height = 0.0
    for rank, (half, local) in enumerate(boxes):
        if x > 0 and x + 2 * half > width:
            x, y, row_height = 0.0, y + row_height, 0.0
        for node, (px, py) in local.items():
            positions[node] = (round(float(px) + x + half, 1), round(float(py) + y + half, 1), rank)
        x += 2 * half
        row_height = max(row_height, 2 * half)
    return positions


def _grouped_layout(
    G: nx.MultiDiGraph, component: nx.Graph, radius: float, seed: int, spacing: float
) -> dict[Any, tuple[float, float]]:
    """Positions for a large component: a spring layout of its aggregates (the graph of
    :func:`group_key` groups, weighted by the links between them), then each group's members
    on a sunflower spiral (Vogel 1979: the i-th at radius proportional to sqrt(i), turned by
    the golden angle) around the group's place, which keeps their density even."""
    members: dict[str, list[Any]] = {}
    for node in component:
        members.setdefault(group_key(G.nodes[node]), []).append(node)
    groups: nx.Graph[str] = nx.Graph()
    groups.add_nodes_from(members)
    for u, v in component.edges():
        a, b = group_key(G.nodes[u]), group_key(G.nodes[v])
        if a != b:
            weight = groups.get_edge_data(a, b, {"weight": 0})["weight"]
            groups.add_edge(a, b, weight=weight + 1)
    if len(groups) > 2000:
        # Too many groups for the quadratic spring layout as well: a seeded random spread.
        # group -> (x, y): numpy arrays from networkx, pairs of floats otherwise
        centres: dict[str, Any] = nx.random_layout(groups, seed=seed, center=(-0.5, -0.5))
        centres = {key: (2 * radius * x, 2 * radius * y) for key, (x, y) in centres.items()}
    elif len(groups) > 1:
        centres = nx.spring_layout(
            groups, k=2 / math.sqrt(len(groups)), seed=seed, iterations=50, scale=radius
        )
    else:
        centres = {key: (0.0, 0.0) for key in groups}
    golden = math.pi * (3 - math.sqrt(5))
    positions = {}
    for key, nodes in members.items():
        cx, cy = centres[key]
        for i, node in enumerate(sorted(nodes)):
            r = spacing * 0.5 * math.sqrt(i)
            positions[node] = (cx + r * math.cos(i * golden), cy + r * math.sin(i * golden))
    return positions


def _claim_record(
    G: nx.MultiDiGraph, u: str, v: str, key: str, data: dict[str, Any]
) -> dict[str, Any]:
    """One claim (the edge ``u``, ``v``, ``key`` of ``G``) as the page lists it: its own
    parties (``subject``, ``object`` and their labels, which differ from the drawn ends ``u``,
    ``v`` once actors are rolled up), its basis, note, amount with currency and amount basis,
    and its sources."""
    subject, target = data.get("subject", u), data.get("object", v)
    return {
        "id": key,
        "claim_id": data["claim_id"],
        "type": data["type"],
        "start": data["start"].isoformat(),
        "end": data["end"].isoformat(),
        "end_stated": data["end_stated"],
        "confidence": data["confidence"],
        "basis": data.get("basis") or _REPORT,
        "note": data.get("note"),
        "subject": subject,
        "object": target,
        "subject_label": party_label(G, subject),
        "object_label": party_label(G, target),
        "amount": data["amount"],
        "currency": data["currency"],
        "amount_basis": data.get("amount_basis"),
        "purpose": data["purpose"],
        "foreigners": data.get("foreigners"),
        "count": data["count"],
        "dataset": data["dataset"],
        "sources": sources_of(data),
    }


def group_key(attrs: dict[str, Any]) -> str:
    """The aggregate an actor (its node attributes) falls into when the page is over budget:
    its kind and place (the country of a cohort, the region of a recruiter)."""
    return f"{attrs['kind']}|{attrs.get('code') or 'unknown place'}"


def _stands_for(G: nx.MultiDiGraph) -> dict[Any, dict[str, str]]:
    """For each node, the actors whose claims it carries, ``{IRI: label}``: itself alone,
    unless actors are rolled up into it (the government level, analysts' merges)."""
    actors: dict[Any, dict[str, str]] = {node: {} for node in G}
    for u, v, data in G.edges(data=True):
        for end, role in ((u, "subject"), (v, "object")):
            party = data.get(role, end)
            actors[end].setdefault(party, party_label(G, party) or G.nodes[end]["label"])
    return actors


def build_network(G: nx.MultiDiGraph, aliases: dict[str, list[str]] | None = None) -> Network:
    """The pyvis network of a projection: one node per actor, one edge per (from, to, relation
    type, basis).

    Node attributes beyond vis-network's own (``kind``, ``tier``, ``code``, ``group_key``,
    ``measures``, ``part_of``, ``members``, ``stands_for`` ...) and each edge's ``claims``,
    ``basis`` and ``value`` (the number of its claims, which sets its width) are kept in the
    node and edge dictionaries for the page; an assessment's edge is dashed. No ``title`` is
    set: the page builds its tooltips as text, which keeps pyvis's HTML popup (it sets
    ``innerHTML`` from titles that contain "href") out of use.

    ``stands_for`` lists the actors whose claims a node carries, ``{"id", "label"}`` each:
    the node itself alone at the organization level, every organization rolled into it at
    the ``government`` level (the federal center stands for each federal body that is a
    party to a claim shown).

    ``short_label`` is what the canvas draws (:func:`short_label`, with the actor's
    ``aliases``); ``label`` stays the full name, for the tooltip and the details panel.
    """
    styles = {style["name"]: style for style in kind_styles()}
    edge_styles = {style["name"]: style for style in relation_styles()}
    dashed = {style["name"]: style["dashes"] for style in basis_styles()}
    positions = layout(G)
    measures = (
        {row["id"]: row["measures"] for row in node_table(G, by="degree", top=None)}
        if G.number_of_nodes()
        else {}
    )
    stands_for = _stands_for(G)
    short = short_labels(
        {node: attrs["label"] for node, attrs in G.nodes(data=True)}, aliases or {}
    )
    from pyvis.edge import Edge
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="remote")
    for node, attrs in G.nodes(data=True):
        style = styles[attrs["kind"]]
        x, y, component = positions[node]
        actors = sorted(stands_for[node].items(), key=lambda item: (item[0] != node, item[1]))
        net.add_node(
            node,
            label=attrs["label"],
            short_label=short[node],
            shape=style["shape"],
            color=style["colour"],
            x=x,
            y=y,
            kind=attrs["kind"],
            tier=attrs["tier"],
            code=attrs["code"],
            aggregate=attrs["aggregate"],
            synthetic=attrs["synthetic"],
            part_of=attrs.get("part_of"),
            members=list(attrs.get("members") or ()),
            stands_for=[{"id": actor, "label": label} for actor, label in actors],
            component=component,
            group_key=group_key(attrs),
            group_label=f"{style['label']}: {attrs.get('code') or 'unknown place'}",
            # node_table weighs ties by the number of claims (strength, PageRank), never by
            # summed amounts
            measures=measures.get(node, {}),
        )
    grouped: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for u, v, key, data in G.edges(keys=True, data=True):
        record = _claim_record(G, u, v, key, data)
        grouped.setdefault((u, v, data["type"], record["basis"]), []).append(record)
    for (u, v, rtype, basis), claims in grouped.items():
        style = edge_styles[rtype]
        claims.sort(key=lambda claim: (claim["start"], claim["id"]))
        # pyvis's add_edge checks both ends with a linear scan of the node list for every
        # edge (quadratic on thousands); the ends are known to exist, so build the Edge as
        # add_edge would and append it.
        edge = Edge(
            u,
            v,
            directed=True,
            id=f"{u} {v} {rtype} {basis}",
            type=rtype,
            basis=basis,
            color=style["colour"],
            arrows={"to": {"enabled": True, "type": style["arrow"]}},
            dashes=dashed.get(basis, True),
            # The number of claims, never summed amounts (currencies, per-recruit vs total).
            value=len(claims),
            claims=claims,
        )
        net.edges.append(edge.options)
    # No label options: nodes carry no vis label; the page draws their captions itself, where
    # they do not collide (explorer.js, drawLabels).
    net.set_options(
        """{
          "physics": {"enabled": false, "solver": "forceAtlas2Based",
                      "stabilization": {"enabled": true, "iterations": 150}},
          "interaction": {"hover": true, "tooltipDelay": 150, "hideEdgesOnDrag": true},
          "nodes": {"scaling": {"min": 8, "max": 40, "label": {"enabled": false}}},
          "edges": {"smooth": {"enabled": true, "type": "continuous"},
                    "arrows": {"to": {"enabled": true, "scaleFactor": 0.7}},
                    "scaling": {"min": 1, "max": 10}}
        }"""
    )
    return net


def explorer_data(
    store: Store,
    graphs: Sequence[str] | None = None,
    flt: ProjectionFilter | None = None,
    *,
    window: str | None = "P12M",
    step: str = "P3M",
    budget: int = NODE_BUDGET,
) -> dict[str, Any]:
    """Everything the explorer page draws, as JSON-ready data.

    ``graphs`` are the dataset graphs the caller may read (None: all); ``flt`` selects the
    claims (the page filters further by itself). ``window`` and ``step`` give the
    centralization timeline shown beside the network (``window=None``: leave it out, for a
    page that fetches it from ``/api/metrics/timeline``). Cached per store version.

    >>> from graph.store import EmbeddedStore
    >>> from graph.ingest import load_default_dataset
    >>> store = EmbeddedStore()
    >>> _ = load_default_dataset(store)
    >>> data = explorer_data(store)
    >>> len(data["nodes"]) > 100, data["synthetic"]
    (True, False)
    """
    flt = flt or ProjectionFilter()
    key = (flt, None if graphs is None else tuple(sorted(graphs)), window, step, budget)
    return cached(
        store, "explorer", key, lambda: _explorer_data(store, graphs, flt, window, step, budget)
    )


def _explorer_data(
    store: Store,
    graphs: Sequence[str] | None,
    flt: ProjectionFilter,
    window: str | None,
    step: str,
    budget: int,
) -> dict[str, Any]:
    G = project(store, flt, graphs=graphs)
    net = build_network(G, actor_aliases(store, graphs))
    nodes, edges, _heading, _height, _width, options = net.get_network_data()
    span = data_span(store, flt, graphs)
    readable = None if graphs is None else set(graphs)
    datasets = [
        {"name": info.name, "synthetic": info.synthetic, "access": info.access}
        for info in list_datasets(store)
        if (readable is None or info.graph in readable) and info.name in G.graph["datasets"]
    ]
    return {
        "synthetic": G.graph["synthetic"],
        "filter": G.graph["filter"],
        "version": G.graph["version"],
        "datasets": datasets,
        "kinds": kind_styles(),
        "relations": relation_styles(),
        "bases": basis_styles(),
        "levels": list(LEVELS),
        "vocabulary": vocabulary(),
        "confidence": list(confidence_levels()),
        "span": None
        if span is None
        else {"start": span[0].isoformat(), "end": span[1].isoformat()},
        "measures": sorted({m for node in nodes for m in node["measures"]}),
        "budget": budget,
        "nodes": nodes,
        "edges": edges,
        "options": json.loads(options),
        "timeline": None
        if window is None
        else timeline(store, flt, window=window, step=step, graphs=graphs),
    }
