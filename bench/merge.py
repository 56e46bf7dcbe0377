"""The default graph as an RDF merge (issue 14, item 1): what it costs.

A query's default graph is the RDF merge of the caller's datasets (graph.store.merge): where
datasets share triples, the smaller ones are replaced by their remainders. On an on-disk
store holding a synthetic dataset (``--actors``, written without validation: the queries are
measured, not the load) and the reference data, each query is timed (median of
``--repeats``) over:

* ``one dataset``: the synthetic dataset and the reference. The reference's description graph
  is in the store too, so the engine's union of every graph is not the caller's dataset; it
  stands for it where no pattern of the query can match a description (graph.sparql.union:
  the aggregate and the lookup), not for the count of every triple. ``as a list of its
  graphs``: the same query over the list of the two graphs, the path every such query took
  before graph.sparql.union; ``as the engine's union``: over that union, for its time;
* ``+ a disjoint dataset``: a second dataset sharing no triple (a list of three graphs);
* ``+ an overlapping dataset, merged``: a second dataset that restates 200 of the synthetic
  dataset's labels and adds 10 triples (the merge: a remainder graph, a list of graphs);
* ``+ an overlapping dataset, as a bag``: the same graphs given to the engine as a plain list
  (the answer before the merge, shared triples counted twice; for comparison only).

It also times the first query after the overlapping dataset is written (the plan: one ASK per
pair of graphs, a COUNT per graph, the remainder written). Run from the repository root:

    .venv/bin/python bench/merge.py --actors 10000

and it puts the table under its heading in bench/RESULTS.md (``--no-write`` to leave it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import replace_section  # noqa: E402
from graph.ingest.load import ensure_reference  # noqa: E402
from graph.ingest.synth import synthetic_triples  # noqa: E402
from graph.model.namespaces import PREFIXES, RDFS, dataset_iri  # noqa: E402
from graph.sparql import dataset_graphs, run_query  # noqa: E402
from graph.store import EmbeddedStore  # noqa: E402

HEADING = "## The default graph as an RDF merge (issue 14, item 1)"
QUERIES = {
    "aggregate (funding by payer label)": """
        SELECT ?payer (SUM(?amount) AS ?total) (COUNT(?flow) AS ?flows) WHERE {
          ?flow a rg:FundingFlow ; rg:from/rdfs:label ?payer ; schema:amount ?amount }
        GROUP BY ?payer""",
    "lookup (one actor's label)": "SELECT ?label WHERE { <ACTOR> rdfs:label ?label }",
    "count of every triple (may read a description)": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
}


def _interleaved(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """The median time of each of ``runs``, run in turn ``repeats`` times after one run each
    to warm up."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(spent) for name, spent in times.items()}


def _drain(result: object) -> int:
    return sum(1 for _ in result)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as directory:
        store = EmbeddedStore(directory)
        ensure_reference(store)
        synth = dataset_iri("synth")
        store.replace_graphs({synth: synthetic_triples(args.actors, 0.5, 1)})
        # Reopened: the engine's work after a load of this size (its compaction) went on
        # beside the first timings, which ran up to a fifth slower than the same later.
        store.close()
        store = EmbeddedStore(directory)
        labels = islice(
            (
                ox.Triple(q.subject, q.predicate, q.object)
                for q in store._store.quads_for_pattern(
                    None, ox.NamedNode(RDFS + "label"), None, ox.NamedNode(synth)
                )
            ),
            200,
        )
        actor = next(iter(store.statements(synth, RDFS + "label")))[0]
        new = [
            ox.Triple(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode(RDFS + "label"),
                      ox.Literal(f"new {i}"))
            for i in range(10)
        ]  # fmt: skip
        overlapping = [*labels, *new]
        triples = len(list(store._store.quads_for_pattern(None, None, None, ox.NamedNode(synth))))
        texts = {name: q.replace("ACTOR", actor) for name, q in QUERIES.items()}
        rows: dict[str, dict[str, float]] = {}

        def timed(config: str) -> None:
            graphs = dataset_graphs(store)
            for name, text in texts.items():
                rows.setdefault(name, {}).update(
                    _interleaved(
                        {config: lambda text=text: _drain(run_query(store, text, graphs=graphs))},
                        args.repeats,
                    )
                )

        graphs = dataset_graphs(store)
        listed: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
            ox.NamedNode(g) for g in graphs
        ]
        for name, text in texts.items():
            # Three ways to the same dataset, timed in turn (the store's own background work
            # after the load falls on all of them): the library's path (the union where no
            # pattern can match the reference's description), the list of its graphs (that
            # path before graph.sparql.union), and the engine's union (the union holds the
            # description too: for its time, not its answer).
            rows[name] = _interleaved(
                {
                    "one dataset": lambda text=text: _drain(run_query(store, text, graphs=graphs)),
                    "one dataset, as a list of its graphs": lambda text=text: _drain(
                        store._store.query(text, default_graph=listed, prefixes=dict(PREFIXES))
                    ),
                    "one dataset, as the engine's union": lambda text=text: _drain(
                        store._store.query(
                            text, use_default_graph_as_union=True, prefixes=dict(PREFIXES)
                        )
                    ),
                },
                args.repeats,
            )
        store.replace_graphs({dataset_iri("disjoint"): new})
        timed("+ a disjoint dataset")
        store.drop_graph(dataset_iri("disjoint"))
        store.replace_graphs({dataset_iri("overlapping"): overlapping})
        graphs = dataset_graphs(store)
        started = time.perf_counter()
        _drain(run_query(store, texts["lookup (one actor's label)"], graphs=graphs))
        plan = time.perf_counter() - started
        timed("+ an overlapping dataset, merged")
        for name, text in texts.items():

            def bag(text: str = text) -> int:
                plain = [ox.NamedNode(g) for g in graphs]
                return _drain(
                    store._store.query(text, default_graph=plain, prefixes=dict(PREFIXES))
                )

            rows[name].update(
                _interleaved({"+ an overlapping dataset, as a bag": bag}, args.repeats)
            )
        store.close()

    configs = list(next(iter(rows.values())))
    lines = [
        "| query | " + " | ".join(configs) + " |",
        "|---|" + "---:|" * len(configs),
    ]
    for name, times in rows.items():
        lines.append(
            f"| {name} | " + " | ".join(f"{times[c] * 1000:.2f} ms" for c in configs) + " |"
        )
    table = "\n".join(lines)
    note = (
        f"The synthetic dataset: {args.actors:,} actors, {triples:,} triples; the first query "
        f"after the overlapping dataset was written (its plan and remainder): {plan * 1000:.0f} ms."
    )
    print(table + "\n\n" + note)
    if not args.no_write:
        command = " ".join(["python", "bench/merge.py", *(argv or sys.argv[1:])])
        replace_section(
            HEADING,
            f"{HEADING}\n\nOne run, `{command}`, {time.strftime('%Y-%m-%d')}, this machine "
            f"(2 CPUs), an on-disk store, median of {args.repeats} runs per cell:\n\n"
            f"{table}\n\n{note}\n",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
