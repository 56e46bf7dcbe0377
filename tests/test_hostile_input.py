"""Hostile data: labels that a spreadsheet would run as formulas come out of every CSV and TSV
output as text, and RDF/XML that declares entities (a "billion laughs") is refused before it is
parsed, by the CLI and over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.model.namespaces import dataset_iri
from graph.store.spreadsheet import formula_safe
from tests.helpers import BASE_ROW, LiveServer, claims_csv, csv_rows, run_cli

FORMULA = '=HYPERLINK("http://x")'
AT_FORMULA = "@SUM(A1)"
HOSTILE_ROW = {**BASE_ROW, "subject": FORMULA, "object": AT_FORMULA}
QUERY = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label (-5 AS ?n) (-1.5e3 AS ?d) ("Wagner Group" AS ?text) WHERE {{
  ?s rdfs:label ?label
  FILTER(STR(?label) IN ('{FORMULA}', '{AT_FORMULA}'))
}} ORDER BY STR(?label)"""


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (FORMULA, "'" + FORMULA),
        (AT_FORMULA, "'" + AT_FORMULA),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-5+A1", "'-5+A1"),
        ("\tx", "'\tx"),
        ("\r=x", "'\r=x"),
        ("-5", "-5"),
        ("-1.5e3", "-1.5e3"),
        ("+3", "+3"),
        ("-.5", "-.5"),
        ("Wagner Group", "Wagner Group"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_safe(cell: str, written: str) -> None:
    assert formula_safe(cell) == written


def _assert_results_safe(csv_text: str, tsv_text: str) -> None:
    """SPARQL results of QUERY: labels prefixed, numbers and plain text as they were."""
    assert csv_rows(csv_text) == [
        ["label", "n", "d", "text"],
        ["'" + FORMULA, "-5", "-1500", "Wagner Group"],
        ["'" + AT_FORMULA, "-5", "-1500", "Wagner Group"],
    ]
    lines = tsv_text.splitlines()
    assert lines[0] == "?label\t?n\t?d\t?text"
    cells = [line.split("\t") for line in lines[1:]]
    assert [c[0].split('"')[1] for c in cells] == ["'=HYPERLINK(\\", "'" + AT_FORMULA]
    assert all(c[1] == "-5" and c[2].startswith('"-1500"^^') for c in cells)
    assert all(c[3] == '"Wagner Group"' for c in cells)


def test_formula_cells_over_http(live: LiveServer, tmp_path: Path) -> None:
    hostile = claims_csv(tmp_path / "hostile.csv", HOSTILE_ROW).read_bytes()
    with live.client("editor") as editor:
        created = editor.post(
            "/api/datasets",
            data={"name": "hostile"},
            files=[("file", ("hostile.csv", hostile, "text/csv"))],
        )
        assert created.status_code == 201, created.text
        try:
            export = editor.get("/api/export", params={"format": "csv", "dataset": "hostile"})
            assert export.status_code == 200, export.text
            header, edge = csv_rows(export.text)
            cells = dict(zip(header, edge, strict=True))
            assert cells["source_label"] == "'" + FORMULA
            assert cells["target_label"] == "'" + AT_FORMULA
            assert cells["amount"] == "400000.0" and cells["currency"] == "RUB"
            assert cells["type"] == "FundingFlow"
            as_csv = editor.get("/sparql", params={"query": QUERY}, headers={"Accept": "text/csv"})
            as_tsv = editor.get("/sparql", params={"query": QUERY, "format": "tsv"})
            assert as_csv.status_code == as_tsv.status_code == 200, as_csv.text + as_tsv.text
            _assert_results_safe(as_csv.text, as_tsv.text)
            # a truncated result is made safe too, and stays well-formed
            capped = editor.get(
                "/sparql", params={"query": QUERY + " LIMIT 5000", "format": "csv"}
            ).text
            assert csv_rows(capped)[1][0] == "'" + FORMULA
        finally:
            assert editor.delete("/api/datasets/hostile").status_code == 204


def test_formula_cells_from_the_cli(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = claims_csv(tmp_path / "hostile.csv", HOSTILE_ROW)
    run_cli("load", str(path), "--dataset", "hostile", env=cli_env, check=True)
    as_csv = run_cli("query", QUERY, "--format", "csv", env=cli_env, check=True).stdout
    as_tsv = run_cli("query", QUERY, "--format", "tsv", env=cli_env, check=True).stdout
    _assert_results_safe(as_csv, as_tsv)
    out = tmp_path / "edges.csv"
    run_cli("export", "--out", str(out), env=cli_env, check=True)
    edges = {tuple(r) for r in csv_rows(out.read_text(encoding="utf-8"))}
    assert any("'" + FORMULA in r and "'" + AT_FORMULA in r and "400000.0" in r for r in edges)


def _laughs(levels: int = 6) -> bytes:
    """A billion laughs: about 800 bytes whose entity ``&lol6;`` expands to 30 MB."""
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        '<rdf:Description rdf:about="https://w3id.org/recruitgraph/id/recruiter/laughs">'
        f"<rdfs:label>&lol{levels};</rdfs:label></rdf:Description>\n</rdf:RDF>\n"
    ).encode()


#: A plain RDF/XML document that the shapes accept.
RDF_XML = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
         xmlns:rg="https://w3id.org/recruitgraph/ontology#">
  <rg:Recruiter rdf:about="https://w3id.org/recruitgraph/id/recruiter/xml-agency">
    <rdfs:label xml:lang="en">XML agency</rdfs:label>
  </rg:Recruiter>
</rdf:RDF>
"""


def test_entity_expansion_refused_by_the_cli(cli_env: dict[str, str], tmp_path: Path) -> None:
    laughs = tmp_path / "laughs.rdf"
    laughs.write_bytes(_laughs())
    assert len(laughs.read_bytes()) < 1000
    for args in (["load", str(laughs), "--dataset", "laughs"], ["validate", str(laughs)]):
        result = run_cli(*args, env=cli_env)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        lines = [line for line in result.stderr.splitlines() if "ENTITY" in line]
        assert len(lines) == 1 and "declares entities" in lines[0], result.stderr
    datasets = run_cli("datasets", "--format", "json", env=cli_env, check=True).stdout
    assert "laughs" not in datasets
    plain = tmp_path / "plain.rdf"
    plain.write_bytes(RDF_XML)
    run_cli("load", str(plain), "--dataset", "plain-xml", env=cli_env, check=True)
    assert "XML agency" in run_cli("query", "SELECT * { ?s ?p ?o }", env=cli_env).stdout


def test_entity_expansion_refused_over_http(live: LiveServer) -> None:
    laughs = _laughs()
    xml = {"Content-Type": "application/rdf+xml"}
    with live.client("editor") as editor:
        upload = editor.post(
            "/api/datasets",
            data={"name": "laughs"},
            files=[("file", ("laughs.rdf", laughs, "application/rdf+xml"))],
        )
        assert upload.status_code == 422, upload.text
        assert "declares entities" in upload.text
        graph = dataset_iri("laughs")
        put = editor.put("/rdf-graphs", params={"graph": graph}, content=laughs, headers=xml)
        assert put.status_code == 422, put.text
        assert "declares entities" in put.text
        assert editor.get("/api/datasets/laughs").status_code == 404
        assert editor.get("/rdf-graphs", params={"graph": graph}).status_code == 404
        plain = dataset_iri("plain-xml")
        created = editor.put("/rdf-graphs", params={"graph": plain}, content=RDF_XML, headers=xml)
        assert created.status_code == 201, created.text
        assert "XML agency" in editor.get("/rdf-graphs", params={"graph": plain}).text
        assert editor.delete("/rdf-graphs", params={"graph": plain}).status_code == 204
