"""Validated loads against pyoxigraph's own bulk load (issue 15, item 1).

For each size, ``recruitgraph synth`` writes one N-Triples file; then, each in a process of its
own (so that its VmHWM is that step's peak memory), on an on-disk store in a fresh directory:

* ``bulk_load``: pyoxigraph's ``Store.bulk_load`` of the file into one named graph, then
  ``optimize`` (no validation): the engine's own rate, the bar;
* ``load``: ``graph.ingest.load_files``, what ``recruitgraph load`` runs, with the time of
  each phase from its progress events: for N-Triples on an embedded store (the bulk path,
  :mod:`graph.ingest.bulk`) ``parse`` is the file parsed as one stream into the dataset's graph
  out of sight, given to the engine's bulk loader ``--chunk`` triples at a time, ``validate``
  the shapes compiled to SPARQL run there, ``write`` the description and ``commit`` the switch
  that makes it visible; the peak memory is also taken when each phase begins;
* ``validate``: the compiled validator alone on the parsed triples (up to ``--validator-max``
  triples: it holds them as Python objects, gigabytes at 10M), and ``pyshacl`` (the
  reference; up to ``--pyshacl-max`` triples, it takes minutes beyond).

The ratio is bulk_load's wall time over load's: 1.0 would be the engine's own rate. Run from the
repository root:

    .venv/bin/python bench/ingest.py --actors 3000,30000

(3000 actors are about 100k triples, 30000 about 1M, 300000 about 10M.) It prints one table
and, unless ``--no-write``, puts it with the command under "Validated loads against the
engine's bulk load" in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import replace_section  # noqa: E402

HEADING = "## Validated loads against the engine's bulk load (issue 15, item 1)"


def _peak_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _step(kind: str, path: str, chunk: int) -> dict[str, float]:
    """Run one step in this process; returns its figures."""
    sys.path.insert(0, str(ROOT))
    import pyoxigraph as ox

    from graph.ingest import load_files
    from graph.ingest.progress import Step
    from graph.ingest.validation import validate_graph, validate_triples
    from graph.model.rdfterms import rdflib_graph
    from graph.store import EmbeddedStore

    started = time.perf_counter()
    figures: dict[str, float] = {}
    # the engine may still be writing its files when a block ends: cleaned up at exit
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as directory:
        if kind == "bulk_load":
            store = ox.Store(directory)
            store.bulk_load(
                path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:x:g")
            )
            store.optimize()
            figures["triples"] = len(store)
            del store
        elif kind == "load":
            phases: dict[str, float] = {}

            def seen(step: Step) -> None:
                if step.phase not in phases:  # the peak so far, when each phase begins
                    figures[f"peak_before_{step.phase}"] = _peak_mb()
                phases.setdefault(step.phase, time.perf_counter() - started)

            EmbeddedStore.BULK_CHUNK = chunk
            with EmbeddedStore(Path(directory) / "store") as store:
                report = load_files(store, [path], "synth", progress=seen)
            figures["triples"] = report.triples
            ends = [*list(phases.values())[1:], time.perf_counter() - started]
            for (phase, begun), end in zip(phases.items(), ends, strict=True):
                figures[f"phase_{phase}"] = end - begun
        else:
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=path)]
            started = time.perf_counter()
            if kind == "validate":
                figures["problems"] = len(validate_triples(triples))
            else:
                figures["problems"] = len(validate_graph(rdflib_graph(triples)))
            figures["triples"] = len(triples)
    figures["wall"] = time.perf_counter() - started
    figures["rss_mb"] = _peak_mb()
    return figures


def _run(kind: str, path: Path, timeout: float, chunk: int) -> dict[str, float] | None:
    command = [sys.executable, __file__, "--step", kind, str(path), "--chunk", str(chunk)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", default="3000,30000")
    parser.add_argument("--pyshacl-max", type=int, default=200_000)
    parser.add_argument("--validator-max", type=int, default=2_000_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--chunk", type=int, default=200_000, help="quads per bulk write of the load (BULK_CHUNK)"
    )
    parser.add_argument("--step", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(_step(*args.step, args.chunk)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as directory:
        for actors in (int(a) for a in args.actors.split(",")):
            path = Path(directory) / f"synth-{actors}.nt"
            subprocess.run(
                [str(ROOT / ".venv/bin/recruitgraph"), "synth", "--actors", str(actors),
                 "--centralization", "0.5", "--seed", "1", "--out", str(path)],
                check=True, capture_output=True,
            )  # fmt: skip
            bulk = _run("bulk_load", path, args.timeout, args.chunk)
            load = _run("load", path, args.timeout, args.chunk)
            triples = int(bulk["triples"]) if bulk else 0
            compiled = triples <= args.validator_max
            validate = _run("validate", path, args.timeout, args.chunk) if compiled else None
            reference = (
                _run("pyshacl", path, args.timeout, args.chunk)
                if triples <= args.pyshacl_max
                else None
            )
            rows.append((actors, triples, bulk, load, validate, reference))
            print(json.dumps(rows[-1]), flush=True)
    table = _table(rows)
    print(table)
    if not args.no_write:
        _write(table, " ".join(["bench/ingest.py", *sys.argv[1:]]))
    return 0


def _table(rows: list) -> str:
    lines = [
        "| triples | bulk_load + optimize | `load` (validated) | ratio | parse (bulk load) / "
        "validate / write / commit | peak RSS (VmHWM) bulk / load (parse, to the end) | "
        "compiled validator | pyshacl |",
        "|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for _, triples, bulk, load, validate, reference in rows:
        phases = " / ".join(
            f"{load.get('phase_' + p, 0):.1f}" for p in ("parse", "validate", "write", "commit")
        )
        lines.append(
            f"| {triples:,} | {bulk['wall']:.1f} s | {load['wall']:.1f} s | "
            f"{bulk['wall'] / load['wall']:.3f}× | {phases} s | "
            f"{bulk['rss_mb']:,.0f} / {load.get('peak_before_validate', 0):,.0f}, "
            f"{load['rss_mb']:,.0f} MB | "
            + (f"{validate['wall']:.1f} s | " if validate else "not run | ")
            + (f"{reference['wall']:.1f} s" if reference else "not run")
            + " |"
        )
    return "\n".join(lines)


def _write(table: str, command: str) -> None:
    replace_section(
        HEADING,
        f"{HEADING}\n\nOne run, `{command}`, {time.strftime('%Y-%m-%d')}, this machine (2 CPUs), "
        f"each step in a fresh process on a fresh on-disk store:\n\n{table}\n",
    )


if __name__ == "__main__":
    sys.exit(main())
