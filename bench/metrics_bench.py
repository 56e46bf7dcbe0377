"""Metrics at scale (issue 5): the projection and the full metrics report on synthetic networks.

On synthetic projections of 1,000, 10,000 and 100,000 actors (``graph.ingest.synth``, centralization
0.5, seed 1) it measures

* the projection (SPARQL -> networkx), the report's analytics on a cached projection, and the
  full ``figures.report(store)`` cold (``graph.store.cache.clear()`` first) and cached (median of
  repeats);
* the peak memory of each size, run in its own process (``ru_maxrss``);
* at 10,000 actors, the sampled betweenness and closeness centralization against exact values,
  over several seeds, with the time of each (and networkx's uniform ``k`` sample for
  comparison);
* the same cold report with networkx's backend dispatch switched to nx-parallel
  (``graph.analysis.backends.use_backend("parallel")``, what ``--nx-backend parallel`` does)
  and without, in an interpreter that has
  nx-parallel installed (``--parallel-python``).

The data are loaded into an in-memory ``EmbeddedStore`` by writing the parsed triples and a
dataset description straight into the dataset's graph: this **bypasses the SHACL validation**
of ``recruitgraph load`` (which is not what is measured here). Run from the repository root:

    .venv/bin/python bench/metrics_bench.py --parallel-python /tmp/nxp/bin/python

(about 10 minutes on 2 cores; ``--sizes 1000,10000 --no-error --no-parallel`` for a quick run).
It prints the tables and writes them, with the command, as the section "Metrics at scale
(issue 5)" of bench/RESULTS.md (``--no-write`` to leave the file alone).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results import replace_section  # noqa: E402

SECTION = "## Metrics at scale (issue 5)"
PARALLEL_SETUP = (
    "nx-parallel is not a dependency of the project and is not installed in its venv: "
    "nx-parallel 0.3, the last release for Python 3.11, fails to import with networkx 3.6 "
    "(`cannot import name '_rescale_e'`), and 0.4 needs Python 3.12. The `--parallel-python` "
    "interpreter is a separate Python 3.12 venv with the same networkx, made with "
    "`python3.12 -m venv {venv} && {venv}/bin/pip install nx-parallel==0.4 networkx==3.6.1 "
    "pyoxigraph==0.5.13 scipy rdflib pyshacl pycountry platformdirs httpx`; the project's "
    "code runs in it from the working tree (PYTHONPATH)."
)
DEFAULT_SIZES = "1000,10000,100000"
CENTRALIZATION = 0.5
SEED = 1


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def synthetic_file(data_dir: Path, actors: int) -> tuple[Path, float]:
    """The synthetic N-Triples file of ``actors`` actors (generated once, then reused), and the
    seconds its generation took (0.0 when reused)."""
    from graph.ingest.synth import write_synthetic

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"synth-{actors}-c{CENTRALIZATION}-s{SEED}.nt"
    if path.exists():
        return path, 0.0
    start = time.perf_counter()
    write_synthetic(path, actors=actors, centralization=CENTRALIZATION, seed=SEED)
    return path, time.perf_counter() - start


def _description(path: Path, count: int) -> list[Any]:
    """The description of dataset ``synthetic``: the file ``path`` of ``count`` triples."""
    from graph.ingest import dataset_description

    return dataset_description(
        "synthetic",
        checksum="sha256:" + "0" * 64,
        files=[path.name],
        synthetic=True,
        triples=count,
        model=True,
    )


def load_store(path: Path, location: Path | None = None) -> tuple[Any, int]:
    """A store (in memory, or on disk at ``location``) with the reference data and ``path`` as
    dataset ``synthetic``, written directly (no SHACL validation), streaming the triples;
    returns it and the triple count."""
    import pyoxigraph as ox

    from graph.ingest import dataset_contents, load_reference
    from graph.model.namespaces import dataset_iri
    from graph.store import EmbeddedStore

    store = EmbeddedStore(location)
    load_reference(store)
    count = 0

    def triples() -> Iterator[ox.Triple]:
        nonlocal count
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
            count += 1
            yield ox.Triple(quad.subject, quad.predicate, quad.object)

    def description() -> Iterator[ox.Triple]:  # read after the data: its count is known
        yield from _description(path, count)

    store.replace_graphs(dataset_contents(dataset_iri("synthetic"), triples(), description()))
    return store, count


def bulk_store(path: Path, location: Path) -> tuple[Any, int]:
    """An on-disk store at ``location`` with the reference data and ``path`` (N-Triples) as
    dataset ``synthetic``, parsed by the engine's bulk loader straight into the dataset's graph
    (the bulk path of ``recruitgraph load``, :mod:`graph.ingest.bulk`) and committed with its
    description, **without the SHACL checks**: for files past what one transaction of
    :func:`load_store` holds in memory (10M triples). Returns it and the triple count."""
    import pyoxigraph as ox

    from graph.ingest import load_reference
    from graph.ingest.bulk import size
    from graph.model.namespaces import dataset_iri, description_iri
    from graph.store import EmbeddedStore

    store = EmbeddedStore(location)
    load_reference(store)
    graph = dataset_iri("synthetic")
    staged = store.staged([graph, description_iri(graph)])
    with staged, open(path, "rb") as file:
        staged.load(graph, file, ox.RdfFormat.N_TRIPLES)
        count = size(staged.engine, staged.where(graph))
        staged.add(description_iri(graph), _description(path, count))
        staged.commit()
    return store, count


def warm_up(data_dir: Path) -> None:
    """One report on a small network first, so that no timing below pays for importing scipy
    or compiling networkx's dispatch wrappers; and a metrics cache large enough to keep the
    projection of 100,000 actors (and more than the default bound), on which the analytics
    are timed."""
    from graph.analysis import figures
    from graph.store import cache

    cache.set_max_bytes(64 * 1024**3)
    store, _ = load_store(synthetic_file(data_dir, 300)[0])
    figures.report(store)
    cache.clear()


def peak_mib() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------------------------
# Workers (each runs in its own process)
# --------------------------------------------------------------------------------------------


def worker_scale(
    actors: int, data_dir: Path, repeats: int, cold_repeats: int, breakdown: bool
) -> dict[str, Any]:
    from graph.analysis import figures, network
    from graph.analysis.projection import project
    from graph.store import cache

    warm_up(data_dir)
    path, generated = synthetic_file(data_dir, actors)
    start = time.perf_counter()
    store, triples = load_store(path)
    loaded = time.perf_counter() - start
    after_load = peak_mib()

    cache.clear()
    start = time.perf_counter()
    G = project(store)
    projection_s = time.perf_counter() - start
    k = network.sample_size(G)

    # The analytics alone, on the projection just cached.
    start = time.perf_counter()
    figures.report(store)
    analytics_s = time.perf_counter() - start

    colds = []
    for _ in range(cold_repeats):
        cache.clear()
        start = time.perf_counter()
        report = figures.report(store)
        colds.append(time.perf_counter() - start)

    cached = []
    for _ in range(repeats):
        start = time.perf_counter()
        again = figures.report(store)
        cached.append(time.perf_counter() - start)
        assert again is report
    figures = report["figures"]
    return {
        "actors": actors,
        "nodes": G.number_of_nodes(),
        "claims": G.number_of_edges(),
        "triples": triples,
        "generate_s": generated,
        "load_s": loaded,
        "projection_s": projection_s,
        "analytics_s": analytics_s,
        "report_cold_s": statistics.median(colds),
        "report_cold_all_s": colds,
        "report_cached_median_ms": statistics.median(cached) * 1000,
        "report_cached_max_ms": max(cached) * 1000,
        "repeats": repeats,
        "cold_repeats": cold_repeats,
        "sample": k,
        "peak_after_load_mib": after_load,
        "peak_mib": peak_mib(),
        "centralization_betweenness": figures["centralization_betweenness"],
        "centralization_closeness": figures["centralization_closeness"],
        "stages": stages(store) if breakdown else None,
    }


def stages(store: Any) -> dict[str, float]:
    """Where the time of a cold report goes: its steps one after the other, as
    ``figures._report`` runs them (private helpers; a diagnosis, not an interface)."""
    from graph.analysis import figures, network
    from graph.analysis.metrics.brokers import _brokers
    from graph.analysis.metrics.burden import burden_share, burden_share_median
    from graph.analysis.metrics.centralization import _centralizations
    from graph.analysis.metrics.funding import (
        funding_by_tier,
        payer_concentration,
        regional_share_of_bonus_claims,
    )
    from graph.analysis.metrics.hierarchy import _grc_from_reach, _krackhardt
    from graph.analysis.metrics.reach import federal_reach
    from graph.analysis.metrics.report import LUB_PAIRS
    from graph.analysis.projection import project
    from graph.store import cache

    out: dict[str, float] = {}

    def timed(name: str, step: Any) -> Any:
        start = time.perf_counter()
        value = step()
        out[name] = time.perf_counter() - start
        return value

    cache.clear()
    with cache.paused_gc():  # as report() runs
        G = timed("projection (SPARQL -> networkx)", lambda: project(store))
        scores = network._scores(G, None)
        timed("CSR form (compiled searches)", lambda: scores.csr)
        timed("condensation and ancestors", scores.reach)
        timed(f"betweenness (sample {scores.k})", scores.betweenness)
        timed(
            f"closeness (sample {scores.k})",
            lambda: scores.closeness(wf_improved=True, sampled=True),
        )
        timed("eigenvector", scores.eigenvector)
        timed(
            "centralization, GRC, Krackhardt",
            lambda: (
                _centralizations(scores, wf_improved=True),
                _grc_from_reach(scores.reach(), scores.n),
                _krackhardt(
                    scores.reach(),
                    scores.weak_components(),
                    scores.n,
                    scores.arcs(),
                    lub_pairs=LUB_PAIRS,
                    seed=0,
                ),
            ),
        )
        timed("federal reach", lambda: federal_reach(G))
        timed(
            "funding (tiers, burden share, HHI)",
            lambda: (
                funding_by_tier(G),
                funding_by_tier(G, purpose="enlistment_bonus"),
                burden_share_median(G),
                burden_share(G),
                regional_share_of_bonus_claims(G),
                payer_concentration(G),
            ),
        )
        federal = [v for v, t in G.nodes(data="tier") if t == "federal"]
        recruiters = [v for v, k in G.nodes(data="kind") if k == "Recruiter"]
        timed("brokers (exact)", lambda: _brokers(scores, federal, recruiters, 10))
        timed("node table", lambda: figures._node_table(G, scores, by="betweenness", top=10))
    cache.clear()
    return out


def _index(scores: dict[Any, float], n: int, measure: str, weights: Any = None) -> float:
    from graph.analysis.metrics.centralization import _freeman, theoretical_max

    return _freeman(scores.values(), theoretical_max(measure, n, True), weights)


def worker_error(actors: int, data_dir: Path, ks: list[int], seeds: int) -> dict[str, Any]:
    """Sampled against exact betweenness and closeness centralization of one projection."""
    import networkx as nx

    from graph.analysis.metrics import centralization
    from graph.analysis.metrics.node import _betweenness_scores
    from graph.analysis.projection import project, simple_view

    path, _ = synthetic_file(data_dir, actors)
    store, _ = load_store(path)
    G = project(store)
    view = simple_view(G, weight="count")  # the graph the report's measures run on
    n = view.number_of_nodes()

    start = time.perf_counter()
    exact_b = _betweenness_scores(view, normalized=False)
    exact_b_s = time.perf_counter() - start
    start = time.perf_counter()
    exact_c = centralization(view, "closeness", wf_improved=True)
    exact_c_s = time.perf_counter() - start
    exact = {"betweenness": _index(exact_b, n, "betweenness"), "closeness": exact_c}
    top = {v for v, _ in sorted(exact_b.items(), key=lambda x: (-x[1], str(x[0])))[:10]}

    rows = []
    for k in ks:
        for estimator in ("stratified", "uniform"):
            errors: dict[str, list[float]] = {"betweenness": [], "closeness": []}
            times: dict[str, list[float]] = {"betweenness": [], "closeness": []}
            overlap = []
            for seed in range(seeds):
                start = time.perf_counter()
                if estimator == "stratified":
                    b = _betweenness_scores(view, normalized=False, k=k, seed=seed)
                else:  # networkx's own: k sources drawn uniformly
                    b = nx.betweenness_centrality(view, k=k, seed=seed, normalized=False)
                times["betweenness"].append(time.perf_counter() - start)
                errors["betweenness"].append(_index(b, n, "betweenness") - exact["betweenness"])
                ranked = sorted(b.items(), key=lambda x: (-x[1], str(x[0])))[:10]
                overlap.append(len(top & {v for v, _ in ranked}))
                if estimator == "stratified":
                    start = time.perf_counter()
                    c = centralization(view, "closeness", k=k, seed=seed, wf_improved=True)
                    times["closeness"].append(time.perf_counter() - start)
                    errors["closeness"].append(c - exact["closeness"])
            rows.append(
                {
                    "k": k,
                    "estimator": estimator,
                    "errors": errors,
                    "times": times,
                    "top10_overlap": overlap,
                }
            )
    return {
        "actors": actors,
        "nodes": n,
        "ties": view.number_of_edges(),
        "seeds": seeds,
        "exact": exact,
        "exact_s": {"betweenness": exact_b_s, "closeness": exact_c_s},
        "rows": rows,
    }


def worker_parallel(actors: int, data_dir: Path) -> dict[str, Any]:
    """The cold report with and without networkx dispatching to nx-parallel."""
    import networkx as nx
    from networkx.utils import backends

    from graph.analysis import figures
    from graph.analysis.backends import use_backend
    from graph.store import cache

    dispatched: Counter[str] = Counter()
    for method in ("_call_with_backend", "_convert_and_call"):
        original = getattr(backends._dispatchable, method)

        def counting(
            self: Any, backend_name: str, *args: Any, _f: Any = original, **kwargs: Any
        ) -> Any:
            if backend_name != "networkx":
                dispatched[f"{self.name} -> {backend_name}"] += 1
            return _f(self, backend_name, *args, **kwargs)

        setattr(backends._dispatchable, method, counting)

    warm_up(data_dir)
    use_backend("parallel")  # what --nx-backend parallel does
    warm_up(data_dir)  # starts the backend's worker processes, which it keeps
    path, _ = synthetic_file(data_dir, actors)
    store, _ = load_store(path)
    out: dict[str, Any] = {"actors": actors, "cpus": os.cpu_count()}
    for mode in ("without", "with"):
        use_backend("parallel" if mode == "with" else "networkx")
        dispatched.clear()
        cache.clear()
        start = time.perf_counter()
        report = figures.report(store)
        out[f"{mode}_s"] = time.perf_counter() - start
        out[f"{mode}_dispatched"] = dict(dispatched)
        out[f"{mode}_betweenness"] = report["figures"]["centralization_betweenness"]
    use_backend("networkx")
    import nx_parallel

    out["nx_parallel"] = getattr(nx_parallel, "__version__", "?")
    out["networkx"] = nx.__version__
    out["python"] = platform.python_version()
    out["n_jobs"] = nx.config.backends.parallel.n_jobs
    return out


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def run_worker(python: str, args: list[str], timeout: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        command = [python, str(Path(__file__).resolve()), "--worker", *args, "--result", str(out)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run = subprocess.run(
            command, cwd=ROOT, env=env, timeout=timeout, capture_output=True, text=True
        )
        if run.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{run.stderr[-3000:]}")
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def has_nx_parallel(python: str) -> bool:
    check = [python, "-c", "import nx_parallel, networkx"]
    return subprocess.run(check, capture_output=True, env={**os.environ}).returncode == 0


def machine() -> str:
    model = "unknown CPU"
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        model = found.group(1).strip() if found else model
    except OSError:
        pass
    import networkx
    import pyoxigraph

    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"networkx {networkx.__version__}, pyoxigraph {pyoxigraph.__version__}"
    )


def fmt(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 100 else f"{seconds:.0f}"


def rms(values: list[float]) -> float:
    return (sum(v * v for v in values) / len(values)) ** 0.5 if values else float("nan")


def render(results: dict[str, Any], command: str) -> str:
    lines = [SECTION, ""]
    lines.append(
        f"Run on {results['machine']}, {results['date']}; the whole run took "
        f"{results['total_s'] / 60:.1f} min. Reproduce from the repository root with:"
    )
    lines += ["", "```", command, "```", ""]
    lines.append(
        "Synthetic networks of `graph.ingest.synth` (centralization 0.5, seed 1), loaded into an "
        "in-memory `EmbeddedStore` by writing the parsed triples and a dataset description "
        "directly: **SHACL validation is bypassed** (it is not what is measured). Each size "
        "runs in its own process; peak memory is that process's `ru_maxrss` (the store, the "
        'projection and the report together; "after load" is the store alone).'
    )
    lines.append("")
    lines.append(
        "| actors | claims | sample k | projection (s) | analytics on cached projection (s) "
        "| report cold (s) | report cached (ms, median / max) | peak RSS after load / "
        "end (MiB) |"
    )
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results["scale"]:
        k = "exact" if r["sample"] is None else str(r["sample"])
        lines.append(
            f"| {r['actors']:,} | {r['claims']:,} | {k} | {fmt(r['projection_s'])} "
            f"| {fmt(r['analytics_s'])} | **{fmt(r['report_cold_s'])}** "
            f"| {r['report_cached_median_ms']:.3f} / {r['report_cached_max_ms']:.3f} "
            f"| {r['peak_after_load_mib']:,.0f} / {r['peak_mib']:,.0f} |"
        )
    lines.append("")
    lines.append(
        f"Report cold is the median of {results['scale'][0].get('cold_repeats', 3)} runs "
        "(`graph.store.cache.clear()` before each; projection included): "
        + ", ".join(
            f"{r['actors']:,}: " + " / ".join(fmt(t) for t in r["report_cold_all_s"])
            for r in results["scale"]
        )
        + " s. "
        "Cached repeats are `figures.report(store)` served from `graph.store.cache` "
        f"({results['scale'][0]['repeats']} repeats; the embedded store keeps its version in "
        "memory, so the cache lookup is the cost; a remote store adds one query). "
        "Loading (not in the table, per size): "
        + ", ".join(
            f"{r['actors']:,}: {fmt(r['load_s'])} s for {r['triples']:,} triples"
            for r in results["scale"]
        )
        + "."
    )
    largest = max(results["scale"], key=lambda r: r["actors"])
    if largest.get("stages"):
        lines += ["", f"### Where a cold report on {largest['actors']:,} actors goes", ""]
        lines.append(
            "The report's steps timed one after the other (bench `stages()`; one run, so "
            "expect the run-to-run noise of this shared 2-core machine, about ±10%):"
        )
        lines.append("")
        lines.append("| step | s |")
        lines.append("|---|---:|")
        total = 0.0
        for name, seconds in largest["stages"].items():
            lines.append(f"| {name} | {seconds:.2f} |")
            total += seconds
        lines.append(f"| **total** | **{total:.2f}** |")
    targets = [r for r in results["scale"] if r["actors"] == 100_000]
    if targets:
        r = targets[0]
        met = "met" if r["report_cold_s"] < 30 else "**not met**"
        lines += [
            "",
            f"Targets of issue 5: full report on 100,000 actors under 30 s: {met} "
            f"({fmt(r['report_cold_s'])} s, of which the projection "
            f"{fmt(r['projection_s'])} s); cached repeats under 50 ms: "
            + ("met" if r["report_cached_max_ms"] < 50 else "**not met**")
            + f" ({r['report_cached_median_ms']:.3f} ms median).",
        ]
        if r["report_cold_s"] >= 30:
            lines.append("")
            lines.append(
                "The projection (two million SPARQL result values read into a networkx "
                "multigraph) and the pure-Python breadth-first searches of networkx behind "
                "betweenness, closeness, brokers and the condensation take most of it; see "
                "the breakdown above. A backend that runs those searches in compiled code "
                "(networkx dispatch to nx-cugraph on a GPU; nx-parallel 0.4 runs only the exact "
                "`betweenness_centrality` in parallel, below) or a projection that does not go "
                "through one Python object per SPARQL value would be needed for 30 s."
            )
    error = results.get("error")
    if error:
        lines += ["", f"### Sampled against exact at {error['actors']:,} actors", ""]
        ex = error["exact"]
        lines.append(
            f"Exact values on the report's simple view ({error['nodes']:,} nodes, "
            f"{error['ties']:,} ties): betweenness centralization {ex['betweenness']:.6f} "
            f"({fmt(error['exact_s']['betweenness'])} s), closeness centralization "
            f"(Wasserman–Faust) {ex['closeness']:.6f} ({fmt(error['exact_s']['closeness'])} s). "
            f"Errors are estimate − exact over seeds 0–{error['seeds'] - 1}; times are means "
            "per estimate. k is the sample the report picks at the sizes above."
        )
        lines.append("")
        lines.append(
            "| estimator | k | betweenness: RMS error (relative) | max abs error | time (s) "
            "| top-10 by betweenness found | closeness: RMS error | max abs error | time (s) |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in error["rows"]:
            eb, ec = row["errors"]["betweenness"], row["errors"]["closeness"]
            tb, tc = row["times"]["betweenness"], row["times"]["closeness"]
            name = (
                "stratified (ours)"
                if row["estimator"] == "stratified"
                else "uniform (networkx `k`)"
            )
            closeness = (
                f"{rms(ec):.5f} | {max(abs(e) for e in ec):.5f} | {statistics.mean(tc):.2f}"
                if ec
                else "— | — | —"
            )
            lines.append(
                f"| {name} | {row['k']} | {rms(eb):.6f} ({rms(eb) / ex['betweenness']:.1%}) "
                f"| {max(abs(e) for e in eb):.6f} | {statistics.mean(tb):.2f} "
                f"| {statistics.mean(row['top10_overlap']):.1f} / 10 | {closeness} |"
            )
    parallel = results.get("parallel")
    if parallel or results.get("parallel_note"):
        lines += ["", "### networkx backend dispatch: nx-parallel", ""]
    if parallel:
        p0 = parallel[0]
        lines.append(
            f"nx-parallel {p0['nx_parallel']} with networkx {p0['networkx']} on Python "
            f"{p0['python']} (n_jobs={p0['n_jobs']}, {p0['cpus']} CPUs), switched on by "
            '`use_backend("parallel")` (what `--nx-backend parallel` does: '
            '`nx.config.backend_priority.algos = ["parallel"]`) with no change to the code. '
            "Same process for both columns; dispatched calls counted in networkx's dispatcher."
        )
        lines.append("")
        lines.append(
            "| actors | report cold without (s) | with nx-parallel (s) | calls run by the backend |"
        )
        lines.append("|---:|---:|---:|---|")
        for r in parallel:
            calls = ", ".join(f"{k} ×{v}" for k, v in sorted(r["with_dispatched"].items()))
            lines.append(
                f"| {r['actors']:,} | {fmt(r['without_s'])} | {fmt(r['with_s'])} "
                f"| {calls or 'none'} |"
            )
    if parallel or results.get("parallel_note"):
        python = Path(results.get("parallel_python") or "/tmp/nxp/bin/python")
        lines += ["", PARALLEL_SETUP.format(venv=python.parent.parent)]
    if not parallel and results.get("parallel_note"):
        lines += ["", results["parallel_note"]]
    notes = results.get("notes")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Append the section to ``path``, or replace an earlier version of it; nothing else in
    the file changes."""
    replace_section(SECTION, section, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="actors, comma-separated")
    parser.add_argument("--repeats", type=int, default=20, help="cached report repeats")
    parser.add_argument("--cold-repeats", type=int, default=3, help="cold reports (median)")
    parser.add_argument("--error-size", type=int, default=10_000)
    parser.add_argument("--error-seeds", type=int, default=5)
    parser.add_argument("--no-error", action="store_true", help="skip sampled vs exact")
    parser.add_argument(
        "--parallel-python",
        help="a Python with nx-parallel installed and this project's dependencies "
        "(default: this one, if it has nx-parallel)",
    )
    parser.add_argument("--no-parallel", action="store_true", help="skip the nx-parallel runs")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "recruitgraph-metrics-bench",
        help="where the synthetic files are kept between runs",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per worker")
    parser.add_argument(
        "--render", type=Path, help="only render (and write) the figures of a --json file"
    )
    # Internal: one measurement in this process.
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        kind, *params = args.worker
        if kind == "scale":
            result = worker_scale(
                int(params[0]),
                args.data_dir,
                args.repeats,
                args.cold_repeats,
                breakdown=len(params) > 1 and params[1] == "breakdown",
            )
        elif kind == "error":
            ks = [int(k) for k in params[1].split(",")]
            result = worker_error(int(params[0]), args.data_dir, ks, args.error_seeds)
        elif kind == "parallel":
            result = worker_parallel(int(params[0]), args.data_dir)
        else:
            parser.error(f"unknown worker {kind}")
        args.result.write_text(json.dumps(result))
        return 0

    if args.render:
        saved = json.loads(args.render.read_text())
        section = render(saved["results"], saved["command"])
        print(section)
        if not args.no_write:
            write_section(args.out, section)
        return 0

    began = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",")]
    common = ["--data-dir", str(args.data_dir), "--repeats", str(args.repeats)]
    common += ["--cold-repeats", str(args.cold_repeats)]
    results: dict[str, Any] = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "scale": [],
    }
    print(f"{results['machine']}", flush=True)
    for actors in sizes:
        # The largest size also gets the breakdown of a cold report by step.
        what = ["scale", str(actors)] + (["breakdown"] if actors == max(sizes) else [])
        row = run_worker(sys.executable, [*what, *common], args.timeout)
        results["scale"].append(row)
        print(
            f"{actors:>7} actors: projection {fmt(row['projection_s'])} s, report cold "
            f"{fmt(row['report_cold_s'])} s, cached {row['report_cached_median_ms']:.3f} ms, "
            f"sample {row['sample']}, peak {row['peak_mib']:,.0f} MiB",
            flush=True,
        )

    if not args.no_error:
        ks = sorted({r["sample"] for r in results["scale"] if r["sample"]}, reverse=True)
        ks = ks or [64, 8]
        params = [str(args.error_size), ",".join(map(str, ks))]
        extra = ["--error-seeds", str(args.error_seeds)]
        results["error"] = run_worker(
            sys.executable, ["error", *params, *common, *extra], args.timeout
        )
        print(f"sampled vs exact at {args.error_size}: done", flush=True)

    if not args.no_parallel:
        python = args.parallel_python or sys.executable
        results["parallel_python"] = python
        if has_nx_parallel(python):
            results["parallel"] = [
                run_worker(python, ["parallel", str(actors), *common], args.timeout)
                for actors in sizes
            ]
            print("nx-parallel: done", flush=True)
        else:
            results["parallel_note"] = (
                f"Not measured: {python} cannot import nx_parallel (pass --parallel-python)."
            )
    results["total_s"] = time.perf_counter() - began

    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/metrics_bench.py"])
    if args.parallel_python:
        command += f" --parallel-python {shlex.quote(args.parallel_python)}"
    for flag in ("sizes", "repeats", "cold_repeats", "error_size", "error_seeds"):
        value = getattr(args, flag)
        default = parser.get_default(flag)
        if value != default:
            command += f" --{flag.replace('_', '-')} {value}"
    for flag in ("no_error", "no_parallel"):
        if getattr(args, flag):
            command += f" --{flag.replace('_', '-')}"
    section = render(results, command)
    print()
    print(section)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "command": command}, indent=2))
    if not args.no_write:
        write_section(args.out, section)
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
