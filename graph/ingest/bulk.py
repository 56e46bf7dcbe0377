"""What a load reads off RDF files that the engine's bulk loader stages (see
:meth:`graph.store.Store.staged`), without a Python object per triple.

:func:`graph.ingest.load.load_files` takes this path for N-Triples and Turtle files on an
embedded store: each file is parsed as one stream (one parser: a blank node keeps its identity)
and written by the engine's bulk loader a chunk at a time into the dataset's graph, out of
sight (:meth:`graph.store.stores.StagedGraphs.load`); the shapes are checked there
(:func:`graph.ingest.validation.validate_staged`); the few facts the loader needs besides
(descriptions of datasets that came with the data, whether it is synthetic, whether it uses the
recruitment vocabulary, its size) are asked of the engine here. Memory is then bounded by the
bulk loader's chunk (:data:`EmbeddedStore.BULK_CHUNK <graph.store.EmbeddedStore.BULK_CHUNK>`),
not by the file.

Other formats take the path of Python objects: quad formats (N-Quads, TriG, JSON-LD) name
graphs of their own, which the bulk loader would write to as they are named; RDF/XML is
scanned for entity declarations before it is parsed; a claims CSV is converted.

One thing the engine does not keep is the datatype of an integer given as a type derived from
``xsd:integer`` (``"5"^^xsd:nonNegativeInteger`` is kept as ``xsd:integer``), which pyshacl's
``sh:datatype`` tells apart: :class:`GivenScan` looks for such datatypes in the bytes as the
engine reads them, and only a file that names one is parsed once more, for those triples alone
(:meth:`GivenScan.triples`).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from graph.ingest.shacl_sparql import KEPT_AS_INTEGER
from graph.model.namespaces import RG, USES_MODEL_FILTER, XSD

#: The formats the bulk path takes: those of triples only.
BULK_FORMATS = frozenset({ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE})

#: A datatype of :data:`KEPT_AS_INTEGER` after ``^^``, as an IRI or a prefixed name: a superset
#: of where a file gives one (it may also match inside a string, which costs a second parse).
_DERIVED = re.compile(
    rb"\^\^\s*(?:<[^>\s]*[#/:]|[A-Za-z0-9_.\-]*:)(?:"
    + b"|".join(sorted({t.value.rsplit("#", 1)[1].encode() for t in KEPT_AS_INTEGER}))
    + rb")(?![A-Za-z0-9_\-])"
)
#: Bytes of one chunk kept for the next: a match cut by a chunk boundary is still found.
_OVERLAP = 256


class GivenScan:
    r"""Fed the chunks of a file as they are read (``seen`` of
    :class:`~graph.ingest.progress.CountedReader`); ``found``: whether the file may give a
    literal a datatype of :data:`~graph.ingest.shacl_sparql.KEPT_AS_INTEGER`. For N-Triples
    (``lines``), where a triple is a line, it also keeps the lines that may, so that only those
    are parsed again (:meth:`triples`); it keeps them in a temporary file, not in memory (1.6 %
    of the lines of ``recruitgraph synth``'s files: memory that would grow with the file).

    >>> scan = GivenScan(lines=True)
    >>> scan(b'<a:s> <a:p> "5"^^<http://www.w3.org/2001/XMLSchema#int'); scan.found
    False
    >>> scan(b'> .\n<a:s> <a:q> "1" .\n'); scan.found, scan.kept
    (True, 1)
    >>> [str(t.object) for t in scan.triples(Path("unread.nt"), ox.RdfFormat.N_TRIPLES, "")]
    ['"5"^^<http://www.w3.org/2001/XMLSchema#int>']
    >>> scan = GivenScan(); scan(b'<a> <b> "5"^^xsd:integer, "int" .'); scan.found
    False
    """

    def __init__(self, *, lines: bool = False) -> None:
        self.found = False
        #: How many lines are kept (``lines``).
        self.kept = 0
        self._lines = lines
        self._kept: IO[bytes] | None = None
        self._tail = b""

    def __call__(self, chunk: bytes) -> None:
        window = self._tail + chunk
        if not self._lines:
            self.found = self.found or _DERIVED.search(window) is not None
            self._tail = window[-_OVERLAP:]
            return
        end = window.rfind(b"\n") + 1  # whole lines only; the rest waits for the next chunk
        whole, self._tail = window[:end], window[end:]
        last = -1
        for match in _DERIVED.finditer(whole):
            start = whole.rfind(b"\n", 0, match.start()) + 1
            if start == last:
                continue  # a second match in the same line
            last = start
            if self._kept is None:
                # a file without a name: gone with the scan, or the process, whatever happens
                self._kept = tempfile.TemporaryFile()  # noqa: SIM115
            self._kept.write(whole[start : whole.index(b"\n", match.end()) + 1])
            self.kept += 1
            self.found = True

    def end(self) -> None:
        """Told that the file has ended (a last line without its end of line)."""
        if self._lines and self._tail:
            self(b"\n")

    def triples(self, path: Path, fmt: ox.RdfFormat, base_iri: str) -> Iterator[ox.Triple]:
        """The triples of the file ``path`` whose literal has a datatype of
        :data:`~graph.ingest.shacl_sparql.KEPT_AS_INTEGER` as the file gives it, streamed: of
        the lines kept (N-Triples), else of the whole file. Each call reads them anew."""
        if self._lines:
            if self._kept is None:
                return
            self._kept.flush()
            self._kept.seek(0)
            yield from _derived(self._kept, fmt, base_iri)
            return
        with open(path, "rb") as file:
            yield from _derived(file, fmt, base_iri)


def _derived(source: IO[bytes], fmt: ox.RdfFormat, base_iri: str) -> Iterator[ox.Triple]:
    for quad in ox.parse(source, format=fmt, base_iri=base_iri):
        if isinstance(quad.object, ox.Literal) and quad.object.datatype in KEPT_AS_INTEGER:
            yield ox.Triple(quad.subject, quad.predicate, quad.object)


def _rows(engine: ox.Store, graph: str, sparql: str) -> Iterator[ox.QuerySolution]:
    result = engine.query(sparql, default_graph=[ox.NamedNode(graph)])
    assert isinstance(result, ox.QuerySolutions)
    return iter(result)


def descriptions(
    engine: ox.Store, graph: str
) -> list[tuple[ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal | None]]:
    """Each dataset described in the staged graph ``graph`` (an ``rg:Dataset``; a blank node
    is left out, as a name is needed) with its access level (None if not given)."""
    sparql = (
        f"SELECT ?d ?level WHERE {{ ?d a <{RG}Dataset> OPTIONAL {{ ?d <{RG}accessLevel> ?level }}"
        " FILTER(isIRI(?d)) }"
    )
    return [(row["d"], row["level"]) for row in _rows(engine, graph, sparql)]


def drop_descriptions(engine: ox.Store, graph: str) -> None:
    """Remove the statements about datasets (``rg:Dataset`` subjects) from staged ``graph``."""
    name = ox.NamedNode(graph)
    engine.update(
        f"DELETE {{ GRAPH {name} {{ ?d ?p ?o }} }} WHERE {{ GRAPH {name} "
        f"{{ ?d a <{RG}Dataset> . ?d ?p ?o }} }}"
    )


def is_synthetic(engine: ox.Store, graph: str) -> bool:
    """Whether any statement of staged ``graph`` says ``rg:synthetic true``."""
    sparql = f'ASK {{ ?s <{RG}synthetic> "true"^^<{XSD}boolean> }}'
    return bool(engine.query(sparql, default_graph=[ox.NamedNode(graph)]))


def uses_model(engine: ox.Store, graph: str) -> bool:
    """:func:`graph.model.namespaces.uses_model` of the staged ``graph``."""
    sparql = f"ASK {{ ?s ?p ?o {USES_MODEL_FILTER} }}"
    return bool(engine.query(sparql, default_graph=[ox.NamedNode(graph)]))


def size(engine: ox.Store, graph: str) -> int:
    """The number of triples of staged ``graph``."""
    (row,) = _rows(engine, graph, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(row["n"].value)
