"""How close :func:`graph.analysis.projection.projection_bytes` comes to what a projection
really holds: the memory Python allocated for it, as tracemalloc counts it.

    .venv/bin/python bench/projection_bytes.py --actors 1000,10000

For each size: ``recruitgraph synth`` data (centralization 0.5, seed 1) in an in-memory store
(bench/metrics_bench.py's loader), one projection built first so that every cache of the
process is warm, then a second one built under tracemalloc: the bytes still allocated once it
is built and its temporaries freed, against what ``projection_bytes`` and an exact walk (every
object once, no sampling) say, and how long each measurement took.

``--store DIR`` measures instead what building one projection of an on-disk store costs (a
store of bench/metrics_cache_rss.py, e.g. 10M triples): the peak of the memory Python
allocated while it was built (its temporaries: query results, the claims' properties), what
the projection still holds after, and the time (under tracemalloc, which slows it). Run it
with ``PYTHONPATH`` set to each checkout to compare them::

    PYTHONPATH=. .venv/bin/python bench/projection_bytes.py --store /tmp/rg/metrics-cache-100000
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.metrics_bench import load_store, synthetic_file  # noqa: E402


def exact_size(value: object) -> int:
    """Every object reachable from ``value`` once (no sampling): slow, for comparison."""
    from graph.store.sizing import deep_size

    return deep_size(value, sample=sys.maxsize)


def measure(actors: int, data_dir: Path) -> dict[str, float]:
    import networkx as nx

    from graph.analysis.projection import build_projection, projection_bytes

    store, _ = load_store(synthetic_file(data_dir, actors)[0])
    nx.freeze(build_projection(store))  # warm: ontology, vocabularies, store caches
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    G = nx.freeze(build_projection(store))
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    began = time.perf_counter()
    estimate = projection_bytes(G)
    estimate_s = time.perf_counter() - began
    began = time.perf_counter()
    exact = exact_size(G)
    exact_s = time.perf_counter() - began
    return {
        "actors": actors,
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "traced": traced,
        "estimate": estimate,
        "estimate_s": estimate_s,
        "exact": exact,
        "exact_s": exact_s,
    }


def build_peak(location: Path) -> dict[str, float]:
    """One projection of the on-disk store at ``location`` (warmed by one before it): the
    peak and the kept bytes Python allocated for it, and the seconds it took; and the seconds
    of the first build (not traced)."""
    import networkx as nx

    from graph.analysis.projection import build_projection
    from graph.store import EmbeddedStore

    with EmbeddedStore(location) as store:
        began = time.perf_counter()
        nx.freeze(build_projection(store))  # warm: ontology, vocabularies, store caches
        untraced = time.perf_counter() - began
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        began = time.perf_counter()
        G = build_projection(store)
        seconds = time.perf_counter() - began
        gc.collect()
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "edges": G.number_of_edges(),
        "peak": peak - before,
        "kept": kept - before,
        "seconds": seconds,
        "untraced": untraced,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", default="1000,10000", help="sizes, comma-separated")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "rg-bench")
    parser.add_argument("--store", type=Path, help="an on-disk store: the peak of one build")
    args = parser.parse_args()
    if args.store is not None:
        r = build_peak(args.store)
        mib = 1024**2
        print(
            f"{r['edges']:,} claims: peak {r['peak'] / mib:,.0f} MiB allocated while built, "
            f"{r['kept'] / mib:,.0f} MiB kept, {r['seconds']:.1f} s (under tracemalloc; the "
            f"first build, not traced: {r['untraced']:.1f} s)"
        )
        return
    print(
        "| actors | nodes | edges | tracemalloc (MiB) | projection_bytes (MiB, error, s) "
        "| exact walk (MiB, error, s) |"
    )
    print("|---:|---:|---:|---:|---|---|")
    for actors in (int(a) for a in args.actors.split(",")):
        r = measure(actors, args.data_dir)
        mib = 1024**2
        print(
            f"| {actors:,} | {r['nodes']:,} | {r['edges']:,} | {r['traced'] / mib:,.1f} "
            f"| {r['estimate'] / mib:,.1f}, {r['estimate'] / r['traced'] - 1:+.1%}, "
            f"{r['estimate_s']:.2f} "
            f"| {r['exact'] / mib:,.1f}, {r['exact'] / r['traced'] - 1:+.1%}, {r['exact_s']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
