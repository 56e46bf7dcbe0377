"""Where the question page's figures spend their time (issue 13, item 3): the server's warm-up
of ``/`` (``service.question_page_data`` for an anonymous reader without filters) in one
process, timed per phase (the projection, each chart, the page's bounding, its JSON).

Opens the store in ``--store`` (an on-disk store, e.g. one of bench/metrics_cache_rss.py
``--bulk``: work on a copy while a server may use it) or, without it, synthetic actors in an
in-memory store (``--actors``, ``--centralization``, ``--seed`` as ``recruitgraph synth``),
with ``--default`` the default dataset in memory; computes the page as the warm-up does, and prints CPU seconds (``time.process_time``) and
wall seconds per phase, with the load average before and after. ``--profile FILE`` also
writes cProfile's statistics of the whole computation; ``--dump FILE`` the page's data as
JSON (its keys in their order), to compare two checkouts byte for byte. Run from the repository root:

    .venv/bin/python bench/question_page_cpu.py --store /tmp/copy-of-100000 --profile q.prof
    .venv/bin/python bench/question_page_cpu.py --actors 10000 --dump page-10k.json
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.analysis.projection import ProjectionFilter  # noqa: E402
from graph.analysis.question import question  # noqa: E402
from graph.ingest import load_default_dataset, load_files  # noqa: E402
from graph.ingest.progress import Step  # noqa: E402
from graph.ingest.synth import write_synthetic  # noqa: E402
from graph.store import EmbeddedStore, Store  # noqa: E402
from graph.viz.question import page_data  # noqa: E402


def _store(args: argparse.Namespace) -> Store:
    if args.store:
        return EmbeddedStore(args.store)
    store = EmbeddedStore(None)
    if args.default:
        load_default_dataset(store)
        return store
    with tempfile.TemporaryDirectory() as work:
        synthetic = Path(work) / "synthetic.nt"
        write_synthetic(synthetic, args.actors, args.centralization, args.seed)
        load_files(store, [synthetic], "synthetic", synthetic=True)
    return store


def _filter(args: argparse.Namespace) -> ProjectionFilter:
    return ProjectionFilter(**json.loads(args.filter)) if args.filter else ProjectionFilter()


class _Phases:
    """CPU and wall seconds per phase, told by the page's progress (each chart's first step
    ends the phase before it)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self._phase = "start"
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    def mark(self, phase: str) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        self.rows.append((self._phase, cpu - self._cpu, wall - self._wall))
        self._phase, self._cpu, self._wall = phase, cpu, wall

    def __call__(self, step: Step) -> None:
        # a chart's first step (done 0 of the charts); "projecting the claims" before them
        if step.unit in ("charts", "rows") and step.phase != self._phase:
            self.mark(step.phase)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="an on-disk store (default: synthetic, in memory)")
    parser.add_argument("--default", action="store_true", help="the default dataset")
    parser.add_argument("--actors", type=int, default=10_000)
    parser.add_argument("--centralization", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--filter", help="the ProjectionFilter's fields as JSON")
    parser.add_argument("--profile", help="write cProfile's statistics here")
    parser.add_argument("--dump", help="write the page's data here (JSON)")
    args = parser.parse_args()

    store = _store(args)
    flt = _filter(args)
    print(f"load average before: {os.getloadavg()}", flush=True)
    phases = _Phases()
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    data: dict[str, Any] = question(store, flt, progress=phases)
    phases.mark("page_data")
    data = page_data(data)
    phases.mark("json")
    text = json.dumps(data, default=str)
    phases.mark("end")
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    print(f"load average after: {os.getloadavg()}")
    print(f"{'phase':<24} {'CPU s':>8} {'wall s':>8}")
    for name, cpu, wall in phases.rows[1:]:
        print(f"{name:<24} {cpu:8.2f} {wall:8.2f}")
    total = sum(cpu for _, cpu, _ in phases.rows[1:]), sum(w for *_, w in phases.rows[1:])
    print(f"{'total':<24} {total[0]:8.2f} {total[1]:8.2f}")
    print(f"page JSON: {len(text):,} bytes")
    if args.dump:
        Path(args.dump).write_text(text)


if __name__ == "__main__":
    main()
