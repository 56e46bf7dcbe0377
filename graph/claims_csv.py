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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from graph.namespaces import DCTERMS, PROV, RDF, RDFS, RG, SCHEMA, SKOS, XSD, entity_iri, slugify
from graph.namespaces import source_iri as make_source_iri
from graph.ontology import concepts, kinds, relation_types
from graph.reference import country_iri, province_iri
from graph.validation import Problem

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

#: Which ISO code a party of each kind carries, the property that holds it, and its IRI.
CODE_PROPERTY: dict[str, tuple[str, Callable[[str], str], str]] = {
    "RegionalGovernment": (RG + "province", province_iri, "ISO 3166-2:RU code like RU-TA"),
    "ForeignGovernment": (RG + "country", country_iri, "ISO 3166-1 alpha-2 code like NP"),
    "RecruitCohort": (RG + "nationality", country_iri, "ISO 3166-1 alpha-2 code like NP"),
}
AGGREGATE_SUFFIX = "(aggregate)"

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
}
_CODE = re.compile(r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ClaimsConversion:
    """The triples made from a claims CSV, the problems found on the way, and where each node
    came from (node IRI → ``[(row, role)]``, role one of claim, subject, object, source)."""

    file: str
    triples: list[ox.Triple] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    origins: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))


def _literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


class _RowReader:
    """Turns one CSV row into triples, collecting the problems of its cells."""

    def __init__(self, conversion: ClaimsConversion, dataset: str) -> None:
        self.conversion = conversion
        self.dataset = dataset
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
        coded = CODE_PROPERTY.get(kind_name)
        if code and coded is None:
            self.problem(
                row, f"{role}_code", f"a {kind_name} has no ISO code; leave it empty", code
            )
            return None
        if code and not _CODE.match(code):
            self.problem(row, f"{role}_code", f"not an ISO code ({coded[2]})", code)  # type: ignore[index]
            return None
        # Governments are identified by their code, so that spellings of a name converge;
        # cohorts and the rest by their name.
        keyed_by_code = code and kind_name in ("RegionalGovernment", "ForeignGovernment")
        iri = entity_iri(kind.id_segment, code.lower() if keyed_by_code else slugify(name))
        self.conversion.origins[iri].append((row, role))
        if iri not in self.labelled:
            self.labelled.add(iri)
            self.add(iri, RDF + "type", ox.NamedNode(kind.iri))
            self.add(iri, RDFS + "label", ox.Literal(name))
            if code and coded is not None:
                prop, code_iri, _ = coded
                self.add(iri, prop, ox.NamedNode(code_iri(code)))
            elif name.endswith(AGGREGATE_SUFFIX):
                self.add(iri, RG + "aggregate", _literal("true", "boolean"))
        return iri

    def source(self, row: int, cells: dict[str, str]) -> str | None:
        url = cells["source_url"]
        if not url:
            return None  # the shapes report the claim without a source
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


def convert_claims(text: str, dataset: str, file: str = "claims.csv") -> ClaimsConversion:
    """Convert the text of a claims CSV into triples for ``dataset``.

    Problems of the cells are collected in the result rather than raised, so that one pass
    reports them all; a conversion with problems must not be written.
    """
    conversion = ClaimsConversion(file=file)
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
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
    rows = _RowReader(conversion, dataset)
    for number, record in enumerate(reader, start=2):
        if None in record:
            rows.problem(number, "note", "more cells than columns (a comma outside quotes?)")
            continue
        cells = {k: (v or "").strip() for k, v in record.items()}
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
    if role == "claim":
        column = CLAIM_COLUMN.get(path)
    elif role == "source":
        column = SOURCE_COLUMN.get(path, "source_url")
    elif path in {prop for prop, _, _ in CODE_PROPERTY.values()}:
        column = f"{role}_code"
    elif path in (RDFS + "label", SKOS + "prefLabel"):
        column = role
    else:
        column = f"{role}_kind"
    return replace(
        problem, file=conversion.file, line=rows[0], column=column, also_rows=tuple(rows[1:])
    )
