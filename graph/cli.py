"""The ``recruitgraph`` command line: a thin layer over the library.

Every command exits 0 on success and 1 on invalid input, with a message and never a traceback;
commands whose output is data take ``--format json``. Invalid input is a
:class:`~graph.errors.RecruitgraphError`; any other exception is a bug, said to be one (exit 1),
with its traceback left in a file.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import socket
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pyoxigraph as ox

from graph.errors import RecruitgraphError
from graph.ingest.progress import Progress, Snapshot, Throttle, Tracker
from graph.ingest.validation import Problem, ValidationError
from graph.model.ontology import concepts, confidence_levels, kinds
from graph.server.logs import FORMATS as LOG_FORMATS
from graph.sparql.update_size import MAX_UPDATE_TRIPLES
from graph.store import Store, default_data_dir, open_store
from graph.store.cache import DEFAULT_MAX_BYTES
from graph.store.export import EXPORT_KINDS, export_format
from graph.store.formats import Kind, by_suffix, formats


class UsageError(Exception):
    """Invalid arguments; exits 1 like any other invalid input."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\n(see {self.prog} --help)")


def _store_options() -> _Parser:
    options = _Parser(add_help=False)
    group = options.add_argument_group("store")
    group.add_argument(
        "--data-dir",
        type=Path,
        help="directory of the embedded store (default: $RECRUITGRAPH_DATA_DIR, else "
        f"{default_data_dir()})",
    )
    group.add_argument(
        "--store-url",
        help="use a remote SPARQL 1.1 query endpoint instead (e.g. an Oxigraph server's "
        "http://host:7878/query; its update endpoint is found beside it); default "
        "$RECRUITGRAPH_STORE_URL",
    )
    group.add_argument(
        "--store-credentials",
        type=Path,
        metavar="FILE",
        help="file of the remote store's user and password ('user = …', 'password = …', "
        "'auth = basic|digest' lines); default $RECRUITGRAPH_STORE_CREDENTIALS, else "
        "$RECRUITGRAPH_STORE_USER and $RECRUITGRAPH_STORE_PASSWORD (never on the command line)",
    )
    group.add_argument(
        "--store-graph-url",
        metavar="URL",
        help="the remote store's Graph Store Protocol endpoint, which takes loads in big "
        "requests (default: found beside the query endpoint for Oxigraph and Virtuoso; "
        "$RECRUITGRAPH_GRAPH_STORE_URL)",
    )
    return options


def _analytics_options() -> _Parser:
    """The option of the commands that run the analytics (in this process, or in the server's
    engine process)."""
    from graph.analysis.backends import ENVIRONMENT

    options = _Parser(add_help=False)
    group = options.add_argument_group("analytics")
    group.add_argument(
        "--nx-backend",
        metavar="NAME",
        help="the networkx backend that runs the analytics where it implements them (e.g. "
        "parallel: nx-parallel, cugraph: nx-cugraph; networkx: networkx's own code); one "
        f"that is not installed is refused (default ${ENVIRONMENT}, else networkx's own "
        "configuration; docs/analytics-backends.md)",
    )
    return options


def _port(text: str) -> int:
    """A TCP port to listen on: 1-65535 (argparse says why otherwise; uvicorn would wrap a
    larger number around to another port)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range: use 1-65535")
    return port


def _count(text: str) -> int:
    """A positive whole number."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is not positive")
    return number


def _seconds(text: str) -> float:
    """A number of seconds, 0 or more (argparse's type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    return value


def _size_mb(text: str) -> float:
    """A size in MiB, zero or more."""
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a size in MiB (0 or more)")
    return number


def _open(args: argparse.Namespace) -> Store:
    credentials = None
    if getattr(args, "store_credentials", None) is not None:
        from graph.store.credentials import Credentials

        credentials = Credentials.from_file(args.store_credentials)
    return open_store(
        args.data_dir,
        args.store_url,
        credentials=credentials,
        graph_store_url=getattr(args, "store_graph_url", None),
        server_timeout=getattr(args, "query_timeout", None),
    )


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


#: Seconds between two plain progress lines of one phase (stderr not a terminal).
PLAIN_PROGRESS_EVERY = 5.0


@contextlib.contextmanager
def _progress(label: str, args: argparse.Namespace) -> Iterator[Progress | None]:
    """The progress of a load or restore on stderr (stdout carries the reports): on a
    terminal a bar per phase with done/total, rate and ETA; elsewhere plain lines, at most
    one every :data:`PLAIN_PROGRESS_EVERY` seconds per phase and one at each phase's end;
    nothing with ``--quiet``."""
    if args.quiet:
        yield None
    elif sys.stderr.isatty():
        with _bars(label) as bars:
            yield bars
    else:

        def show(snapshot: Snapshot) -> None:
            print(snapshot.line(label), file=sys.stderr, flush=True)

        yield Throttle(Tracker(show), PLAIN_PROGRESS_EVERY)


@contextlib.contextmanager
def _bars(label: str) -> Iterator[Progress]:
    """Progress bars on the terminal of stderr, one per phase, drawn by rich."""
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn
    from rich.progress import Progress as Bars

    bars = Bars(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[amount]}"),
        TextColumn("{task.fields[speed]}"),
        TextColumn("{task.fields[remaining]}"),
        console=Console(stderr=True),
    )
    tasks: dict[str, Any] = {}

    def show(snapshot: Snapshot) -> None:
        fields: dict[str, Any] = {
            "amount": snapshot.amount(),
            "speed": snapshot.speed(),
            "remaining": snapshot.remaining(),
        }
        task = tasks.get(snapshot.phase)
        if task is None:
            description = f"{label}: {snapshot.phase}"
            task = tasks[snapshot.phase] = bars.add_task(description, total=None, **fields)
        total = snapshot.total
        if snapshot.finished and total is None:  # a step without a count: a full bar
            total = max(snapshot.done, 1)
        done = total if snapshot.finished else snapshot.done
        bars.update(task, completed=done, total=total, **fields)

    with bars:
        yield Tracker(show)


def cmd_load(args: argparse.Namespace) -> int:
    from graph.ingest import load_files

    with _open(args) as store, _progress(f"load {args.dataset}", args) as progress:
        report = load_files(
            store,
            args.paths,
            args.dataset,
            access=args.access,
            licence=args.licence,
            synthetic=args.synthetic,
            progress=progress,
            shapes=args.shapes,
        )
    if args.format == "json":
        _print_json(report.as_dict())
    else:
        verb = "replaced" if report.replaced else "loaded"
        marks = " (synthetic)" if report.synthetic else ""
        print(
            f"{verb} dataset {report.dataset}{marks}: {report.triples:,} triples from "
            f"{', '.join(report.files)} into {store.location} [{report.access}]"
        )
        if report.new_actors:
            # Parties no registry knows: named by the rules of version 1 until registered.
            print(f"{len(report.new_actors)} new actors (not in any actor registry):")
            for actor in report.new_actors:
                code = f" [{actor['code']}]" if actor["code"] else ""
                print(f"  {actor['kind']}: {actor['name']}{code}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from graph.ingest import restore

    with _open(args) as store, _progress("restore", args) as progress:
        report = restore(store, args.file, replace=args.replace, progress=progress)
    if args.format == "json":
        _print_json(report.as_dict())
    else:
        print(f"restored {len(report.datasets)} datasets from {args.file} into {store.location}:")
        for d in report.datasets:
            marks = [d["access"], *(["synthetic"] if d["synthetic"] else [])]
            verb = " (replaced)" if d["replaced"] else ""
            print(f"  {d['name']}{verb}: {d['triples']:,} triples [{', '.join(marks)}]")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from graph.ingest import validate_files

    problems = validate_files(args.paths)
    if args.format == "json":
        _print_json({"conforms": not problems, "problems": [p.as_dict() for p in problems]})
    elif problems:
        _print_problems(problems)
    else:
        print(f"valid: {', '.join(str(p) for p in args.paths)} would load")
    return 1 if problems else 0


def cmd_query(args: argparse.Namespace) -> int:
    from graph.sparql import format_table, result_rows, run_query, serialize_result

    if args.file is not None:
        try:
            text = Path(args.file).read_text("utf-8")
        except OSError as error:
            raise UsageError(f"cannot read {args.file}: {error.strerror}") from None
    elif args.sparql:
        text = args.sparql
    else:
        raise UsageError("give a SPARQL query, or --file FILE")
    with _open(args) as store:
        result = run_query(store, text)
        if args.format == "table":
            if isinstance(result, ox.QuerySolutions):
                print(format_table(*result_rows(result)))
            elif isinstance(result, ox.QueryBoolean):
                print("true" if bool(result) else "false")
            else:
                sys.stdout.write(serialize_result(result, "turtle").decode())
        else:
            sys.stdout.buffer.write(serialize_result(result, args.format))
            sys.stdout.flush()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from graph.analysis.queries import NotFound, export
    from graph.sparql import dataset_graphs

    fmt = args.format or _export_format_of(args.out)
    with _open(args) as store:
        try:
            count = export(
                store,
                dataset_graphs(store),
                args.out,
                fmt,
                datasets=args.dataset,
                filters=projection_filter(args),
            )
        except NotFound as error:
            raise UsageError(str(error)) from None
    what = "claims" if export_format(fmt).kind is Kind.NETWORK else "quads"
    print(f"wrote {count:,} {what} ({fmt}) to {args.out}", file=sys.stderr)
    return 0


def _export_format_of(out: str) -> str:
    """The export format a file name asks for by its suffix; N-Quads for a name without one.

    A suffix no export format has is refused rather than filled with N-Quads: ``dump.pdf``
    is a mistake, not a request."""
    suffix = Path(out).suffix
    if not suffix:
        return "nquads"
    found = by_suffix(suffix, *EXPORT_KINDS)
    if found is None:
        known = ", ".join(sorted({s for f in formats(*EXPORT_KINDS) for s in f.suffixes}))
        raise UsageError(
            f"no export format has the suffix {suffix}: use one of {known}, or --format"
        )
    return found.name


def cmd_datasets(args: argparse.Namespace) -> int:
    from graph.ingest import list_datasets
    from graph.sparql import format_table

    with _open(args) as store:
        infos = list_datasets(store)
    if args.format == "json":
        _print_json([i.as_dict() for i in infos])
    else:
        rows = [
            [
                i.name,
                f"{i.triples:,}",
                i.access,
                "yes" if i.synthetic else "no",
                i.created,
                ", ".join(i.files),
            ]
            for i in infos
        ]
        print(format_table(["dataset", "triples", "access", "synthetic", "loaded", "files"], rows))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from graph.ingest import delete_dataset
    from graph.model.namespaces import dataset_iri

    with _open(args) as store:
        if not delete_dataset(store, dataset_iri(args.dataset)):
            raise UsageError(f"no such dataset: {args.dataset}")
    print(f"deleted dataset {args.dataset}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from graph.ingest.synth import write_synthetic

    extra: dict[str, Any] = {}
    if args.centralization_end is not None:
        extra["centralization_end"] = args.centralization_end
    if args.start is not None:
        extra["start"] = args.start
    if args.end is not None:
        extra["end"] = args.end
    count = write_synthetic(args.out, args.actors, args.centralization, args.seed, **extra)
    print(f"wrote {count:,} synthetic triples to {args.out} (seed {args.seed})", file=sys.stderr)
    return 0


def projection_filter(args: argparse.Namespace) -> Any:
    """The projection filter given by the common filter options."""
    from graph.analysis.projection import ProjectionFilter

    return ProjectionFilter(
        start=getattr(args, "from_date", None),
        end=getattr(args, "to_date", None),
        relations=frozenset(args.relation) if args.relation else None,
        kinds=frozenset(args.kind) if args.kind else None,
        min_confidence=args.min_confidence,
        datasets=tuple(args.dataset) if args.dataset else None,
        aggregates=not args.no_aggregates,
        level=getattr(args, "level", "organization"),
        basis=None if getattr(args, "basis", "all") == "all" else args.basis,
    )


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def cmd_metrics(args: argparse.Namespace) -> int:
    from graph.analysis import figures
    from graph.sparql import format_table

    flt = projection_filter(args)
    with _open(args) as store:
        if args.compare:
            first, second = (figures.parse_period(p) for p in args.compare)
            rounds = figures.COMPARE_ROUNDS if args.rounds is None else args.rounds
            result = figures.compare(store, first, second, flt, rounds=rounds)
        elif args.window or args.step:
            result = figures.timeline(
                store, flt, window=args.window or "P12M", step=args.step or "P3M"
            )
        else:
            rounds = figures.COMPARE_ROUNDS if args.rounds is None else args.rounds
            result = figures.report(store, flt, top=args.top, rounds=rounds)
    if args.format == "json":
        _print_json(result)
        return 0
    if result["synthetic"]:
        print("SYNTHETIC DATA: some of the claims behind these figures are generated, not real.\n")
    if args.compare:
        _print_compare(result)
    elif args.window or args.step:
        keys = [
            "claims",
            "centralization_degree",
            "centralization_betweenness",
            "global_reaching_centrality",
            "burden_share_median",
            "federal_reach",
        ]
        rows = [[w["start"], w["end"], *(_number(w[k]) for k in keys)] for w in result["windows"]]
        print(format_table(["start", "end", *keys], rows))
    else:
        _print_report_figures(result, format_table)
        # Never summed across currencies or amount bases: totals for money paid out, the
        # median level for per-recruit amounts (and those of unknown basis).
        for currency, bases in result["funding_by_tier"].items():
            for basis, tiers in bases.items():
                what = "total" if basis == "total" else "median"
                paid = ", ".join(
                    f"{t} {_number(cell[what])} ({cell['claims']})"
                    for t, cell in tiers.items()
                    if t != "claims"
                )
                print(
                    f"\nfunding in {currency}, {basis} amounts, {what} by payer tier "
                    f"(claims): {paid or '-'}"
                )
        print("\nbrokers between federal bodies and recruiters:")
        for broker in result["brokers"] or [{"label": "(none)", "score": None}]:
            print(f"  {broker['label']}  {_number(broker['score'])}")
        print("\nactors by betweenness:")
        for actor in result["top_actors"]:
            who = f"{actor['label']} ({actor['kind']})"
            print(f"  {actor['rank']:>2}. {who}  {_number(actor['betweenness'])}")
        print(f"\ncomputed with networkx backend: {result['nx_backend']}")
    return 0


def _interval_text(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"[{low:.4f}, {high:.4f}]"


def _print_report_figures(result: dict[str, Any], format_table: Callable[..., str]) -> None:
    """Each figure with what it rests on, then the per-year tables that answer the question:
    the burden share per recruit, who operates and who pays, enforcement."""
    evidence = result.get("evidence") or {}
    rows = []
    for name, value in result["figures"].items():
        found = evidence.get(name)
        if found is None:
            rows.append([name, _number(value), "", "", "", ""])
            continue
        share = found["assessment_share"]
        rows.append(
            [
                name,
                _number(value),
                _interval_text(found["low"], found["high"]) + (" *" if found["degenerate"] else ""),
                found["method"],
                str(found["claims"]),
                "-" if share is None else f"{share:.2f}",
            ]
        )
    headers = ["figure", "value", "95% interval", "interval", "claims", "from assessments"]
    print(format_table(headers, rows))
    if evidence:
        print(
            "claims: the claims each figure is computed from; from assessments: the share of "
            "them that are experts' judgments rather than reports (see --basis report)."
        )
    print("\nburden share per recruit (regional level / regional + federal level in force):")
    burden = [
        [
            row["period"],
            str(row["n"]),
            _number(row["median"]),
            _interval_text(row["lower_quartile"], row["upper_quartile"]),
            str(len(row["claims"])),
            str(row["assessments"]),
        ]
        for row in result["burden_share"]
    ]
    print(format_table(["year", "regions", "median", "quartiles", "claims", "assessments"], burden))
    print("\nwho operates and who pays, claims (actors) per tier:")
    roles = []
    for row in result["roles"]:
        for role in ("operators", "payers"):
            cells = ", ".join(
                f"{tier} {cell['claims']} ({cell['actors']})" for tier, cell in row[role].items()
            )
            roles.append([row["period"], role, cells or "-"])
    print(format_table(["year", "role", "tier: claims (actors)"], roles))
    print("\nenforcement by foreign governments, per year:")
    enforcement = [
        [
            str(row["year"]),
            str(row["events"]),
            ", ".join(f"{a} {n}" for a, n in row["by_action"].items()) or "-",
            str(row["n_acting_countries"]),
            str(row["claims"]),
            _number(row["rate"]),
        ]
        for row in result["enforcement"]
    ]
    headers = ["year", "events", "by action", "acting countries", "claims about them", "rate"]
    print(format_table(headers, enforcement))


def _flips(flips: list[dict[str, Any]] | None) -> str:
    if flips is None:
        return "-"
    if not flips:
        return "none"
    ids = [str(f["claim_id"] or f["claim"]) for f in flips]
    return ", ".join(ids[:4]) + (f", … ({len(ids)})" if len(ids) > 4 else "")


def _print_compare(result: dict[str, Any]) -> None:
    """The table of ``metrics --compare``: each change with its sign, interval, p-values and
    what it rests on, for all claims and for reports only."""
    from graph.sparql import format_table

    a, b = result["first"], result["second"]
    level = f"{result['confidence']:.0%}"
    rows = []
    for basis, label in (("all", "all claims"), ("report", "reports only")):
        for row in result["changes"][basis]:
            interval = row["interval"]
            share = row["assessment_share"]
            rows.append(
                [
                    row["figure"],
                    label,
                    _number(row["first"]),
                    _number(row["second"]),
                    "-" if row["change"] is None else f"{row['change']:+.4f}",
                    "-"
                    if interval is None
                    else f"[{interval[0]:+.4f}, {interval[1]:+.4f}]"
                    + (" *" if any(row["degenerate"]) else ""),
                    "-" if row["p_value"] is None else f"{row['p_value']:.3f}",
                    "-" if row["p_adjusted"] is None else f"{row['p_adjusted']:.3f}",
                    "/".join(str(n) for n in row["claims"]),
                    "/".join("-" if s is None else f"{s:.2f}" for s in share),
                    _flips(row["flips"]),
                ]
            )
    columns = [
        "figure",
        "basis",
        f"{a['start']}..{a['end']}",
        f"{b['start']}..{b['end']}",
        "change",
        f"{level} interval",
        "p",
        "adj. p",
        "claims behind",
        "from assessments",
        "flips if one claim is left out",
    ]
    print(format_table(columns, rows))
    tested = {
        basis: sum(r["p_value"] is not None for r in found)
        for basis, found in result["changes"].items()
    }
    print(
        f"\nintervals: Wilson for proportions of counts and Newcombe for their change; otherwise a "
        f"percentile bootstrap over claims ({result['rounds']} resamples), or, where every "
        "resample agrees (marked *), the exact binomial bound on the share of claims that could "
        "disagree."
        f"\np: permutation test ({result['rounds']} deals); adj. p: Holm over the figures tested "
        f"together ({tested['all']} on all claims, {tested['report']} on reports only)."
        "\nclaims behind: the claims each side's figure is computed from (first/second); from "
        "assessments: the share of them that are experts' assessments rather than reports."
    )
    counts = f"{len(a['claims'])} and {len(b['claims'])}"
    print(f"\nclaims in each period: {counts} (--format json lists them with their sources)")


def _page_path(args: argparse.Namespace) -> Path:
    """``--out`` of a command that writes a page, refused before any work if its directory
    does not exist."""
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UsageError(f"no such directory for the page: {out.parent}")
    return out


def _write_page(
    write: Callable[..., object], out: Path, data: dict[str, Any], title: str | None
) -> None:
    """``write(out, data, title=title)``, an OSError said in one line."""
    try:
        write(out, data, title=title)
    except OSError as error:
        raise UsageError(f"cannot write {out}: {error.strerror or error}") from None


def cmd_viz(args: argparse.Namespace) -> int:
    from graph.viz import explorer_data, write_page

    flt = projection_filter(args)
    out = _page_path(args)
    with _open(args) as store:
        data = explorer_data(store, None, flt, window=args.window, step=args.step)
    _write_page(write_page, out, data, args.title)
    what = f"{len(data['nodes']):,} actors and {len(data['edges']):,} links"
    marker = " (SYNTHETIC data among them)" if data["synthetic"] else ""
    print(f"wrote the explorer page with {what}{marker} to {out}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from graph.analysis.question import question
    from graph.viz.question import write_question_page

    flt = projection_filter(args)
    out = _page_path(args)
    with _open(args) as store:
        data = question(store, flt)
    _write_page(write_question_page, out, data, args.title)
    drawn = sum(1 for chart in data["charts"].values() if chart["rows"])
    marker = " (SYNTHETIC data among them)" if data["synthetic"] else ""
    print(
        f"wrote the question page ({drawn} of {len(data['charts'])} charts, over "
        f"{data['claims']:,} claims{marker}) to {out}",
        file=sys.stderr,
    )
    return 0


def _print_actor(found: dict[str, Any]) -> None:
    """``actors show`` as text: names, place among organizations, claims, merges."""
    print(f"{found['id']}: {found['label']} ({found['kind']})")
    chain = " > ".join(p["id"] for p in found["parents"])
    merged = found["merged_into"]
    lines = [
        ("iri", found["iri"]),
        ("registered", "yes" if found["registered"] else "no (named by the rules of version 1)"),
        ("code", found["code"]),
        ("aliases", "; ".join(found["aliases"])),
        ("part of", chain),
        ("members", ", ".join(m["id"] for m in found["members"])),
        ("merged into", merged and f"{merged['survivor']['id']} ({merged['merge']})"),
        ("merged from", ", ".join(m["id"] for m in found["merged_from"])),
        ("note", found["note"]),
        (f"claims ({len(found['claim_ids'])})", ", ".join(found["claim_ids"])),
    ]
    for name, value in lines:
        print(f"  {name}: {value or '-'}")
    if found["merges"]:
        print("  merges:")
    for record in found["merges"]:
        undone = (
            f"; undone {record['undone']} by {record['undone_by'] or '?'}"
            if record["undone"]
            else " (in force)"
        )
        print(
            f"    {record['at']} {record['merged']['id']} -> {record['survivor']['id']} by "
            f"{record['by'] or '?'}: {record['reason'] or '-'}{undone}"
        )


def cmd_actors(args: argparse.Namespace) -> int:
    import getpass

    from graph.ingest import actors
    from graph.sparql import format_table

    with _open(args) as store:
        # Asked only when writing: a user name may be unknown where nothing is written.
        who = (getattr(args, "by", None) or getpass.getuser()) if args.action else ""
        if args.action == "show":
            result: Any = actors.actor(store, args.ref)
        elif args.action == "merge":
            result = actors.merge(store, args.actor, args.into, args.reason, who)
        elif args.action == "unmerge":
            result = actors.unmerge(store, args.actor, who, reason=args.reason)
        else:
            result = actors.actors(store, kind=args.kind, search=args.search)
    if args.format == "json":
        _print_json(result)
    elif args.action == "show":
        _print_actor(result)
    elif args.action in ("merge", "unmerge"):
        a, b = result["merged"], result["survivor"]
        verb = "merged" if args.action == "merge" else "undid the merge of"
        print(
            f"{verb} {a['id']} ({a['label']}) into {b['id']} ({b['label']}), by "
            f"{result['undone_by'] or result['by']}; record {result['merge']} in dataset "
            f"{result['dataset']}"
        )
    else:
        rows = [
            [
                a["id"],
                a["kind"],
                a["label"],
                a["code"] or "",
                a["part_of"] or "",
                str(a["claims"]),
                a["merged_into"]["survivor"]["id"] if a["merged_into"] else "",
            ]
            for a in result
        ]
        columns = ["id", "kind", "label", "code", "part of", "claims", "merged into"]
        print(format_table(columns, rows))
    return 0


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The options that select the claims of a projection."""
    group = parser.add_argument_group("which claims")
    group.add_argument("--from", dest="from_date", type=_date, help="period start (YYYY-MM-DD)")
    group.add_argument("--to", dest="to_date", type=_date, help="period end (YYYY-MM-DD)")
    group.add_argument("--relation", action="append", help="relation type (repeat)")
    # No choices for --kind: an unknown kind is answered by the projection's own message.
    group.add_argument(
        "--kind", action="append", help=f"kind of party (repeat): {', '.join(kinds())}"
    )
    group.add_argument("--min-confidence", choices=confidence_levels())
    group.add_argument(
        "--level",
        default="organization",
        help="organization (default): each registered actor a node; government: every actor "
        "rolled up along part_of to its top organization (every federal body to the center)",
    )
    group.add_argument(
        "--basis",
        choices=["report", "all"],
        default="all",
        help="report: only claims that report a fact; all (default): assessments too",
    )
    group.add_argument("--dataset", action="append", help="dataset name (repeat)")
    group.add_argument(
        "--no-aggregates",
        action="store_true",
        help='leave out claims about aggregates ("the regional governments")',
    )


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port``, before anything else starts: a port in use is
    one line and exit 1, not a server that starts its engine and then fails."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise UsageError(f"cannot listen on {host}: {error.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        # Listening at once holds the port (two bound sockets may share it until one
        # listens); connections made while the engine starts wait in the backlog.
        sock.listen(2048)
    except OSError as error:
        sock.close()
        reasons = {
            errno.EADDRINUSE: "it is in use (another server?): stop that, or choose another --port",
            errno.EACCES: "not allowed (ports below 1024 need privileges)",
            errno.EADDRNOTAVAIL: f"{host} is not an address of this machine",
        }
        reason = reasons.get(error.errno or 0, error.strerror or str(error))
        raise UsageError(f"cannot listen on {host} port {port}: {reason}") from None
    return sock


def _probe(store: Store) -> None:
    """Probe a remote store before serving it (StoreError, exit 1, where it cannot be served
    safely) and say what the probes found."""
    from graph.store import RemoteStore

    if isinstance(store, RemoteStore):
        for note in store.probe().notes:
            print(f"remote store: {note}", file=sys.stderr)


def _serve(store: Store, sock: socket.socket, args: argparse.Namespace) -> None:
    """Serve ``store`` on ``sock`` until SIGTERM or SIGINT (Ctrl-C): then the requests in
    flight are answered, the engine stops, and the command exits 0."""
    import uvicorn

    from api.app import Settings, create_app
    from graph.viz.groups import AGGREGATE_ABOVE

    settings = Settings(
        query_timeout=args.query_timeout,
        write_timeout=args.write_timeout,
        max_rows=args.max_rows,
        max_upload_bytes=int(args.max_upload_mb * 1024**2),
        max_update_triples=args.max_update_triples,
        anonymous=not args.no_anonymous,
        allow=tuple(args.allow_service or ()),
        edits_access=args.edits_access,
        threads=args.threads,
        analysis_threads=args.analysis_threads,
        heavy_threads=args.heavy_threads,
        answer_cache_bytes=int(args.answer_cache_mb * 1024**2),
        metrics_cache_bytes=int(args.metrics_cache_mb * 1024**2),
        page_wait=args.page_wait,
        warm=not args.no_warm,
        nx_backend=args.nx_backend,
        aggregate_above=AGGREGATE_ABOVE if args.aggregate_above is None else args.aggregate_above,
        data_dir=args.data_dir,
    )
    # Uvicorn logs through our handler (log_config=None); the request log is api.app's.
    config = uvicorn.Config(
        create_app(store, settings), log_config=None, log_level="info", access_log=False
    )
    # Uvicorn shuts down on SIGTERM/SIGINT and then raises the signal again under the
    # handler that was there before it: this one, which does nothing, so that a stop asked
    # for exits 0 (as systemd expects of a service it stops).
    before = {s: signal.signal(s, lambda *_: None) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def _start_logging(args: argparse.Namespace) -> None:
    """The server's log on stderr in ``--log-format`` (see :mod:`graph.server.logs`)."""
    import logging

    from graph.server import logs

    logs.configure(args.log_format)
    if args.no_access_log:
        logging.getLogger("recruitgraph.access").setLevel(logging.WARNING)


def cmd_token(args: argparse.Namespace) -> int:
    from graph.server.auth import TokenStore

    tokens = TokenStore(args.data_dir or default_data_dir())
    if args.action == "create":
        token = tokens.create(args.role, args.name, args.grant or ())
        print(token)
        article = "an" if args.role[0] in "aeiou" else "a"
        print(
            f"created {article} {args.role} token; it is shown only this once (only its hash "
            f"is kept in {tokens.path})",
            file=sys.stderr,
        )
    elif args.action == "list":
        records = [r.public() for r in tokens.records()]
        if args.format == "json":
            _print_json(records)
        else:
            from graph.sparql import format_table

            columns = ["id", "name", "role", "grants", "created", "revoked"]
            rows = [
                [", ".join(r[c]) if c == "grants" else r[c] or "" for c in columns] for r in records
            ]
            print(format_table(columns, rows))
    else:
        revoked = tokens.revoke(args.key)
        if not revoked:
            raise UsageError(f"no active token with id or name {args.key!r}")
        names = ", ".join(f"{r.id} ({r.name})" for r in revoked)
        print(f"revoked {len(revoked)} token{'s' if len(revoked) != 1 else ''}: {names}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    sock = _listen(args.host, args.port)
    with sock, _open(args) as store:
        _start_logging(args)
        _probe(store)
        print(f"serving {store.kind} store {store.location} at http://{args.host}:{args.port}/")
        _serve(store, sock, args)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from graph.ingest import DEFAULT_DATASET, list_datasets, load_default_dataset

    sock = _listen(args.host, args.port)
    with sock, _open(args) as store:
        _probe(store)
        with _progress(f"load {DEFAULT_DATASET}", args) as progress:
            reports = load_default_dataset(store, progress=progress)
        for report in reports:
            files = ", ".join(report.files)
            print(f"loaded dataset {report.dataset}: {report.triples:,} triples ({files})")
        total = sum(i.triples for i in list_datasets(store))
        base = f"http://{args.host}:{args.port}"
        print(
            f"\nstore: {store.location} ({total:,} triples in all)\n"
            f"open {base}/ for the question page, {base}/viz to explore the network, "
            f"{base}/sparql to query with SPARQL, "
            f"{base}/docs for the JSON API; Ctrl-C stops the server\n",
            flush=True,
        )
        _start_logging(args)
        _serve(store, sock, args)
    return 0


def _date(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _Parser(
        prog="recruitgraph",
        description="A knowledge graph of state-run foreign recruitment and the money behind it.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    store = _store_options()
    analytics = _analytics_options()
    fmt: dict[str, Any] = {
        "choices": ["table", "json"],
        "default": "table",
        "help": "output format",
    }

    p = sub.add_parser("load", parents=[store], help="validate files and load them as one dataset")
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help=f"{', '.join(f.title for f in formats(Kind.GRAPH))} or claims CSV files",
    )
    p.add_argument("--dataset", required=True, help="dataset name; an existing one is replaced")
    p.add_argument("--access", choices=sorted(concepts("AccessLevelScheme")), default="public")
    p.add_argument("--licence", help="licence of the data, recorded in the dataset description")
    p.add_argument("--synthetic", action="store_true", help="mark the dataset as synthetic")
    p.add_argument(
        "--no-shapes",
        dest="shapes",
        action="store_false",
        help="load RDF that does not use the recruitment vocabulary without checking it "
        "against the shapes (claims CSV and data using rg: are always checked)",
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress on stderr (parse, validate, write)"
    )
    p.add_argument("--format", **fmt)
    p.set_defaults(run=cmd_load)

    p = sub.add_parser(
        "restore",
        parents=[store],
        help="bring back every dataset of an export, with its access level, licence and flags",
        description="Restore the datasets of a file written by `recruitgraph export` (N-Quads, "
        "TriG or JSON-LD) as they were: each in its named graph with its description (access "
        "level, licence, synthetic, provenance). The file is checked as a load is, then every "
        "dataset is written in one transaction: all of them or none. Datasets the store already "
        "has are refused unless --replace; the store's other datasets are left as they are.",
    )
    p.add_argument("file", metavar="FILE", help="the export (.nq, .trig or .jsonld)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace the datasets of the export that the store already has",
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress on stderr (parse, validate, write)"
    )
    p.add_argument("--format", **fmt)
    p.set_defaults(run=cmd_restore)

    # validate and synth open no store; they take the store options all the same, so that
    # scripts can pass the same options to every command.
    p = sub.add_parser(
        "validate", parents=[store], help="check files against the shapes; writes nothing"
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", **fmt)
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("query", parents=[store], help="run a SPARQL query over the datasets")
    p.add_argument("sparql", nargs="?", help="the query text")
    p.add_argument("--file", help="read the query from this file")
    p.add_argument(
        "--format",
        choices=["table", *(f.name for f in formats(Kind.RESULTS, Kind.GRAPH))],
        default="table",
        help="table, a SPARQL results format (SELECT, ASK) or an RDF format (CONSTRUCT)",
    )
    p.set_defaults(run=cmd_query)

    p = sub.add_parser(
        "export",
        parents=[store],
        help="write the datasets as RDF, or the claims network for network tools",
        description="Write the datasets (all, or those given with --dataset) as RDF, keeping "
        "each in its named graph where the format can (N-Quads, TriG, JSON-LD), or the claims "
        "network that passes the filters as GraphML, GEXF or a CSV edge list. The file is "
        "written whole or not at all.",
    )
    p.add_argument(
        "--format",
        choices=[f.name for f in formats(*EXPORT_KINDS)],
        help="default: by the suffix of --out (.nq, .trig, .ttl, .gexf, .csv…), else nquads",
    )
    p.add_argument("--out", required=True, help="output file")
    add_filter_options(p)
    p.set_defaults(run=cmd_export)

    p = sub.add_parser(
        "metrics",
        parents=[store, analytics],
        help="how centralized the network is, who pays, and the trend",
    )
    add_filter_options(p)
    p.add_argument("--window", help="timeline: window length as ISO 8601 duration (e.g. P12M)")
    p.add_argument("--step", help="timeline: step between windows (e.g. P3M)")
    p.add_argument(
        "--compare",
        nargs=2,
        metavar="PERIOD",
        help="compare two periods: 2024, 2024-07 or 2024-01-01/2024-06-30",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="bootstrap resamples of the intervals, and permutation deals of --compare "
        "(default: the library's, graph.analysis.figures.COMPARE_ROUNDS)",
    )
    p.add_argument("--top", type=int, default=10, help="rows of the broker and actor tables")
    p.add_argument("--format", **fmt)
    p.set_defaults(run=cmd_metrics)

    p = sub.add_parser(
        "viz",
        parents=[store, analytics],
        help="write the explorer page (network, filters, timeline) as one file",
    )
    add_filter_options(p)
    p.add_argument("--out", required=True, help="the HTML file to write (opens offline)")
    p.add_argument("--window", default="P12M", help="timeline window, ISO 8601 (default P12M)")
    p.add_argument("--step", default="P3M", help="timeline step, ISO 8601 (default P3M)")
    p.add_argument("--title", default="recruitgraph explorer", help="the page's title")
    p.set_defaults(run=cmd_viz)

    p = sub.add_parser(
        "report",
        parents=[store, analytics],
        help="write the question page (center or provinces, and is it shifting?) as one file",
    )
    add_filter_options(p)
    p.add_argument("--out", required=True, help="the HTML file to write (opens offline)")
    p.add_argument("--title", default="recruitgraph: center or provinces?", help="the page's title")
    p.set_defaults(run=cmd_report)

    _add_actors_parser(sub, store)

    p = sub.add_parser("datasets", parents=[store], help="list the datasets in the store")
    p.add_argument("--format", **fmt)
    p.set_defaults(run=cmd_datasets)

    p = sub.add_parser("delete", parents=[store], help="delete a dataset")
    p.add_argument("dataset")
    p.set_defaults(run=cmd_delete)

    p = sub.add_parser(
        "synth", parents=[store], help="generate a synthetic recruitment network (marked synthetic)"
    )
    p.add_argument("--actors", type=int, required=True, help="number of actors and schemes")
    p.add_argument(
        "--centralization",
        type=float,
        required=True,
        help="planted centralization, 0 (independent provinces) to 1 (federal star)",
    )
    p.add_argument(
        "--centralization-end",
        type=float,
        help="if given, centralization moves linearly to this value over the period",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=_date, help="first date of the period (YYYY-MM-DD)")
    p.add_argument("--end", type=_date, help="last date of the period (YYYY-MM-DD)")
    p.add_argument("--out", required=True, help="output file: .nt or .ttl")
    p.set_defaults(run=cmd_synth)

    for name, helptext, runner in (
        ("serve", "serve the HTTP API over the store", cmd_serve),
        ("demo", "load the default dataset and serve it", cmd_demo),
    ):
        p = sub.add_parser(name, parents=[store, analytics], help=helptext)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=_port, default=8000, help="TCP port, 1-65535")
        if name == "demo":
            p.add_argument("--quiet", action="store_true", help="no progress of the load on stderr")
        limits = p.add_argument_group("limits and access")
        limits.add_argument(
            "--query-timeout",
            type=float,
            default=30.0,
            metavar="SECONDS",
            help="stop a query after this long (default 30)",
        )
        limits.add_argument(
            "--write-timeout",
            type=float,
            default=600.0,
            metavar="SECONDS",
            help="stop an upload or update after this long (default 600)",
        )
        limits.add_argument(
            "--max-rows", type=int, default=100_000, help="most rows in a SPARQL result"
        )
        limits.add_argument(
            "--max-upload-mb", type=float, default=64.0, help="largest request body in MiB"
        )
        limits.add_argument(
            "--max-update-triples",
            type=_count,
            default=MAX_UPDATE_TRIPLES,
            help=f"most triples a SPARQL update may delete and insert "
            f"(default {MAX_UPDATE_TRIPLES})",
        )
        limits.add_argument(
            "--no-anonymous",
            action="store_true",
            help="refuse requests without a token (default: anonymous read of public datasets)",
        )
        limits.add_argument(
            "--allow-service",
            action="append",
            metavar="IRI",
            help="let SPARQL SERVICE/LOAD reach this IRI (one ending in / covers those under "
            "it); repeat",
        )
        limits.add_argument(
            "--edits-access",
            choices=sorted(concepts("AccessLevelScheme")),
            default="public",
            help="access level of the edits dataset, which writes to the default graph create "
            "(default public)",
        )
        limits.add_argument(
            "--threads", type=int, default=4, help="cheap reads (SPARQL, lookups) run at once"
        )
        limits.add_argument(
            "--analysis-threads",
            type=int,
            default=2,
            help="metrics, explorer, report and path computations run at once (they hold "
            "Python's GIL: keep it low)",
        )
        limits.add_argument(
            "--heavy-threads",
            type=int,
            default=4,
            help="queries running past 0.5 s at once, beside --threads (more wait), so that "
            "long queries never hold the slots of cheap ones",
        )
        limits.add_argument(
            "--page-wait",
            type=_seconds,
            default=2.0,
            metavar="SECONDS",
            help="how long the question page waits for its figures before it answers with "
            "their progress and polls them (default 2)",
        )
        limits.add_argument(
            "--no-warm",
            action="store_true",
            help="do not compute the landing page (/) for anonymous readers in the background "
            "at start and after every write (default: warm it, so that a reader arriving "
            "after the warm-up gets the whole page at once; /healthz shows its state)",
        )
        limits.add_argument(
            "--aggregate-above",
            type=int,
            metavar="ACTORS",
            help="past this many actors the explorer (/viz) draws groups of actors first, "
            "opened on demand (default: graph.viz.groups.AGGREGATE_ABOVE)",
        )
        limits.add_argument(
            "--answer-cache-mb",
            type=_size_mb,
            default=64.0,
            help="MiB of whole answers (SPARQL results) kept for callers who ask the same "
            "again, until the next write (default 64; 0: off; always off for --store-url)",
        )
        limits.add_argument(
            "--metrics-cache-mb",
            type=_size_mb,
            default=DEFAULT_MAX_BYTES / 1024**2,
            help="MiB of derived results (projections, reports, explorer data) the engine "
            "keeps until the next write, least recently used out first; a larger one is "
            "computed and not kept (default 512; 0: none kept; one projection of 100,000 "
            "actors holds about 260 MiB)",
        )
        limits.add_argument("--no-access-log", action="store_true", help="do not log every request")
        limits.add_argument(
            "--log-format",
            choices=LOG_FORMATS,
            help="json: one JSON object per line; text: for a person (default: text on a "
            "terminal, else json)",
        )
        p.set_defaults(run=runner)

    tokens = _Parser(add_help=False)
    tokens.add_argument(
        "--data-dir",
        type=Path,
        help="where tokens.json lives: the store's data directory (default: "
        "$RECRUITGRAPH_DATA_DIR, else the per-user data directory)",
    )
    p = sub.add_parser("token", help="create, list and revoke the HTTP API's access tokens")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    create = actions.add_parser("create", parents=[tokens], help="create a token; print it once")
    create.add_argument("--role", choices=["reader", "editor", "admin"], required=True)
    create.add_argument("--name", help="a name to recognise it by")
    create.add_argument(
        "--grant",
        action="append",
        metavar="DATASET",
        help="a restricted dataset this token may read (repeat; * for all)",
    )
    listing = actions.add_parser("list", parents=[tokens], help="list the tokens, not secrets")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    revoke = actions.add_parser("revoke", parents=[tokens], help="revoke tokens by id or name")
    revoke.add_argument("key", metavar="ID_OR_NAME")
    p.set_defaults(run=cmd_token)
    return parser


def _add_actors_parser(sub: Any, store: argparse.ArgumentParser) -> None:
    """``actors`` (the list) and its actions ``show``, ``merge`` and ``unmerge``."""
    p = sub.add_parser(
        "actors",
        parents=[store],
        help="list and show actors; merge two names of one actor, or undo a merge",
        description="Without an action: list the actors (registered ones and parties no "
        "registry knows) with the claims naming each and the merge in force. A merge is "
        "recorded (who, when, why) in the dataset 'merges'; claims are never rewritten, and "
        "every figure, page and export follows the merges in force.",
    )
    p.add_argument("--kind", help=f"only actors of this kind: {', '.join(kinds())}")
    p.add_argument("--search", help="only actors whose id, label or an alias holds this text")
    p.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    p.set_defaults(run=cmd_actors, action=None)
    # The actions take the store options and --format too; their defaults are suppressed so
    # that `actors --data-dir D show X` keeps D (a subparser's defaults would overwrite it).
    quiet = _store_options()
    for action in quiet._actions:
        action.default = argparse.SUPPRESS
    fmt = {"choices": ["table", "json"], "default": argparse.SUPPRESS, "help": "output format"}
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    show = actions.add_parser(
        "show", parents=[quiet], help="one actor: aliases, part_of chain, members, claims, merges"
    )
    show.add_argument("ref", metavar="REF", help="actor_id, IRI or exact label or alias")
    show.add_argument("--format", **fmt)
    merge = actions.add_parser(
        "merge", parents=[quiet], help="record that actor A is actor B (A's claims shown as B's)"
    )
    merge.add_argument("actor", metavar="A", help="the actor merged away")
    merge.add_argument("into", metavar="B", help="the actor that survives")
    merge.add_argument("--reason", required=True, help="why they are one actor (recorded)")
    merge.add_argument("--by", help="who makes the merge (default: your user name)")
    merge.add_argument("--format", **fmt)
    unmerge = actions.add_parser(
        "unmerge", parents=[quiet], help="undo the merge in force of actor A (the record stays)"
    )
    unmerge.add_argument("actor", metavar="A", help="the merged actor")
    unmerge.add_argument("--reason", help="why the merge is undone (recorded)")
    unmerge.add_argument("--by", help="who undoes it (default: your user name)")
    unmerge.add_argument("--format", **fmt)


def _print_problems(problems: Sequence[Problem]) -> None:
    count = len(problems)
    print(f"invalid: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
    for problem in problems:
        print(f"- {problem}", file=sys.stderr)


def _report_bug(error: BaseException) -> None:
    """Say that ``error`` is a bug, not the user's input, and where its traceback is."""
    text = "".join(traceback.format_exception(error))
    try:
        with tempfile.NamedTemporaryFile(
            "w", prefix="recruitgraph-traceback-", suffix=".txt", delete=False
        ) as out:
            out.write(text)
        where = f"its traceback is in {out.name}"
    except OSError:
        where = f"its traceback:\n{text}"
    print(
        f"internal error: {type(error).__name__}: {error}\n"
        f"This is a bug in recruitgraph, not in your input; {where} (please report it)",
        file=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``recruitgraph`` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "run", None) is None:
            parser.print_help()
            return 1
        if "nx_backend" in args:  # (before a server listens: a backend not installed, exit 1)
            from graph.analysis.backends import backend_setting, use_backend

            args.nx_backend = backend_setting(args.nx_backend)
            use_backend(args.nx_backend)
        return args.run(args)
    except ValidationError as error:
        _print_problems(error.problems)
    except (UsageError, RecruitgraphError) as error:
        print(f"error: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`recruitgraph metrics | head`): stop quietly, and keep Python
        # from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as error:
        _report_bug(error)
    return 1


if __name__ == "__main__":
    sys.exit(main())
