"""The JSON graph API as library functions: entities, neighbourhoods, paths, money flows, export.

Each function takes a store and ``graphs``, the dataset graphs it may read (the HTTP API passes
those of the caller; the CLI and notebooks pass :func:`graph.sparql.dataset_graphs` of the
store), and returns plain JSON-ready data. Nothing here reads a graph outside ``graphs``.

Neighbourhoods, paths, flows and the network exports work on the projection of
:mod:`graph.analysis.projection` (actors and schemes as nodes, one edge per claim; cached per store
version, filter and graph set), so that they are graph algorithms, not chains of queries.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox

from graph import errors
from graph.analysis.metrics.uncertainty import median_interval
from graph.analysis.projection import ProjectionFilter, party_label, project
from graph.model.namespaces import (
    ID,
    PREFIXES,
    SPARQL_PREFIXES,
    dataset_iri,
    dataset_name,
    description_iri,
)
from graph.model.ontology import concepts, kinds, local_name, relation_types
from graph.store import Store
from graph.store.export import export_format, write_export
from graph.store.formats import Kind, UnknownFormat

#: Most nodes a neighbourhood returns; past it the answer says ``truncated``.
MAX_NEIGHBORHOOD_NODES = 2000
MAX_PATHS = 200
MAX_PATH_LENGTH = 6
FLOW_GROUPS = ("payer_tier", "payer", "payee", "purpose", "period")


class NotFound(errors.NotFound):
    """The entity or dataset does not exist among the graphs the caller may read (HTTP 404)."""


class BadRequest(errors.InvalidArgument):
    """A parameter is invalid (HTTP 400)."""


# --------------------------------------------------------------------------------------------
# Terms


def entity_ref(value: str) -> str:
    """The IRI for an entity reference: a full IRI, or a path under the entity namespace such
    as ``regional-government/ru-ta``. BadRequest if it is not a valid IRI."""
    text = value.strip()
    iri = text if text.startswith(("http://", "https://", "urn:")) else ID + text.lstrip("/")
    try:
        ox.NamedNode(iri)
    except ValueError as error:
        raise BadRequest(f"not a valid entity id or IRI: {value!r} ({error})") from None
    return iri


def short_id(iri: str) -> str:
    """``regional-government/ru-ta`` for an entity IRI; other IRIs unchanged."""
    return iri[len(ID) :] if iri.startswith(ID) else iri


def _curie(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _term_json(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"id": term.value}
    if isinstance(term, ox.BlankNode):
        return {"id": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"value": term.value}
        if term.language:
            out["language"] = term.language
        elif term.datatype.value != PREFIXES["xsd"] + "string":
            out["datatype"] = _curie(term.datatype.value)
        return out
    return {"value": str(term)}


def _value(term: Any) -> str | None:
    return None if term is None else term.value


def _select(store: Store, query: str, graphs: Sequence[str]) -> ox.QuerySolutions:
    result = store.query(SPARQL_PREFIXES + query, default_graph=graphs, named_graphs=graphs)
    assert isinstance(result, ox.QuerySolutions)
    return result


def _kind_names() -> dict[str, str]:
    return {k.iri: k.name for k in kinds().values()}


def _notation(iri: str | None, scheme: str) -> str | None:
    if iri is None:
        return None
    for notation, concept in concepts(scheme).items():
        if concept == iri:
            return notation
    return local_name(iri)


def _parse_date(text: str | None, name: str) -> date | None:
    if text in (None, ""):
        return None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        raise BadRequest(f"{name} must be a date YYYY-MM-DD, not {text!r}") from None


# --------------------------------------------------------------------------------------------
# Datasets within the caller's graphs


def dataset_graphs_for(graphs: Sequence[str], datasets: Sequence[str] | None) -> list[str]:
    """``graphs`` narrowed to the named ``datasets`` (None: all). NotFound for a dataset that
    is not among ``graphs`` (a restricted one looks exactly like a missing one)."""
    if not datasets:
        return list(graphs)
    visible = set(graphs)
    chosen = []
    for name in datasets:
        try:
            iri = dataset_iri(name)
        except ValueError as error:
            raise BadRequest(str(error)) from None
        if iri not in visible:
            raise NotFound(f"no such dataset: {name}")
        chosen.append(iri)
    return chosen


# --------------------------------------------------------------------------------------------
# Entities


def entities(
    store: Store,
    graphs: Sequence[str],
    *,
    q: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Actors and schemes, optionally filtered by a label substring (any case) and kind.

    Returns ``{"total", "limit", "offset", "items": [{id, short_id, kind, tier, label,
    synthetic}]}``, items ordered by label.
    """
    known = kinds()
    if kind is not None and kind not in known:
        raise BadRequest(f"unknown kind {kind!r}; use one of {', '.join(known)}")
    if not 1 <= limit <= 1000:
        raise BadRequest("limit must be between 1 and 1000")
    if offset < 0:
        raise BadRequest("offset must not be negative")
    kind_values = " ".join(
        str(ox.NamedNode(k.iri)) for k in known.values() if kind is None or k.name == kind
    )
    search = ""
    if q:
        needle = ox.Literal(q.lower())
        search = f"FILTER(CONTAINS(LCASE(STR(?label)), {needle}))"
    pattern = f"""
      VALUES ?kind {{ {kind_values} }}
      ?id a ?kind .
      OPTIONAL {{ ?id rdfs:label ?anyLabel }}
      BIND(COALESCE(?anyLabel, "") AS ?label)
      {search}"""
    count = _select(store, f"SELECT (COUNT(DISTINCT ?id) AS ?n) WHERE {{ {pattern} }}", graphs)
    total = int(next(iter(count))["n"].value)
    if offset >= total:
        # Past the last entity: an empty page, without asking the store (whose OFFSET is an
        # unsigned 64-bit integer: a larger one is a syntax error there).
        return {"total": total, "limit": limit, "offset": offset, "items": []}
    rows = _select(
        store,
        f"""SELECT ?id ?kind (SAMPLE(?label) AS ?name) (SAMPLE(?syn) AS ?synthetic) WHERE {{
          {pattern}
          OPTIONAL {{ ?id rg:synthetic ?syn }}
        }} GROUP BY ?id ?kind ORDER BY LCASE(?name) ?id LIMIT {int(limit)} OFFSET {int(offset)}""",
        graphs,
    )
    names = _kind_names()
    items = []
    for row in rows:
        kind_name = names[row["kind"].value]
        items.append(
            {
                "id": row["id"].value,
                "short_id": short_id(row["id"].value),
                "kind": kind_name,
                "tier": known[kind_name].tier,
                "label": _value(row["name"]) or "",
                "synthetic": _value(row["synthetic"]) == "true",
            }
        )
    return {"total": total, "limit": limit, "offset": offset, "items": items}


_RELATION_FIELDS = """
  OPTIONAL { ?rel rg:start ?start }
  OPTIONAL { ?rel rg:end ?end }
  OPTIONAL { ?rel rg:confidence ?confidence }
  OPTIONAL { ?rel schema:amount ?amount }
  OPTIONAL { ?rel schema:currency ?currency }
  OPTIONAL { ?rel rg:purpose ?purpose }
  OPTIONAL { ?rel rg:count ?count }
  OPTIONAL { ?rel dcterms:description ?description }"""


def _relation_types_values() -> str:
    return " ".join(f"rg:{name}" for name in relation_types())


def entity(store: Store, graphs: Sequence[str], ref: str) -> dict[str, Any]:
    """One entity: its attributes, and the claims it is a party of (incoming and outgoing),
    each with its period, confidence, figures, counterpart, dataset and sources.

    NotFound if no readable graph says anything about it.
    """
    iri = entity_ref(ref)
    node = str(ox.NamedNode(iri))
    attributes: dict[str, list[Any]] = defaultdict(list)
    found_in: set[str] = set()
    for row in _select(store, f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} }}", graphs):
        found_in.add(row["g"].value)
        value = _term_json(row["o"])
        key = _curie(row["p"].value)
        if value not in attributes[key]:
            attributes[key].append(value)
    if not found_in:
        raise NotFound(f"no entity {iri} in the datasets you can read")
    names = _kind_names()
    types = [v["id"] for v in attributes.get("rdf:type", []) if "id" in v]
    kind = next((names[t] for t in types if t in names), None)
    labels = attributes.get("rdfs:label", [])
    label = next((v["value"] for v in labels if v.get("language") in (None, "en")), None)
    result: dict[str, Any] = {
        "id": iri,
        "short_id": short_id(iri),
        "kind": kind or (local_name(types[0]) if types else None),
        "tier": kinds()[kind].tier if kind else None,
        "label": label or (labels[0]["value"] if labels else None),
        "datasets": sorted(dataset_name(g) or g for g in found_in),
        "attributes": dict(attributes),
        "outgoing": [],
        "incoming": [],
    }
    relations: dict[tuple[str, str], dict[str, Any]] = {}  # (relation, direction) -> it
    query = f"""
    SELECT ?rel ?type ?direction ?other ?otherKind ?otherLabel ?g ?start ?end ?confidence
           ?amount ?currency ?purpose ?count ?description
           ?source ?title ?url ?publisher ?issued
    WHERE {{
      GRAPH ?g {{
        {{ ?rel rg:from {node} ; rg:to ?other . BIND("outgoing" AS ?direction) }}
        UNION
        {{ ?rel rg:to {node} ; rg:from ?other . BIND("incoming" AS ?direction) }}
        ?rel a ?type . VALUES ?type {{ {_relation_types_values()} }}
        {_RELATION_FIELDS}
        OPTIONAL {{
          ?rel prov:wasDerivedFrom ?source .
          OPTIONAL {{ ?source dcterms:title ?title }}
          OPTIONAL {{ ?source schema:url ?url }}
          OPTIONAL {{ ?source dcterms:publisher ?publisher }}
          OPTIONAL {{ ?source dcterms:issued ?issued }}
        }}
      }}
      OPTIONAL {{ ?other a ?otherKind }}
      OPTIONAL {{ ?other rdfs:label ?otherLabel }}
    }}"""
    for row in _select(store, query, graphs):
        rel_key = (row["rel"].value, row["direction"].value)
        rel = relations.get(rel_key)
        if rel is None:
            other_kind = row["otherKind"]
            rel = {
                "id": row["rel"].value,
                "type": local_name(row["type"].value),
                "counterpart": {
                    "id": row["other"].value,
                    "short_id": short_id(row["other"].value),
                    "label": _value(row["otherLabel"]),
                    "kind": names.get(other_kind.value) if other_kind else None,
                },
                "dataset": dataset_name(row["g"].value),
                "start": _value(row["start"]),
                "end": _value(row["end"]),
                "confidence": _notation(_value(row["confidence"]), "ConfidenceScheme"),
                "amount": _value(row["amount"]),
                "currency": _value(row["currency"]),
                "purpose": _notation(_value(row["purpose"]), "FundingPurposeScheme"),
                "count": int(row["count"].value) if row["count"] else None,
                "description": _value(row["description"]),
                "sources": [],
            }
            relations[rel_key] = rel
            result[row["direction"].value].append(rel)
        elif rel["counterpart"]["kind"] is None and row["otherKind"]:
            rel["counterpart"]["kind"] = names.get(row["otherKind"].value)
        if row["source"] is not None:
            source = {
                "id": row["source"].value,
                "title": _value(row["title"]),
                "url": _value(row["url"]),
                "publisher": _value(row["publisher"]),
                "issued": _value(row["issued"]),
            }
            if source not in rel["sources"]:
                rel["sources"].append(source)
    for direction in ("outgoing", "incoming"):
        result[direction].sort(key=lambda r: (r["start"] or "", r["id"]))
    return result


# --------------------------------------------------------------------------------------------
# Networks: the projection of graph.analysis.projection (claims as edges of a MultiDiGraph)


def parse_filter(
    *,
    start: str | None = None,
    end: str | None = None,
    kinds_: Iterable[str] | None = None,
    relations: Iterable[str] | None = None,
    min_confidence: str | None = None,
    datasets: Iterable[str] | None = None,
    level: str | None = None,
    basis: str | None = None,
    min_amount: float | None = None,
) -> ProjectionFilter:
    """A projection filter from request parameters (lists may also be comma-separated);
    BadRequest for unknown values. ``level`` is organization (the default) or government;
    ``basis`` is report (reports only) or all (the default: assessments too)."""
    try:
        names = _split(datasets)
        return ProjectionFilter(
            start=_parse_date(start, "start"),
            end=_parse_date(end, "end"),
            kinds=_split(kinds_),
            relations=_split(relations),
            min_confidence=min_confidence or None,
            min_amount=min_amount,
            datasets=tuple(sorted(names)) if names else None,
            level=level or "organization",
            basis=None if basis in (None, "", "all") else basis,
        )
    except ValueError as error:
        raise BadRequest(str(error)) from None


def _split(values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    items = frozenset(v.strip() for value in values for v in value.split(",") if v.strip())
    return items or None


def _network(store: Store, graphs: Sequence[str], flt: ProjectionFilter | None) -> nx.MultiDiGraph:
    flt = flt or ProjectionFilter()
    if flt.datasets:
        dataset_graphs_for(graphs, flt.datasets)  # NotFound for one the caller can't read
    return project(store, flt, graphs=graphs)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _node_json(graph: nx.MultiDiGraph, node: str, **extra: Any) -> dict[str, Any]:
    data = graph.nodes[node]
    return {
        "id": node,
        "short_id": short_id(node),
        "label": data.get("label"),
        "kind": data.get("kind"),
        "tier": data.get("tier"),
        "aggregate": data.get("aggregate", False),
        "synthetic": data.get("synthetic", False),
        **extra,
    }


def _edge_json(u: str, v: str, key: Hashable, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": key,
        "type": data["type"],
        "source": u,
        "target": v,
        "dataset": data["dataset"],
        "start": _iso(data["start"]),
        "end": _iso(data["end"]) if data.get("end_stated") else None,
        "confidence": data["confidence"],
        "amount": data["amount"],
        "currency": data["currency"],
        "amount_basis": data.get("amount_basis"),
        "purpose": data["purpose"],
        "count": data["count"],
        "sources": list(data.get("sources", ())),
    }


def _require_party(store: Store, graphs: Sequence[str], node: str) -> None:
    if node not in project(store, ProjectionFilter(), graphs=graphs):
        raise NotFound(f"no party of a claim {node} in the datasets you can read")


def neighborhood_graph(
    store: Store,
    graphs: Sequence[str],
    ref: str,
    *,
    depth: int = 1,
    filters: ProjectionFilter | None = None,
    max_nodes: int = MAX_NEIGHBORHOOD_NODES,
) -> nx.MultiDiGraph:
    """The parties within ``depth`` claims (1-3, either direction) of an entity, and the claims
    among them that pass ``filters``, as a networkx multigraph to draw or analyse.

    A new graph, free to change: the nodes carry the attributes of the projection
    (:func:`graph.analysis.projection.project`: ``label``, ``kind``, ``tier``, …) and ``distance``,
    the number of claims from the centre, and are ordered by it; each edge is a claim, keyed by its
    IRI, with the projection's attributes. ``G.graph`` holds ``center``, ``depth``,
    ``truncated`` (True when ``max_nodes`` cut the neighbourhood short) and the projection's
    ``synthetic``, ``datasets`` and ``filter``. :func:`neighborhood` is the same as JSON.
    """
    if not 1 <= depth <= 3:
        raise BadRequest("depth must be 1, 2 or 3")
    center = entity_ref(ref)
    _require_party(store, graphs, center)
    graph = _network(store, graphs, filters)
    distance = {center: 0}
    truncated = False
    frontier = [center] if center in graph else []
    for step in range(1, depth + 1):
        following = []
        for node in frontier:
            for other in sorted(set(graph.successors(node)) | set(graph.predecessors(node))):
                if other in distance:
                    continue
                if len(distance) >= max_nodes:
                    truncated = True
                    break
                distance[other] = step
                following.append(other)
        frontier = following
    # Node attributes from the unfiltered projection: the centre is described even when the
    # filters leave none of its claims.
    full = project(store, ProjectionFilter(), graphs=graphs)
    result: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    result.add_nodes_from(
        (n, {**full.nodes[n], "distance": d})
        for n, d in sorted(distance.items(), key=lambda item: (item[1], item[0]))
    )
    inside = graph.subgraph(n for n in distance if n in graph)
    # MultiDiGraph takes (u, v, key, data) edges; the stubs know only (u, v[, data])
    result.add_edges_from(inside.edges(keys=True, data=True))  # type: ignore[arg-type]
    result.graph.update(graph.graph, center=center, depth=depth, truncated=truncated)
    return result


def neighborhood(
    store: Store,
    graphs: Sequence[str],
    ref: str,
    *,
    depth: int = 1,
    filters: ProjectionFilter | None = None,
    max_nodes: int = MAX_NEIGHBORHOOD_NODES,
) -> dict[str, Any]:
    """The parties within ``depth`` claims (1-3, either direction) of an entity, and the claims
    among them that pass ``filters`` (:func:`neighborhood_graph` as JSON)."""
    hood = neighborhood_graph(store, graphs, ref, depth=depth, filters=filters, max_nodes=max_nodes)
    nodes = [_node_json(hood, n, distance=d) for n, d in hood.nodes(data="distance")]
    edges = sorted(
        (_edge_json(u, v, k, data) for u, v, k, data in hood.edges(keys=True, data=True)),
        key=lambda e: e["id"],
    )
    return {
        "center": hood.graph["center"],
        "depth": depth,
        "nodes": nodes,
        "edges": edges,
        "truncated": hood.graph["truncated"],
    }


def paths(
    store: Store,
    graphs: Sequence[str],
    source: str,
    target: str,
    *,
    mode: str = "shortest",
    max_length: int = 4,
    directed: bool = False,
    limit: int = 50,
    filters: ProjectionFilter | None = None,
) -> dict[str, Any]:
    """Paths between two parties through claims: all shortest ones (``mode=shortest``) or all
    simple ones up to ``max_length`` claims (``mode=all``), at most ``limit`` of them.

    ``directed`` follows claims only from ``rg:from`` to ``rg:to``. Each path lists its nodes
    and, between each two, the claims that join them.
    """
    if mode not in ("shortest", "all"):
        raise BadRequest("mode must be shortest or all")
    if not 1 <= max_length <= MAX_PATH_LENGTH:
        raise BadRequest(f"max_length must be between 1 and {MAX_PATH_LENGTH}")
    if not 1 <= limit <= MAX_PATHS:
        raise BadRequest(f"limit must be between 1 and {MAX_PATHS}")
    a, b = entity_ref(source), entity_ref(target)
    for node in (a, b):
        _require_party(store, graphs, node)
    multi = _network(store, graphs, filters)
    simple = nx.DiGraph(multi) if directed else nx.Graph(multi.to_undirected(as_view=True))
    found: list[list[str]] = []
    if a in simple and b in simple and a != b:
        try:
            if mode == "shortest":
                generator = nx.all_shortest_paths(simple, a, b)
            else:
                generator = nx.all_simple_paths(simple, a, b, cutoff=max_length)
            for path in generator:
                if len(path) - 1 > max_length:
                    break
                found.append(path)
                if len(found) > limit:
                    break
        except nx.NetworkXNoPath:
            pass
    truncated = len(found) > limit
    found = sorted(found[:limit], key=lambda p: (len(p), p))
    out = []
    for path in found:
        steps = []
        for u, v in itertools.pairwise(path):
            claims = [_edge_json(u, v, k, d) for k, d in (multi.get_edge_data(u, v) or {}).items()]
            if not directed:
                claims += [
                    _edge_json(v, u, k, d) for k, d in (multi.get_edge_data(v, u) or {}).items()
                ]
            steps.append(sorted(claims, key=lambda c: c["id"]))
        out.append(
            {
                "length": len(path) - 1,
                "nodes": [_node_json(multi, n) for n in path],
                "claims": steps,
            }
        )
    return {
        "source": a,
        "target": b,
        "mode": mode,
        "directed": directed,
        "paths": out,
        "truncated": truncated,
    }


def _period_key(start: date | None, granularity: str) -> str:
    if start is None:
        return "unknown"
    if granularity == "year":
        return f"{start.year:04d}"
    if granularity == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}-{start.month:02d}"


def _flow_groups(group_by: str | Sequence[str]) -> list[str]:
    """``group_by`` as a list of groupings: a list, or one string (comma-separated allowed)."""
    names = [group_by] if isinstance(group_by, str) else list(group_by)
    groups = [g.strip() for name in names for g in str(name).split(",") if g.strip()]
    unknown = [g for g in groups if g not in FLOW_GROUPS]
    if unknown or not groups:
        raise BadRequest(
            f"unknown group_by {', '.join(unknown) or '(none)'}; use one or more of "
            f"{', '.join(FLOW_GROUPS)}"
        )
    if len(set(groups)) < len(groups):
        raise BadRequest(f"group_by names a grouping twice: {', '.join(groups)}")
    return groups


def flows(
    store: Store,
    graphs: Sequence[str],
    *,
    group_by: str | Sequence[str] = "payer_tier",
    granularity: str = "year",
    purpose: str | None = None,
    filters: ProjectionFilter | None = None,
    claims: bool = False,
    network: nx.MultiDiGraph | None = None,
) -> dict[str, Any]:
    """The funding claims grouped by ``group_by`` (one or more of payer_tier, payer, payee,
    purpose and period: a list, or a comma-separated string such as ``"payer_tier,period"``)
    and always by currency and amount basis: amounts in different currencies, or on different
    bases, are never added.

    Each row: ``group`` (the group's values joined by `` / ``) and one key per grouping
    (``payer_tier``, ``period``, …; ``<payer|payee>_label`` beside a payer or payee, and
    ``label`` when it is the only grouping), ``currency``, ``amount_basis`` (per_recruit,
    total, or unknown where the claim does not say), ``flows`` (claims with an amount), and
    ``median``, ``min``, ``max`` of their amounts (decimal strings in fixed-point notation),
    with the median's distribution-free interval, ``median_low`` and ``median_high`` (two of
    the amounts), and the probability it covers the median, ``median_coverage``
    (:func:`graph.analysis.metrics.uncertainty.median_interval`: 95% or more from six claims,
    less below).
    ``total`` is their sum for ``total`` amounts (money paid out) and None otherwise: a
    per-recruit amount is a payment level, and a sum of levels means nothing. Claims without an
    amount are counted per group in ``unquantified``. ``claims=True`` adds to each row what it
    rests on: ``claim_ids`` (sorted) and ``assessments`` (how many of them are an expert's
    assessment rather than a report). ``network``: the projection of ``filters`` over
    ``graphs`` (its relations including ``FundingFlow``) when the caller has it: its funding
    claims are grouped instead of projecting them again.
    """
    groups = _flow_groups(group_by)
    if granularity not in ("year", "quarter", "month"):
        raise BadRequest("granularity must be year, quarter or month")
    if purpose is not None and purpose not in concepts("FundingPurposeScheme"):
        raise BadRequest(
            f"unknown purpose {purpose!r}; use {', '.join(concepts('FundingPurposeScheme'))}"
        )
    funding = replace(filters or ProjectionFilter(), relations=frozenset({"FundingFlow"}))
    if network is None:
        graph = _network(store, graphs, funding)
    else:
        graph = network
        if funding.datasets:
            dataset_graphs_for(graphs, funding.datasets)  # NotFound, as _network
    amounts: dict[tuple[tuple[str, ...], str, str], list[Decimal]] = {}
    behind: dict[tuple[tuple[str, ...], str, str], dict[str, bool]] = defaultdict(dict)
    unquantified: dict[str, int] = defaultdict(int)
    labels: dict[str, str | None] = {}  # an actor may have no label
    for u, v, claim, data in graph.edges(keys=True, data=True):
        if data["type"] != "FundingFlow" or (purpose is not None and data["purpose"] != purpose):
            continue
        values = []
        for name in groups:
            if name == "payer_tier":
                values.append(graph.nodes[u].get("tier") or "other")
            elif name in ("payer", "payee"):
                node = u if name == "payer" else v
                labels[node] = graph.nodes[node].get("label")
                values.append(node)
            elif name == "purpose":
                values.append(data["purpose"] or "unspecified")
            else:
                values.append(_period_key(data["start"], granularity))
        key = tuple(values)
        if data["amount"] is None:
            unquantified[" / ".join(key)] += 1
            continue
        basis = data.get("amount_basis") or "unknown"
        money = (key, data["currency"] or "unknown", basis)
        amounts.setdefault(money, []).append(Decimal(repr(data["amount"])))
        behind[money][data.get("claim_id") or claim] = data.get("basis") == "assessment"
    rows = []
    for (key, currency, basis), found in amounts.items():
        row: dict[str, Any] = {"group": " / ".join(key)}
        for name, value in zip(groups, key, strict=True):
            row[name] = value
            if name in ("payer", "payee"):
                row[f"{name}_label"] = labels[value]
        if len(groups) == 1 and groups[0] in ("payer", "payee"):
            row["label"] = labels[key[0]]
        found.sort()
        half = len(found) // 2
        median = found[half] if len(found) % 2 else (found[half - 1] + found[half]) / 2
        low, high, coverage = median_interval(found)
        row.update(
            {
                "currency": currency,
                "amount_basis": basis,
                "total": _fixed(sum(found, Decimal(0))) if basis == "total" else None,
                "flows": len(found),
                "median": _fixed(median),
                "median_low": _fixed(low),
                "median_high": _fixed(high),
                "median_coverage": round(coverage, 4),
                "min": _fixed(found[0]),
                "max": _fixed(found[-1]),
            }
        )
        if claims:
            ids = behind[(key, currency, basis)]
            row["claim_ids"] = sorted(ids)
            row["assessments"] = sum(ids.values())
        rows.append(row)

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        money = (row["currency"], row["amount_basis"])
        values = tuple(row[g] for g in groups)
        if groups[0] == "period":
            return (*values, *money)
        if len(groups) > 1:
            return (*money, *values)
        # One grouping: the largest first (money paid out, else the number of claims).
        paid = -Decimal(row["total"]) if row["total"] is not None else Decimal(0)
        return (*money, paid, -row["flows"], *values)

    rows.sort(key=order)
    return {
        "group_by": groups[0] if len(groups) == 1 else groups,
        "rows": rows,
        "unquantified": dict(sorted(unquantified.items())),
    }


def _fixed(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text


# --------------------------------------------------------------------------------------------
# Export


def export(
    store: Store,
    graphs: Sequence[str],
    out: str | Path,
    fmt: str = "nquads",
    *,
    datasets: Sequence[str] | None = None,
    filters: ProjectionFilter | None = None,
) -> int:
    """Write the readable datasets (or the named ones) to the file ``out``, atomically (see
    :func:`graph.store.export.write_export`); returns the number of quads, or of claims (edges)
    for the network formats.

    RDF: ``nquads``, ``trig`` and ``jsonld`` keep each dataset in its named graph; ``turtle``,
    ``ntriples`` and ``rdfxml`` write their union. Network: ``graphml`` and ``gexf`` (for Gephi)
    and a ``csv`` edge list, of the claims that pass ``filters``.
    """
    try:
        spec = export_format(fmt)
    except UnknownFormat as error:
        raise BadRequest(str(error)) from None
    chosen = dataset_graphs_for(graphs, datasets)
    if spec.kind is Kind.NETWORK:
        flt = filters or ProjectionFilter()
        if datasets:
            flt = replace(flt, datasets=tuple(sorted(datasets)))
        graph = _network(store, graphs, flt)
        if spec.name == "csv":
            write_export(out, spec, _edge_rows(graph))
        else:
            write_export(out, spec, _for_network_formats(graph, gexf=spec.name == "gexf"))
        return graph.number_of_edges()
    return write_export(out, spec, export_quads(store, chosen))


def export_quads(store: Store, graphs: Sequence[str]) -> Iterator[ox.Quad]:
    """The quads of each dataset of ``graphs`` as an export writes them: its data and, in the
    same graph, its description (which the store keeps in a graph of its own), so that
    :func:`graph.ingest.restore.restore` brings back its access level and licence."""
    for graph in graphs:
        yield from store.quads(graph)
        node = ox.NamedNode(graph)
        for quad in store.quads(description_iri(graph)):
            yield ox.Quad(quad.subject, quad.predicate, quad.object, node)


def _flat(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list | set | frozenset):
        return " ".join(str(v) for v in value)
    return value


def _for_network_formats(graph: nx.MultiDiGraph, *, gexf: bool = False) -> nx.MultiDiGraph:
    """GraphML and GEXF take plain values only: dates as ISO text, lists joined, no None.

    In GEXF an edge's ``type`` is its direction (directed, undirected, mutual), so there the
    claim's relation type is the attribute ``relation``.
    """
    flat: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        flat.add_node(node, **{k: _flat(v) for k, v in data.items() if v is not None})
    for u, v, key, data in graph.edges(keys=True, data=True):
        # (the claim's IRI and its parties' labels, which a projection keeps off the edge)
        labels = {
            f"{role}_label": party_label(graph, data.get(role, end))
            for role, end in (("subject", u), ("object", v))
        }
        attrs = {k: _flat(v) for k, v in {"claim": key, **data, **labels}.items() if v is not None}
        attrs["label"] = data["type"]
        if gexf:
            attrs["relation"] = attrs.pop("type")
        flat.add_edge(u, v, key=key, **attrs)
    return flat


_CSV_COLUMNS = (
    "source",
    "target",
    "source_label",
    "target_label",
    "claim",
    "type",
    "dataset",
    "start",
    "end",
    "confidence",
    "amount",
    "currency",
    "amount_basis",
    "purpose",
    "count",
    "sources",
)


def _edge_rows(graph: nx.MultiDiGraph) -> Iterator[list[Any]]:
    """The CSV edge list: the header, then one row per claim in claim order."""
    yield list(_CSV_COLUMNS)
    for u, v, claim, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[2]):
        row = {
            "source": u,
            "target": v,
            "source_label": graph.nodes[u].get("label"),
            "target_label": graph.nodes[v].get("label"),
            "claim": claim,
            **data,
        }
        if not data.get("end_stated"):
            row["end"] = None
        yield ["" if row.get(c) is None else _flat(row[c]) for c in _CSV_COLUMNS]


__all__ = [
    "FLOW_GROUPS",
    "BadRequest",
    "NotFound",
    "entities",
    "entity",
    "entity_ref",
    "export",
    "flows",
    "neighborhood",
    "parse_filter",
    "paths",
]
