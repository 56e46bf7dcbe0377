"""The links between the groups of the explorer's aggregate view, computed two ways on one
store, one after the other (the same load): one ``GROUP BY`` over the kinds and places of both
parties of every claim (graph/viz/groups.py ``_grouped_links``, the way before), and one plain
query a relation type with a table of every actor's cell (``_every_link``, the way now, for the
view without a filter on claims). Both must give the same links. In-process, no cache:

    .venv/bin/python bench/groups_links.py STORE_DIR

(a store written by bench/viz_page.py ``--stores`` or bench/metrics_bench.py ``bulk_store``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    args = parser.parse_args(argv)
    from graph.analysis.projection import ProjectionFilter
    from graph.sparql import dataset_graphs
    from graph.store import EmbeddedStore
    from graph.viz import groups

    print(f"load average at the start: {os.getloadavg()[0]:.2f}", flush=True)
    with EmbeddedStore(args.store) as store:
        graphs = sorted(dataset_graphs(store))
        found = {}
        ways = {
            "GROUP BY": lambda: groups._grouped_links(store, graphs, ProjectionFilter(), {}),
            "cell table": lambda: groups._every_link(store, graphs, {}),
        }
        for name, way in ways.items():
            started = time.perf_counter()
            links = way()
            print(f"{name}: {time.perf_counter() - started:.2f} s, {len(links):,} links, "
                  f"{sum(link['claims'] for link in links):,} claims", flush=True)  # fmt: skip
            found[name] = {(ln["from"], ln["to"], ln["type"]): ln["claims"] for ln in links}
        same = found["GROUP BY"] == found["cell table"]
    print(f"the same links: {same}; load average at the end: {os.getloadavg()[0]:.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
