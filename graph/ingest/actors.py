"""Actors: list and show them, and merge or unmerge them as analysts' statements.

An actor is a party of the claims: a registered one (the actor registry,
:mod:`graph.ingest.registry`:
a stable ``actor_id``, a canonical label, aliases and ``part_of``) or a party that no registry
knows (typed, without ``dcterms:identifier``; named by its IRI's path, ``recruiter/<slug>``).

A **merge** says that one actor is the same as another: the analyst's statement, with who made
it, when and why, kept as an ``rg:ActorMerge`` record in a dataset of its own
(:data:`MERGES_DATASET`). Claims are never rewritten: the projection
(:func:`graph.analysis.projection.actor_identity`) reads the merges in force and draws each merged
actor's claims on its survivor, so that every figure, page and export follows the current
merges (a write bumps the store's version, which the projection cache keys on). An **unmerge**
keeps the record and marks it undone (``prov:invalidatedAtTime``, and who undid it), so the
history of an actor's identity stays readable.

An actor is referred to by its ``actor_id``, its IRI, its short id (``federal-body/ru-mod``),
or exactly one of its names (label or alias).
"""

from __future__ import annotations

__all__ = [
    "MERGES_DATASET",
    "UnknownActorError",
    "actor",
    "actors",
    "merge",
    "merge_records",
    "unmerge",
]

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox

from graph.errors import InvalidArgument
from graph.ingest import dataset_contents, dataset_description, list_datasets
from graph.ingest.registry import registry_from_store
from graph.model.namespaces import (
    DCTERMS,
    ID,
    PROV,
    RDF,
    RDFS,
    RG,
    XSD,
    dataset_iri,
    dataset_name,
    entity_iri,
    slugify,
    uses_model,
)
from graph.model.ontology import kinds, local_name
from graph.sparql import dataset_graphs, run_query
from graph.store import Store, lexical_rows

#: The dataset that :func:`merge` and :func:`unmerge` write their records into.
MERGES_DATASET = "merges"

_UNREGISTERED = """
SELECT ?node ?type (MIN(?name) AS ?label) (MIN(?notation) AS ?code)
WHERE {
  ?node a ?type .
  VALUES ?type { %s }
  FILTER NOT EXISTS { ?node dcterms:identifier ?id }
  OPTIONAL { ?node rdfs:label ?name }
  OPTIONAL { ?node rg:province|rg:country|rg:nationality ?place . ?place skos:notation ?notation }
}
GROUP BY ?node ?type"""

_CLAIMS = """
SELECT DISTINCT ?party ?claim ?id
WHERE {
  ?claim rg:from|rg:to ?party .
  OPTIONAL { ?claim rg:claimId ?id }
}"""

_MERGES = """
SELECT ?g ?merge ?merged ?survivor ?created ?reason ?agent ?who ?undone ?undoAgent ?undoer
       ?undoReason
WHERE {
  GRAPH ?g { ?merge a rg:ActorMerge ; rg:mergedActor ?merged ; rg:survivor ?survivor . }
  OPTIONAL { ?merge dcterms:created ?created }
  OPTIONAL { ?merge rdfs:comment ?reason }
  OPTIONAL { ?merge prov:wasAttributedTo ?agent . OPTIONAL { ?agent rdfs:label ?who } }
  OPTIONAL { ?merge prov:invalidatedAtTime ?undone }
  OPTIONAL {
    ?merge prov:wasInvalidatedBy ?undo .
    OPTIONAL {
      ?undo prov:wasAssociatedWith ?undoAgent . OPTIONAL { ?undoAgent rdfs:label ?undoer }
    }
    OPTIONAL { ?undo rdfs:comment ?undoReason }
  }
}"""


class UnknownActorError(InvalidArgument):
    """No actor answers to a reference (bad input; the HTTP API answers 404)."""


@dataclass
class _Actors:
    """Every actor of some graphs, indexed the ways a reference may name it."""

    by_iri: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, list[str]] = field(default_factory=dict)  # id, short id -> IRIs
    by_name: dict[str, list[str]] = field(default_factory=dict)  # label, alias -> IRIs
    claims: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # IRI -> (claim, id)
    records: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

    def find(self, ref: str) -> dict[str, Any]:
        """The actor ``ref`` names; ValueError if none or several do."""
        text = ref.strip()
        if not text:
            raise InvalidArgument("name an actor: its actor_id, IRI or exact label")
        if text in self.by_iri:
            return self.by_iri[text]
        for index in (self.by_key, self.by_name):
            found = index.get(text, [])
            if len(found) == 1:
                return self.by_iri[found[0]]
            if len(found) > 1:
                ids = ", ".join(sorted(self.by_iri[iri]["id"] for iri in found))
                raise InvalidArgument(f"{ref!r} names several actors ({ids}); use an actor_id")
        raise UnknownActorError(
            f"unknown actor {ref!r}: no actor has that actor_id, IRI or exact label "
            "(see `recruitgraph actors --search`)"
        )

    def in_force(self) -> dict[str, dict[str, Any]]:
        """The merge in force of each merged actor, by its IRI."""
        return {r["merged"]: r for r in self.records if r["undone"] is None}

    def brief(self, iri: str) -> dict[str, Any]:
        """``{id, iri, label, kind}`` of an actor (of an IRI no graph describes: its path)."""
        found = self.by_iri.get(iri)
        if found is None:
            return {"id": _short_id(iri), "iri": iri, "label": local_name(iri), "kind": None}
        return {k: found[k] for k in ("id", "iri", "label", "kind")}


def _short_id(iri: str) -> str:
    return iri[len(ID) :] if iri.startswith(ID) else iri


def _index(store: Store, graphs: Sequence[str] | None) -> _Actors:
    visible = list(dataset_graphs(store) if graphs is None else graphs)
    index = _Actors()
    registry = registry_from_store(store, visible)
    for entry in registry.by_id.values():
        parent = registry.by_id.get(entry.part_of)
        index.by_iri[entry.iri] = {
            "id": entry.actor_id,
            "iri": entry.iri,
            "kind": entry.kind,
            "label": entry.label,
            "code": entry.code or None,
            "part_of": parent.actor_id if parent is not None else None,
            "aliases": list(entry.aliases),
            "registered": True,
        }
    by_kind = {kind.iri: kind.name for kind in kinds().values()}
    text = _UNREGISTERED % " ".join(f"<{iri}>" for iri in by_kind)
    for iri, rtype, label, code in lexical_rows(run_query(store, text, graphs=visible)):
        if iri in index.by_iri or iri.startswith("_:"):
            continue
        index.by_iri[iri] = {
            "id": _short_id(iri),
            "iri": iri,
            "kind": by_kind[rtype],
            "label": label or local_name(iri),
            "code": code or None,
            "part_of": None,
            "aliases": [],
            "registered": False,
        }
    for iri, found in index.by_iri.items():
        keys = {found["id"], _short_id(iri)}
        for key in keys:
            index.by_key.setdefault(key, []).append(iri)
        for name in dict.fromkeys([found["label"], *found["aliases"]]):
            index.by_name.setdefault(name, []).append(iri)
    for party, claim, claim_id in lexical_rows(run_query(store, _CLAIMS, graphs=visible)):
        index.claims.setdefault(party, []).append((claim, claim_id or local_name(claim)))
    index.records = _records(store, visible)
    notes = "SELECT ?actor ?note WHERE { ?actor dcterms:identifier ?id ; skos:note ?note }"
    for iri, note in lexical_rows(run_query(store, notes, graphs=visible)):
        index.notes.setdefault(iri, note)
    return index


def _records(store: Store, graphs: list[str]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    rows = lexical_rows(run_query(store, _MERGES, graphs=graphs))
    for g, merge_iri, merged, survivor, created, reason, agent, who, *undo in rows:
        undone, undo_agent, undoer, undo_reason = undo
        found.setdefault(
            merge_iri,
            {
                "merge": merge_iri,
                "dataset": dataset_name(g),
                "merged": merged,
                "survivor": survivor,
                "by": who or agent or None,
                "at": created or None,
                "reason": reason or None,
                "undone": undone or None,
                "undone_by": undoer or undo_agent or None,
                "undo_reason": undo_reason or None,
            },
        )
    # Oldest first; the IRI breaks ties of records made in the same instant.
    return sorted(found.values(), key=lambda r: (r["at"] or "", r["merge"]))


def _record_json(index: _Actors, record: dict[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "merged": index.brief(record["merged"]),
        "survivor": index.brief(record["survivor"]),
        "in_force": record["undone"] is None,
    }


def _summary(index: _Actors, entry: dict[str, Any], in_force: dict[str, Any]) -> dict[str, Any]:
    record = in_force.get(entry["iri"])
    return {
        **entry,
        "claims": len({claim for claim, _ in index.claims.get(entry["iri"], [])}),
        "merged_into": None if record is None else _record_json(index, record),
    }


def actors(
    store: Store,
    graphs: Sequence[str] | None = None,
    kind: str | None = None,
    search: str | None = None,
) -> list[dict[str, Any]]:
    """The actors of the datasets in ``graphs``: registered ones and parties no registry knows.

    Parameters
    ----------
    store : Store
        The store to read.
    graphs : sequence of str, optional
        The dataset graphs to read (default: every dataset).
    kind : str, optional
        Only actors of this kind (``FederalBody``, …: the kinds of
        :func:`graph.model.ontology.kinds`).
    search : str, optional
        Only actors whose id, label or an alias contains this text, in any case.

    Returns
    -------
    list of dict
        One per actor, sorted by kind and label: ``id`` (the ``actor_id``; for a party no
        registry knows, its IRI's path such as ``recruiter/<slug>``), ``iri``, ``kind``,
        ``label``, ``code`` (ISO code or None), ``part_of`` (the ``actor_id`` of its parent or
        None), ``aliases``, ``registered``, ``claims`` (the number :math:`|\\{c : a \\in
        \\{\\mathrm{from}(c), \\mathrm{to}(c)\\}\\}|` of claims naming it as a party, by their own
        parties, merges aside) and ``merged_into`` (the merge in force that folds it into
        another actor, see :func:`merge_records`, or None).

    Raises
    ------
    ValueError
        For a kind the ontology does not define.

    Examples
    --------
    >>> from graph.ingest import load_default_dataset
    >>> from graph.store import EmbeddedStore
    >>> store = EmbeddedStore(None)
    >>> _ = load_default_dataset(store)
    >>> found = actors(store, kind="FederalBody", search="defence")
    >>> [(a["id"], a["part_of"], a["claims"]) for a in found]
    [('ru-mod', 'ru-federal-center', 7)]

    References
    ----------
    W3C (2014). *The Organization Ontology* (``org:subOrganizationOf``).
    https://www.w3.org/TR/vocab-org/
    """
    if kind is not None and kind not in kinds():
        raise InvalidArgument(f"unknown kind {kind!r}; use one of {', '.join(kinds())}")
    index = _index(store, graphs)
    in_force = index.in_force()
    wanted = (search or "").strip().casefold()
    listed = []
    for entry in index.by_iri.values():
        if kind is not None and entry["kind"] != kind:
            continue
        names = [entry["id"], entry["label"], *entry["aliases"]]
        if wanted and not any(wanted in name.casefold() for name in names):
            continue
        listed.append(_summary(index, entry, in_force))
    return sorted(listed, key=lambda a: (a["kind"], a["label"].casefold(), a["id"]))


def actor(store: Store, ref: str, graphs: Sequence[str] | None = None) -> dict[str, Any]:
    """One actor with its names, its place among organizations, its claims and its merges.

    Parameters
    ----------
    store : Store
        The store to read.
    ref : str
        The actor: its ``actor_id``, IRI, short id (``federal-body/ru-mod``) or exactly one of
        its names (label or alias).
    graphs : sequence of str, optional
        The dataset graphs to read (default: every dataset).

    Returns
    -------
    dict
        What :func:`actors` gives for it, plus ``note``, ``parents`` (its ``part_of`` chain,
        nearest first, up to the top organization: ``{id, iri, label, kind}`` each),
        ``members`` (the actors directly part of it), ``merged_from`` (the actors merged into
        it by merges in force), ``claim_ids`` (the claims naming it as a party, sorted) and
        ``merges`` (every merge record it is in, undone ones included, oldest first).

    Raises
    ------
    ValueError
        When no actor, or more than one, answers to ``ref``.

    Examples
    --------
    >>> from graph.ingest import load_default_dataset
    >>> from graph.store import EmbeddedStore
    >>> store = EmbeddedStore(None)
    >>> _ = load_default_dataset(store)
    >>> found = actor(store, "Russian military")  # an alias of the armed forces
    >>> found["id"], [p["id"] for p in found["parents"]]
    ('ru-armed-forces', ['ru-mod', 'ru-federal-center'])
    >>> [m["id"] for m in found["members"]], len(found["claim_ids"]) == found["claims"]
    (['ru-military-recruiters'], True)

    References
    ----------
    W3C (2014). *The Organization Ontology*. https://www.w3.org/TR/vocab-org/
    """
    index = _index(store, graphs)
    entry = index.find(ref)
    in_force = index.in_force()
    found = _summary(index, entry, in_force)
    by_id = {e["id"]: e for e in index.by_iri.values() if e["registered"]}
    parents = []
    seen = {entry["id"]}
    parent = entry["part_of"]
    while parent and parent in by_id and parent not in seen:
        seen.add(parent)
        parents.append(index.brief(by_id[parent]["iri"]))
        parent = by_id[parent]["part_of"]
    members = [
        index.brief(e["iri"])
        for e in index.by_iri.values()
        if entry["registered"] and e["registered"] and e["part_of"] == entry["id"]
    ]
    claim_ids = sorted({claim_id for _, claim_id in index.claims.get(entry["iri"], [])})
    history = [
        _record_json(index, r)
        for r in index.records
        if entry["iri"] in (r["merged"], r["survivor"])
    ]
    merged_from = [
        index.brief(r["merged"])
        for r in index.records
        if r["survivor"] == entry["iri"] and r["undone"] is None
    ]
    return {
        **found,
        "note": index.notes.get(entry["iri"]),
        "parents": parents,
        "members": sorted(members, key=lambda m: m["label"].casefold()),
        "merged_from": merged_from,
        "claim_ids": claim_ids,
        "merges": history,
    }


def merge_records(store: Store, graphs: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every ``rg:ActorMerge`` record of the datasets in ``graphs``, oldest first.

    Each is ``{merge, dataset, merged, survivor, by, at, reason, undone, undone_by,
    undo_reason, in_force}``: ``merged`` and ``survivor`` as ``{id, iri, label, kind}``,
    ``at`` and ``undone`` as xsd:dateTime text (``undone`` None while the merge is in force).

    Examples
    --------
    >>> from graph.ingest import load_default_dataset
    >>> from graph.store import EmbeddedStore
    >>> store = EmbeddedStore(None)
    >>> _ = load_default_dataset(store)
    >>> merge_records(store)
    []

    References
    ----------
    W3C (2013). *PROV-O: The PROV Ontology* (``prov:invalidatedAtTime``).
    https://www.w3.org/TR/prov-o/
    """
    index = _index(store, graphs)
    return [_record_json(index, r) for r in index.records]


def _now() -> str:
    # Microseconds keep the order of two merges made within one second.
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def _agent(who: str) -> tuple[ox.NamedNode, list[ox.Triple]]:
    """The agent (a prov:Agent named ``who``) that made or undid a merge, and its triples."""
    node = ox.NamedNode(entity_iri("agent", slugify(who)))
    return node, [
        ox.Triple(node, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Agent")),
        ox.Triple(node, ox.NamedNode(RDFS + "label"), ox.Literal(who)),
    ]


def _required(text: str | None, what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidArgument(f"give {what}: it is recorded with the merge and cannot be empty")
    return value


def _write(store: Store, dataset: str, added: list[ox.Triple], who: str) -> None:
    """Add ``added`` to dataset ``dataset`` (created if absent) in one atomic replacement, with a
    fresh description; an existing dataset keeps its access level and licence."""
    graph = dataset_iri(dataset)
    kept = [ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(graph)]
    content = list(dict.fromkeys([*kept, *added]))
    digest = hashlib.sha256("\n".join(sorted(str(t) for t in content)).encode()).hexdigest()
    info = next((i for i in list_datasets(store) if i.graph == graph), None)
    description = dataset_description(
        dataset,
        checksum="sha256:" + digest,
        files=(),
        access=info.access if info is not None else "public",
        licence=info.licence if info is not None else None,
        loaded_by=who,
        triples=len(content),
        model=uses_model(content),
    )
    store.replace_graphs(dataset_contents(graph, content, description))


def merge(
    store: Store,
    a: str,
    b: str,
    reason: str,
    who: str,
    *,
    graphs: Sequence[str] | None = None,
    dataset: str = MERGES_DATASET,
) -> dict[str, Any]:
    """Record that actor ``a`` is the same as actor ``b``: ``a``'s claims are shown as ``b``'s.

    The record is an ``rg:ActorMerge`` (``rg:mergedActor`` ``a``, ``rg:survivor`` ``b``,
    ``prov:wasAttributedTo`` the agent ``who``, ``dcterms:created`` now, ``rdfs:comment``
    ``reason``) written into dataset ``dataset`` by one atomic replacement of its graph. Claims
    are not touched. With merges :math:`m` in force and the parent relation :math:`p`, the
    projection shows an actor :math:`x` as the end of the chain

    .. math::

        \\sigma(x) = \\begin{cases} \\sigma(m(x)) & x \\text{ merged} \\\\
        \\sigma(p(x)) & \\text{government level, } x \\text{ has a parent} \\\\
        x & \\text{otherwise,} \\end{cases}

    so a merge that would make this chain return to ``a`` is refused.

    Parameters
    ----------
    store : Store
        The store to write.
    a, b : str
        The merged actor and the survivor, each by ``actor_id``, IRI, short id or exact name.
    reason : str
        Why they are the same actor (the source or the argument); not empty.
    who : str
        Who makes the merge; not empty.
    graphs : sequence of str, optional
        The dataset graphs the actors and the merges in force are read from (default: every
        dataset).
    dataset : str
        The dataset the record goes into (default :data:`MERGES_DATASET`).

    Returns
    -------
    dict
        The record as :func:`merge_records` gives it.

    Raises
    ------
    graph.errors.InvalidArgument
        For an unknown or ambiguous actor, an actor merged into itself, actors of different
        kinds, an actor already merged (unmerge it first), a merge that would form a cycle, or
        an empty reason or name.

    Examples
    --------
    >>> from graph.ingest import load_default_dataset
    >>> from graph.store import EmbeddedStore
    >>> store = EmbeddedStore(None)
    >>> _ = load_default_dataset(store)
    >>> record = merge(store, "ru-armed-forces", "ru-mod", "the same command", "analyst")
    >>> record["merged"]["id"], record["survivor"]["id"], record["in_force"]
    ('ru-armed-forces', 'ru-mod', True)
    >>> merge(store, "ru-mod", "ru-armed-forces", "undo", "analyst")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.InvalidArgument: cannot merge 'ru-mod' into ... (a cycle: ...); unmerge first

    References
    ----------
    W3C (2013). *PROV-O: The PROV Ontology*. https://www.w3.org/TR/prov-o/
    """
    reason = _required(reason, "a reason for the merge")
    who = _required(who, "who makes the merge")
    dataset_iri(dataset)  # a malformed name is refused before any work
    visible = list(dataset_graphs(store) if graphs is None else graphs)
    index = _index(store, visible)
    merged, survivor = index.find(a), index.find(b)
    if merged["iri"] == survivor["iri"]:
        raise InvalidArgument(f"cannot merge {merged['id']!r} into itself")
    if merged["kind"] != survivor["kind"]:
        raise InvalidArgument(
            f"cannot merge {merged['id']!r} ({merged['kind']}) into {survivor['id']!r} "
            f"({survivor['kind']}): a merge joins two names of one actor, of one kind"
        )
    in_force = index.in_force()
    if merged["iri"] in in_force:
        into = index.brief(in_force[merged["iri"]]["survivor"])["id"]
        raise InvalidArgument(
            f"{merged['id']!r} is already merged into {into!r}; unmerge it first "
            f"(`recruitgraph actors unmerge {merged['id']}`)"
        )
    # Follow b's chain as the projection would (merges first, then part_of): reaching a means
    # the merge would send a's claims round in a loop.
    parent = {
        e["iri"]: index.by_iri[found[0]]["iri"]
        for e in index.by_iri.values()
        if e["part_of"] and (found := index.by_key.get(e["part_of"]))
    }
    chain, node, by_merge = [survivor["iri"]], survivor["iri"], False
    while True:
        step = in_force[node]["survivor"] if node in in_force else parent.get(node)
        if step is None or step in chain:
            break
        by_merge = by_merge or node in in_force
        chain.append(step)
        if step == merged["iri"]:
            path = " -> ".join(index.brief(n)["id"] for n in chain)
            start = f"cannot merge {merged['id']!r} into {survivor['id']!r}: "
            if by_merge:
                raise InvalidArgument(
                    f"{start}{survivor['id']} is already shown as {merged['id']} (a cycle: "
                    f"{path}); unmerge first"
                )
            raise InvalidArgument(
                f"{start}{survivor['id']} is part of {merged['id']} ({path}), so the roll-up "
                f"would loop; merge {survivor['id']!r} into {merged['id']!r} instead"
            )
        node = step
    at = _now()
    key = f"{slugify(merged['id'])}-into-{slugify(survivor['id'])}-{uuid.uuid4().hex[:8]}"
    record = ox.NamedNode(entity_iri("merge", key))
    agent, agent_triples = _agent(who)
    added = [
        ox.Triple(record, ox.NamedNode(RDF + "type"), ox.NamedNode(RG + "ActorMerge")),
        ox.Triple(record, ox.NamedNode(RG + "mergedActor"), ox.NamedNode(merged["iri"])),
        ox.Triple(record, ox.NamedNode(RG + "survivor"), ox.NamedNode(survivor["iri"])),
        ox.Triple(record, ox.NamedNode(PROV + "wasAttributedTo"), agent),
        ox.Triple(record, ox.NamedNode(DCTERMS + "created"), _typed(at, "dateTime")),
        ox.Triple(record, ox.NamedNode(RDFS + "comment"), ox.Literal(reason)),
        *agent_triples,
    ]
    _write(store, dataset, added, who)
    written = {
        "merge": record.value,
        "dataset": dataset,
        "merged": merged["iri"],
        "survivor": survivor["iri"],
        "by": who,
        "at": at,
        "reason": reason,
        "undone": None,
        "undone_by": None,
        "undo_reason": None,
    }
    return {**_record_json(index, written), "version": store.version}


def unmerge(
    store: Store,
    a: str,
    who: str,
    *,
    reason: str | None = None,
    graphs: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Undo the merge in force of actor ``a``: its claims are shown as its own again.

    The record stays, and gains ``prov:invalidatedAtTime`` (now) and ``prov:wasInvalidatedBy``
    an activity associated with the agent ``who`` (with ``reason`` as its comment, if given),
    in the dataset that holds the record.

    Parameters
    ----------
    store : Store
        The store to write.
    a : str
        The merged actor, by ``actor_id``, IRI, short id or exact name.
    who : str
        Who undoes the merge; not empty.
    reason : str, optional
        Why it is undone.
    graphs : sequence of str, optional
        The dataset graphs the actors and merges are read from (default: every dataset).

    Returns
    -------
    dict
        The record as :func:`merge_records` gives it, now undone.

    Raises
    ------
    graph.errors.InvalidArgument
        For an unknown actor, or one that no merge in force folds into another.

    Examples
    --------
    >>> from graph.ingest import load_default_dataset
    >>> from graph.store import EmbeddedStore
    >>> store = EmbeddedStore(None)
    >>> _ = load_default_dataset(store)
    >>> _ = merge(store, "ru-armed-forces", "ru-mod", "the same command", "analyst")
    >>> undone = unmerge(store, "ru-armed-forces", "reviewer")
    >>> undone["in_force"], undone["undone_by"]
    (False, 'reviewer')
    >>> unmerge(store, "ru-armed-forces", "reviewer")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.InvalidArgument: 'ru-armed-forces' is not merged into ... (no merge in force)

    References
    ----------
    W3C (2013). *PROV-O: The PROV Ontology* (invalidation). https://www.w3.org/TR/prov-o/
    """
    who = _required(who, "who undoes the merge")
    visible = list(dataset_graphs(store) if graphs is None else graphs)
    index = _index(store, visible)
    merged = index.find(a)
    record = index.in_force().get(merged["iri"])
    if record is None:
        raise InvalidArgument(
            f"{merged['id']!r} is not merged into another actor (no merge in force)"
        )
    at = _now()
    node = ox.NamedNode(record["merge"])
    undo = ox.NamedNode(record["merge"] + "/undo")
    agent, agent_triples = _agent(who)
    added = [
        ox.Triple(node, ox.NamedNode(PROV + "invalidatedAtTime"), _typed(at, "dateTime")),
        ox.Triple(node, ox.NamedNode(PROV + "wasInvalidatedBy"), undo),
        ox.Triple(undo, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Activity")),
        ox.Triple(undo, ox.NamedNode(PROV + "wasAssociatedWith"), agent),
        ox.Triple(undo, ox.NamedNode(PROV + "endedAtTime"), _typed(at, "dateTime")),
        *agent_triples,
    ]
    undo_reason = (reason or "").strip() or None
    if undo_reason:
        added.append(ox.Triple(undo, ox.NamedNode(RDFS + "comment"), ox.Literal(undo_reason)))
    _write(store, record["dataset"], added, who)
    done = {**record, "undone": at, "undone_by": who, "undo_reason": undo_reason}
    return {**_record_json(index, done), "version": store.version}
