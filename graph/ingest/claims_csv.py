"""The claims CSV: one sourced claim a row, as analysts keep them in a spreadsheet.

The columns are those of the shipped ``claims.csv`` (see ``graph/data/DATASET.md``). Each row
becomes one relation node of the ontology, derived from its source, between two party nodes.

Checking is split by what can be checked where:

* what only the CSV knows — a header, a cell that is not a date, a number or a known code of a
  controlled vocabulary, a duplicate claim id — is reported here, with its row and column;
* what the model says — a missing source, a negative amount, an unknown currency or ISO 3166
  code, an end before its start, parties of the wrong kind — is left to the SHACL shapes, the
  single source of truth, and :func:`locate` maps each SHACL problem back to its row and
  column through the origins that the conversion records.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from graph.ingest.registry import AGGREGATE_SUFFIX, Registry, code_triples
from graph.ingest.validation import Problem
from graph.model.namespaces import (
    DCTERMS,
    PROV,
    RDF,
    RDFS,
    RG,
    SCHEMA,
    SKOS,
    XSD,
    entity_iri,
    slugify,
)
from graph.model.namespaces import source_iri as make_source_iri
from graph.model.ontology import concepts, kinds, relation_types

COLUMNS = (
    "claim_id",
    "relation",
    "subject_kind",
    "subject",
    "subject_code",
    "object_kind",
    "object",
    "object_code",
    "start",
    "end",
    "date_precision",
    "amount",
    "currency",
    "purpose",
    "offer_type",
    "deceptive",
    "action",
    "count",
    "confidence",
    "source_title",
    "source_url",
    "source_publisher",
    "source_date",
    "note",
)
#: Columns added in version 2 of the layout. A file without them still loads, with the
#: defaults of :data:`V1_DEFAULTS`; a file that has one must fill it as the layout says.
V2_COLUMNS = ("amount_basis", "basis", "foreigners")
#: What a version-1 file (without the columns of version 2) means: every claim a report, its
#: amounts of unknown basis (left out of per-recruit comparisons), foreigners not stated.
V1_DEFAULTS = {"basis": "report", "amount_basis": "", "foreigners": ""}


#: Column of the claim row that carries each property of the relation node.
CLAIM_COLUMN = {
    RDF + "type": "relation",
    RG + "from": "subject_kind",
    RG + "to": "object_kind",
    RG + "start": "start",
    RG + "end": "end",
    RG + "datePrecision": "date_precision",
    SCHEMA + "amount": "amount",
    SCHEMA + "currency": "currency",
    RG + "purpose": "purpose",
    RG + "offerType": "offer_type",
    RG + "deceptive": "deceptive",
    RG + "enforcementKind": "action",
    RG + "count": "count",
    RG + "confidence": "confidence",
    PROV + "wasDerivedFrom": "source_url",
    RG + "claimId": "claim_id",
    DCTERMS + "description": "note",
    RG + "basis": "basis",
    RG + "amountBasis": "amount_basis",
    RG + "coversForeigners": "foreigners",
}
SOURCE_COLUMN = {
    DCTERMS + "title": "source_title",
    SCHEMA + "url": "source_url",
    DCTERMS + "publisher": "source_publisher",
    DCTERMS + "issued": "source_date",
}
#: Columns holding a notation of a SKOS scheme of the ontology, and the property they fill.
VOCABULARY_COLUMN = {
    "date_precision": ("DatePrecisionScheme", RG + "datePrecision"),
    "purpose": ("FundingPurposeScheme", RG + "purpose"),
    "offer_type": ("OfferTypeScheme", RG + "offerType"),
    "action": ("EnforcementKindScheme", RG + "enforcementKind"),
    "confidence": ("ConfidenceScheme", RG + "confidence"),
    "basis": ("ClaimBasisScheme", RG + "basis"),
    "amount_basis": ("AmountBasisScheme", RG + "amountBasis"),
}
#: The ``foreigners`` column: whether the payment or scheme covers foreign nationals.
FOREIGNERS = {"yes": "true", "no": "false"}
_CODE = re.compile(r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")
_WEB_ADDRESS = re.compile(r"^https?://\S+$")
_CODE_PATHS = {kind.code.predicate for kind in kinds().values() if kind.code is not None}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ClaimsConversion:
    """The triples made from a claims CSV, the problems found on the way, and where each node
    came from (node IRI → ``[(row, role)]``, role one of claim, subject, object, source)."""

    file: str
    triples: list[ox.Triple] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    origins: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    #: Parties that the registry does not know, as (kind, name, code) -> the IRI minted for
    #: each by the rules of version 1; the load summary lists them as new actors.
    new_actors: dict[tuple[str, str, str], str] = field(default_factory=dict)


def _literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


class _RowReader:
    """Turns one CSV row into triples, collecting the problems of its cells."""

    def __init__(
        self, conversion: ClaimsConversion, dataset: str, registry: Registry, columns: set[str]
    ) -> None:
        self.conversion = conversion
        self.dataset = dataset
        self.registry = registry
        self.columns = columns
        self.labelled: set[str] = set()
        self.seen_claims: dict[str, int] = {}

    def problem(self, row: int, column: str, message: str, value: str | None = None) -> None:
        self.conversion.problems.append(
            Problem(message, file=self.conversion.file, line=row, column=column, value=value)
        )

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        self.conversion.triples.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o))

    def date(self, row: int, column: str, text: str) -> ox.Literal | None:
        try:
            if not _DATE.match(text):
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            self.problem(row, column, "not a calendar date in the form YYYY-MM-DD", text)
            return None
        return _literal(text, "date")

    def party(self, row: int, cells: dict[str, str], role: str) -> str | None:
        kind_name = cells[f"{role}_kind"]
        name = cells[role]
        code = cells[f"{role}_code"].upper()
        kind = kinds().get(kind_name)
        if kind is None:
            self.problem(
                row, f"{role}_kind", f"unknown kind; use one of {', '.join(kinds())}", kind_name
            )
            return None
        if not name:
            self.problem(row, role, f"the {role} needs a name")
            return None
        coded = kind.code
        if code and coded is None:
            self.problem(
                row, f"{role}_code", f"a {kind_name} has no ISO code; leave it empty", code
            )
            return None
        if code and coded is not None and not _CODE.match(code):
            self.problem(row, f"{role}_code", f"not an ISO code ({coded.hint})", code)
            return None
        if code and name.endswith(AGGREGATE_SUFFIX):
            self.problem(row, f"{role}_code", "an aggregate has no code", code)
            return None
        actor, why = self.registry.resolve(name, kind_name, code)
        if why is not None:
            column, _, message = why.partition(": ")
            self.problem(row, role if column == "name" else f"{role}_{column}", message, name)
            return None
        if actor is not None:
            iri, label = actor.iri, actor.label
        else:
            # Not in the registry: the rules of version 1. Governments are identified by their
            # code, so that spellings of a name converge; cohorts and the rest by their name.
            keyed_by_code = code and kind.government
            iri = entity_iri(kind.id_segment, code.lower() if keyed_by_code else slugify(name))
            label = name
            self.conversion.new_actors.setdefault((kind_name, name, code), iri)
        self.conversion.origins[iri].append((row, role))
        if iri not in self.labelled:
            self.labelled.add(iri)
            node = ox.NamedNode(iri)
            self.add(iri, RDF + "type", ox.NamedNode(kind.iri))
            self.add(iri, RDFS + "label", ox.Literal(label))
            self.conversion.triples += code_triples(
                node, kind_name, code, label.endswith(AGGREGATE_SUFFIX)
            )
        return iri

    def source(self, row: int, cells: dict[str, str]) -> str | None:
        url = cells["source_url"]
        if not url:
            return None  # the shapes report the claim without a source
        if not _WEB_ADDRESS.match(url):
            # A claim of a CSV cites a publication: a web address (the shapes also let
            # generated data cite a urn:).
            self.problem(row, "source_url", "not an http(s) address", url)
            return None
        iri = make_source_iri(url)
        self.conversion.origins[iri].append((row, "source"))
        if iri in self.labelled:
            return iri
        self.labelled.add(iri)
        self.add(iri, RDF + "type", ox.NamedNode(RG + "Source"))
        self.add(iri, SCHEMA + "url", _literal(url, "anyURI"))
        for column, prop in (("source_title", "title"), ("source_publisher", "publisher")):
            if cells[column]:
                self.add(iri, DCTERMS + prop, ox.Literal(cells[column]))
        if cells["source_date"] and (issued := self.date(row, "source_date", cells["source_date"])):
            self.add(iri, DCTERMS + "issued", issued)
        return iri

    def read(self, row: int, cells: dict[str, str]) -> None:
        claim_id = cells["claim_id"]
        if not claim_id:
            self.problem(row, "claim_id", "every claim needs an id (c001, c002, …)")
            return
        if claim_id in self.seen_claims:
            self.problem(
                row,
                "claim_id",
                f"duplicate claim id, first used in row {self.seen_claims[claim_id]}",
                claim_id,
            )
            return
        self.seen_claims[claim_id] = row
        relation = cells["relation"]
        if relation not in relation_types():
            self.problem(
                row,
                "relation",
                f"unknown relation; use one of {', '.join(relation_types())}",
                relation,
            )
            return
        subject = self.party(row, cells, "subject")
        obj = self.party(row, cells, "object")
        if subject is None or obj is None:
            return
        claim = entity_iri("claim", f"{self.dataset}/{slugify(claim_id)}")
        self.conversion.origins[claim].append((row, "claim"))
        self.add(claim, RDF + "type", ox.NamedNode(RG + relation))
        self.add(claim, RG + "claimId", ox.Literal(claim_id))
        self.add(claim, RG + "from", ox.NamedNode(subject))
        self.add(claim, RG + "to", ox.NamedNode(obj))
        for column in ("start", "end"):
            if cells[column] and (value := self.date(row, column, cells[column])):
                self.add(claim, RG + column, value)
        for column, default in V1_DEFAULTS.items():
            if column not in self.columns:
                cells[column] = default
            elif not cells[column] and column == "basis":
                self.problem(row, "basis", "every claim needs a basis: report or assessment")
        if cells["amount"] and not cells["amount_basis"] and "amount_basis" in self.columns:
            self.problem(row, "amount_basis", "an amount needs its basis: per_recruit or total")
        for column, (scheme, prop) in VOCABULARY_COLUMN.items():
            if not cells[column]:
                continue
            concept = concepts(scheme).get(cells[column])
            if concept is None:
                allowed = ", ".join(concepts(scheme))
                self.problem(row, column, f"unknown value; use one of {allowed}", cells[column])
            else:
                self.add(claim, prop, ox.NamedNode(concept))
        self.numbers(row, claim, cells)
        if source := self.source(row, cells):
            self.add(claim, PROV + "wasDerivedFrom", ox.NamedNode(source))
        if cells["note"]:
            self.add(claim, DCTERMS + "description", ox.Literal(cells["note"]))
        else:
            self.problem(row, "note", "every claim needs a note: one sentence on what it states")
        if foreigners := cells["foreigners"]:
            if foreigners.lower() in FOREIGNERS:
                value = _literal(FOREIGNERS[foreigners.lower()], "boolean")
                self.add(claim, RG + "coversForeigners", value)
            else:
                self.problem(row, "foreigners", "use yes, no or leave it empty", foreigners)

    def numbers(self, row: int, claim: str, cells: dict[str, str]) -> None:
        if amount := cells["amount"]:
            try:
                value = Decimal(amount)
                if not value.is_finite():
                    raise InvalidOperation
                # Fixed-point notation: xsd:decimal has no exponent ("1e6" → "1000000").
                self.add(claim, SCHEMA + "amount", _literal(format(value, "f"), "decimal"))
            except InvalidOperation:
                self.problem(row, "amount", "not a number (digits, optional decimals)", amount)
        if currency := cells["currency"]:
            self.add(claim, SCHEMA + "currency", ox.Literal(currency.upper()))
        if deceptive := cells["deceptive"]:
            if deceptive.lower() in ("true", "false"):
                self.add(claim, RG + "deceptive", _literal(deceptive.lower(), "boolean"))
            else:
                self.problem(row, "deceptive", "use true, false or leave it empty", deceptive)
        if count := cells["count"]:
            if count.isdigit():
                self.add(claim, RG + "count", _literal(str(int(count)), "nonNegativeInteger"))
            else:
                self.problem(row, "count", "not a non-negative whole number", count)


def convert_claims(
    text: str, dataset: str, file: str = "claims.csv", registry: Registry | None = None
) -> ClaimsConversion:
    """Convert the text of a claims CSV into triples for ``dataset``.

    Party names resolve through ``registry`` (:meth:`graph.ingest.registry.Registry.resolve`); a
    name it does not know gets an IRI by the rules of version 1 and is listed in ``new_actors``.
    A file in the version-1 layout (without :data:`V2_COLUMNS`) is read with
    :data:`V1_DEFAULTS`. Problems of the cells are collected in the result rather than
    raised, so that one pass reports them all; a conversion with problems must not be written.
    """
    conversion = ClaimsConversion(file=file)
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS and c not in V2_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown columns: {', '.join(unknown)}")
        conversion.problems.append(
            Problem(
                "the header is not that of a claims CSV; " + "; ".join(parts),
                file=file,
                line=1,
                column="header",
            )
        )
        return conversion
    rows = _RowReader(conversion, dataset, registry or Registry(), set(header))
    for number, record in enumerate(reader, start=2):
        if None in record:
            rows.problem(number, "note", "more cells than columns (a comma outside quotes?)")
            continue
        cells = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if not any(cells.values()):
            continue  # spreadsheets leave empty rows behind
        rows.read(number, cells)
    if not rows.seen_claims and not conversion.problems:
        conversion.problems.append(Problem("the file has no claims", file=file))
    return conversion


def locate(problem: Problem, conversion: ClaimsConversion) -> Problem:
    """The SHACL ``problem`` placed at the row and column of the CSV that caused it."""
    origins = conversion.origins.get(problem.focus or "")
    if not origins:
        return replace(problem, file=conversion.file)
    rows = sorted({row for row, _ in origins})
    role = origins[0][1]
    path = problem.path or ""
    column: str | None  # None: a claim property that has no column of its own
    if role == "actor":  # a row of an actor registry
        column = {RDFS + "label": "label"}.get(path, "code" if path in _CODE_PATHS else "kind")
    elif role == "claim":
        # An end before the start is a fault of the end (the start is checked on its own).
        comparison = problem.rule == "LessThanOrEqualsConstraintComponent"
        column = "end" if comparison else CLAIM_COLUMN.get(path)
    elif role == "source":
        column = SOURCE_COLUMN.get(path, "source_url")
    elif path in _CODE_PATHS:
        column = f"{role}_code"
    elif path in (RDFS + "label", SKOS + "prefLabel"):
        column = role
    else:
        column = f"{role}_kind"
    return replace(
        problem, file=conversion.file, line=rows[0], column=column, also_rows=tuple(rows[1:])
    )
