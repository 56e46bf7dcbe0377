"""Writing an export file: any RDF format of :mod:`graph.store.formats` (datasets as named
graphs, or their union as triples) and the network formats (GraphML, GEXF, a CSV edge list),
always atomically.

:func:`write_export` is the one exporter that the CLI, the HTTP API and the synthetic data
generator write through; what goes into it (which quads, which network) is chosen above this
package, by :func:`graph.analysis.queries.export`. :func:`atomic_output` is the file it writes:
a temporary file beside the target, synced and renamed over it only when complete, so that a
failed export leaves neither a half-written file nor the temporary one, and an existing file
stays as it was.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import pyoxigraph as ox

from graph.model.namespaces import DATASET, ID, PREFIXES
from graph.store.formats import Format, Kind, UnknownFormat, by_name, formats
from graph.store.spreadsheet import formula_safe

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["EXPORT_KINDS", "atomic_output", "export_format", "write_export"]

#: The kinds of format an export can be written in.
EXPORT_KINDS = (Kind.GRAPH, Kind.NETWORK)
#: Prefixes of the RDF formats that declare them: the project's, and the dataset and entity
#: namespaces.
_PREFIXES = dict(PREFIXES, dataset=DATASET, id=ID)


def export_format(fmt: str | Format) -> Format:
    """The export format named ``fmt``; UnknownFormat (a ValueError) if there is none.

    >>> export_format("gexf").media_type
    'application/gexf+xml'
    >>> export_format("json")
    Traceback (most recent call last):
    ...
    graph.store.formats.UnknownFormat: unknown export format 'json'; use one of turtle, \
ntriples, jsonld, rdfxml, nquads, trig, graphml, gexf, csv
    """
    if isinstance(fmt, Format) and fmt.kind in EXPORT_KINDS:
        return fmt
    name = fmt.name if isinstance(fmt, Format) else fmt
    try:
        return by_name(name, *EXPORT_KINDS)
    except UnknownFormat:
        known = ", ".join(f.name for f in formats(*EXPORT_KINDS))
        raise UnknownFormat(f"unknown export format {name!r}; use one of {known}") from None


@contextmanager
def atomic_output(out: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``out`` when the ``with`` block ends without an error.

    It is written under a hidden temporary name in the same directory (so that the rename
    stays on one file system), flushed and synced to disk, then renamed over ``out``. On any
    error, the temporary file is removed and ``out``, if it existed, is untouched. A file
    that replaces an existing one keeps its permissions (a private file stays private).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(target) as stream:
    ...     _ = stream.write(b"done")
    >>> target.read_bytes()
    b'done'
    >>> try:
    ...     with atomic_output(target) as stream:
    ...         _ = stream.write(b"half")
    ...         raise RuntimeError("failed midway")
    ... except RuntimeError:
    ...     pass
    >>> target.read_bytes(), sorted(p.name for p in target.parent.iterdir())
    (b'done', ['out.txt'])
    """
    target = Path(out)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        mode: int | None = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    try:
        # "x": never write through a file someone else made; a new file's mode follows the umask.
        with open(partial, "xb") as stream:
            if mode is not None:
                os.fchmod(stream.fileno(), mode)
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def write_export(
    out: str | os.PathLike[str],
    fmt: str | Format,
    data: Iterable[ox.Quad] | Iterable[ox.Triple] | nx.Graph | Iterable[Sequence[Any]],
    *,
    prefixes: dict[str, str] | None = None,
) -> int:
    """Write ``data`` to the file ``out`` in the export format ``fmt``, atomically.

    Parameters
    ----------
    out : str or path
        The file to write; an existing one is replaced only once the export is complete.
    fmt : str or Format
        An RDF format (``nquads``, ``trig``, ``turtle``…) or a network format (``graphml``,
        ``gexf``, ``csv``) of :mod:`graph.store.formats`.
    data
        For an RDF format, quads or triples: a format that keeps named graphs (N-Quads,
        TriG, JSON-LD) keeps each quad's graph, the others write the union of the graphs as
        triples. For GraphML and GEXF, a networkx graph whose attributes are plain values.
        For the CSV edge list, rows: the header first, then one row per edge; text cells
        that a spreadsheet would read as formulas are written as text (see
        :func:`graph.store.spreadsheet.formula_safe`).
    prefixes : dict, optional
        Prefixes for the formats that declare them (Turtle, TriG); by default the project's.

    Returns
    -------
    int
        What was written: quads or triples, edges, or rows below the header.

    Raises
    ------
    UnknownFormat
        If ``fmt`` is not an export format (before anything is written).

    Examples
    --------
    >>> import tempfile
    >>> s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    >>> g = ox.NamedNode("https://w3id.org/recruitgraph/dataset/d")
    >>> out = Path(tempfile.mkdtemp()) / "d.nt"
    >>> write_export(out, "ntriples", [ox.Quad(s, p, ox.Literal("o"), g)])
    1
    >>> out.read_text()
    '<http://example.org/s> <http://example.org/p> "o" .\\n'
    """
    spec = export_format(fmt)
    if spec.kind is Kind.NETWORK:
        with atomic_output(out) as stream:
            return _write_network(spec, data, stream)
    assert isinstance(spec.rdf, ox.RdfFormat)
    count = 0

    def counted() -> Iterator[Any]:  # quads or triples, as pyoxigraph takes them
        nonlocal count
        for item in cast(Iterable[ox.Quad | ox.Triple], data):
            count += 1
            if not spec.keeps_graphs and isinstance(item, ox.Quad):
                item = ox.Triple(item.subject, item.predicate, item.object)
            yield item

    declared = (_PREFIXES if prefixes is None else prefixes) if spec.takes_prefixes else None
    with atomic_output(out) as stream:
        ox.serialize(counted(), stream, format=spec.rdf, prefixes=declared)
    return count


def _write_network(spec: Format, data: Any, stream: IO[bytes]) -> int:
    if spec.name == "csv":
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        rows = -1
        for row in data:
            # text cells from the data are neutralised for spreadsheets; numbers stay numbers
            writer.writerow([formula_safe(c) if isinstance(c, str) else c for c in row])
            rows += 1
        text.flush()
        text.detach()  # leave the stream open for atomic_output to sync and close
        return max(rows, 0)
    import networkx as nx

    if spec.name == "graphml":
        nx.write_graphml(data, stream)
    else:
        nx.write_gexf(data, stream)
    return int(data.number_of_edges())
