"""Side-by-side benchmark: recruitgraph's server, a bare ``oxigraph serve`` and rdflib-endpoint
answering the same SPARQL queries over the same synthetic data, driven by ``wrk``.

    python bench/run.py --actors 3000 --duration 10 --out bench/results-100k.json

Every server runs on 127.0.0.1 only; every run is bounded by --duration. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DATASET = "https://w3id.org/recruitgraph/dataset/synth"
PREFIXES = (
    "PREFIX rg: <https://w3id.org/recruitgraph/ontology#>\n"
    "PREFIX schema: <https://schema.org/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)
ACTOR_KINDS = ("Recruiter", "RegionalGovernment", "FederalBody", "ForeignGovernment")

# The query mixes. Each kind is *repeated*: the same texts again and again (500 lookups of
# different actors, 500 searches, or one text), as dashboards, the explorer and notebooks send
# them, where a cache of answers may serve them. ``<kind>-unique`` sends the same work with every
# request a text never sent before in the run (a comment numbers it), which no cache can serve.
# ``dashboard`` is the three repeated together, as a dashboard or notebook sends them: the 500
# lookups and 500 searches with the aggregate as every 50th query, in a fixed shuffled order.
LOOKUP = (
    PREFIXES + "SELECT ?claim ?type ?to ?start WHERE {{ ?claim rg:from <{actor}> ; a ?type ; "
    "rg:to ?to ; rg:start ?start }}"
)
SEARCH = (
    PREFIXES + "SELECT ?actor ?label WHERE {{ ?actor rdfs:label ?label FILTER(CONTAINS(LCASE("
    'STR(?label)), "{text}")) }} LIMIT 50'
)
AGGREGATE = (
    PREFIXES + "SELECT ?kind ?currency (SUM(?amount) AS ?total) (COUNT(?flow) AS ?flows) WHERE { "
    "?flow a rg:FundingFlow ; rg:from ?payer ; schema:amount ?amount ; schema:currency "
    "?currency . ?payer a ?kind } GROUP BY ?kind ?currency ORDER BY DESC(?total)"
)
TRIVIAL = "ASK {}"

# Each wrk thread has a Lua state of its own: thread i sends paths i, i + n, i + 2n, ... (n
# threads), so that no two threads send the same path at the same point of the cycle.
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local step = tonumber(os.getenv("WRK_THREADS"))
local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
local counter = 0
request = function()
  local index = (counter * step + offset) % #paths + 1
  counter = counter + 1
  return wrk.format("GET", paths[index], {["Accept"] = "application/sparql-results+json"})
end
"""
#: Requests per second no server here reaches: the number of unique texts a run needs.
MOST_RPS = 8000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@contextlib.contextmanager
def server(
    command: list[str], ready_url: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        wait_for(ready_url, process)
        yield process
    finally:
        # Only the process group this script started.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) so far of the processes in process group ``group``: a server
    and the processes it started (recruitgraph's engine)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == group:  # pgrp; then utime, stime at 11, 12 (in clock ticks)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def prepare(work: Path, actors: int, validate: bool) -> tuple[Path, Path, list[str]]:
    """Synthetic data → a recruitgraph store, and the same triples as one N-Triples file."""
    import pyoxigraph as ox

    from graph.ingest import dataset_contents, dataset_description, ensure_reference, load_files
    from graph.sparql import dataset_graphs
    from graph.store import EmbeddedStore

    source = work / "synth.nt"
    subprocess.run(
        [str(BIN / "recruitgraph"), "synth", "--actors", str(actors), "--centralization", "0.5",
         "--seed", "1", "--out", str(source)],
        check=True,
    )  # fmt: skip
    store_dir = work / "recruitgraph"
    started = time.monotonic()
    with EmbeddedStore(store_dir) as store:
        if validate:
            load_files(store, [source], "synth")
        else:
            # Large runs: the same named graph and description, without the SHACL pass.
            ensure_reference(store)
            triples = list(ox.parse(path=str(source), format=ox.RdfFormat.N_TRIPLES))
            description = dataset_description(
                "synth", checksum="sha256:bench", files=[source.name], synthetic=True,
                triples=len(triples), loaded_by="bench", model=True,
            )  # fmt: skip
            store.replace_graphs(dataset_contents(DATASET, triples, description))
        # oxigraph serve gets the datasets' quads (the same named graphs, queried as their
        # union), rdflib-endpoint their triples.
        union = work / "union.nt"
        quads = [q for g in dataset_graphs(store) for q in store.quads(g)]
        ox.serialize(quads, str(work / "datasets.nq"), format=ox.RdfFormat.N_QUADS)
        ox.serialize(
            (ox.Triple(q.subject, q.predicate, q.object) for q in quads),
            str(union),
            format=ox.RdfFormat.N_TRIPLES,
        )
        actors_found = [
            row["a"].value
            for row in store.query(
                "SELECT ?a WHERE { ?a a ?k . VALUES ?k { "
                + " ".join(f"<https://w3id.org/recruitgraph/ontology#{k}>" for k in ACTOR_KINDS)
                + " } }",
                default_graph=dataset_graphs(store),
            )
        ]
    print(f"loaded {source} into recruitgraph in {time.monotonic() - started:.1f} s", flush=True)
    return store_dir, union, actors_found


def oxigraph_store(work: Path) -> Path:
    """The datasets' quads in an on-disk Oxigraph store, for ``oxigraph serve``: loaded, then
    compacted (``oxigraph optimize``), as recruitgraph compacts its store after each load."""
    location = work / "oxigraph-quads"
    if not (location / "optimized").exists():
        shutil.rmtree(location, ignore_errors=True)
        for step in (["load", "--file", str(work / "datasets.nq")], ["optimize"]):
            subprocess.run(
                [str(BIN / "oxigraph"), step[0], "--location", str(location), *step[1:]],
                check=True,
                capture_output=True,
            )
        (location / "optimized").touch()
    return location


def engine_floor(location: Path, kinds: list[str], actors: list[str], seconds: float = 5) -> dict:
    """CPU time per query of pyoxigraph itself, in this process, one query at a time: the
    same on-disk quads, their union as the default graph, results written as SPARQL JSON.
    No server can spend less per request than this, plus its HTTP."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(location))
    floor = {}
    for kind in kinds:
        texts = query_texts(kind.removesuffix("-unique"), actors)
        count, cpu, started = 0, time.process_time(), time.monotonic()
        # The whole cycle of texts at least once, as wrk sends them.
        while count < len(texts) or time.monotonic() - started < seconds:
            result = store.query(texts[count % len(texts)], use_default_graph_as_union=True)
            result.serialize(format=ox.QueryResultsFormat.JSON)
            count += 1
        floor[kind] = round((time.process_time() - cpu) / count * 1e6)
        print(f"  pyoxigraph in-process  {kind:10} {floor[kind]} us cpu/query", flush=True)
    del store
    return floor


def _actors(union: Path) -> list[str]:
    """The actors in an N-Triples file (those ``prepare`` picks from the store)."""
    kinds = tuple(f"<https://w3id.org/recruitgraph/ontology#{k}> ." for k in ACTOR_KINDS)
    found = []
    with open(union, encoding="utf-8") as lines:
        for line in lines:
            if "22-rdf-syntax-ns#type>" in line and line.rstrip().endswith(kinds):
                found.append(line.split(" ", 1)[0][1:-1])
    return found


def query_paths(
    kind: str, route: str, actors: list[str], seconds: float = 0, run: str = ""
) -> list[str]:
    """The request paths that wrk cycles through for one kind of query; for a ``-unique``
    kind, enough for ``seconds`` of requests, each text marked with ``run`` (a name unique
    in the whole benchmark) and its number."""
    base, unique = kind.removesuffix("-unique"), kind.endswith("-unique")
    texts = query_texts(base, actors, int(seconds * MOST_RPS) if unique else 500)
    if unique:
        texts = [f"{text}\n# {run} {i}" for i, text in enumerate(texts)]
    return [f"{route}?query={quote(t, safe='')}" for t in texts]


def query_texts(kind: str, actors: list[str], count: int = 500) -> list[str]:
    """The queries of one kind, the same ones on every run (a fixed seed); ``count`` of them
    where they vary (lookups, searches), else the one text ``count`` times."""
    rng = random.Random(1)
    if kind == "lookup":
        texts = [LOOKUP.format(actor=rng.choice(actors)) for _ in range(count)]
    elif kind == "search":
        words = ["recruiter 1", "regional government", "federal body", "scheme 2", "recruiter 3"]
        texts = [
            SEARCH.format(text=rng.choice(words) + str(rng.randint(0, 9))) for _ in range(count)
        ]
    elif kind == "dashboard":
        texts = query_texts("lookup", actors, count) + query_texts("search", actors, count)
        texts += [AGGREGATE] * (len(texts) // 49)
        rng.shuffle(texts)
    elif kind == "aggregate":
        texts = [AGGREGATE] * count
    else:
        texts = [TRIVIAL] * count
    return texts


def run_wrk(base: str, paths: list[str], work: Path, duration: float, connections: int,
            threads: int) -> dict[str, Any]:  # fmt: skip
    script = work / "mix.lua"
    script.write_text(WRK_SCRIPT)
    listing = work / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, int(duration))}s",
        "--timeout", "120s", "--latency", "-s", str(script), base,
    ]  # fmt: skip
    output = subprocess.run(
        command, capture_output=True, text=True,
        env=dict(os.environ, WRK_PATHS=str(listing), WRK_THREADS=str(threads)),
        timeout=duration + 180, check=True,
    ).stdout  # fmt: skip
    return parse_wrk(output)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    result: dict[str, Any] = {"raw": output}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["rps"] = float(rps.group(1)) if rps else 0.0
    total = re.search(r"(\d+) requests in", output)
    result["requests"] = int(total.group(1)) if total else 0
    for pct in ("50", "99"):
        found = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{pct}_ms"] = _ms(found.group(1)) if found else None
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = int(bad.group(1)) if bad else 0
    timeouts = re.search(r"timeout (\d+)", output)
    result["timeouts"] = int(timeouts.group(1)) if timeouts else 0
    return result


def answer_cache(base: str) -> dict[str, int]:
    """recruitgraph's answer cache counts, from its /healthz."""
    counts: dict[str, int] = httpx.get(f"{base}/healthz", timeout=60).json()["answer_cache"]
    return counts


def hit_rate(before: dict[str, int], after: dict[str, int]) -> float | None:
    """The share of lookups the answer cache served between two of its counts."""
    hits = after["hits"] - before["hits"]
    asked = hits + after["misses"] - before["misses"]
    return round(hits / asked, 4) if asked else None


def aggregate_rows(base: str, route: str) -> list[tuple[str, str, str, str]]:
    response = httpx.get(
        f"{base}{route}",
        params={"query": AGGREGATE},
        headers={"Accept": "application/sparql-results+json"},
        timeout=600,
    )
    response.raise_for_status()
    rows = []
    for b in response.json()["results"]["bindings"]:
        rows.append(
            (b["kind"]["value"], b["currency"]["value"],
             str(Decimal(b["total"]["value"]).normalize()), b["flows"]["value"])
        )  # fmt: skip
    return sorted(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actors", type=int, default=3000, help="3000 ≈ 100k triples")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--slow-duration", type=float, default=20, help="seconds, rdflib-endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument(
        "--servers",
        default="recruitgraph,oxigraph,rdflib-endpoint",
        help="also: bare-http, bare-pyoxigraph, bare-engine (lower bounds for any Python "
        "server, the last one with a killable engine process; see bare_server.py)",
    )
    parser.add_argument(
        "--bare-workers", type=int, default=os.cpu_count() or 1, help="uvicorn workers, bare-*"
    )
    parser.add_argument("--queries", default="trivial,lookup,search,aggregate")
    parser.add_argument(
        "--rdflib-endpoint", default=shutil.which("rdflib-endpoint") or "rdflib-endpoint",
        help="the rdflib-endpoint executable (install it in a separate virtualenv)",
    )  # fmt: skip
    parser.add_argument("--no-validate", action="store_true", help="load without SHACL (1M)")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the data and stores a run left in --work"
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON results file")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 1
    work = args.work or Path(tempfile.mkdtemp(prefix="recruitgraph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    reusable = [work / "union.nt", work / "datasets.nq", work / "recruitgraph"]
    if args.reuse and all(path.exists() for path in reusable):
        store_dir, union = work / "recruitgraph", work / "union.nt"
        actors = _actors(union)
    else:
        store_dir, union, actors = prepare(work, args.actors, not args.no_validate)
    with open(union, "rb") as lines:
        triples = sum(1 for _ in lines)
    servers = args.servers.split(",")
    kinds = args.queries.split(",")
    results: dict[str, Any] = {
        "triples": triples,
        "actors": args.actors,
        "connections": args.connections,
        "wrk_threads": args.wrk_threads,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
        },
        "servers": {},
    }
    results["pyoxigraph_cpu_us_per_query"] = engine_floor(oxigraph_store(work), kinds, actors)
    endpoints: dict[str, tuple[str, str]] = {}
    groups: dict[str, int] = {}
    with contextlib.ExitStack() as running:
        for name in servers:
            port = free_port()
            env = None
            base = f"http://127.0.0.1:{port}"
            if name == "recruitgraph":
                command = [str(BIN / "recruitgraph"), "serve", "--data-dir", str(store_dir),
                           "--port", str(port), "--no-access-log",
                           "--max-rows", "1000000", "--no-warm"]  # fmt: skip
                route, ready = "/sparql", f"{base}/healthz"
            elif name == "oxigraph":
                location = oxigraph_store(work)
                command = [str(BIN / "oxigraph"), "serve", "--location", str(location),
                           "--bind", f"127.0.0.1:{port}", "--union-default-graph"]  # fmt: skip
                route, ready = "/query", f"{base}/query?query=ASK%7B%7D"
            elif name == "rdflib-endpoint":
                command = [args.rdflib_endpoint, "serve", str(union), "--host", "127.0.0.1",
                           "--port", str(port)]  # fmt: skip
                route, ready = "/", f"{base}/?query=ASK%7B%7D"
            elif name in ("bare-http", "bare-pyoxigraph", "bare-engine"):
                # Lower bounds, not servers: see bench/bare_server.py.
                command = [str(BIN / "uvicorn"), "bare_server:app", "--app-dir", str(HERE),
                           "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                           "--workers", str(args.bare_workers)]  # fmt: skip
                if name != "bare-http":
                    engine = {"BARE_ENGINE": "1"} if name == "bare-engine" else {}
                    env = dict(os.environ, BARE_STORE=str(oxigraph_store(work)), **engine)
                route, ready = "/", f"{base}/?query=ASK%7B%7D"
            else:
                raise SystemExit(f"unknown server {name}")
            print(f"starting {name} …", flush=True)
            process = running.enter_context(server(command, ready, work / f"{name}.log", env))
            endpoints[name] = (base, route)
            groups[name] = process.pid  # its own session, hence its own process group
        # The same work from each: the aggregate's answer must agree.
        answers = {
            name: aggregate_rows(base, route)
            for name, (base, route) in endpoints.items()
            if name != "bare-http"  # answers nothing
        }
        if len({json.dumps(rows) for rows in answers.values()}) != 1:
            raise SystemExit(f"the servers answer the aggregate differently: {answers}")
        # Rounds interleave the servers, so that a change in the machine's load over the run
        # falls on all of them; each figure is the median over the rounds.
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {
            n: {k: [] for k in kinds} for n in servers
        }
        for round_number in range(1, args.rounds + 1):
            for kind in kinds:
                for name, (base, route) in endpoints.items():
                    slow = name == "rdflib-endpoint"
                    duration = args.slow_duration if slow else args.duration
                    run = f"{round_number}-{name}"
                    if not slow:
                        warm = query_paths(kind, route, actors, 2, f"{run}-warm")
                        run_wrk(base, warm, work, 2, args.connections, args.wrk_threads)
                    paths = query_paths(kind, route, actors, duration, run)
                    cached = answer_cache(base) if name == "recruitgraph" else None
                    cpu = group_cpu_seconds(groups[name])
                    result = run_wrk(
                        base, paths, work, duration, args.connections, args.wrk_threads
                    )
                    cpu = group_cpu_seconds(groups[name]) - cpu
                    if cached is not None:
                        result["answer_cache_hit_rate"] = hit_rate(cached, answer_cache(base))
                    result["cpu_us_per_request"] = (
                        round(cpu / result["requests"] * 1e6) if result["requests"] else None
                    )
                    runs[name][kind].append({k: v for k, v in result.items() if k != "raw"})
                    hits = result.get("answer_cache_hit_rate")
                    print(f"  round {round_number} {name:16} {kind:16} {result['rps']:9.1f} req/s "
                          f" p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  cpu "
                          f"{result['cpu_us_per_request']} us/req  errors {result['errors']}"
                          + ("" if hits is None else f"  cache hits {hits:.0%}"),
                          flush=True)  # fmt: skip
        for name in servers:
            results["servers"][name] = {
                kind: {**_median(runs[name][kind]), "rounds": runs[name][kind]} for kind in kinds
            }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


def _median(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def middle(key: str) -> Any:
        values = sorted(r[key] for r in rounds if r.get(key) is not None)
        return values[len(values) // 2] if values else None

    return {
        "rps": middle("rps"),
        "answer_cache_hit_rate": middle("answer_cache_hit_rate"),
        "p50_ms": middle("p50_ms"),
        "p99_ms": middle("p99_ms"),
        "cpu_us_per_request": middle("cpu_us_per_request"),
        "errors": sum(r["errors"] for r in rounds),
        "timeouts": sum(r["timeouts"] for r in rounds),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
