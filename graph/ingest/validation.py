"""SHACL validation of incoming data, and the problem report that analysts read.

Every problem names where it is (a file's line, a CSV row and column, or the focus node), the
property, the rule and what is wrong. The same :class:`Problem` objects feed the CLI (exit 1),
the HTTP API (422) and notebooks.

Two validators give the same problems: :func:`validate_triples`, the one loads use, runs the
shapes compiled to SPARQL in a staging store (:mod:`graph.ingest.shacl_sparql`), or where the
bulk loader staged the data (:func:`validate_staged`); and
:func:`validate_graph`, pyshacl over an rdflib graph, the reference it is tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from graph.errors import RecruitgraphError
from graph.ingest.shacl_sparql import (
    Check,
    DataGraph,
    compile_shapes,
    given_marks,
    run_checks,
    staging_store,
)
from graph.model.ontology import local_name, shapes_graph
from graph.model.rdfterms import rdflib_graph
from graph.model.reference import reference_triples
from graph.store.stores import StagedGraphs


@dataclass(frozen=True)
class Problem:
    """One reason why input is refused."""

    message: str
    file: str | None = None
    line: int | None = None  #: syntax errors: the line; CSV: the row number (header is row 1)
    column: str | int | None = None  #: CSV: the column name; syntax errors: the column number
    focus: str | None = None  #: the SHACL focus node
    path: str | None = None  #: the property the rule is about
    rule: str | None = None  #: the SHACL constraint component, e.g. ``MinCountConstraintComponent``
    value: str | None = None  #: the offending value
    also_rows: tuple[int, ...] = field(default=())  #: CSV: other rows with the same problem

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(
                f"row {self.line}" if isinstance(self.column, str) else f"line {self.line}"
            )
        if self.column is not None:
            where.append(f"column {self.column}")
        text = ", ".join(where)
        details = []
        if self.focus:
            details.append(f"node <{self.focus}>")
        if self.path:
            details.append(f"property {_short(self.path)}")
        if self.rule:
            details.append(f"rule {self.rule}")
        if self.value is not None:
            details.append(f"value {self.value!r}")
        if self.also_rows:
            details.append("also rows " + ", ".join(map(str, self.also_rows)))
        head = f"{text}: " if text else ""
        tail = f" [{'; '.join(details)}]" if details else ""
        return f"{head}{self.message}{tail}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = {k: v for k, v in asdict(self).items() if v not in (None, ())}
        data["text"] = str(self)
        return data


class ValidationError(RecruitgraphError):
    """Input was refused; ``problems`` says why. Nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''}:\n" + "\n".join(f"- {p}" for p in problems)
        )


def _short(iri: str) -> str:
    from graph.model.namespaces import PREFIXES

    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


@lru_cache(maxsize=1)
def _reference_graph() -> rdflib.Graph:
    return rdflib_graph(reference_triples())


@lru_cache(maxsize=1)
def shape_checks() -> tuple[Check, ...]:
    """The shapes of :func:`graph.model.ontology.shapes_graph`, compiled to SPARQL checks."""
    return compile_shapes(shapes_graph())


def validate_triples(
    data: Iterable[ox.Triple], progress: Callable[[int, int], None] | None = None
) -> list[Problem]:
    """Validate ``data`` against the SHACL shapes, with the reference data beside it, by the
    shapes compiled to SPARQL (the same problems as :func:`validate_graph`, faster).

    Returns the violations, sorted by focus node and property; empty if it conforms.
    ``progress`` is told (checks done, checks in all) as the checks run.
    """
    return _problems(staging_store([*data, *reference_triples()]), progress)


def validate_staged(
    staged: StagedGraphs,
    graph: str,
    description: Iterable[ox.Triple],
    given: Iterable[ox.Triple] = (),
    progress: Callable[[int, int], None] | None = None,
) -> list[Problem]:
    """:func:`validate_triples` of the data the bulk loader staged in ``graph`` of ``staged``
    (see :mod:`graph.ingest.bulk`), where it lies, with ``description`` and the reference
    data. ``given``: the triples whose literal's datatype the store does not keep
    (:meth:`graph.ingest.bulk.GivenScan.triples`), streamed: their marks are written by the
    bulk loader a chunk at a time (62,272 of a 3.8M-triple file, one transaction, held 130 MB
    more). The staged data is left as it was."""
    # the description and the reference data go in the staged graph itself, for the checks
    # only (a union of two graphs costs each pattern a second lookup); only what the data
    # lacks, so that it is left as it was after
    here, engine = ox.NamedNode(graph), staged.engine
    beside = [
        ox.Quad(t.subject, t.predicate, t.object, here)
        for t in {*description, *reference_triples()}
    ]
    beside = [quad for quad in beside if quad not in engine]
    engine.extend(beside)
    try:
        data = DataGraph(engine, (here,), marks=f"{staged.scratch()}/validation:")
        staged.add_scratch(given_marks(given, data))
        return _problems(data, progress)
    finally:
        for quad in beside:
            engine.remove(quad)


def _problems(
    data: ox.Store | DataGraph, progress: Callable[[int, int], None] | None
) -> list[Problem]:
    """The violations of the shapes in ``data``, sorted by focus node and property."""
    problems = [
        Problem(
            message=result.message,
            focus=result.focus,
            path=result.path,
            rule=result.component,
            value=result.value.value if result.value is not None else None,
        )
        for result in run_checks(data, shape_checks(), progress)
    ]
    return sorted(problems, key=_order)


def _order(problem: Problem) -> tuple[str, str, str, str]:
    return (problem.focus or "", problem.path or "", problem.message, problem.value or "")


def validate_graph(data: rdflib.Graph, *, with_reference: bool = True) -> list[Problem]:
    """Validate ``data`` against the SHACL shapes with pyshacl, with the reference data beside
    it (unless ``with_reference`` is false: ``data`` has it): the reference validator that
    :func:`validate_triples` is tested against.

    Returns the violations, sorted by focus node and property; an empty list means it conforms.
    """
    problems = [problem for problem, _ in pyshacl_results(data, with_reference=with_reference)]
    return sorted(problems, key=_order)


def pyshacl_results(
    data: rdflib.Graph, *, with_reference: bool = True
) -> list[tuple[Problem, Node | None]]:
    """pyshacl's violations of ``data`` (see :func:`validate_graph`), each with its value as
    the rdflib term pyshacl reports."""
    import pyshacl  # (the reference, which only the tests run: imported then)

    # pyshacl's ont_graph mixes in ontology axioms only, not instances: the reference nodes
    # that sh:class and the currency check look for must be in the data graph itself.
    combined = data + _reference_graph() if with_reference else data
    conforms, results, _ = pyshacl.validate(
        combined,
        shacl_graph=shapes_graph(),
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,  # ``combined`` is ours (or the caller's own): pyshacl need not copy it
    )
    if conforms:
        return []
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if results.value(result, SH.resultSeverity) != SH.Violation:
            continue
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        component = results.value(result, SH.sourceConstraintComponent)
        problem = Problem(
            message=str(results.value(result, SH.resultMessage) or "violates a shape"),
            focus=str(results.value(result, SH.focusNode)),
            path=str(path) if isinstance(path, rdflib.URIRef) else None,
            rule=local_name(str(component)) if component is not None else None,
            value=str(value) if value is not None else None,
        )
        found.append((problem, value))
    return found
