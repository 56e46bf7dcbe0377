"""The model is data: Python reads the ontology and never repeats it.

(a) No module of ``graph/`` or ``api/`` writes out a list of the model — a tuple, list, set or
dict keys of two or more strings that are all names of one model family (actor kinds, their IRI
segments, tiers, relation types, the notations of one concept scheme) — nor a namespace IRI
outside ``graph/model/namespaces.py``. The scanner is shown to fail on a hand-made snippet.
(b) The synthetic generator uses exactly the ontology's classes and terms.
(c) The order of tiers that code sees is the ontology's: a copy with another order, read
through the same loader, gives the other order.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF, SKOS

from graph.analysis.metrics import funding, roles
from graph.ingest.synth import synthetic_triples
from graph.model import namespaces
from graph.model.ontology import (
    concepts,
    confidence_levels,
    kinds,
    ontology_graph,
    ontology_text,
    relation_types,
    tiers,
)
from graph.model.reference import country_iri, province_iri

ROOT = Path(__file__).resolve().parent.parent
#: Where namespace IRIs are written, once.
NAMESPACES_MODULE = ROOT / "graph" / "model" / "namespaces.py"
#: The dataset's own checker: a standard-library script shipped with the data and run without
#: the package (``python3 check_data.py``), an independent second reading of the rules.
EXEMPT = {ROOT / "graph" / "data" / "check_data.py"}
#: Keys and keyword arguments whose values are sample responses of the OpenAPI document:
#: example data, not the model.
EXAMPLE_KEYS = {"example", "examples"}


def model_families() -> dict[str, frozenset[str]]:
    """Every family of names the ontology defines, by family name."""
    families = {
        "actor kinds": frozenset(kinds()),
        "kind IRI segments": frozenset(k.id_segment for k in kinds().values()),
        "tiers": frozenset(tiers()),
        "relation types": frozenset(relation_types()),
    }
    onto = ontology_graph()
    for scheme in onto.subjects(RDF.type, SKOS.ConceptScheme):
        name = str(scheme).rsplit("#", 1)[-1]
        if next(onto.subjects(SKOS.inScheme, scheme), None) is not None:
            families[f"notations of {name}"] = frozenset(concepts(name))
    return families


def _namespaces() -> tuple[set[str], set[str]]:
    """(vocabulary namespaces, bases of minted IRIs) as graph/model/namespaces.py states them.

    A vocabulary namespace may not appear in any other string; a base (``id/``, ``dataset/``,
    the ontology IRI …) may not be written out on its own, though a whole example IRI under it
    (sample data in a route's documentation) may.
    """
    vocabularies = set(namespaces.PREFIXES.values()) | {
        namespaces.SH,
        namespaces.SD,
        namespaces.FORMATS_NS,
    }
    bases = {
        namespaces.ONTOLOGY_IRI,
        namespaces.ID,
        namespaces.DATASET,
        namespaces.SYSTEM_GRAPH,
        namespaces.STAGING,
    }
    return vocabularies, bases - vocabularies


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are statements of their own (docstrings, notes)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _examples(tree: ast.AST) -> set[int]:
    """ids of every node inside an OpenAPI example (``"example": …``, ``examples=…``)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        values: list[ast.AST] = []
        if isinstance(node, ast.Dict):
            values = [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value in EXAMPLE_KEYS
            ]
        elif isinstance(node, ast.Call):
            values = [kw.value for kw in node.keywords if kw.arg in EXAMPLE_KEYS]
        for value in values:
            inside.update(id(n) for n in ast.walk(value))
    return inside


def _string_collections(tree: ast.AST, skip: set[int]) -> Iterator[tuple[int, frozenset[str]]]:
    """(line, strings) of every tuple, list, set or dict whose elements (keys) are all strings,
    but those whose ids are in ``skip``."""
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            elements: list[ast.expr | None] = list(node.elts)
        elif isinstance(node, ast.Dict):
            elements = list(node.keys)
        else:
            continue
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elements):
            yield node.lineno, frozenset(e.value for e in elements)  # type: ignore[union-attr]


def model_repetitions(paths: Iterable[Path], root: Path = ROOT) -> list[str]:
    """``file:line: what`` for each list of the model and each namespace IRI in ``paths``."""
    families = model_families()
    vocabularies, bases = _namespaces()
    found = []
    for path in sorted(paths):
        if path in EXEMPT:
            continue
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        where = path.relative_to(root) if path.is_relative_to(root) else path
        examples = _examples(tree)
        for line, strings in _string_collections(tree, examples):
            if len(strings) < 2:
                continue
            for family, names in families.items():
                if strings <= names:
                    listed = ", ".join(sorted(strings))
                    found.append(f"{where}:{line}: a list of {family} ({listed})")
        if path == NAMESPACES_MODULE:
            continue
        skip = _docstrings(tree) | examples
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            if id(node) in skip:
                continue
            text = node.value
            hits = sorted(ns for ns in vocabularies if ns in text)
            hits += sorted(base for base in bases if text == base)
            for namespace in hits:
                found.append(f"{where}:{node.lineno}: the namespace IRI <{namespace}>")
    # Several families may share a list (a tier is also a notation of the tier scheme): once.
    return sorted(set(found), key=lambda s: (s.split(":")[0], int(s.split(":")[1]), s))


def _sources() -> list[Path]:
    return [*ROOT.joinpath("graph").rglob("*.py"), *ROOT.joinpath("api").rglob("*.py")]


# -- (a) Python does not repeat the model ---------------------------------------------------------


def test_no_module_repeats_the_model() -> None:
    found = model_repetitions(_sources())
    assert not found, "the model is written out in code; read it from graph.model:\n" + "\n".join(
        found
    )


def test_the_scanner_finds_a_repeated_list_and_a_namespace(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        '"""A docstring may name https://w3id.org/recruitgraph/ontology# freely."""\n'
        'LEVELS = ["low", "medium", "high"]\n'
        'COLOURS = {"federal": "red", "regional": "orange"}\n'
        'PAYERS = ("FederalBody", "RegionalGovernment")\n'
        'SD = "http://www.w3.org/ns/sparql-service-description#"\n'
        'TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"\n'
        'ID = "https://w3id.org/recruitgraph/id/"\n'
        'WORDS = ("low", "slow")  # not all of one family\n'
        'ONE = ("federal",)  # one name is no list\n'
        'DOC = {"example": {"federal": 1, "regional": 2}}  # sample data\n'
        'CLAIM = "https://w3id.org/recruitgraph/id/claim/claims/c001"  # a whole example IRI\n'
    )
    found = model_repetitions([snippet], root=tmp_path)
    assert found == [
        "snippet.py:2: a list of notations of ConfidenceScheme (high, low, medium)",
        "snippet.py:3: a list of notations of TierScheme (federal, regional)",
        "snippet.py:3: a list of tiers (federal, regional)",
        "snippet.py:4: a list of actor kinds (FederalBody, RegionalGovernment)",
        "snippet.py:5: the namespace IRI <http://www.w3.org/ns/sparql-service-description#>",
        "snippet.py:6: the namespace IRI <http://www.w3.org/1999/02/22-rdf-syntax-ns#>",
        "snippet.py:7: the namespace IRI <https://w3id.org/recruitgraph/id/>",
    ]


def test_every_family_is_read_from_the_ontology() -> None:
    families = model_families()
    assert families["actor kinds"] == frozenset(kinds()) and len(kinds()) == 6
    assert families["notations of ConfidenceScheme"] == frozenset(confidence_levels())
    # Every concept scheme of the ontology that lists concepts is a family the scanner knows.
    assert {f for f in families if f.startswith("notations of ")} >= {
        "notations of ClaimBasisScheme",
        "notations of AmountBasisScheme",
        "notations of FundingPurposeScheme",
        "notations of TierScheme",
    }


# -- (b) synth uses exactly the ontology's classes ------------------------------------------------


def test_synth_uses_exactly_the_ontology_classes() -> None:
    triples = list(synthetic_triples(60, 0.5, seed=3))
    rdf_type = ox.NamedNode(namespaces.RDF + "type")
    # subject -> its class (every class of synth is an IRI)
    classes = {t.subject: str(t.object.value) for t in triples if t.predicate == rdf_type}  # type: ignore[union-attr]
    used = set(classes.values())
    party_classes = {kind.iri for kind in kinds().values()}
    relation_classes = {namespaces.RG + r for r in relation_types()}
    assert used == party_classes | relation_classes | {namespaces.RG + "Source"}
    # Every rg: term it writes (class, property, concept) is one the ontology defines.
    onto = ontology_graph()
    defined = {str(s) for s in onto.subjects() if str(s).startswith(namespaces.RG)}
    terms = {
        term.value
        for t in triples
        for term in (t.predicate, t.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(namespaces.RG)
    }
    assert terms and terms <= defined, sorted(terms - defined)
    # Each kind's ISO code goes by the kind's rg:codeProperty to a reference node.
    for name, kind in kinds().items():
        members = {node for node, cls in classes.items() if cls == kind.iri}
        code_props = {t.predicate.value for t in triples if t.subject in members} - {
            namespaces.RDF + "type",
            namespaces.RDFS + "label",
            namespaces.RG + "synthetic",
            namespaces.RG + "offerType",
            namespaces.RG + "deceptive",
        }
        assert code_props == ({kind.code.predicate} if kind.code else set()), name


def test_code_iris_are_those_of_the_reference_data() -> None:
    regional = kinds()["RegionalGovernment"].code
    cohort = kinds()["RecruitCohort"].code
    assert regional is not None and cohort is not None
    assert regional.iri("ru-ta") == province_iri("RU-TA")
    assert cohort.iri("NP") == country_iri("NP")
    assert regional.hint == "ISO 3166-2:RU code like RU-TA"
    assert {name for name, kind in kinds().items() if kind.government} == {
        kinds()["RegionalGovernment"].name,
        kinds()["ForeignGovernment"].name,
    }


# -- (c) the order of tiers is the ontology's -----------------------------------------------------


def _with_tier_order(tmp_path: Path, order: dict[str, int]) -> Path:
    """A copy of the ontology whose tiers carry the ``rg:order`` of ``order``."""
    text = ontology_text()
    for notation, position in order.items():
        text, n = re.subn(
            rf'(skos:notation "{notation}" ;\n    rg:order )\d+',
            rf"\g<1>{position}",
            text,
        )
        assert n == 1, notation
    path = tmp_path / "recruitment.ttl"
    path.write_text(text, "utf-8")
    return path


def test_tier_order_follows_the_ontology(tmp_path: Path) -> None:
    shipped = tiers()
    assert shipped[0] == "federal" and shipped[-1] == "other"
    # Code orders tables by this one accessor.
    assert funding.tiers is tiers
    assert roles.tiers is tiers
    reversed_order = {name: i for i, name in enumerate(reversed(shipped), 1)}
    changed = ontology_graph(_with_tier_order(tmp_path, reversed_order))
    assert tiers(changed) == tuple(reversed(shipped))
    # The shipped ontology read through the same loader from its file gives the shipped order.
    assert tiers(ontology_graph(ROOT / "ontologies" / "recruitment.ttl")) == shipped


def test_a_tier_without_an_order_is_refused(tmp_path: Path) -> None:
    onto = rdflib.Graph().parse(data=ontology_text(), format="turtle")
    onto.remove(
        (rdflib.URIRef(namespaces.RG + "OtherTier"), rdflib.URIRef(namespaces.RG + "order"), None)
    )
    with pytest.raises(ValueError, match="OtherTier of rg:TierScheme has no rg:order"):
        tiers(onto)


def test_confidence_levels_follow_their_rank() -> None:
    onto = rdflib.Graph().parse(data=ontology_text(), format="turtle")
    rank = rdflib.URIRef(namespaces.RG + "rank")
    high = rdflib.URIRef(concepts("ConfidenceScheme")["high"])
    low = rdflib.URIRef(concepts("ConfidenceScheme")["low"])
    assert confidence_levels(onto) == confidence_levels()
    onto.set((high, rank, rdflib.Literal(0)))
    onto.set((low, rank, rdflib.Literal(9)))
    assert confidence_levels(onto)[0] == confidence_levels()[-1]
