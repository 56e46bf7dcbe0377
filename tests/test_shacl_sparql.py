"""The shapes compiled to SPARQL (graph.ingest.shacl_sparql) give pyshacl's report, exactly.

pyshacl is the reference: on the default dataset, on variants of it where every compiled check is
broken at least once (each check's own case, found from the shapes, not written by hand), and on
a battery of lexical forms for every datatype the shapes check, both validators must report the
same multiset of (focus node, path, value, constraint, message).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import SH

from graph.ingest import shacl_sparql
from graph.ingest.shacl_sparql import (
    UnsupportedShape,
    compile_shapes,
    ill_typed,
    run_checks,
    staging_store,
)
from graph.ingest.validation import (
    shape_checks,
    validate_graph,
    validate_triples,
)
from graph.model.namespaces import RG
from graph.model.ontology import shapes_graph
from graph.model.rdfterms import rdflib_graph, to_rdflib
from graph.model.reference import reference_triples
from tests.shacl_variants import (
    assert_same,
    base,
    broken_variant,
    compared_paths,
    focus_nodes,
    pool,
    typed,
)


def test_every_shape_compiles_to_checks() -> None:
    checks = shape_checks()
    # every property shape of every targeted node shape, each constraint once
    assert len({(c.shape, c.component) for c in checks}) == len(checks)
    assert {c.component for c in checks} >= {
        "MinCountConstraintComponent",
        "MaxCountConstraintComponent",
        "ClassConstraintComponent",
        "DatatypeConstraintComponent",
        "InConstraintComponent",
        "PatternConstraintComponent",
        "NodeKindConstraintComponent",
        "MinInclusiveConstraintComponent",
        "LessThanOrEqualsConstraintComponent",
        "HasValueConstraintComponent",
        "OrConstraintComponent",
        "SPARQLConstraintComponent",
    }


def test_a_feature_not_compiled_is_refused_not_skipped() -> None:
    shapes = shapes_graph() + rdflib_graph([])
    node = next(iter(shapes.subjects(SH.targetClass, URIRef(RG + "Source"))))
    shapes.add((node, SH.closed, Literal(True)))
    with pytest.raises(UnsupportedShape, match="closed"):
        compile_shapes(shapes)


def test_the_default_dataset_conforms_under_both() -> None:
    assert assert_same([*base(), *reference_triples()]) == Counter()


@pytest.mark.parametrize("seed", [1, 2])
def test_every_check_broken_gives_pyshacls_report(seed: int) -> None:
    variant, unbroken = broken_variant(seed)
    assert [(c.shape, c.component) for c in unbroken] == []
    reference = assert_same(variant)
    # pyshacl, too, reports every kind of check (the compiled one only picked the cases)
    assert {rule for *_, rule, _ in reference} == {c.component for c in shape_checks()}


def test_every_lexical_form_gives_pyshacls_report() -> None:
    """Each datatype-checked property of the focus nodes given each lexical form of the
    battery in turn (and so the checks beside: counts, ranges, patterns, dates in order)."""
    store = staging_store([*base(), *reference_triples()])
    default = ox.DefaultGraph()
    triples = {*base(), *reference_triples()}
    compared = compared_paths()
    for check in shape_checks():
        if check.component != "DatatypeConstraintComponent":
            continue
        path = ox.NamedNode(check.path or "")
        nodes = focus_nodes(store, check)
        terms = [t for t in pool() if isinstance(t, ox.Literal)]
        if check.path in compared or check.path in compared.values():
            terms = [t for t in terms if not ill_typed(t)]  # pyshacl raises (test below)
        given: dict[ox.NamedNode | ox.BlankNode, set[str]] = {}
        for n, term in enumerate(terms):
            if not nodes:
                break
            node = nodes[n % len(nodes)]
            if node not in given:
                given[node] = set()
                for quad in store.quads_for_pattern(node, path, None, default):
                    triples.discard(ox.Triple(quad.subject, quad.predicate, quad.object))
            # two forms rdflib reads as one ("TRUE" and "true") are one node of its graph,
            # kept as whichever came first: not a case either validator can be asked about
            read = str(to_rdflib(term))
            if read in given[node]:
                continue
            given[node].add(read)
            triples.add(ox.Triple(node, path, term))
    reference = assert_same(sorted(triples, key=str))
    assert len(reference) > 100


def test_values_that_cannot_be_compared_are_results_as_shacl_says() -> None:
    """SHACL 4.5.4: a pair that cannot be compared is a result. pyshacl 0.40 raises TypeError
    on an ill-typed date (the load would end in a traceback) and says nothing of a date against
    a dateTime; the compiled check reports both."""
    claim = next(t.subject for t in base() if t.predicate.value == RG + "start")
    end = ox.NamedNode(RG + "end")
    for other in (typed("2024-02-30", "date"), typed("2030-01-01T00:00:00", "dateTime")):
        triples = [t for t in base() if not (t.subject == claim and t.predicate == end)]
        triples.append(ox.Triple(claim, end, other))
        rules = {(p.rule, p.path) for p in validate_triples(triples) if p.focus == claim.value}
        assert ("LessThanOrEqualsConstraintComponent", RG + "start") in rules
        assert ("DatatypeConstraintComponent", RG + "end") in rules
    with pytest.raises(TypeError):
        triples[-1] = ox.Triple(claim, end, typed("2024-02-30", "date"))
        validate_graph(rdflib_graph(triples))


def test_not_a_number_is_below_no_minimum() -> None:
    """rdflib reads "NaN"^^xsd:decimal as Python's Decimal NaN (a decimal to it, and so to
    pyshacl's sh:datatype), and pyshacl's sh:minInclusive then raises InvalidOperation; NaN is
    not >= 0 in SPARQL, so the compiled check reports it."""
    flow = next(t.subject for t in base() if t.predicate.value == "https://schema.org/amount")
    amount = ox.NamedNode("https://schema.org/amount")
    triples = [t for t in base() if not (t.subject == flow and t.predicate == amount)]
    triples.append(ox.Triple(flow, amount, typed("NaN", "decimal")))
    rules = {p.rule for p in validate_triples(triples) if p.focus == flow.value}
    assert rules == {"MinInclusiveConstraintComponent"}


def test_subclasses_and_nodes_of_two_targets_give_pyshacls_report() -> None:
    """Where the data graph declares a subclass, a check finds instances through it (the
    checks read ``rdf:type`` alone only where the data has no ``rdfs:subClassOf``); a node
    that two targets of one shape reach is one focus node (one result per breach); a breach
    at a node that is no focus node (the checks' screens find it) is no result."""
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    sub_class_of = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
    local = ox.NamedNode("https://example.org/LocalSource")
    source = ox.NamedNode(RG + "Source")
    cited = next(t.object for t in base() if t.predicate.value.endswith("wasDerivedFrom"))
    claim = next(t.subject for t in base() if t.predicate.value == RG + "confidence")
    loose, days = ox.NamedNode("https://example.org/not-a-claim"), ("2024-01-01", "2024-02-01")
    dropped = {
        ox.Triple(cited, rdf_type, source),  # a source only by its subclass
        *(t for t in base() if t.subject == claim and t.predicate.value == RG + "confidence"),
    }
    triples = [t for t in [*base(), *reference_triples()] if t not in dropped]
    triples += [
        ox.Triple(local, sub_class_of, source),
        ox.Triple(cited, rdf_type, local),
        ox.Triple(claim, rdf_type, ox.NamedNode(RG + "Relation")),  # a second target class
        ox.Triple(claim, ox.NamedNode(RG + "basis"), ox.NamedNode(RG + "Transfer")),
        *(ox.Triple(loose, ox.NamedNode(RG + "start"), typed(day, "date")) for day in days),
    ]
    reference = assert_same(triples)
    rules = {(rule, path) for focus, path, _, rule, _ in reference if focus == claim.value}
    assert ("MinCountConstraintComponent", RG + "confidence") in rules
    assert ("InConstraintComponent", RG + "basis") in rules
    assert not {key for key in reference if key[0] in (cited.value, loose.value)}


#: Run in a fresh process by the test below: the checks over the base data with ``n`` more
#: nodes, each with a distinct date on ``rg:start`` and ``rg:from``/``rg:to`` to a recruiter of
#: its own (the nodes are no focus nodes, the recruiters conform: no results, but every scan,
#: screen and focus-node test sees them, and a class's instances are ``n`` more); prints the
#: number of results and the rise of the peak resident memory (MiB) over the checks alone.
_GROWTH = """
import datetime, itertools, sys
import pyoxigraph as ox
from graph.ingest import shacl_sparql
from graph.ingest.validation import shape_checks
from graph.model.namespaces import DCTERMS, RDFS, RG, XSD
from graph.model.reference import reference_triples
from tests.shacl_variants import base

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(l.split()[1]) / 1024 for l in lines if l.startswith(field))

shacl_sparql.READ_AT_ONCE = 1000
start, frm, to = (ox.NamedNode(RG + name) for name in ("start", "from", "to"))
first = datetime.date(2000, 1, 1)
# a conforming recruiter of the base data, copied once per node with a name of its own
recruiter = next(t.subject for t in base() if t.object == ox.NamedNode(RG + "Recruiter"))
described = {(t.predicate, t.object) for t in base() if t.subject == recruiter}
label, identifier = (ox.NamedNode(iri) for iri in (RDFS + "label", DCTERMS + "identifier"))

def more():
    for i in range(int(sys.argv[1])):
        node, actor = (ox.NamedNode(f"https://example.org/{k}{i}") for k in ("n", "actor"))
        for predicate, obj in described:
            if predicate in (label, identifier):
                obj = ox.Literal(f"actor {i}")
            yield ox.Triple(actor, predicate, obj)
        day = (first + datetime.timedelta(days=i)).isoformat()
        yield ox.Triple(node, start, ox.Literal(day, datatype=ox.NamedNode(XSD + "date")))
        yield ox.Triple(node, frm, actor)
        yield ox.Triple(node, to, actor)

checks = shape_checks()
store = shacl_sparql.staging_store(itertools.chain(base(), reference_triples(), more()))
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak (VmHWM) from here
before = status("VmRSS:")
results = shacl_sparql.run_checks(store, checks)
print(len(results), status("VmHWM:") - before)
"""


def _growth(nodes: int) -> tuple[int, float]:
    done = subprocess.run(
        [sys.executable, "-c", _GROWTH, str(nodes)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    results, rise = done.stdout.split()
    return int(results), float(rise)


def test_the_checks_memory_does_not_grow_with_the_data() -> None:
    """The checks of a conforming graph hold no set of the whole graph's nodes or literals
    (issue 15): ten times the nodes and distinct dates, the same peak. Before, the literals
    were selected DISTINCT, ``sh:maxCount`` grouped every node of a path and ``sh:minCount``
    held every subject of a path for its MINUS: 7 MiB over 20,000 nodes, 58 MiB over 200,000;
    then ``sh:class`` held every instance of the classes for its MINUS: 3.7 MiB over 20,000
    nodes (each with a recruiter of its own), 33.7 over 200,000 (now 1.6 and 1.6)."""
    small, large = _growth(20_000), _growth(200_000)
    assert small[0] == large[0] == 0
    assert large[1] - small[1] < 8, (small, large)


def test_literals_read_again_past_the_window_give_the_same_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """:func:`read_as_rdflib` remembers only the last ``READ_AT_ONCE`` literals: a literal
    forgotten and met again is read again, with the same marks and the same report."""
    claim = next(t.subject for t in base() if t.predicate.value == RG + "start")
    end = ox.NamedNode(RG + "end")
    triples = [t for t in base() if not (t.subject == claim and t.predicate == end)]
    triples.append(ox.Triple(claim, end, typed("2024-02-30", "date")))
    others = sorted({t.subject for t in base() if t.predicate == end}, key=str)
    triples += [ox.Triple(other, end, typed("2024-02-30", "date")) for other in others]
    expected = validate_triples(triples)
    assert any(p.rule == "DatatypeConstraintComponent" for p in expected)
    monkeypatch.setattr(shacl_sparql, "READ_AT_ONCE", 2)
    assert validate_triples(triples) == expected


def test_checks_run_at_once_give_the_report_of_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The checks run ``THREADS`` at a time, sharing their screens: the same results as one
    at a time, and progress told once per check."""
    variant, _ = broken_variant(1)
    checks = shape_checks()

    def results(threads: int) -> Counter[shacl_sparql.Result]:
        monkeypatch.setattr(shacl_sparql, "THREADS", threads)
        told: list[tuple[int, int]] = []
        found = run_checks(staging_store(variant), checks, lambda *step: told.append(step))
        assert told == [(done, len(checks)) for done in range(1, len(checks) + 1)]
        return Counter(found)

    alone = results(1)
    assert alone and results(4) == alone


def test_a_caller_that_stops_the_checks_stops_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception in ``progress`` (a caller stopping the load) goes up as soon as the checks
    running end: the checks not begun are not run (before the threads, none after it)."""
    variant, _ = broken_variant(1)
    ran: list[str] = []
    run = shacl_sparql._run

    def counted(
        data: shacl_sparql.DataGraph, check: shacl_sparql.Check, plain: bool
    ) -> Iterator[shacl_sparql.Result]:
        ran.append(check.shape)
        return run(data, check, plain)

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(shacl_sparql, "_run", counted)
    monkeypatch.setattr(shacl_sparql, "THREADS", 2)
    with pytest.raises(KeyboardInterrupt):
        run_checks(staging_store(variant), shape_checks(), stop)
    assert 0 < len(ran) < 20, len(ran)
