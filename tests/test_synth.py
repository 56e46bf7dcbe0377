"""Tests of the synthetic network generator (graph/ingest/synth.py) against the vocabulary
contract."""

import math
import re
import time
import tracemalloc
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import networkx as nx
import pycountry
import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from graph.ingest.synth import synthetic_triples, write_synthetic
from graph.model.rdfterms import rdflib_graph
from graph.model.reference import reference_triples

RG = "https://w3id.org/recruitgraph/ontology#"
ID = "https://w3id.org/recruitgraph/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = f"""
PREFIX rg: <{RG}>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <{XSD}>
"""
SIX_KINDS = {
    "FederalBody",
    "RegionalGovernment",
    "Recruiter",
    "ForeignGovernment",
    "RecruitmentScheme",
    "RecruitCohort",
}
# The contract's table of allowed parties: relation -> (rg:from kinds, rg:to kinds).
ALLOWED = {
    "FundingFlow": (
        {"FederalBody", "RegionalGovernment", "Recruiter", "ForeignGovernment"},
        SIX_KINDS,
    ),
    "Coordination": ({"FederalBody", "RegionalGovernment", "ForeignGovernment"}, SIX_KINDS),
    "Operation": ({"FederalBody", "RegionalGovernment", "Recruiter"}, {"RecruitmentScheme"}),
    "Recruitment": (
        {"FederalBody", "RegionalGovernment", "Recruiter", "RecruitmentScheme"},
        {"RecruitCohort"},
    ),
    "EnforcementAction": (
        {"ForeignGovernment"},
        {"Recruiter", "RecruitmentScheme", "RecruitCohort", "FederalBody"},
    ),
    "DiplomaticContact": (
        {"FederalBody", "ForeignGovernment"},
        {"FederalBody", "ForeignGovernment"},
    ),
}
RELATION_VALUES = " ".join(f"rg:{kind}" for kind in ALLOWED)
ACTOR_VALUES = " ".join(f"rg:{kind}" for kind in sorted(SIX_KINDS))
SHAPES = Path(__file__).resolve().parent.parent / "ontologies" / "shapes.ttl"
SEED = 11
START, END = date(2022, 1, 1), date(2025, 12, 31)


def local(term: ox.NamedNode) -> str:
    return term.value.removeprefix(RG)


def select(store: ox.Store, query: str) -> list[tuple]:
    return [tuple(solution) for solution in store.query(PREFIXES + query)]


def ask_count(store: ox.Store, query: str) -> int:
    (row,) = select(store, query)
    return int(row[0].value)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("synth")
    nt, ttl = out / "net.nt", out / "net.ttl"
    n_nt = write_synthetic(nt, 300, 0.5, SEED)
    n_ttl = write_synthetic(ttl, 300, 0.5, SEED)
    return {"nt": nt, "ttl": ttl, "n_nt": n_nt, "n_ttl": n_ttl}


@pytest.fixture(scope="module")
def store(files: dict[str, object]) -> ox.Store:
    store = ox.Store()
    store.load(path=str(files["nt"]), format=ox.RdfFormat.N_TRIPLES)
    return store


# --- determinism, arguments, formats --------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    for ext in ("nt", "ttl"):
        a, b, c = (tmp_path / f"{name}.{ext}" for name in "abc")
        write_synthetic(a, 120, 0.4, 5, centralization_end=0.6)
        write_synthetic(b, 120, 0.4, 5, centralization_end=0.6)
        write_synthetic(c, 120, 0.4, 6, centralization_end=0.6)
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize(
    ("args", "keywords", "message"),
    [
        ((9, 0.5, 1), {}, "at least 10"),
        ((0, 0.5, 1), {}, "at least 10"),
        ((12.5, 0.5, 1), {}, "whole number"),
        ((True, 0.5, 1), {}, "whole number"),
        ((100, -0.1, 1), {}, "between 0 and 1"),
        ((100, 1.5, 1), {}, "between 0 and 1"),
        ((100, math.nan, 1), {}, "between 0 and 1"),
        ((100, "high", 1), {}, "between 0 and 1"),
        ((100, 0.5, 1), {"centralization_end": 2.0}, "centralization-end"),
        ((100, 0.5, -1), {}, "seed"),
        ((100, 0.5, 1), {"start": date(2024, 1, 1), "end": date(2024, 1, 1)}, "before"),
        ((100, 0.5, 1), {"start": date(2025, 1, 1), "end": date(2024, 1, 1)}, "before"),
        ((100, 0.5, 1), {"start": "2022-01-01"}, "date"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_generated(
    tmp_path: Path, args: tuple, keywords: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        synthetic_triples(*args, **keywords)  # refused on the call, not on first iteration
    out = tmp_path / "x.nt"
    with pytest.raises(ValueError, match=message):
        write_synthetic(out, *args, **keywords)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["net.json", "net.rdf", "net", "net.nq"])
def test_unknown_extension_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"\.nt .*\.ttl"):
        write_synthetic(tmp_path / name, 50, 0.5, 1)
    assert list(tmp_path.iterdir()) == []


def test_returned_count_equals_lines_and_both_formats_parse_to_one_graph(
    files: dict[str, object],
) -> None:
    nt, ttl = files["nt"], files["ttl"]
    lines = nt.read_bytes().count(b"\n")
    assert files["n_nt"] == files["n_ttl"] == lines
    from_nt = set(ox.parse(path=str(nt)))
    from_ttl = set(ox.parse(path=str(ttl)))
    assert len(from_nt) == lines  # no duplicate triples either
    assert from_nt == from_ttl
    assert ttl.read_text().startswith("@prefix")
    assert ttl.stat().st_size < nt.stat().st_size / 2


def test_uppercase_extension_and_str_path(tmp_path: Path) -> None:
    n = write_synthetic(str(tmp_path / "NET.TTL"), 10, 1.0, 0)
    assert n == len(list(ox.parse(path=str(tmp_path / "NET.TTL"))))


# --- the contract -------------------------------------------------------------------------------


def test_every_relation_has_the_required_properties(store: ox.Store) -> None:
    relations = ask_count(
        store, f"SELECT (COUNT(?r) AS ?n) {{ VALUES ?c {{ {RELATION_VALUES} }} ?r a ?c }}"
    )
    assert relations > 700
    for prop in ("rg:from", "rg:to", "rg:start", "rg:confidence", "rg:datePrecision"):
        # Exactly one value each.
        bad = ask_count(
            store,
            f"""SELECT (COUNT(?r) AS ?n) {{
                  {{ SELECT ?r (COUNT(?v) AS ?k) {{
                       VALUES ?c {{ {RELATION_VALUES} }} ?r a ?c OPTIONAL {{ ?r {prop} ?v }}
                     }} GROUP BY ?r }}
                  FILTER(?k != 1) }}""",
        )
        assert bad == 0, prop
    missing_source = ask_count(
        store,
        f"""SELECT (COUNT(?r) AS ?n) {{
              VALUES ?c {{ {RELATION_VALUES} }} ?r a ?c
              FILTER NOT EXISTS {{ ?r prov:wasDerivedFrom ?s . ?s a rg:Source }} }}""",
    )
    assert missing_source == 0
    rows = select(
        store,
        f"""SELECT ?start ?end ?conf ?prec ?id {{
              VALUES ?c {{ {RELATION_VALUES} }} ?r a ?c ; rg:start ?start ; rg:confidence ?conf ;
                 rg:datePrecision ?prec ; rg:claimId ?id OPTIONAL {{ ?r rg:end ?end }} }}""",
    )
    assert len(rows) == relations
    ends = 0
    for start, end, conf, prec, claim_id in rows:
        assert start.datatype.value == XSD + "date"
        assert START <= date.fromisoformat(start.value) <= END
        if end is not None:
            ends += 1
            assert end.datatype.value == XSD + "date"
            assert date.fromisoformat(start.value) <= date.fromisoformat(end.value) <= END
        assert local(conf) in {"HighConfidence", "MediumConfidence", "LowConfidence"}
        assert local(prec) in {"DayPrecision", "MonthPrecision", "YearPrecision"}
        assert re.fullmatch(r"s\d+", claim_id.value)
        assert claim_id.datatype.value == XSD + "string"
    assert 0 < ends < relations  # "sometimes" an end
    confidences = [local(row[2]) for row in rows]
    assert confidences.count("LowConfidence") < relations / 4  # mostly high and medium


def test_relation_parties_follow_the_contract_table(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT ?rel ?from ?to {{
              VALUES ?rel {{ {RELATION_VALUES} }}
              VALUES ?from {{ {ACTOR_VALUES} }}
              VALUES ?to {{ {ACTOR_VALUES} }}
              ?r a ?rel ; rg:from ?a ; rg:to ?b . ?a a ?from . ?b a ?to }}""",
    )
    unbound = ask_count(
        store,
        f"""SELECT (COUNT(?r) AS ?n) {{ VALUES ?rel {{ {RELATION_VALUES} }} ?r a ?rel
              FILTER NOT EXISTS {{ VALUES ?k {{ {ACTOR_VALUES} }} ?r rg:from/a ?k }}
              FILTER NOT EXISTS {{ VALUES ?k {{ {ACTOR_VALUES} }} ?r rg:to/a ?k }} }}""",
    )
    assert unbound == 0
    seen = set()
    for rel, frm, to in rows:
        rel, frm, to = local(rel), local(frm), local(to)
        froms, tos = ALLOWED[rel]
        assert frm in froms and to in tos, (rel, frm, to)
        seen.add(rel)
    assert seen == set(ALLOWED)  # all six kinds are generated


def test_relation_specific_values_are_typed_as_the_contract_says(
    store: ox.Store, files: dict[str, object]
) -> None:
    funding = select(
        store,
        "SELECT ?amount ?cur ?purpose { ?r a rg:FundingFlow ; schema:amount ?amount ; "
        "schema:currency ?cur ; rg:purpose ?purpose }",
    )
    flows = ask_count(store, "SELECT (COUNT(?r) AS ?n) { ?r a rg:FundingFlow }")
    assert len(funding) == flows > 0
    purposes = {"EnlistmentBonus", "RecruiterFee", "Salary", "Transfer", "OtherPurpose"}
    for amount, cur, purpose in funding:
        assert amount.datatype.value == XSD + "decimal" and Decimal(amount.value) >= 0
        assert cur.value == "RUB" and cur.datatype.value == XSD + "string"
        assert local(purpose) in purposes
    offers = {"FactoryJob", "SecurityJob", "MilitaryContract", "ConstructionJob", "Study"}
    rows = select(
        store,
        """SELECT ?c ?offer ?deceptive ?count { VALUES ?c { rg:Operation rg:Recruitment }
             ?r a ?c ; rg:offerType ?offer ; rg:deceptive ?deceptive
             OPTIONAL { ?r rg:count ?count } }""",
    )
    ops = ask_count(
        store, "SELECT (COUNT(?r) AS ?n) { VALUES ?c { rg:Operation rg:Recruitment } ?r a ?c }"
    )
    assert len(rows) == ops > 0
    for cls, offer, deceptive, count in rows:
        assert local(offer) in offers | {"OtherOffer"}
        assert deceptive.datatype.value == XSD + "boolean"
        if local(cls) == "Recruitment":
            # The store keeps xsd:integer for every integer type; the file is checked below.
            assert int(count.value) >= 0
    counts = [
        t.object for t in ox.parse(path=str(files["nt"])) if t.predicate.value == RG + "count"
    ]
    assert counts and {c.datatype.value for c in counts} == {XSD + "nonNegativeInteger"}
    kinds = select(store, "SELECT ?k { ?r a rg:EnforcementAction ; rg:enforcementKind ?k }")
    actions = ask_count(store, "SELECT (COUNT(?r) AS ?n) { ?r a rg:EnforcementAction }")
    assert len(kinds) == actions > 0
    assert {local(k) for (k,) in kinds} <= {
        "Arrest",
        "Prosecution",
        "Warning",
        "Ban",
        "RepatriationRequest",
        "OtherEnforcement",
    }


def test_actors_schemes_and_source_are_marked_synthetic(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT ?x ?k ?label ?syn {{ VALUES ?k {{ {ACTOR_VALUES} rg:Source }} ?x a ?k
              OPTIONAL {{ ?x rdfs:label ?label }} OPTIONAL {{ ?x rg:synthetic ?syn }} }}""",
    )
    kinds = {
        "FederalBody": "federal-body",
        "RegionalGovernment": "regional-government",
        "ForeignGovernment": "foreign-government",
        "RecruitCohort": "cohort",
        "RecruitmentScheme": "scheme",
        "Recruiter": "recruiter",
    }
    actors = [row for row in rows if local(row[1]) != "Source"]
    assert len(actors) == 300
    assert {local(row[1]) for row in actors} == SIX_KINDS
    for node, kind, label, synthetic in rows:
        assert synthetic is not None
        assert synthetic.value == "true" and synthetic.datatype.value == XSD + "boolean"
        if local(kind) == "Source":
            continue
        pattern = rf"{ID}{kinds[local(kind)]}/synth-{SEED}-\d+"
        assert re.fullmatch(pattern, node.value)
        assert label.value.startswith("Synthetic ") and label.language == "en"
    (source,) = [row[0] for row in rows if local(row[1]) == "Source"]
    ((title, url, publisher),) = select(
        store,
        f"SELECT ?t ?u ?p {{ <{source.value}> dcterms:title ?t ; schema:url ?u ; "
        "dcterms:publisher ?p }",
    )
    assert title.value == (
        f"Synthetic claims generated by recruitgraph synth (seed {SEED}, centralization 0.5)"
    )
    assert url.value == f"urn:recruitgraph:synthetic:seed-{SEED}"
    assert url.datatype.value == XSD + "anyURI"
    assert publisher.value == "recruitgraph synth"
    sources = ask_count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?r prov:wasDerivedFrom ?s }")
    assert sources == 1


def test_places_are_real_reference_iris(store: ox.Store) -> None:
    provinces = {s.code.lower() for s in pycountry.subdivisions.get(country_code="RU")}
    countries = {c.alpha_2.lower() for c in pycountry.countries}
    regions = select(
        store,
        "SELECT ?g (COUNT(?p) AS ?n) (SAMPLE(?p) AS ?one) (SAMPLE(?l) AS ?label) "
        "{ ?g a rg:RegionalGovernment ; rdfs:label ?l OPTIONAL { ?g rg:province ?p } } GROUP BY ?g",
    )
    assert len(regions) == 24
    seen = set()
    for _, n, province, label in regions:
        assert int(n.value) == 1
        code = province.value.removeprefix(f"{ID}province/")
        assert code in provinces and label.value.endswith(f"({code.upper()})")
        seen.add(code)
    assert len(seen) == len(regions)  # one synthetic government per federal subject
    for cls, prop in (("ForeignGovernment", "country"), ("RecruitCohort", "nationality")):
        rows = select(
            store,
            f"SELECT ?x (COUNT(?c) AS ?n) (SAMPLE(?c) AS ?one) "
            f"{{ ?x a rg:{cls} OPTIONAL {{ ?x rg:{prop} ?c }} }} GROUP BY ?x",
        )
        assert rows
        for _, n, country in rows:
            code = country.value.removeprefix(f"{ID}country/")
            assert int(n.value) == 1 and code in countries and code != "ru"


@pytest.mark.parametrize(("actors", "x", "x_end"), [(60, 0.5, 0.9), (10, 0.0, None)])
def test_output_conforms_to_the_shapes(actors: int, x: float, x_end: float | None) -> None:
    # The reference data (provinces, countries, currencies) sits beside the data, as in the store.
    triples = [*synthetic_triples(actors, x, 2, centralization_end=x_end), *reference_triples()]
    shapes = rdflib.Graph().parse(SHAPES)
    conforms, _, report = pyshacl.validate(
        rdflib_graph(triples), shacl_graph=shapes, inference="none", advanced=True
    )
    assert conforms, report


def test_smallest_network_has_every_kind() -> None:
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in synthetic_triples(10, 0.5, 3))
    rows = select(
        store,
        f"SELECT ?k (COUNT(?x) AS ?n) {{ VALUES ?k {{ {ACTOR_VALUES} }} ?x a ?k }} GROUP BY ?k",
    )
    counts = {local(kind): int(n.value) for kind, n in rows}
    assert set(counts) == SIX_KINDS and sum(counts.values()) == 10


# --- scale -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_100k_triples_stream_quickly_in_bounded_memory(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    write_synthetic(tmp_path / "warm.nt", 10, 0.5, 1)  # loads pycountry's data once
    began = time.perf_counter()
    n = write_synthetic(tmp_path / "big.nt", 3000, 0.5, 1)
    seconds = time.perf_counter() - began
    record_property("synth_3000_actors_triples", n)
    record_property("synth_3000_actors_seconds", round(seconds, 3))
    print(f"\n3000 actors: {n} triples written in {seconds:.2f} s")
    assert 90_000 <= n <= 115_000
    assert seconds < 10
    # Streaming: Python memory stays far below the ~19 MB the triples take when held in a list.
    tracemalloc.start()
    try:
        assert sum(1 for _ in synthetic_triples(3000, 0.5, 1)) == n
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    record_property("synth_3000_actors_peak_bytes", peak)
    assert peak < 3_000_000


# --- the planted parameter --------------------------------------------------------------------


def degree_centralization(triples: Iterable[ox.Triple]) -> float:
    """Freeman degree centralization of the undirected simple projection (actors and schemes)."""
    graph = nx.Graph()
    ends: dict[ox.NamedNode, dict[str, ox.NamedNode]] = {}
    for s, p, o in ((t.subject, t.predicate.value, t.object) for t in triples):
        if p.endswith("#type") and o.value.removeprefix(RG) in SIX_KINDS:
            graph.add_node(s)
        elif p in (RG + "from", RG + "to"):
            ends.setdefault(s, {})[p] = o
    for pair in ends.values():
        graph.add_edge(pair[RG + "from"], pair[RG + "to"])
    assert nx.number_of_selfloops(graph) == 0
    degrees = [d for _, d in graph.degree()]
    n, top = len(degrees), max(degrees)
    return sum(top - d for d in degrees) / ((n - 1) * (n - 2))


def test_planted_centralization_is_visible(record_property: Callable[[str, object], None]) -> None:
    levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    for seed in (1, 2, 3):
        values = [degree_centralization(synthetic_triples(200, x, seed)) for x in levels]
        record_property(f"freeman_seed_{seed}", [round(v, 3) for v in values])
        print(
            f"\nseed {seed}: "
            + ", ".join(f"X={x}: {v:.3f}" for x, v in zip(levels, values, strict=True))
        )
        assert all(a < b for a, b in pairwise(values)), values
        assert values[0] < 0.2 and values[-1] > 0.9  # independent provinces vs a federal star


def test_planted_trend_moves_relations_to_the_center() -> None:
    store = ox.Store()
    triples = synthetic_triples(1000, 0.1, 4, centralization_end=0.9)
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    rows = select(
        store,
        """SELECT ?year (AVG(IF(EXISTS { ?a a rg:FederalBody }, 1, 0)) AS ?share) {
             ?r rg:from ?a ; rg:start ?start BIND(YEAR(?start) AS ?year)
           } GROUP BY ?year ORDER BY ?year""",
    )
    share = {int(year.value): float(value.value) for year, value in rows}
    print(f"\nfederal share of rg:from by year: {share}")
    assert sorted(share) == [2022, 2023, 2024, 2025]
    assert share[2025] > share[2022] + 0.2
