"""Getting data in: parse, validate against the shapes, write one named graph atomically.

:mod:`~graph.ingest.load` reads RDF files and claims CSVs into datasets (a load with any
problem writes nothing); :mod:`~graph.ingest.claims_csv` turns the claims CSV into RDF,
resolving every party through the actor registry of :mod:`~graph.ingest.registry`;
:mod:`~graph.ingest.validation` checks a graph against ``ontologies/shapes.ttl``;
:mod:`~graph.ingest.actors` lists actors and records merges; :mod:`~graph.ingest.restore`
brings back every dataset of an export, descriptions included, in one transaction;
:mod:`~graph.ingest.synth`
writes synthetic claim sets, marked synthetic, for tests and benchmarks. The load functions most
callers need are importable from this package.
"""

from graph.ingest.load import (
    DEFAULT_DATASET,
    INPUT_KINDS,
    MAX_FILE_BYTES,
    DatasetInfo,
    LoadProgress,
    LoadReport,
    ParsedInput,
    check,
    dataset_contents,
    dataset_description,
    delete_dataset,
    ensure_reference,
    input_format,
    list_datasets,
    load_default_dataset,
    load_files,
    load_reference,
    new_actors,
    read_inputs,
    shipped_actors,
    shipped_claims,
    store_registry,
    validate_files,
)
from graph.ingest.restore import RestoreReport, read_export, restore

__all__ = [
    "DEFAULT_DATASET",
    "INPUT_KINDS",
    "MAX_FILE_BYTES",
    "DatasetInfo",
    "LoadProgress",
    "LoadReport",
    "ParsedInput",
    "RestoreReport",
    "check",
    "dataset_contents",
    "dataset_description",
    "delete_dataset",
    "ensure_reference",
    "input_format",
    "list_datasets",
    "load_default_dataset",
    "load_files",
    "load_reference",
    "new_actors",
    "read_export",
    "read_inputs",
    "restore",
    "shipped_actors",
    "shipped_claims",
    "store_registry",
    "validate_files",
]
