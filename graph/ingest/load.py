"""Ingest: parse → validate against the shapes → write one named graph atomically.

A *dataset* is one named graph, ``https://w3id.org/recruitgraph/dataset/<name>``, that holds
exactly its data, and a description (who loaded it, when, the checksum of the files, licence,
access level, whether it is synthetic, whether it uses the recruitment model) in a graph of its
own (:func:`~graph.model.namespaces.description_iri`), both written in one transaction
(:func:`dataset_contents`). Loading a dataset of an existing name replaces it atomically;
a load with any problem writes nothing.

Formats: Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML and the claims CSV
(:mod:`graph.ingest.claims_csv`). RDF files are parsed by pyoxigraph (fast, streaming, errors with
line and column); the graph names of quad formats are not kept, since the dataset is the graph.
On an embedded store, N-Triples and Turtle files take the bulk path (:mod:`graph.ingest.bulk`):
one streaming parser reads each file and the engine's bulk loader writes its triples, a chunk
at a time, into the dataset's graph out of sight; the shapes are checked there, and one step
makes the dataset visible; no Python object per triple is kept, so memory is bounded by a chunk,
not by the file. Other formats, and every load into a remote store, parse
into Python objects and write them in one transaction.
An export of several datasets is refused rather than merged into one (it would lose their
access levels and licences): :mod:`graph.ingest.restore` brings such a file back.
JSON-LD remote ``@context`` documents are never fetched: nothing here goes to the network.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import hashlib
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.errors import InvalidArgument
from graph.ingest import bulk
from graph.ingest.bulk import BULK_FORMATS, GivenScan
from graph.ingest.claims_csv import ClaimsConversion, convert_claims, locate
from graph.ingest.progress import (
    CountedReader,
    Progress,
    Step,
    step_of,
    validation_hook,
    writing,
)
from graph.ingest.registry import (
    Actor,
    Registry,
    is_actors_csv,
    read_actors_csv,
    registry_from_store,
)
from graph.ingest.validation import (
    Problem,
    ValidationError,
    shape_checks,
    validate_staged,
    validate_triples,
)
from graph.model.namespaces import (
    DCTERMS,
    DESCRIPTION,
    RDF,
    RG,
    SPARQL_PREFIXES,
    XSD,
    dataset_iri,
    dataset_name,
    described_graph,
    description_iri,
    is_project_dataset,
    uses_model,
)
from graph.model.ontology import concepts, ontology_text
from graph.model.reference import REFERENCE_DATASET, reference_triples
from graph.sparql import dataset_graphs
from graph.store import Store
from graph.store.formats import Kind, by_suffix, formats
from graph.store.stores import StagedGraphs, StoreError

#: What a loaded file may be: RDF in a format of the registry, or the claims CSV.
INPUT_KINDS = (Kind.GRAPH, Kind.CLAIMS)

#: The dataset that ``recruitgraph demo`` loads from the claims shipped in the package.
DEFAULT_DATASET = "claims"
#: Input larger than this is refused (the store itself has no such limit; this guards memory).
MAX_FILE_BYTES = 2 * 1024**3

#: Told the steps of a load: parse, validate, write, commit (see :mod:`graph.ingest.progress`).
LoadProgress = Progress

_A = ox.NamedNode(RDF + "type")
_DATASET_CLASS = ox.NamedNode(RG + "Dataset")
_SYNTHETIC = ox.NamedNode(RG + "synthetic")
_ACCESS = ox.NamedNode(RG + "accessLevel")
_TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
_USES_MODEL = ox.NamedNode(RG + "usesModel")


@dataclass(frozen=True)
class ParsedInput:
    """What one or more input files hold, before it is written."""

    triples: list[ox.Triple]
    checksum: str
    files: tuple[str, ...]
    synthetic: bool
    conversions: tuple[ClaimsConversion, ...]
    #: Problems of CSV cells, found while converting; the shapes still check the rest.
    problems: tuple[Problem, ...] = ()
    #: (name, access level) of the dataset whose export this is, as its description said.
    exported: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LoadReport:
    """What a load wrote."""

    dataset: str
    graph: str
    triples: int
    files: tuple[str, ...]
    checksum: str
    access: str
    synthetic: bool
    replaced: bool
    version: int
    #: Parties no registry knows (see :func:`new_actors`).
    new_actors: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def input_format(path: Path) -> ox.RdfFormat | None:
    """The RDF format of ``path`` by its suffix (see :mod:`graph.store.formats`); None for a
    claims CSV; ValueError for any other suffix."""
    found = by_suffix(path.suffix, *INPUT_KINDS)
    if found is None:
        known = ", ".join(sorted(s for f in formats(*INPUT_KINDS) for s in f.suffixes))
        raise InvalidArgument(
            f"{path}: unknown file type {path.suffix or '(none)'}; use one of {known}"
        )
    return found.rdf if isinstance(found.rdf, ox.RdfFormat) else None


def _syntax_problem(path: Path, error: SyntaxError) -> Problem:
    message = str(error)
    if "LoadDocumentCallback" in message:
        message = (
            "a remote JSON-LD @context is not fetched (recruitgraph makes no network requests);"
            " put the context inline in the document"
        )
    return Problem(
        f"malformed {path.suffix[1:]}: {message}",
        file=str(path),
        line=error.lineno,
        column=error.offset,
    )


def _declares_entities(data: bytes) -> bool:
    """Whether an XML document has a DOCTYPE that declares entities.

    pyoxigraph's RDF/XML parser expands the entities of an internal DTD, so a few hundred
    bytes of nested entities ("billion laughs") become gigabytes in memory, and an external
    entity would name a file to read. RDF/XML never needs them, so such a document is refused
    before it is parsed. The scan is of the bytes as they are: the parser reads UTF-8 only,
    where ``<!DOCTYPE`` and ``<!ENTITY`` are these bytes, and an entity can only be declared
    after the DOCTYPE opens. (The same strings in a comment or CDATA after a DOCTYPE are
    refused too: rare, and on the safe side.)

    >>> _declares_entities(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aa">]><r>&a;</r>')
    True
    >>> _declares_entities(b'<?xml version="1.0"?><!DOCTYPE r><r/>'), _declares_entities(b"<r/>")
    (False, False)
    """
    doctype = data.find(b"<!DOCTYPE")
    return doctype >= 0 and data.find(b"<!ENTITY", doctype) >= 0


def parse_input(
    data: bytes, fmt: ox.RdfFormat, path: Path, progress: Progress | None, before: int, total: int
) -> Iterable[ox.Quad]:
    """The quads of ``data``, the file ``path`` in format ``fmt``, as the parser reads them,
    its bytes read told to ``progress`` (after ``before`` of ``total``); SyntaxError."""
    source = (
        data
        if progress is None
        else CountedReader(io.BytesIO(data), progress, before=before, total=total).as_file()
    )
    return ox.parse(source, format=fmt, base_iri=path.resolve().as_uri())


def input_bytes(paths: Iterable[str | Path]) -> int:
    """The size of the files ``paths`` (those that can be read): the total of a parse."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):  # said when it is read
            total += Path(path).stat().st_size
    return total


def _parse_rdf(
    path: Path,
    data: bytes,
    fmt: ox.RdfFormat,
    progress: Progress | None = None,
    before: int = 0,
    total: int = 0,
) -> tuple[list[ox.Triple], set[str]]:
    """The triples of an RDF file, and the dataset graphs its quads name (an export's)."""
    if fmt == ox.RdfFormat.RDF_XML and _declares_entities(data):
        raise ValidationError(
            [
                Problem(
                    "RDF/XML with a DOCTYPE that declares entities is refused (entity "
                    "expansion can exhaust memory); remove the <!ENTITY> declarations",
                    file=str(path),
                )
            ]
        )
    triples, graphs = [], set()
    try:
        # Quads lose their graph name: the dataset is the graph.
        for q in parse_input(data, fmt, path, progress, before, total):
            triples.append(ox.Triple(q.subject, q.predicate, q.object))
            if isinstance(q.graph_name, ox.NamedNode) and is_project_dataset(q.graph_name.value):
                graphs.add(q.graph_name.value)
        return triples, graphs
    except SyntaxError as error:
        raise ValidationError([_syntax_problem(path, error)]) from None


def _without_descriptions(
    triples: list[ox.Triple], graphs: set[str], files: Sequence[str]
) -> tuple[list[ox.Triple], bool, tuple[tuple[str, str], ...]]:
    """Drop dataset descriptions that came with the input (an export of one dataset being
    re-loaded: the load writes a fresh one); tell whether any data in it is marked synthetic,
    and the (name, access level) of each dataset it described.

    An export of several datasets (several descriptions, or quads in several dataset graphs)
    is refused: a load would merge them into one dataset and lose each one's access level and
    licence (restricted data made public). :mod:`graph.ingest.restore` brings them back.
    """
    described = {t.subject for t in triples if t.predicate == _A and t.object == _DATASET_CLASS}
    _refuse_merging(
        {dataset_name(s.value) or s.value for s in described if isinstance(s, ox.NamedNode)}
        | {dataset_name(g) or g for g in graphs},
        files,
    )
    exported = tuple(
        _exported(t.subject, t.object)
        for t in triples
        if t.subject in described and t.predicate == _ACCESS and isinstance(t.subject, ox.NamedNode)
    )
    synthetic = any(t.predicate == _SYNTHETIC and t.object == _TRUE for t in triples)
    if described:
        triples = [t for t in triples if t.subject not in described]
    return triples, synthetic, exported


def _refuse_merging(names: set[str], files: Sequence[str]) -> None:
    """Refuse input that describes several datasets, ``names`` (see
    :func:`_without_descriptions`)."""
    if len(names) > 1:
        raise ValidationError(
            [
                Problem(
                    f"an export of {len(names)} datasets ({', '.join(sorted(names))}): a load "
                    "would merge them into one dataset and drop their access levels and "
                    "licences; bring them back with `recruitgraph restore FILE` (POST "
                    "/api/restore)",
                    file=", ".join(files),
                )
            ]
        )


def _exported(dataset: ox.NamedNode, level: object) -> tuple[str, str]:
    """(name, access level) of ``dataset`` whose description gives it access level ``level``."""
    levels = {iri: notation for notation, iri in concepts("AccessLevelScheme").items()}
    # a level that cannot be read is restricted: access fails closed
    notation = levels.get(level.value, "restricted") if isinstance(level, ox.NamedNode) else None
    return dataset_name(dataset.value) or dataset.value, notation or "restricted"


def read_inputs(
    paths: Sequence[str | Path],
    dataset: str,
    registry: Registry | None = None,
    progress: Progress | None = None,
) -> ParsedInput:
    """Parse and convert ``paths`` for ``dataset``, without validating against the shapes.

    A CSV is an actor registry when its header names ``actor_id``, else a claims CSV. Party
    names of the claims resolve through the registries among ``paths`` and, after them,
    ``registry`` (the one already in the store). Raises ValidationError for files that cannot
    be read or parsed, and ValueError for a file type that is not supported. Problems of CSV
    cells are returned in the result, so that one pass can report them together with those of
    the shapes. ``progress`` is told the ``parse`` phase, in bytes of the files.
    """
    dataset_iri(dataset)  # a bad name is refused before any work
    total, done = input_bytes(paths), 0
    if progress is not None:
        progress(Step("parse", 0, total, "bytes"))
    triples: list[ox.Triple] = []
    graphs: set[str] = set()
    conversions = []
    problems: list[Problem] = []
    digest = hashlib.sha256()
    names = []
    claim_files: list[tuple[Path, str]] = []
    registered: list[Actor] = list(registry.by_id.values()) if registry is not None else []
    for raw in paths:
        path = Path(raw)
        fmt = input_format(path)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValidationError([Problem("file is larger than 2 GiB", file=str(path))])
            data = path.read_bytes()
        except OSError as error:
            raise ValidationError(
                [Problem(f"cannot read: {error.strerror}", file=str(path))]
            ) from None
        digest.update(data)
        names.append(path.name)
        before, done = done, done + len(data)
        if fmt is not None:
            parsed, named = _parse_rdf(path, data, fmt, progress, before, total)
            triples.extend(parsed)
            graphs |= named
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValidationError(
                [Problem(f"not UTF-8 text (byte {error.start})", file=str(path))]
            ) from None
        if not is_actors_csv(text):
            claim_files.append((path, text))
            continue
        actors, found, rows = read_actors_csv(text, file=str(path))
        problems.extend(found)
        registered += actors  # the file's own actors replace the store's of the same id
        own = Registry.of(actors)
        conversion = ClaimsConversion(file=str(path), problems=found)
        for actor in actors:
            conversion.triples += actor.triples(own)
            conversion.origins[actor.iri].append((rows[actor.iri], "actor"))
        conversions.append(conversion)
        triples.extend(conversion.triples)
    resolver = Registry.of(registered)
    for path, text in claim_files:
        conversion = convert_claims(text, dataset, file=str(path), registry=resolver)
        problems.extend(conversion.problems)
        conversions.append(conversion)
        triples.extend(conversion.triples)
    triples, synthetic, exported = _without_descriptions(triples, graphs, [str(p) for p in paths])
    if progress is not None:
        progress(Step("parse", done, total, "bytes", finished=True))
    return ParsedInput(
        triples=triples,
        checksum="sha256:" + digest.hexdigest(),
        files=tuple(names),
        synthetic=synthetic,
        conversions=tuple(conversions),
        problems=tuple(problems),
        exported=exported,
    )


def new_actors(parsed: ParsedInput) -> list[dict[str, str]]:
    """The parties of the claims that no registry knows: ``{kind, name, code, iri}`` each.

    They were given IRIs by the rules of version 1; add them to a registry to give them a
    stable id, aliases and a ``part_of``.
    """
    found: dict[str, dict[str, str]] = {}
    for conversion in parsed.conversions:
        for (kind, name, code), iri in conversion.new_actors.items():
            found.setdefault(iri, {"kind": kind, "name": name, "code": code, "iri": iri})
    return sorted(found.values(), key=lambda a: (a["kind"], a["name"]))


def dataset_description(
    dataset: str,
    *,
    checksum: str,
    files: Iterable[str],
    access: str = "public",
    licence: str | None = None,
    synthetic: bool = False,
    loaded_by: str | None = None,
    triples: int = 0,
    model: bool = False,
) -> list[ox.Triple]:
    """The triples that describe dataset ``dataset``, which its description graph holds
    (:func:`dataset_contents`); ``model``: whether its data uses the recruitment vocabulary
    (:func:`~graph.model.namespaces.uses_model`; the reference data joins the default graph of
    those who read such a dataset)."""
    access_levels = concepts("AccessLevelScheme")
    if access not in access_levels:
        raise InvalidArgument(
            f"unknown access level {access!r}; use one of {', '.join(access_levels)}"
        )
    g = ox.NamedNode(dataset_iri(dataset))

    def typed(value: str, datatype: str) -> ox.Literal:
        return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))

    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    description = [
        ox.Triple(g, _A, _DATASET_CLASS),
        ox.Triple(g, ox.NamedNode(DCTERMS + "title"), ox.Literal(dataset)),
        ox.Triple(g, ox.NamedNode(DCTERMS + "created"), typed(now, "dateTime")),
        ox.Triple(g, ox.NamedNode(RG + "checksum"), ox.Literal(checksum)),
        ox.Triple(g, ox.NamedNode(RG + "accessLevel"), ox.NamedNode(access_levels[access])),
        ox.Triple(g, _SYNTHETIC, typed("true" if synthetic else "false", "boolean")),
        ox.Triple(g, ox.NamedNode(RG + "loadedBy"), ox.Literal(loaded_by or getpass.getuser())),
        ox.Triple(g, ox.NamedNode(RG + "tripleCount"), typed(str(triples), "integer")),
        ox.Triple(g, _USES_MODEL, typed("true" if model else "false", "boolean")),
    ]
    description += [ox.Triple(g, ox.NamedNode(DCTERMS + "source"), ox.Literal(f)) for f in files]
    if licence:
        description.append(ox.Triple(g, ox.NamedNode(DCTERMS + "license"), ox.Literal(licence)))
    return description


def dataset_contents(
    graph: str, data: Iterable[ox.Triple], description: Iterable[ox.Triple]
) -> dict[str, Iterable[ox.Triple]]:
    """What :meth:`~graph.store.Store.replace_graphs` writes for dataset graph ``graph``, in
    one transaction: the data in the dataset's graph, which holds nothing else, and its
    description in its description graph (:func:`~graph.model.namespaces.description_iri`)."""
    return {graph: data, description_iri(graph): description}


def delete_dataset(store: Store, graph: str) -> bool:
    """Delete the dataset of graph ``graph`` and its description, in one transaction; whether
    there was one."""
    return bool(store.drop_graphs([graph, description_iri(graph)]))


def check(
    parsed: ParsedInput,
    description: Sequence[ox.Triple] = (),
    *,
    shapes: bool = True,
    progress: Progress | None = None,
) -> list[Problem]:
    """All problems of ``parsed`` (plus its description): those of CSV cells, then those of the
    shapes, placed at the CSV row and column they came from. ``shapes=False`` leaves out the
    shapes for data that does not use the recruitment vocabulary (arbitrary RDF an editor loads
    on purpose); claims CSV and data using ``rg:`` are checked whatever it says.
    ``progress`` is told the ``validate`` phase."""
    if any(p.line == 1 for p in parsed.problems):
        return list(parsed.problems)  # a wrong header: the rows were not read
    if not shapes and not parsed.conversions and not uses_model(parsed.triples):
        return list(parsed.problems)
    reported = {(p.file, p.line, p.column) for p in parsed.problems}
    placed = list(parsed.problems)
    with step_of(progress, "validate", "checks", total=len(shape_checks())):
        found = validate_triples(
            [*parsed.triples, *description], progress=validation_hook(progress)
        )
    for problem in found:
        for conversion in parsed.conversions:
            if problem.focus in conversion.origins:
                problem = locate(problem, conversion)
                break
        # A cell that could not be read is also missing from the graph: say it once.
        if (problem.file, problem.line, problem.column) not in reported:
            placed.append(problem)
    return placed


def validate_files(paths: Sequence[str | Path], registry: Registry | None = None) -> list[Problem]:
    """Every problem of ``paths`` taken as one dataset; empty if it would load. Writes nothing.

    ``registry`` is the actor registry party names resolve through besides those in ``paths``.
    """
    try:
        parsed = read_inputs(paths, "validation", registry)
    except ValidationError as error:
        return error.problems
    return check(parsed)


def load_files(
    store: Store,
    paths: Sequence[str | Path],
    dataset: str,
    *,
    access: str = "public",
    licence: str | None = None,
    synthetic: bool = False,
    loaded_by: str | None = None,
    progress: LoadProgress | None = None,
    shapes: bool = True,
) -> LoadReport:
    """Validate ``paths`` as one dataset and write it as named graph ``dataset``, atomically.
    ``shapes=False`` (``--no-shapes``): RDF that does not use the recruitment vocabulary is
    not checked against the shapes (see :func:`check`).

    Raises ValidationError (nothing written) if any file is malformed or violates the shapes,
    is an export of several datasets, or is the export of a restricted dataset loaded as
    public. Data marked ``rg:synthetic true`` makes the dataset synthetic whatever
    ``synthetic`` says.
    """
    metadata = {"access": access, "licence": licence, "loaded_by": loaded_by}
    graph = dataset_iri(dataset)  # a bad name is refused before any work
    if dataset != REFERENCE_DATASET and all(
        input_format(Path(path)) in BULK_FORMATS for path in paths
    ):
        staged = store.staged([graph, description_iri(graph)])
        if staged is not None:  # an embedded store: its bulk loader parses the files
            with contextlib.suppress(_NotForTheBulkPath), staged:
                return _load_staged(
                    store, staged, paths, dataset, synthetic, progress, shapes, **metadata
                )
    parsed = read_inputs(paths, dataset, store_registry(store, dataset), progress)
    _refuse_publishing(parsed.exported, access, paths)
    return _write(
        store,
        parsed,
        dataset,
        access=access,
        licence=licence,
        synthetic=synthetic or parsed.synthetic,
        loaded_by=loaded_by,
        progress=progress,
        shapes=shapes,
    )


def _refuse_publishing(
    exported: Iterable[tuple[str, str]], access: str, paths: Sequence[str | Path]
) -> None:
    """Refuse to load as public the export of a dataset that was not: ``exported``, the
    (name, access level) of each dataset the input describes."""
    for name, level in exported:
        if level != "public" and access == "public":
            raise ValidationError(
                [
                    Problem(
                        f"an export of dataset {name}, which is {level}: loading it as public "
                        f"would publish it; load it with access {level}, or bring it back as it "
                        "was with `recruitgraph restore FILE` (POST /api/restore)",
                        file=", ".join(str(p) for p in paths),
                    )
                ]
            )


class _NotForTheBulkPath(Exception):
    """The files need the path of Python objects after all (what they hold was staged, then
    dropped)."""


def _load_staged(
    store: Store,
    staged: StagedGraphs,
    paths: Sequence[str | Path],
    dataset: str,
    synthetic: bool,
    progress: LoadProgress | None,
    shapes: bool,
    **metadata: Any,
) -> LoadReport:
    """:func:`load_files` of RDF files in a triple format, staged by the engine's bulk loader
    in ``staged`` (see :mod:`graph.ingest.bulk`): parsed by the engine into the dataset's graph
    out of sight, checked there, made visible with its description in one step."""
    graph = dataset_iri(dataset)
    data = staged.where(graph)
    total, done = input_bytes(paths), 0
    digest = hashlib.sha256()
    names: list[str] = []
    given: list[Callable[[], Iterator[ox.Triple]]] = []  # read when the checks need them
    if progress is not None:
        progress(Step("parse", 0, total, "bytes"))
    for raw in paths:
        path = Path(raw)
        fmt = input_format(path)
        assert fmt is not None
        base = path.resolve().as_uri()
        scan = GivenScan(lines=fmt == ox.RdfFormat.N_TRIPLES)

        def seen(chunk: bytes, scan: GivenScan = scan) -> None:
            digest.update(chunk)
            scan(chunk)

        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValidationError([Problem("file is larger than 2 GiB", file=str(path))])
            file = open(path, "rb")  # noqa: SIM115 - closed below, its errors told apart
        except OSError as error:
            raise ValidationError(
                [Problem(f"cannot read: {error.strerror or error}", file=str(path))]
            ) from None
        try:
            with file:
                reader = CountedReader(file, progress, before=done, total=total, seen=seen)
                staged.load(graph, reader.as_file(), fmt, base_iri=base)
            scan.end()
            if scan.found:
                given.append(functools.partial(scan.triples, path, fmt, base))
                if any(isinstance(t.subject, ox.BlankNode) for t in given[-1]()):
                    # the bulk loader names blank nodes anew: the file's names would not find them
                    raise _NotForTheBulkPath
        except SyntaxError as error:
            raise ValidationError([_syntax_problem(path, error)]) from None
        except OSError as error:  # reading the file, or the store writing it
            raise StoreError(f"{path}: could not be loaded: {error}") from None
        names.append(path.name)
        done += reader.position
    if staged.in_place:
        staged.compact()  # here rather than after the commit: the checks read faster
    if progress is not None:
        progress(Step("parse", done, total, "bytes", finished=True))
    found = bulk.descriptions(staged.engine, data)
    _refuse_merging({_exported(d, None)[0] for d, _ in found}, [str(p) for p in paths])
    _refuse_publishing(
        [_exported(d, level) for d, level in found if level is not None],
        metadata["access"],
        paths,
    )
    if found:
        bulk.drop_descriptions(staged.engine, data)
    synthetic = synthetic or bulk.is_synthetic(staged.engine, data)
    model = bulk.uses_model(staged.engine, data)
    triples = bulk.size(staged.engine, data)
    checksum = "sha256:" + digest.hexdigest()
    description = dataset_description(
        dataset,
        checksum=checksum,
        files=names,
        triples=triples,
        model=model,
        synthetic=synthetic,
        **metadata,
    )
    if shapes or model:
        with step_of(progress, "validate", "checks", total=len(shape_checks())):
            problems = validate_staged(
                staged,
                data,
                description,
                itertools.chain.from_iterable(read() for read in given),
                progress=validation_hook(progress),
            )
        if problems:
            raise ValidationError(problems)
    ensure_reference(store)
    replaced = graph in dataset_graphs(store)
    with writing(progress, triples + len(description)) as written:
        staged.add(description_iri(graph), description)
        if written is not None:
            written(triples + len(description))
        staged.commit()
    return LoadReport(
        dataset=dataset,
        graph=graph,
        triples=triples,
        files=tuple(names),
        checksum=checksum,
        access=metadata["access"],
        synthetic=synthetic,
        replaced=replaced,
        version=store.version,
    )


def store_registry(store: Store, replacing: str | None = None) -> Registry:
    """The actor registry of the store's datasets, less dataset ``replacing`` (a load replaces
    it: its own registry, if any, comes with the files)."""
    skip = dataset_iri(replacing) if replacing is not None else None
    return registry_from_store(store, [g for g in dataset_graphs(store) if g != skip])


def _write(
    store: Store,
    parsed: ParsedInput,
    dataset: str,
    *,
    progress: LoadProgress | None = None,
    shapes: bool = True,
    **metadata: Any,
) -> LoadReport:
    description = dataset_description(
        dataset,
        checksum=parsed.checksum,
        files=parsed.files,
        triples=len(parsed.triples),
        model=uses_model(parsed.triples),
        **metadata,
    )
    problems = check(parsed, description, shapes=shapes, progress=progress)
    if problems:
        raise ValidationError(problems)
    if dataset != REFERENCE_DATASET:
        ensure_reference(store)
    graph = dataset_iri(dataset)
    replaced = graph in dataset_graphs(store)
    with writing(progress, len(parsed.triples) + len(description)) as written:
        store.replace_graphs(dataset_contents(graph, parsed.triples, description), progress=written)
    return LoadReport(
        dataset=dataset,
        graph=graph,
        triples=len(parsed.triples),
        files=parsed.files,
        checksum=parsed.checksum,
        access=metadata["access"],
        synthetic=metadata["synthetic"],
        replaced=replaced,
        version=store.version,
        new_actors=tuple(new_actors(parsed)),
    )


def load_reference(store: Store) -> LoadReport:
    """(Re)write the reference dataset: the ontology itself (so that queries can use class
    labels, the class hierarchy and the notations of concepts) and the federal subjects,
    countries and currencies of pycountry."""
    import pycountry

    ontology = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(ontology_text(), format=ox.RdfFormat.TURTLE)
    ]
    triples = [*ontology, *reference_triples()]
    digest = hashlib.sha256(b"".join(str(t).encode() for t in triples)).hexdigest()
    sources = ("recruitment.ttl", f"pycountry {pycountry.__version__}")
    parsed = ParsedInput(triples, "sha256:" + digest, sources, False, ())
    return _write(
        store,
        parsed,
        REFERENCE_DATASET,
        access="public",
        licence="ontology: Apache-2.0; ISO codes and names from pycountry (LGPL-2.1)",
        synthetic=False,
        loaded_by="recruitgraph",
    )


def ensure_reference(store: Store) -> None:
    """Load the reference dataset if the store lacks it."""
    if dataset_iri(REFERENCE_DATASET) not in dataset_graphs(store):
        load_reference(store)


def shipped_claims() -> Path:
    """Path of the claims CSV shipped in the package (the default dataset's source)."""
    return Path(str(resources.files("graph.data").joinpath("claims.csv")))


def shipped_actors() -> Path:
    """Path of the actor registry shipped in the package, beside :func:`shipped_claims`."""
    return Path(str(resources.files("graph.data").joinpath("actors.csv")))


def load_default_dataset(store: Store, progress: LoadProgress | None = None) -> list[LoadReport]:
    """Write the reference data and the shipped cited claims with their actor registry
    (dataset ``claims``)."""
    return [
        load_reference(store),
        load_files(
            store,
            [shipped_actors(), shipped_claims()],
            DEFAULT_DATASET,
            access="public",
            licence="claims: facts from the cited public sources; see DATASET.md",
            loaded_by="recruitgraph",
            progress=progress,
        ),
    ]


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset's description, as stored in its description graph."""

    name: str
    graph: str
    created: str
    checksum: str
    access: str
    synthetic: bool
    triples: int
    files: tuple[str, ...]
    licence: str | None
    loaded_by: str | None
    #: Whether its data uses the recruitment vocabulary (then the reference data joins the
    #: default graph of its readers); unknown (an old description): true.
    uses_model: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_LIST_DATASETS = (
    SPARQL_PREFIXES
    + """
SELECT ?d ?g ?created ?checksum ?level ?synthetic ?count ?licence ?by ?model
       (GROUP_CONCAT(?file; separator="\\n") AS ?files)
WHERE {
  GRAPH ?d {
    ?g a rg:Dataset ; dcterms:created ?created ; rg:checksum ?checksum ;
       rg:accessLevel ?level ; rg:synthetic ?synthetic .
    OPTIONAL { ?g rg:tripleCount ?count }
    OPTIONAL { ?g dcterms:license ?licence }
    OPTIONAL { ?g rg:loadedBy ?by }
    OPTIONAL { ?g rg:usesModel ?model }
    OPTIONAL { ?g dcterms:source ?file }
  }
  FILTER(STRSTARTS(STR(?d), "DESCRIPTION"))
}
GROUP BY ?d ?g ?created ?checksum ?level ?synthetic ?count ?licence ?by ?model
ORDER BY ?g""".replace("DESCRIPTION", DESCRIPTION)
)


def list_datasets(store: Store) -> list[DatasetInfo]:
    """The datasets in the store with their descriptions."""
    # The access level's notation lives in the ontology, not the store: resolve it here.
    levels = {iri: notation for notation, iri in concepts("AccessLevelScheme").items()}
    result = store.query(_LIST_DATASETS)
    assert isinstance(result, ox.QuerySolutions)
    infos = []
    for row in result:
        graph = row["g"].value
        name = dataset_name(graph)
        # Only a description graph's own description counts (not a dataset's claim about
        # another, nor data that merely looks like a description).
        if name is None or described_graph(row["d"].value) != graph:
            continue
        infos.append(
            DatasetInfo(
                name=name,
                graph=graph,
                created=row["created"].value,
                checksum=row["checksum"].value,
                access=levels.get(row["level"].value, "restricted"),
                synthetic=row["synthetic"].value == "true",
                triples=int(row["count"].value) if row["count"] else 0,
                files=tuple(f for f in row["files"].value.split("\n") if f) if row["files"] else (),
                licence=row["licence"].value if row["licence"] else None,
                loaded_by=row["by"].value if row["by"] else None,
                uses_model=row["model"] is None or row["model"].value in ("true", "1"),
            )
        )
    return infos
