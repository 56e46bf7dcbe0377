"""The analyst pages in a real browser: time to first paint, time until drawn, page weight and
overlapping captions (issue 13).

For each store — the shipped default dataset, and synthetic datasets of ``--actors`` actors
(written without the shapes pass: the pages are measured, not the load) — a ``recruitgraph
serve`` on a loopback port, and Debian's Chromium through Playwright (headless, a fresh
context per page, only 127.0.0.1 reachable) opening:

* ``/viz`` (the explorer) at 1440×900: first contentful paint, the time until the network is
  drawn (``body[data-ready=true]``), the bytes of every response the page loaded, the nodes
  drawn, and the number of pairs of caption boxes that overlap (``explorer.labelBoxes()``);
* past ``serve --aggregate-above`` actors, ``/viz`` draws groups of actors first (its
  aggregate view): drawn is then the time until the groups are, and the time until the links
  between them are (a job the page polls) is reported beside it; the page weight counts the
  links;
* ``/`` (the question page) at 1440×900: first contentful paint, the time until its first
  cards are drawn (the charts computed first; the others show their jobs' progress), the time
  until every chart holds its SVG, the bytes loaded (``--screenshots DIR``: the page when its
  first cards are drawn).

A page that is not drawn within ``--timeout`` seconds is reported as such. Run from the
repository root:

    .venv/bin/python bench/viz_page.py --actors 10000,100000

and it puts the table under its heading in bench/RESULTS.md (``--no-write`` to leave it).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import replace_section  # noqa: E402

HEADING = "## The analyst pages in a browser: first paint, drawn, weight, captions (issue 13)"
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1440, "height": 900}
CHARTS_DRAWN = """() => [...document.querySelectorAll('.plot')].length > 0 &&
    [...document.querySelectorAll('.plot')].every((p) => p.querySelector('svg'))"""
#: The question page's first cards: a chart drawn (the others may still be computed).
FIRST_CARDS = "[data-chart] .plot svg"
OVERLAPS = """() => {
    const boxes = window.explorer.labelBoxes();
    let pairs = 0;
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) pairs++;
      }
    return [boxes.length, pairs];
}"""


def build(data_dir: Path, actors: int | None) -> str:
    """A store in ``data_dir``: the default dataset (``actors`` None) or a synthetic one."""
    import pyoxigraph as ox

    from graph.ingest import (
        dataset_contents,
        dataset_description,
        ensure_reference,
        list_datasets,
    )
    from graph.ingest.load import load_default_dataset
    from graph.ingest.synth import synthetic_triples
    from graph.model.namespaces import dataset_iri
    from graph.store import EmbeddedStore

    with EmbeddedStore(data_dir) as store:
        # A store of --stores written by an earlier run, or by bench/metrics_bench.py
        # ``bulk_store`` (the fastest way to 100,000 actors), is used again as it is.
        synth = [info for info in list_datasets(store) if info.synthetic]
        if actors is None:
            if not any(info.name == "claims" for info in list_datasets(store)):
                load_default_dataset(store)
            return "the default dataset"
        if synth:
            return f"{actors:,} synthetic actors ({synth[0].triples:,} triples)"
        ensure_reference(store)
        triples: list[ox.Triple] = list(synthetic_triples(actors, 0.5, 1))
        description = dataset_description(
            "synth", checksum="sha256:bench", files=["synthetic"], synthetic=True,
            triples=len(triples), loaded_by="bench", model=True,
        )  # fmt: skip
        store.replace_graphs(dataset_contents(dataset_iri("synth"), triples, description))
        return f"{actors:,} synthetic actors ({len(triples):,} triples)"


def measure(
    browser: Any, url: str, drawn: str, timeout: float, shot: Path | None = None
) -> dict[str, Any]:
    """Open ``url`` in a fresh context; the figures of one page (``shot``: a screenshot of
    the question page when its first cards are drawn, of the aggregate view when its links
    are)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else route.abort()
        ),
    )
    page = context.new_page()
    weights: list[int] = []

    def count(response: Any) -> None:
        # a redirect or an aborted request has no body
        with contextlib.suppress(Exception):
            weights.append(len(response.body()))

    page.on("response", count)
    loads: list[str] = []
    page.on("load", lambda _: loads.append(page.url))
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        page.goto(url, timeout=timeout * 1000)
        deadline = started + timeout
        if drawn == CHARTS_DRAWN:
            page.wait_for_selector(FIRST_CARDS, timeout=timeout * 1000)
            figures["first_s"] = time.perf_counter() - started
            if shot is not None:
                page.screenshot(path=str(shot))
        while True:  # the question page may show its progress first, then load itself again
            left = max(1.0, deadline - time.perf_counter()) * 1000
            try:
                if drawn.startswith("()"):
                    page.wait_for_function(drawn, timeout=left)
                else:
                    page.wait_for_selector(drawn, timeout=left)
                break
            except Exception as error:
                if "context was destroyed" not in str(error) or time.perf_counter() > deadline:
                    raise
        figures["drawn_s"] = time.perf_counter() - started
        figures["reloaded"] = len(loads) > 1
        if drawn == CHARTS_DRAWN:  # the figures of before a write, marked as such
            figures["earlier"] = page.locator("#earlier").count() > 0
    except Exception as error:  # Playwright's TimeoutError: not drawn in time
        figures["drawn_s"] = None
        figures["error"] = type(error).__name__
    figures["fcp_s"] = page.evaluate(
        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
    )
    if figures["fcp_s"] is not None:
        figures["fcp_s"] /= 1000
    if drawn == "body[data-ready=true]" and figures["drawn_s"] is not None:
        figures["nodes"] = int(page.get_attribute("#stats", "data-nodes") or 0)
        if page.get_attribute("body", "data-view") == "groups":
            # The aggregate view: groups drawn first, the links between them when their job
            # ends (body[data-links]).
            figures["view"] = "groups"
            try:
                left = max(1.0, started + timeout - time.perf_counter()) * 1000
                page.wait_for_selector("body[data-links=true]", timeout=left)
                figures["links_s"] = time.perf_counter() - started
                figures["edges"] = int(page.get_attribute("#stats", "data-edges") or 0)
                if shot is not None:
                    page.screenshot(path=str(shot))
            except Exception:  # not within the time left
                figures["links_s"] = None
        else:
            page.wait_for_timeout(200)  # the captions of the first draw
            figures["captions"], figures["overlaps"] = page.evaluate(OVERLAPS)
    page.wait_for_timeout(500)  # responses still arriving are counted
    figures["bytes"] = sum(weights)
    context.close()
    return figures


def _cell(value: float | None, unit: str) -> str:
    return "not drawn" if value is None else f"{value:.2f} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", default="10000", help="synthetic sizes, comma-separated")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--pages",
        default="/viz,/",
        help="the pages measured, comma-separated (e.g. /viz,/viz?level=organization)",
    )
    parser.add_argument(
        "--screenshots",
        type=Path,
        help="where to keep screenshots: the question page when its first cards are drawn, "
        "the explorer's aggregate view when its links are",
    )
    parser.add_argument(
        "--stores",
        type=Path,
        help="keep the stores in this directory (data-<actors>) and use them again on a later "
        "run: 100,000 actors take minutes to write",
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.helpers import start_server, stop

    sizes: list[int | None] = [None, *(int(a) for a in args.actors.split(",") if a)]
    lines = [
        "| store | page | first paint | drawn | page weight | nodes drawn | captions "
        "(overlapping pairs) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as work, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        for size in sizes:
            data_dir = (args.stores or Path(work)) / f"data-{size}"
            built = time.perf_counter()
            what = build(data_dir, size)
            print(f"{what}: store written in {time.perf_counter() - built:.0f} s", flush=True)
            server = start_server(data_dir, Path(work) / f"server-{size}.log",
                                  "--data-dir", str(data_dir))  # fmt: skip
            try:
                for page in args.pages.split(","):
                    drawn = CHARTS_DRAWN if page == "/" else "body[data-ready=true]"
                    shot = None
                    if args.screenshots is not None:
                        name = "question" if page == "/" else page.strip("/").replace("?", "-")
                        shot = args.screenshots / f"{name}-{size or 'default'}.png"
                    f = measure(browser, server.base + page, drawn, args.timeout, shot)
                    row = (
                        f"| {what} | `{page}` | {_cell(f['fcp_s'], 's')} | "
                        f"{_cell(f['drawn_s'], 's')}"
                        + (" (after its progress)" if f.get("reloaded") else "")
                        + (f" (groups; links between them {_cell(f['links_s'], 's')})"
                           if f.get("view") == "groups" else "")
                        + (f" (first cards {_cell(f['first_s'], 's')})" if "first_s" in f else "")
                        + f" | {f['bytes'] / 1e6:.2f} MB | "
                        + (f"{f['nodes']:,} | {f['captions']} ({f['overlaps']})"
                           if "overlaps" in f else
                           f"{f['nodes']:,} groups and links | –" if "nodes" in f else "– | –")
                        + " |"
                    )  # fmt: skip
                    print(row, flush=True)
                    lines.append(row)
            finally:
                stop(server.process)
        browser.close()
    table = "\n".join(lines)
    if not args.no_write:
        command = " ".join(["python", "bench/viz_page.py", *(argv or sys.argv[1:])])
        version = subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        replace_section(
            HEADING,
            f"{HEADING}\n\nOne run, `{command}`, {time.strftime('%Y-%m-%d')}, this machine "
            f"(2 CPUs), {version} headless at 1440×900, each page in a fresh context, "
            f"a page not drawn within {args.timeout:.0f} s reported as such:\n\n{table}\n",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
