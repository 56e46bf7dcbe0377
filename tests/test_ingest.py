"""Ingest: every format round-trips; every invalid input is refused with nothing written."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.analysis.queries import export_quads
from graph.ingest import list_datasets, load_files, read_inputs, validate_files
from graph.ingest.validation import ValidationError
from graph.model.namespaces import RG, dataset_iri, description_iri
from graph.store import Store
from tests.helpers import BASE_ROW, SECOND_ROW, all_quads, claims_csv


def data_triples(store: Store, dataset: str) -> set[str]:
    """The dataset's triples without its description (whose time stamp differs per load)."""
    graph = dataset_iri(dataset)
    return {
        str(ox.Triple(q.subject, q.predicate, q.object))
        for q in store.quads(graph)
        if q.subject != ox.NamedNode(graph)
    }


@pytest.fixture
def valid_csv(tmp_path: Path) -> Path:
    return claims_csv(tmp_path / "claims.csv", BASE_ROW, SECOND_ROW)


def test_claims_csv_loads_as_one_named_graph(store: Store, valid_csv: Path) -> None:
    report = load_files(store, [valid_csv], "example", licence="CC-BY-4.0")
    assert report.triples > 20 and not report.replaced
    info = {d.name: d for d in list_datasets(store)}["example"]
    assert info.access == "public" and info.licence == "CC-BY-4.0" and not info.synthetic
    assert info.checksum.startswith("sha256:") and info.files == ("claims.csv",)
    url = next(
        iter(
            store.query(
                f"SELECT ?u WHERE {{ GRAPH <{dataset_iri('example')}> "
                "{ ?s <https://schema.org/url> ?u } }"
            )
        )
    )["u"].value
    assert url == BASE_ROW["source_url"]


RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
}


@pytest.mark.parametrize("suffix", list(RDF_FORMATS))
def test_every_format_round_trips(
    memory_store: Store, valid_csv: Path, tmp_path: Path, suffix: str
) -> None:
    load_files(memory_store, [valid_csv], "original")
    original = data_triples(memory_store, "original")
    fmt = RDF_FORMATS[suffix]
    quads = list(memory_store.quads(dataset_iri("original")))
    items = (
        quads
        if fmt.supports_datasets
        else [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    )
    path = tmp_path / f"export{suffix}"
    ox.serialize(items, str(path), format=fmt)
    load_files(memory_store, [path], "again")
    assert data_triples(memory_store, "again") == original


def test_reload_replaces_dataset(store: Store, valid_csv: Path, tmp_path: Path) -> None:
    load_files(store, [valid_csv], "example")
    smaller = claims_csv(tmp_path / "smaller.csv", BASE_ROW)
    report = load_files(store, [smaller], "example")
    assert report.replaced
    claims = store.query(
        f"SELECT ?c WHERE {{ GRAPH <{dataset_iri('example')}> {{ ?c <{RG}claimId> ?id }} }}"
    )
    assert len(list(claims)) == 1
    described = store.query(
        f"SELECT ?t WHERE {{ GRAPH <{description_iri(dataset_iri('example'))}> "
        f"{{ ?g <{RG}checksum> ?t }} }}"
    )
    assert len(list(described)) == 1


# Each rule of the shapes, broken in one cell; the report must name that row and column.
VIOLATIONS = [
    ({"source_url": ""}, "source_url", "source"),
    ({"source_title": "", "source_url": "https://example.org/untitled"}, "source_title", "title"),
    ({"amount": "-5"}, "amount", "negative"),
    ({"currency": "XYZ"}, "currency", "currency"),
    ({"amount": "100", "currency": ""}, ("amount", "currency"), "currency"),
    ({"end": "2023-01-01"}, ("start", "end"), "end"),
    ({"subject_code": "RU-XX"}, "subject_code", "ISO 3166-2"),
    ({"subject_code": ""}, "subject_code", "province"),
    ({"subject_kind": "RecruitCohort", "subject_code": "NP"}, "subject_kind", "FundingFlow"),
    (
        {"relation": "Operation", "object_kind": "RecruitCohort", "object_code": "NP"},
        "object_kind",
        "Operation",
    ),
    ({"confidence": ""}, "confidence", "confidence"),
]
CELL_PROBLEMS = [
    ({"amount": "12O"}, "amount", "not a number"),
    ({"start": "2024-02-30"}, "start", "calendar date"),
    ({"purpose": "bonus"}, "purpose", "enlistment_bonus"),
    ({"relation": "Bribe"}, "relation", "FundingFlow"),
    ({"subject_kind": "Oligarch"}, "subject_kind", "FederalBody"),
    ({"count": "-3"}, "count", "non-negative"),
    ({"deceptive": "maybe"}, "deceptive", "true"),
]


@pytest.mark.parametrize(("change", "column", "words"), VIOLATIONS + CELL_PROBLEMS)
def test_invalid_claim_is_refused_at_its_row_and_column(
    store: Store, valid_csv: Path, tmp_path: Path, change: dict, column, words: str
) -> None:
    load_files(store, [valid_csv], "existing")
    before = all_quads(store)
    bad = claims_csv(tmp_path / "bad.csv", SECOND_ROW, {**BASE_ROW, **change})
    with pytest.raises(ValidationError) as refused:
        load_files(store, [bad], "existing")
    problems = refused.value.problems
    columns = (column,) if isinstance(column, str) else column
    located = [p for p in problems if p.line == 3 and p.column in columns]
    assert located, [str(p) for p in problems]
    assert any(words.lower() in p.message.lower() for p in located), [str(p) for p in located]
    assert all_quads(store) == before


def test_all_problems_of_a_file_reported_at_once(tmp_path: Path) -> None:
    bad = claims_csv(
        tmp_path / "bad.csv",
        {**BASE_ROW, "amount": "-1"},
        {**SECOND_ROW, "object_code": "ZZ"},
        {**BASE_ROW, "claim_id": "t3", "start": "yesterday"},
    )
    problems = validate_files([bad])
    assert {(p.line, p.column) for p in problems} >= {
        (2, "amount"),
        (3, "object_code"),
        (4, "start"),
    }


def test_problem_shared_by_rows_names_them_all(tmp_path: Path) -> None:
    bad = claims_csv(
        tmp_path / "bad.csv",
        {**BASE_ROW, "source_title": ""},
        {**SECOND_ROW, "source_title": ""},
    )
    [problem] = [p for p in validate_files([bad]) if p.column == "source_title"]
    assert (problem.line, problem.also_rows) == (2, (3,))


def test_wrong_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("claim_id,relation,colour\nc1,FundingFlow,red\n")
    [problem] = validate_files([path])
    assert "missing columns" in problem.message and "colour" in problem.message


TURTLE = """
@prefix rg: <https://w3id.org/recruitgraph/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/recruitgraph/id/> .

id:regional-government\\/ru-ta a rg:RegionalGovernment ; rdfs:label "Government of Tatarstan" ;
    rg:province id:province\\/ru-ta .
id:scheme\\/bonus a rg:RecruitmentScheme ; rdfs:label "Bonus scheme" .
id:source\\/r1 a rg:Source ; dcterms:title "Illustrative report" ;
    schema:url "https://example.org/r1"^^xsd:anyURI .
id:claim\\/x\\/1 a rg:FundingFlow ;
    rg:from id:regional-government\\/ru-ta ; rg:to id:scheme\\/bonus ;
    rg:start "2024-01-01"^^xsd:date ; rg:end "2024-06-30"^^xsd:date ;
    rg:confidence rg:HighConfidence ; rg:basis rg:ReportBasis ;
    schema:amount 1000.0 ; schema:currency "RUB" ;
    prov:wasDerivedFrom id:source\\/r1 .
"""
TURTLE_VIOLATIONS = [
    ("    prov:wasDerivedFrom id:source\\/r1 .", "    .", "wasDerivedFrom"),
    ("schema:amount 1000.0", "schema:amount -1000.0", "amount"),
    ('schema:currency "RUB"', 'schema:currency "ZZZ"', "currency"),
    ('rg:end "2024-06-30"', 'rg:end "2023-06-30"', "start"),
    ("rg:province id:province\\/ru-ta", "rg:province id:province\\/ru-zz", "province"),
    ("rg:to id:scheme\\/bonus", "rg:to id:source\\/r1", "to"),
]


def test_valid_turtle_loads(memory_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ok.ttl"
    path.write_text(TURTLE)
    assert load_files(memory_store, [path], "turtle").triples == 18


@pytest.mark.parametrize(("old", "new", "path_end"), TURTLE_VIOLATIONS)
def test_turtle_violation_names_focus_node_property_and_rule(
    memory_store: Store, tmp_path: Path, old: str, new: str, path_end: str
) -> None:
    assert old in TURTLE
    bad = tmp_path / "bad.ttl"
    bad.write_text(TURTLE.replace(old, new))
    with pytest.raises(ValidationError) as refused:
        load_files(memory_store, [bad], "turtle")
    assert any(
        p.focus and p.path and p.path.endswith(path_end) and p.rule for p in refused.value.problems
    ), [str(p) for p in refused.value.problems]
    assert memory_store.graph_names() == []


def test_malformed_syntax_names_the_line(memory_store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(TURTLE.replace('"Bonus scheme" .', '"Bonus scheme" ;;; oops'))
    with pytest.raises(ValidationError) as refused:
        load_files(memory_store, [bad], "turtle")
    [problem] = refused.value.problems
    assert problem.line == 12 and "malformed ttl" in problem.message
    assert memory_store.graph_names() == []


def test_batch_with_one_bad_file_changes_nothing(
    store: Store, valid_csv: Path, tmp_path: Path
) -> None:
    load_files(store, [valid_csv], "example")
    before = all_quads(store)
    version = store.version
    good = tmp_path / "good.ttl"
    good.write_text(TURTLE)
    bad = tmp_path / "bad.nt"
    bad.write_text("<https://example.org/a> <https://example.org/b> .\n")
    with pytest.raises(ValidationError):
        load_files(store, [good, valid_csv, bad], "example")
    with pytest.raises(ValidationError):
        load_files(store, [good, valid_csv, bad], "another")
    assert all_quads(store) == before
    assert store.version == version


def test_unknown_file_type_is_refused(memory_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(ValueError, match="unknown file type"):
        load_files(memory_store, [path], "x")


def test_bad_dataset_name_is_refused(memory_store: Store, valid_csv: Path) -> None:
    with pytest.raises(ValueError, match="invalid dataset name"):
        load_files(memory_store, [valid_csv], "../etc")


def test_jsonld_remote_context_is_not_fetched(memory_store: Store, tmp_path: Path) -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(
                b'{"@context": {"label": "http://www.w3.org/2000/01/rdf-schema#label"}}'
            )

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        doc = tmp_path / "remote.jsonld"
        doc.write_text(
            f'{{"@context": "http://127.0.0.1:{server.server_port}/context.jsonld", '
            '"@id": "https://example.org/a", "label": "x"}'
        )
        with pytest.raises(ValidationError, match="not fetched"):
            load_files(memory_store, [doc], "remote")
    finally:
        server.shutdown()
    assert hits == []
    assert memory_store.graph_names() == []


def test_synthetic_marker_in_data_marks_dataset(memory_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "synthetic.ttl"
    path.write_text(
        TURTLE.replace(
            'rdfs:label "Bonus scheme" .', 'rdfs:label "Bonus scheme" ; rg:synthetic true .'
        )
    )
    assert load_files(memory_store, [path], "synth").synthetic


def test_reloading_an_export_keeps_one_description(
    memory_store: Store, valid_csv: Path, tmp_path: Path
) -> None:
    load_files(memory_store, [valid_csv], "example", access="restricted")
    exported = tmp_path / "export.nq"
    ox.serialize(
        export_quads(memory_store, [dataset_iri("example")]),
        str(exported),
        format=ox.RdfFormat.N_QUADS,
    )
    parsed = read_inputs([exported], "example")
    assert not [t for t in parsed.triples if t.subject == ox.NamedNode(dataset_iri("example"))]
    assert parsed.exported == (("example", "restricted"),)
    # Loaded as public, the export of a restricted dataset would publish it (issue 17).
    with pytest.raises(ValidationError, match="restricted: loading it as public would publish"):
        load_files(memory_store, [exported], "example")
    load_files(memory_store, [exported], "example", access="restricted", licence="CC0")
    [info] = [d for d in list_datasets(memory_store) if d.name == "example"]
    assert (info.access, info.licence) == ("restricted", "CC0")  # the new load's description


def test_no_shapes_loads_arbitrary_rdf_but_never_unchecked_recruitment_data(
    memory_store: Store, tmp_path: Path
) -> None:
    """``shapes=False`` (``--no-shapes``, ``?shapes=false``): RDF outside the recruitment
    vocabulary loads as it is, here an amount the money shape refuses; data that uses ``rg:``
    is checked all the same (the flag cannot slip a bad claim into a dataset)."""
    money = tmp_path / "money.ttl"
    money.write_text('<http://example.org/x> <https://schema.org/amount> "ten" .\n')
    with pytest.raises(ValidationError):
        load_files(memory_store, [money], "other")
    assert load_files(memory_store, [money], "other", shapes=False).triples == 1
    claim = tmp_path / "claim.ttl"
    claim.write_text(
        f'<http://example.org/f> a <{RG}FundingFlow> ; <https://schema.org/amount> "ten" .\n'
    )
    with pytest.raises(ValidationError):
        load_files(memory_store, [claim], "bad", shapes=False)
    assert dataset_iri("bad") not in memory_store.graph_names()
