"""What a remote store costs against the embedded one (issue 15, item 4).

The same synthetic dataset (``--actors``, about 34 triples each, written to an N-Triples file
by ``synth``) is loaded, validated, into each store, and then timed there, all in one run so
that the machine's load weighs on every side alike:

* ``embedded``: pyoxigraph's on-disk store in a temporary directory;
* ``oxigraph serve``: the same engine behind its HTTP server, loaded through its Graph Store
  endpoint (``/store``);
* ``Virtuoso 7``: Debian's server (``virtuoso-opensource-7-bin``) through ``/sparql-auth``
  (Digest), loaded through its Graph Store endpoint, results cut at 1,000,000 rows.

Timed: the validated load (``recruitgraph load``'s path: parse, validate, stage, switch), the
listing of the datasets' graphs (which every ``run_query`` without ``graphs`` does first), an
aggregate query and a lookup query over those graphs (medians of ``--repeats``), and a cold
metrics report (the projection and the figures). A remote store's opening (its probes) is timed too.
Run from the repository root:

    .venv/bin/python bench/remote.py --actors 2000

and it puts the table under its heading in bench/RESULTS.md (``--no-write`` to leave it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.merge import _drain, _median  # noqa: E402
from bench.results import replace_section  # noqa: E402
from graph.analysis import figures  # noqa: E402
from graph.analysis.projection import ProjectionFilter  # noqa: E402
from graph.ingest import load_files  # noqa: E402
from graph.ingest.synth import write_synthetic  # noqa: E402
from graph.sparql import run_query  # noqa: E402
from graph.store import EmbeddedStore, RemoteStore, Store  # noqa: E402
from graph.store.credentials import Credentials  # noqa: E402
from graph.store.stores import dataset_graphs  # noqa: E402
from tests.helpers import (  # noqa: E402
    BIN,
    VIRTUOSO_USER,
    free_port,
    start_virtuoso,
    stop,
    wait_for_http,
)

HEADING = "## Remote stores against the embedded one (issue 15, item 4)"
AGGREGATE = """SELECT ?payer (SUM(?amount) AS ?total) (COUNT(?flow) AS ?flows) WHERE {
  ?flow a rg:FundingFlow ; rg:from ?payer ; schema:amount ?amount } GROUP BY ?payer"""
LOOKUP = "SELECT ?label WHERE { ?actor rdfs:label ?label } LIMIT 20"


def _measure(open_store: Callable[[], Store], data: Path, repeats: int) -> dict[str, float]:
    started = time.perf_counter()
    store = open_store()
    opened = time.perf_counter() - started
    with store:
        if isinstance(store, RemoteStore):
            store.probe()
        started = time.perf_counter()
        load_files(store, [data], "synth", synthetic=True)
        loaded = time.perf_counter() - started
        listing = _median(lambda: dataset_graphs(store), repeats)
        graphs = dataset_graphs(store)
        aggregate = _median(lambda: _drain(run_query(store, AGGREGATE, graphs=graphs)), repeats)
        lookup = _median(lambda: _drain(run_query(store, LOOKUP, graphs=graphs)), repeats)
        started = time.perf_counter()
        figures.report(store, ProjectionFilter())
        report = time.perf_counter() - started
    return {
        "open": opened,
        "load": loaded,
        "graph listing": listing,
        "aggregate": aggregate,
        "lookup": lookup,
        "report": report,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="recruitgraph-remote-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        data = work / "synth.nt"
        write_synthetic(data, args.actors, 0.5, 1)
        triples = sum(1 for _ in data.open("rb"))
        port = free_port()
        executable = shutil.which("oxigraph", path=str(BIN)) or "oxigraph"
        oxigraph = subprocess.Popen(
            [executable, "serve", "--location", str(work / "ox"), "--bind",
             f"127.0.0.1:{port}", "--timeout-s", "60"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(oxigraph)
        wait_for_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", oxigraph)
        (work / "virtuoso").mkdir()
        virtuoso, base = start_virtuoso(work / "virtuoso", max_rows=1_000_000)
        processes.append(virtuoso)
        digest = Credentials(*VIRTUOSO_USER, scheme="digest")
        sides: dict[str, Callable[[], Store]] = {
            "embedded (on disk)": lambda: EmbeddedStore(work / "embedded"),
            "oxigraph serve": lambda: RemoteStore(f"http://127.0.0.1:{port}/query"),
            "Virtuoso 7": lambda: RemoteStore(f"{base}/sparql-auth", credentials=digest),
        }
        results = {name: _measure(opened, data, args.repeats) for name, opened in sides.items()}
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(work, ignore_errors=True)
    embedded = results["embedded (on disk)"]
    lines = [
        "| store | open (probes) | validated load | graph listing | aggregate | lookup "
        "| cold metrics report |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, figures_ in results.items():
        cells = [f"{figures_['open'] * 1000:.0f} ms"]
        for key in ("load", "graph listing", "aggregate", "lookup", "report"):
            ratio = figures_[key] / embedded[key]
            unit = (
                f"{figures_[key]:.2f} s" if figures_[key] >= 1 else f"{figures_[key] * 1000:.1f} ms"
            )
            cells.append(unit if name.startswith("embedded") else f"{unit} (×{ratio:.1f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    load = os.getloadavg()
    section = "\n".join(
        [
            HEADING,
            "",
            f"`.venv/bin/python bench/remote.py --actors {args.actors} --repeats {args.repeats}` "
            "on "
            f"{time.strftime('%Y-%m-%d')}, this machine (2 CPUs), load average "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; {args.actors:,} actors, "
            f"{triples:,} triples; queries: median of {args.repeats}; ratios against the "
            "embedded store in the same run. Each store on the same machine (loopback HTTP).",
            "",
            *lines,
            "",
        ]
    )
    print(section)
    if not args.no_write:
        replace_section(HEADING, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
