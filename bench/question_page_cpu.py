"""Where the question page's figures spend their time (issue 13, item 3): the server's warm-up
of ``/`` (``service.question_page_data`` for an anonymous reader without filters) in one
process, timed per phase (the projection, the one reading of its claims, each chart, the
page's bounding, its JSON).

Opens the store in ``--store`` (an on-disk store, e.g. one of bench/metrics_cache_rss.py
``--bulk``: work on a copy while a server may use it), or the default dataset in memory
(``--default``), or synthetic actors in memory (``--actors``, ``--centralization``,
``--seed`` as ``recruitgraph synth``); computes the page as the warm-up does (``--filter``:
a ProjectionFilter's fields as JSON), and prints CPU seconds (``time.process_time``, every
thread of the process) and wall seconds per phase, with the load average before and after.
``--profile FILE`` also writes cProfile's statistics of the whole computation; ``--dump
FILE`` the page's data as JSON (keys in their order), to compare two checkouts byte for byte.
Run from the repository root (with ``PYTHONPATH`` unset: the checkout the file is in is the
one measured):

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import graph.analysis.question as question_module  # noqa: E402
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
    """CPU and wall seconds per phase (summed where a phase comes back), told by the page's
    progress (each chart's first step ends the phase before it) and by :meth:`timing`."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}
        self.phase = "start"
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    def mark(self, phase: str) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        spent = self.seconds.setdefault(self.phase, [0.0, 0.0])
        spent[0] += cpu - self._cpu
        spent[1] += wall - self._wall
        self.phase, self._cpu, self._wall = phase, cpu, wall

    def __call__(self, step: Step) -> None:
        if step.unit == "charts" and step.phase != self.phase:
            self.mark(step.phase)

    def timing(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` with its calls counted as ``phase``, then back to the phase before."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            resumed = self.phase
            self.mark(phase)
            try:
                return function(*args, **kwargs)
            finally:
                self.mark(resumed)

        return timed


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
    # The projection (made in the first chart's part) and, where the code has it, the one
    # reading of its claims for every chart, as phases of their own.
    question_module.project = phases.timing("projection", question_module.project)
    if hasattr(question_module, "_Claims"):
        question_module._Claims = phases.timing("reading the claims", question_module._Claims)
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    data: dict[str, Any] = question(store, flt, progress=phases)
    phases.mark("page_data")  # (the phase "figures": the parts assembled)
    data = page_data(data)
    phases.mark("json")
    text = json.dumps(data, default=str)
    phases.mark("end")
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    print(f"load average after: {os.getloadavg()}")
    print(f"{'phase':<24} {'CPU s':>8} {'wall s':>8}")
    shown = {name: spent for name, spent in phases.seconds.items() if name != "start"}
    for name, (cpu, wall) in shown.items():
        print(f"{name:<24} {cpu:8.2f} {wall:8.2f}")
    total = sum(cpu for cpu, _ in shown.values()), sum(wall for _, wall in shown.values())
    print(f"{'total':<24} {total[0]:8.2f} {total[1]:8.2f}")
    print(f"page JSON: {len(text):,} bytes")
    if args.dump:
        Path(args.dump).write_text(text)


if __name__ == "__main__":
    main()
