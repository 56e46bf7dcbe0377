"""The landing page warmed in the background (issue 13, item 3): how long after start the
warm-up of `/` takes, `/` in a real browser after it, `/` opened while a warm-up runs (after a
write), and `/` on a server started with ``--no-warm``, all in one run over one store.

For a store of ``--actors`` synthetic actors (bench/viz_page.py ``build``; ``--stores`` keeps
it for a later run), one ``recruitgraph serve`` (warm-up on, its defaults otherwise):

1. the seconds from starting the command until ``/healthz`` answers, and until its ``warm``
   state is ``done``;
2. ``/`` in Debian's Chromium (bench/viz_page.py ``measure``): first paint, first cards, every
   chart drawn, page weight;
3. a write (an editor uploads a one-claim dataset), then at once ``/`` in Chromium while a
   thread polls ``/healthz``: when the page's charts are drawn against when the warm-up the
   write started ended (the page shows the figures of before the write, marked as such,
   kept on disk: drawn at once, before the warm-up ends; without them it joins the warm-up
   and is drawn when it ends, not later);
4. the server stopped and started again over the same store (no write in between): ``/``
   opened as soon as ``/healthz`` answers, its figures read from those the warm-up kept on
   disk (graph/store/disk_cache.py);

then a ``recruitgraph serve --no-warm`` over the same store and ``/`` opened as soon as it
answers (what a reader got before). Run from the repository root:

    .venv/bin/python bench/warm_page.py --actors 100000 --stores /tmp/warm

It prints its figures (``--no-write`` is the default: copy them into bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.viz_page import CHARTS_DRAWN, CHROMIUM, build, measure  # noqa: E402
from graph.store.disk_cache import DIRECTORY  # noqa: E402


def _warm_done(base: str, runs: int, timeout: float) -> tuple[float, dict[str, Any]]:
    """(perf_counter when the ``runs``-th warm-up was seen ended, its state)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        warm = httpx.get(f"{base}/healthz", timeout=60).json()["warm"]
        if warm["runs"] >= runs and warm["state"] in ("done", "failed"):
            return time.perf_counter(), warm
        time.sleep(0.25)
    raise TimeoutError(f"the warm-up did not end within {timeout:.0f} s")


def _page(figures: dict[str, Any]) -> str:
    def cell(key: str) -> str:
        value = figures.get(key)
        return "not drawn" if value is None else f"{value:.2f} s"

    return (
        f"first paint {cell('fcp_s')}, first cards {cell('first_s')}, every chart drawn "
        f"{cell('drawn_s')}, {figures['bytes'] / 1e6:.2f} MB"
    )


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=100000)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--stores", type=Path, help="keep the store here (data-<actors>)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the --no-warm server")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.helpers import REGIONS, ROLES, claims_csv, row, serving, start_server, stop

    print(f"load average {_load()} at the start, {time.strftime('%Y-%m-%d %H:%M:%S UTC')}")
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as work, sync_playwright() as p:
        work_dir = Path(work)
        data_dir = (args.stores or work_dir) / f"data-{args.actors}"
        built = time.perf_counter()
        what = build(data_dir, args.actors)
        print(f"{what}: store ready in {time.perf_counter() - built:.0f} s", flush=True)
        browser = p.chromium.launch(executable_path=CHROMIUM)

        # 1-3: the warm-up on (the default)
        started = time.perf_counter()
        with serving(data_dir, work_dir / "warm.log", roles=ROLES) as server:
            healthy = time.perf_counter() - started
            seen, warm = _warm_done(server.base, 1, args.timeout)
            print(
                f"serve: /healthz answered {healthy:.2f} s after start; warm-up "
                f"{warm['state']} {seen - started:.2f} s after start (its own {warm['seconds']} s)",
                flush=True,
            )
            after = measure(browser, f"{server.base}/", CHARTS_DRAWN, args.timeout)
            print(f"/ after the warm-up: {_page(after)}", flush=True)

            scheme = ("RecruitmentScheme", "Warm-up bench scheme", "")
            claim = row("warm1", "Operation", REGIONS[0], scheme, "2024-06-01")
            upload = claims_csv(work_dir / "one.csv", claim).read_bytes()
            with server.client("editor") as editor:
                wrote = time.perf_counter()
                response = editor.post(
                    "/api/datasets",
                    data={"name": "warm-bench", "access": "public"},
                    files={"file": ("one.csv", upload, "text/csv")},
                    timeout=args.timeout,
                )
                written = time.perf_counter()
                response.raise_for_status()
            ended: list[tuple[float, dict[str, Any]]] = []
            poller = threading.Thread(
                target=lambda: ended.append(_warm_done(server.base, 2, args.timeout))
            )
            poller.start()
            opened = time.perf_counter()
            during = measure(browser, f"{server.base}/", CHARTS_DRAWN, args.timeout)
            poller.join()
            warm_end, warm2 = ended[0]
            drawn = None if during["drawn_s"] is None else opened + during["drawn_s"]
            print(
                f"write: answered in {written - wrote:.2f} s; its warm-up {warm2['state']} "
                f"{warm_end - written:.2f} s after the write answered (its own "
                f"{warm2['seconds']} s)",
                flush=True,
            )
            shown = (
                "the figures of before the write, marked"
                if during.get("earlier")
                else "the figures of after the write"
            )
            print(f"/ opened at once after the write: {_page(during)} ({shown})", flush=True)
            if drawn is not None:
                print(
                    f"  every chart drawn {drawn - warm_end:+.2f} s from the warm-up's end "
                    "(as polled every 0.25 s)",
                    flush=True,
                )
        print(f"load average {_load()}", flush=True)

        # 4: a restart over the same store (no write since): the figures kept on disk
        kept = sum(f.stat().st_size for f in (data_dir / DIRECTORY).glob("question_page-*"))
        started = time.perf_counter()
        with serving(data_dir, work_dir / "restart.log", roles=ROLES) as server:
            healthy = time.perf_counter() - started
            opened = time.perf_counter()
            restarted = measure(browser, f"{server.base}/", CHARTS_DRAWN, args.timeout)
            seen, warm = _warm_done(server.base, 1, args.timeout)
            print(
                f"serve again (figures kept on disk: {kept / 1e6:.2f} MB): /healthz answered "
                f"{healthy:.2f} s after start; / opened then: {_page(restarted)}; its warm-up "
                f"{warm['state']} {seen - started:.2f} s after start (its own "
                f"{warm['seconds']} s; / opened {opened - started:.2f} s after start)",
                flush=True,
            )

        # the baseline: --no-warm, / opened as soon as the server answers
        if not args.no_baseline:
            started = time.perf_counter()
            cold = start_server(
                data_dir, work_dir / "cold.log", "--data-dir", str(data_dir), "--no-warm"
            )
            try:
                healthy = time.perf_counter() - started
                before = measure(browser, f"{cold.base}/", CHARTS_DRAWN, args.timeout)
                print(
                    f"serve --no-warm: /healthz answered {healthy:.2f} s after start; / opened "
                    f"then: {_page(before)}",
                    flush=True,
                )
            finally:
                stop(cold.process)
        browser.close()
    version = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"{version}; load average {_load()} at the end, {time.strftime('%H:%M:%S UTC')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
