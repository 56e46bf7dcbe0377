"""Restore: bring back every dataset of an export as it was, in one transaction.

``recruitgraph export --out FILE.nq`` (or TriG, JSON-LD) writes each dataset as its named
graph, with its description in it: access level, licence, whether it is synthetic, who loaded
it and when, the checksum of its files (the store keeps the description in a graph of its own,
:func:`graph.model.namespaces.description_iri`; the file format is the one exports always
had). :func:`restore` writes those datasets back whole, descriptions included, so that a
restricted dataset stays restricted and every licence and flag survives; ``load`` would merge
them into one dataset and is refused for such a file (:func:`graph.ingest.load.read_inputs`).

A restore is checked as a load is, before anything is written (:func:`read_export`, then the
shapes): the file must parse, hold only dataset graphs (no default graph, no graph outside
``https://w3id.org/recruitgraph/dataset/``), each with exactly one description of itself that
names it, and each graph must conform to the shapes. Then every dataset is written in one
transaction (:meth:`graph.store.Store.replace_graphs`): all of them or none.

Datasets that the store already has are refused (:class:`~graph.errors.Conflict`, nothing
written) unless ``replace`` is given; then the export's version replaces each of them. Datasets
of the store that the export does not hold are left as they are.

Examples
--------
>>> import tempfile
>>> from graph.store import EmbeddedStore
>>> from graph.analysis.queries import export
>>> from graph.ingest import load_reference
>>> source, target = EmbeddedStore(None), EmbeddedStore(None)
>>> _ = load_reference(source)
>>> out = Path(tempfile.mkdtemp()) / "all.nq"
>>> _ = export(source, dataset_graphs(source), out, "nquads")
>>> [(d["name"], d["access"], d["replaced"]) for d in restore(target, out).as_dict()["datasets"]]
[('reference', 'public', False)]
>>> restore(target, out)
Traceback (most recent call last):
...
graph.errors.Conflict: the store already has dataset reference: restore with replace (--replace) \
to replace it with the export's version; nothing was written
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace as changed
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.errors import Conflict, InvalidArgument
from graph.ingest.load import (
    MAX_FILE_BYTES,
    _syntax_problem,
    dataset_contents,
    ensure_reference,
    input_format,
    parse_input,
)
from graph.ingest.progress import Progress, Step, step_of, validation_hook, writing
from graph.ingest.validation import Problem, ValidationError, validate_triples
from graph.model.namespaces import (
    DCTERMS,
    RDF,
    RG,
    XSD,
    dataset_iri,
    dataset_name,
    is_project_dataset,
    uses_model,
)
from graph.model.ontology import concepts
from graph.model.reference import REFERENCE_DATASET
from graph.sparql import dataset_graphs
from graph.store import Store
from graph.store.formats import by_suffix, formats

__all__ = ["Export", "ExportedDataset", "RestoreReport", "read_export", "restore"]

_A = ox.NamedNode(RDF + "type")
_DATASET_CLASS = ox.NamedNode(RG + "Dataset")
_MODEL = ox.NamedNode(RG + "usesModel")
_HOW = (
    "an export for restore is N-Quads, TriG or JSON-LD as `recruitgraph export --out FILE.nq` "
    "writes it"
)


@dataclass(frozen=True)
class ExportedDataset:
    """One dataset of an export: its graph as exported, description included."""

    name: str
    graph: str
    access: str
    licence: str | None
    synthetic: bool
    triples: tuple[ox.Triple, ...]

    def summary(self) -> dict[str, Any]:
        """What a report says of it (not its triples)."""
        return {
            "name": self.name,
            "access": self.access,
            "licence": self.licence,
            "synthetic": self.synthetic,
            # as the dataset list counts them: the data, not its description
            "triples": sum(1 for t in self.triples if t.subject != ox.NamedNode(self.graph)),
        }

    def contents(self) -> dict[str, Iterable[ox.Triple]]:
        """What the store keeps of it (:func:`graph.ingest.load.dataset_contents`): the data
        in its graph; its description, which an export writes in the same graph, in its
        description graph, marked with whether the data uses the model (exports from before
        the mark have none; an export's own mark is not trusted)."""
        node = ox.NamedNode(self.graph)
        data = [t for t in self.triples if t.subject != node]
        description = [t for t in self.triples if t.subject == node and t.predicate != _MODEL]
        flag = ox.Literal(str(uses_model(data)).lower(), datatype=ox.NamedNode(XSD + "boolean"))
        description.append(ox.Triple(node, _MODEL, flag))
        return dataset_contents(self.graph, data, description)


@dataclass(frozen=True)
class Export:
    """The datasets of an export file, checked (see :func:`read_export`)."""

    file: str
    datasets: tuple[ExportedDataset, ...]


@dataclass(frozen=True)
class RestoreReport:
    """What a restore wrote."""

    file: str
    #: Each dataset's summary, with ``replaced``: whether it replaced one of the store's.
    datasets: tuple[dict[str, Any], ...]
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "datasets": list(self.datasets), "version": self.version}


def _read(path: Path) -> tuple[bytes, ox.RdfFormat]:
    fmt = by_suffix(path.suffix, *(f.kind for f in formats()))
    input_format(path)  # an unknown suffix: the loader's message, with its list of types
    if fmt is None or not fmt.keeps_graphs or not isinstance(fmt.rdf, ox.RdfFormat):
        raise ValidationError(
            [Problem(f"not an export: {path.suffix} keeps no named graphs; {_HOW}", file=str(path))]
        )
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValidationError([Problem("file is larger than 2 GiB", file=str(path))])
        return path.read_bytes(), fmt.rdf
    except OSError as error:
        raise ValidationError([Problem(f"cannot read: {error.strerror}", file=str(path))]) from None


def read_export(path: str | os.PathLike[str], progress: Progress | None = None) -> Export:
    """Parse the export file ``path`` and check that it is one; writes nothing. (The shapes
    are checked by :func:`restore`, after the cheaper refusals.) ``progress`` is told the
    ``parse`` phase, in bytes.

    Raises
    ------
    ValidationError
        With every problem found: a syntax error, quads outside dataset graphs, a dataset
        without its description (or with a description of another dataset, or of another
        name). Nothing of such a file is restored.
    InvalidArgument
        For a file type that is no RDF format at all.
    """
    file = Path(path)
    data, fmt = _read(file)
    if progress is not None:
        progress(Step("parse", 0, len(data), "bytes"))
    graphs: dict[str, list[ox.Triple]] = defaultdict(list)
    outside: set[str] = set()
    try:
        for quad in parse_input(data, fmt, file, progress, 0, len(data)):
            named = quad.graph_name
            if isinstance(named, ox.NamedNode) and dataset_name(named.value):
                graphs[named.value].append(ox.Triple(quad.subject, quad.predicate, quad.object))
            else:
                outside.add(
                    "the default graph" if isinstance(named, ox.DefaultGraph) else str(named)
                )
    except SyntaxError as error:
        raise ValidationError([_syntax_problem(file, error)]) from None
    for graph in [g for g in graphs if not is_project_dataset(g)]:
        # a graph a client named is a dataset of the export where the export describes it
        if ox.Triple(ox.NamedNode(graph), _A, _DATASET_CLASS) not in graphs[graph]:
            outside.add(f"<{graph}>")
            del graphs[graph]
    problems = [
        Problem(
            f"not an export: quads in {where}, which is no dataset graph; {_HOW}", file=str(file)
        )
        for where in sorted(outside)
    ]
    if not graphs and not problems:
        problems.append(Problem(f"not an export: no dataset graphs; {_HOW}", file=str(file)))
    datasets = []
    for graph, triples in sorted(graphs.items()):
        found, more = _dataset(graph, triples, str(file))
        problems += more
        if found is not None:
            datasets.append(found)
    if problems:
        raise ValidationError(problems)
    if progress is not None:
        progress(Step("parse", len(data), len(data), "bytes", finished=True))
    return Export(str(file), tuple(datasets))


def _dataset(
    graph: str, triples: list[ox.Triple], file: str
) -> tuple[ExportedDataset | None, list[Problem]]:
    """The dataset of one exported graph, or the problems that keep it from being restored."""
    name = dataset_name(graph) or ""
    try:
        dataset_iri(name)  # a slug, or a graph a client named
    except InvalidArgument as error:
        return None, [Problem(f"graph <{graph}>: {error}", file=file)]
    node = ox.NamedNode(graph)
    described = {t.subject for t in triples if t.predicate == _A and t.object == _DATASET_CLASS}
    if described != {node}:
        others = sorted(str(s) for s in described - {node})
        why = f"it describes {', '.join(others)} instead" if others else "it has no description"
        return None, [Problem(f"dataset {name}: {why}; not an export of recruitgraph", file=file)]
    # What the description says, each value as text (the shapes check their kinds later).
    own = {
        t.predicate.value: t.object.value
        for t in triples
        if t.subject == node and not isinstance(t.object, ox.Triple)
    }
    title = own.get(DCTERMS + "title")
    problems = []
    if title is not None and title != name:
        problems.append(Problem(f"dataset {name}: its description is titled {title!r}", file=file))
    if problems:
        return None, problems
    levels = {iri: notation for notation, iri in concepts("AccessLevelScheme").items()}
    level, licence, synthetic = (
        own.get(RG + "accessLevel"),
        own.get(DCTERMS + "license"),
        own.get(RG + "synthetic"),
    )
    return (
        ExportedDataset(
            name=name,
            graph=graph,
            # A level that cannot be read is restricted (access fails closed) until the shapes,
            # checked before any write, refuse it.
            access=levels.get(level, "restricted") if level is not None else "restricted",
            licence=licence,
            synthetic=synthetic == "true",
            triples=tuple(triples),
        ),
        [],
    )


def restore(
    store: Store,
    source: Export | str | os.PathLike[str],
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> RestoreReport:
    """Write every dataset of the export ``source`` (a file, or one read by
    :func:`read_export`) into ``store`` as it was exported, in one transaction.

    Parameters
    ----------
    store : Store
        Where to restore.
    source : Export or path
        The export.
    replace : bool
        Replace the datasets that the store already has; without it, any such dataset makes
        the restore fail before anything is written.
    progress : callable, optional
        Told the steps: parse, validate, write, commit (:mod:`graph.ingest.progress`).

    Returns
    -------
    RestoreReport

    Raises
    ------
    ValidationError
        If the file is not a valid export (see :func:`read_export`) or a dataset of it
        violates the shapes; nothing is written.
    Conflict
        If the store has datasets of the export and ``replace`` is false; nothing is written.
    """
    export = source if isinstance(source, Export) else read_export(source, progress)
    existing = set(dataset_graphs(store))
    clash = [d.name for d in export.datasets if d.graph in existing]
    if clash and not replace:
        noun = "dataset" if len(clash) == 1 else "datasets"
        pronoun = "it" if len(clash) == 1 else "them"
        raise Conflict(
            f"the store already has {noun} {', '.join(clash)}: restore with replace (--replace) "
            f"to replace {pronoun} with the export's version; nothing was written"
        )
    # The shapes last: the costly check, after the cheap refusals.
    with step_of(progress, "validate", "checks"):
        problems = [
            changed(p, message=f"dataset {d.name}: {p.message}", file=export.file)
            for d in export.datasets
            for p in validate_triples(d.triples, progress=validation_hook(progress))
        ]
    if problems:
        raise ValidationError(problems)
    if REFERENCE_DATASET not in {d.name for d in export.datasets}:
        ensure_reference(store)  # as a load does: queries need the ontology's labels
    contents = {g: t for d in export.datasets for g, t in d.contents().items()}
    # one triple more each: the mark of whether it uses the model
    total = sum(len(d.triples) + 1 for d in export.datasets)
    with writing(progress, total) as written:
        store.replace_graphs(contents, progress=written)
    return RestoreReport(
        file=export.file,
        datasets=tuple({**d.summary(), "replaced": d.graph in existing} for d in export.datasets),
        version=store.version,
    )
