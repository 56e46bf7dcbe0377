"""Export of datasets as N-Quads or TriG, each dataset in its own named graph."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from graph.errors import InvalidArgument
from graph.model.namespaces import PREFIXES, dataset_iri
from graph.store.stores import Store, dataset_graphs

EXPORT_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


def export_quads(store: Store, datasets: Sequence[str] | None = None) -> Iterator[ox.Quad]:
    """The quads of ``datasets`` (default: all of them), each in its dataset's graph.

    Raises ValueError for a dataset the store does not hold.
    """
    present = dataset_graphs(store)
    if datasets:
        graphs = [dataset_iri(name) for name in datasets]
        missing = [name for name, g in zip(datasets, graphs, strict=True) if g not in present]
        if missing:
            raise InvalidArgument(f"no such dataset: {', '.join(missing)}")
    else:
        graphs = present
    for graph in graphs:
        yield from store.quads(graph)


def export_datasets(
    store: Store,
    out: str | os.PathLike[str],
    fmt: str = "nquads",
    datasets: Sequence[str] | None = None,
) -> int:
    """Write ``datasets`` to the file ``out`` in ``fmt`` (nquads or trig); returns the quad count.

    The file is written under a temporary name and renamed, so a failed export leaves no
    half-written file behind.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidArgument(
            f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}"
        )
    quads = list(export_quads(store, datasets))
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    prefixes = PREFIXES if fmt == "trig" else None
    try:
        ox.serialize(quads, str(partial), format=EXPORT_FORMATS[fmt], prefixes=prefixes)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return len(quads)
