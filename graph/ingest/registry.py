"""The actor registry: one stable identity per party, its names, and what it is part of.

A registry (``actors.csv``, shipped with the default dataset; analysts may load their own) lists
every party that claims name: a stable ``actor_id``, its kind, a canonical ``label``, the ISO code
of the government or nationality, ``part_of`` (the organization it belongs to) and ``aliases``,
the other names claims use for it. In RDF each actor is
``https://w3id.org/recruitgraph/id/<kind segment>/<actor_id>`` with ``dcterms:identifier``,
``rdfs:label``, ``skos:altLabel``, ``org:subOrganizationOf`` and ``skos:note``.

A party name in a claims CSV resolves through the registry (:meth:`Registry.resolve`): to the one
actor whose label or alias it is, with the same kind and code. Distinct organizations stay
distinct (the CBI is not India's foreign ministry); rolling them up to their government is the
projection's ``level`` (:mod:`graph.analysis.projection`), never a merge of rows.

The rules a registry must keep (those of the dataset's ``check_data.py``) are checked by
:func:`read_actors_csv`, each problem placed at its row and column: a slug id used once, a known
kind, a label, the code its kind needs (none on an aggregate), a name that belongs to one actor,
a ``part_of`` that names an actor and makes no cycle, every Russian federal body chained up to
the federal center (:data:`FEDERAL_ROOT`), and a government's agency part of the same government.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from graph.ingest.validation import Problem
from graph.model.namespaces import DCTERMS, ORG, RDF, RDFS, RG, SKOS, XSD, entity_iri
from graph.model.ontology import kinds
from graph.sparql import dataset_graphs, run_query
from graph.store import Store, lexical_rows

__all__ = [
    "ACTOR_COLUMNS",
    "AGGREGATE_SUFFIX",
    "FEDERAL_ROOT",
    "Actor",
    "Registry",
    "is_actors_csv",
    "read_actors_csv",
    "registry_from_store",
]

ACTOR_COLUMNS = ("actor_id", "kind", "label", "code", "part_of", "aliases", "note")
#: The top of the Russian federal chain: every federal body rolls up to it.
FEDERAL_ROOT = "ru-federal-center"
AGGREGATE_SUFFIX = "(aggregate)"
#: Where a reader reports a problem: (row, column, message, offending value).
ProblemSink = Callable[..., None]
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_CODE = re.compile(r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")


@dataclass(frozen=True)
class Actor:
    """One registered actor."""

    actor_id: str
    kind: str  #: local name of its class (``FederalBody``)
    label: str  #: canonical name
    code: str = ""  #: ISO code of its government or nationality, "" for none
    part_of: str = ""  #: ``actor_id`` of the organization it belongs to, "" for a top one
    aliases: tuple[str, ...] = ()
    note: str = ""

    @property
    def iri(self) -> str:
        """``https://w3id.org/recruitgraph/id/<kind segment>/<actor_id>``."""
        return entity_iri(kinds()[self.kind].id_segment, self.actor_id)

    @property
    def aggregate(self) -> bool:
        """Whether it stands for several actors taken together."""
        return self.label.endswith(AGGREGATE_SUFFIX)

    def triples(self, registry: Registry) -> list[ox.Triple]:
        """The triples that describe it (``registry`` gives its parent's IRI)."""
        node = ox.NamedNode(self.iri)
        found = [
            ox.Triple(node, ox.NamedNode(RDF + "type"), ox.NamedNode(kinds()[self.kind].iri)),
            ox.Triple(node, ox.NamedNode(RDFS + "label"), ox.Literal(self.label)),
            ox.Triple(node, ox.NamedNode(DCTERMS + "identifier"), ox.Literal(self.actor_id)),
        ]
        found += [
            ox.Triple(node, ox.NamedNode(SKOS + "altLabel"), ox.Literal(alias))
            for alias in self.aliases
        ]
        parent = registry.by_id.get(self.part_of)
        if parent is not None:
            found.append(
                ox.Triple(node, ox.NamedNode(ORG + "subOrganizationOf"), ox.NamedNode(parent.iri))
            )
        found += code_triples(node, self.kind, self.code, self.aggregate)
        if self.note:
            found.append(ox.Triple(node, ox.NamedNode(SKOS + "note"), ox.Literal(self.note)))
        return found


def code_triples(node: ox.NamedNode, kind: str, code: str, aggregate: bool) -> list[ox.Triple]:
    """The ISO code of a party (the ``rg:codeProperty`` of its kind: ``rg:province``,
    ``rg:country`` or ``rg:nationality``) or, for an aggregate, its flag."""
    coded = kinds()[kind].code
    if code and coded is not None:
        return [ox.Triple(node, ox.NamedNode(coded.predicate), ox.NamedNode(coded.iri(code)))]
    if aggregate:
        flag = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
        return [ox.Triple(node, ox.NamedNode(RG + "aggregate"), flag)]
    return []


@dataclass
class Registry:
    """Actors by id and by name (label or alias)."""

    by_id: dict[str, Actor] = field(default_factory=dict)
    by_name: dict[str, list[Actor]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, actors: Iterable[Actor]) -> Registry:
        """A registry of ``actors``; a later actor of the same id replaces an earlier one."""
        registry = cls()
        for actor in actors:
            registry.by_id[actor.actor_id] = actor
        for actor in registry.by_id.values():
            for name in (actor.label, *actor.aliases):
                registry.by_name[name].append(actor)
        return registry

    def __len__(self) -> int:
        return len(self.by_id)

    def resolve(self, name: str, kind: str, code: str) -> tuple[Actor | None, str | None]:
        """The actor that party ``name`` of ``kind`` with ``code`` names, and why not if none.

        Returns ``(actor, None)`` on a match, ``(None, None)`` for a name the registry does not
        know (the caller falls back to minting an IRI and lists it as a new actor), and
        ``(None, reason)`` when the name is ambiguous or the kind or code disagree; the reason
        starts with the column it is about (``kind:``, ``code:`` or ``name:``).

        >>> r = Registry.of([Actor("ru-mod", "FederalBody", "Russian Ministry of Defence",
        ...                        aliases=("Russian MoD",))])
        >>> r.resolve("Russian MoD", "FederalBody", "")[0].actor_id
        'ru-mod'
        >>> r.resolve("Russian MoD", "Recruiter", "")[1]
        "kind: Recruiter here but FederalBody for actor 'ru-mod'"
        """
        found = self.by_name.get(name, [])
        if not found:
            return None, None
        if len(found) > 1:
            ids = ", ".join(sorted(a.actor_id for a in found))
            return None, f"name: {name!r} names several actors of the registry ({ids})"
        actor = found[0]
        if actor.kind != kind:
            return None, f"kind: {kind} here but {actor.kind} for actor {actor.actor_id!r}"
        if actor.code.upper() != code.upper():
            return None, (
                f"code: {code or '(empty)'} here but {actor.code or '(empty)'} for actor "
                f"{actor.actor_id!r}"
            )
        return actor, None

    def top(self, actor_id: str) -> str:
        """The ``actor_id`` at the top of ``actor_id``'s ``part_of`` chain (itself if none)."""
        seen = {actor_id}
        current = actor_id
        while (parent := self.by_id[current].part_of) and parent in self.by_id:
            if parent in seen:
                break  # a cycle (refused at load; data written otherwise stops here)
            seen.add(parent)
            current = parent
        return current


def is_actors_csv(text: str) -> bool:
    """Whether the CSV ``text`` is an actor registry (its header names ``actor_id``)."""
    first = text.removeprefix("\ufeff").split("\n", 1)[0]
    return "actor_id" in next(csv.reader([first]), [])


def read_actors_csv(
    text: str, file: str = "actors.csv"
) -> tuple[list[Actor], list[Problem], dict[str, int]]:
    """The actors of a registry CSV, its problems, and the row of each actor's IRI.

    Every rule of the module docstring is checked here, so that one pass reports every problem
    with its row and column; the shapes then check the ISO codes against the reference data.
    """
    problems: list[Problem] = []

    def problem(row: int, column: str, message: str, value: str | None = None) -> None:
        problems.append(Problem(message, file=file, line=row, column=column, value=value))

    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in ACTOR_COLUMNS if c not in header]
    unknown = [c for c in header if c not in ACTOR_COLUMNS]
    if missing or unknown:
        parts = [f"missing columns: {', '.join(missing)}"] if missing else []
        parts += [f"unknown columns: {', '.join(unknown)}"] if unknown else []
        problem(1, "header", "the header is not that of an actor registry; " + "; ".join(parts))
        return [], problems, {}
    actors: dict[str, Actor] = {}
    rows: dict[str, int] = {}
    for row, record in enumerate(reader, start=2):
        if None in record:
            problem(row, "note", "more cells than columns (a comma outside quotes?)")
            continue
        cells = {k: (v or "").strip() for k, v in record.items()}
        if not any(cells.values()):
            continue
        actor = _actor(row, cells, problem)
        if actor is None:
            continue
        if actor.actor_id in actors:
            problem(row, "actor_id", f"duplicate actor_id, first in row {rows[actor.actor_id]}")
            continue
        actors[actor.actor_id] = actor
        rows[actor.actor_id] = row
    registry = Registry.of(actors.values())
    for name, named in registry.by_name.items():
        if len(named) > 1:
            ids = [a.actor_id for a in named]
            problem(rows[ids[1]], "aliases", f"name {name!r} belongs to several actors: {ids}")
    for actor in actors.values():
        _check_part_of(actor, registry, rows[actor.actor_id], problem)
    if actors and FEDERAL_ROOT not in actors:
        problem(1, "actor_id", f"the registry needs the federal center, actor {FEDERAL_ROOT!r}")
    if not actors and not problems:
        problems.append(Problem("the file has no actors", file=file))
    iri_rows = {actor.iri: rows[actor.actor_id] for actor in actors.values()}
    return list(actors.values()), problems, iri_rows


def _actor(row: int, cells: dict[str, str], problem: ProblemSink) -> Actor | None:
    actor_id, kind, label, code = (cells[c] for c in ("actor_id", "kind", "label", "code"))
    ok = True
    if not _SLUG.match(actor_id):
        problem(row, "actor_id", "not a slug (lower-case letters, digits, hyphens)", actor_id)
        ok = False
    if kind not in kinds():
        problem(row, "kind", f"unknown kind; use one of {', '.join(kinds())}", kind)
        ok = False
    if not label:
        problem(row, "label", "every actor needs a label")
        ok = False
    aliases = tuple(a.strip() for a in cells["aliases"].split("|")) if cells["aliases"] else ()
    if any(not a for a in aliases):
        problem(row, "aliases", "an empty alias (check the '|' separators)")
        ok = False
    if ok and not _code_ok(row, kind, label, code, problem):
        ok = False
    if not ok:
        return None
    return Actor(
        actor_id=actor_id,
        kind=kind,
        label=label,
        code=code.upper(),
        part_of=cells["part_of"],
        aliases=aliases,
        note=cells["note"],
    )


def _code_ok(row: int, kind: str, name: str, code: str, problem: ProblemSink) -> bool:
    """The code rules that do not need the reference data (the shapes check the codes)."""
    coded = kinds()[kind].code
    if coded is None:
        if code:
            problem(row, "code", f"a {kind} has no ISO code; leave it empty", code)
            return False
        return True
    if name.endswith(AGGREGATE_SUFFIX):
        if code:
            problem(row, "code", "an aggregate has no code", code)
            return False
        return True
    if not code:
        problem(row, "code", f"a {kind} needs an ISO code ({coded.hint}) unless it is an aggregate")
        return False
    if not _CODE.match(code):
        problem(row, "code", f"not an ISO code ({coded.hint})", code)
        return False
    return True


def _check_part_of(actor: Actor, registry: Registry, row: int, problem: ProblemSink) -> None:
    parent_id = actor.part_of
    if parent_id and parent_id not in registry.by_id:
        problem(row, "part_of", f"names no actor of the registry: {parent_id!r}", parent_id)
        return
    chain = [actor.actor_id]
    current = parent_id
    while current:
        if current in chain:
            problem(row, "part_of", "a cycle: " + " -> ".join([*chain, current]), parent_id)
            return
        chain.append(current)
        current = registry.by_id[current].part_of if current in registry.by_id else ""
    if actor.kind == "FederalBody":
        if actor.actor_id == FEDERAL_ROOT and parent_id:
            problem(row, "part_of", f"{FEDERAL_ROOT} is the top of the federal chain", parent_id)
        elif actor.actor_id != FEDERAL_ROOT and FEDERAL_ROOT not in chain:
            problem(
                row,
                "part_of",
                f"a Russian federal body must roll up to {FEDERAL_ROOT} "
                f"(chain: {' -> '.join(chain)})",
                parent_id or None,
            )
    parent = registry.by_id.get(parent_id)
    if parent is None or not kinds()[actor.kind].government:
        return
    if (parent.kind, parent.code) != (actor.kind, actor.code):
        problem(
            row,
            "part_of",
            f"{parent_id!r} is a {parent.kind} {parent.code or '(no code)'}, not the same "
            f"government as this {actor.kind} {actor.code or '(no code)'}",
            parent_id,
        )


_REGISTRY_QUERY = """
SELECT ?actor ?type ?id ?label ?code ?parent ?alias
WHERE {
  ?actor dcterms:identifier ?id ; a ?type ; rdfs:label ?label .
  VALUES ?type { %s }
  OPTIONAL { ?actor rg:province|rg:country|rg:nationality ?place . ?place skos:notation ?code }
  OPTIONAL { ?actor org:subOrganizationOf ?parent }
  OPTIONAL { ?actor skos:altLabel ?alias }
}"""


def registry_from_store(store: Store, graphs: Sequence[str] | None = None) -> Registry:
    """The registry that the datasets in ``graphs`` (default: every dataset) hold."""
    visible = list(dataset_graphs(store) if graphs is None else graphs)
    by_kind = {kind.iri: kind.name for kind in kinds().values()}
    text = _REGISTRY_QUERY % " ".join(f"<{iri}>" for iri in by_kind)
    found: dict[str, tuple[str, str, str, str, str]] = {}
    aliases: dict[str, list[str]] = defaultdict(list)
    for iri, rtype, actor_id, label, code, parent, alias in lexical_rows(
        run_query(store, text, graphs=visible)
    ):
        found.setdefault(iri, (actor_id, by_kind[rtype], label, code, parent))
        if alias and alias not in aliases[iri]:
            aliases[iri].append(alias)
    ids = {iri: entry[0] for iri, entry in found.items()}
    return Registry.of(
        Actor(
            actor_id=actor_id,
            kind=kind,
            label=label,
            code=code,
            part_of=ids.get(parent, ""),
            aliases=tuple(aliases[iri]),
        )
        for iri, (actor_id, kind, label, code, parent) in found.items()
    )
