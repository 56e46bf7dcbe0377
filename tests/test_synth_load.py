"""Synthetic output at scale passes the shapes and loads (the generator's own tests are in
test_synth.py)."""

from __future__ import annotations

from pathlib import Path

from graph.ingest import list_datasets, load_files
from graph.ingest.synth import write_synthetic
from graph.store import EmbeddedStore


def test_synth_100k_triples_validates_and_loads(tmp_path: Path) -> None:
    out = tmp_path / "synthetic.nt"
    written = write_synthetic(out, actors=3000, centralization=0.6, seed=11)
    assert written >= 100_000
    with EmbeddedStore(tmp_path / "store") as store:
        report = load_files(store, [out], "synthetic")  # raises if any shape is violated
        assert report.triples == written and report.synthetic
        [info] = [d for d in list_datasets(store) if d.name == "synthetic"]
        assert info.synthetic and info.triples == written
