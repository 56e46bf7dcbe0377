"""The `recruitgraph` command line, run as a user runs it: the installed console script."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from tests.helpers import (
    BASE_ROW,
    BIN,
    SECOND_ROW,
    claims_csv,
    free_port,
    run_cli,
    stop,
    wait_for_http,
)

COMMANDS = [
    "load",
    "validate",
    "query",
    "export",
    "restore",
    "datasets",
    "actors",
    "delete",
    "metrics",
    "report",
    "synth",
    "serve",
    "demo",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, cli_env: dict[str, str]) -> None:
    result = run_cli(command, "--help", env=cli_env)
    assert result.returncode == 0 and "usage: recruitgraph" in result.stdout


def test_load_query_export_round_trip(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = claims_csv(tmp_path / "claims.csv", BASE_ROW, SECOND_ROW)
    loaded = run_cli(
        "load", str(path), "--dataset", "mine", "--format", "json", env=cli_env, check=True
    )
    report = json.loads(loaded.stdout)
    assert report["dataset"] == "mine" and report["triples"] > 20 and not report["synthetic"]
    # stderr is a pipe: plain lines of each phase, with done/total at its end (stdout: JSON)
    for line in ("load mine: parse ", "load mine: commit, done"):
        assert line in loaded.stderr, loaded.stderr
    assert re.search(r"load mine: validate (\d+)/\1 checks \(100%\)", loaded.stderr)
    assert re.search(r"load mine: write ([\d,]+)/\1 triples \(100%\)", loaded.stderr)

    table = run_cli(
        "query", "SELECT ?id WHERE { ?c rg:claimId ?id } ORDER BY ?id", env=cli_env, check=True
    )
    assert "t1" in table.stdout and "(2 rows)" in table.stdout
    as_json = run_cli(
        "query",
        "SELECT ?id WHERE { ?c rg:claimId ?id }",
        "--format",
        "json",
        env=cli_env,
        check=True,
    )
    bindings = json.loads(as_json.stdout)["results"]["bindings"]
    assert sorted(b["id"]["value"] for b in bindings) == ["t1", "t2"]
    as_csv = run_cli(
        "query",
        "SELECT ?id WHERE { ?c rg:claimId ?id } ORDER BY ?id",
        "--format",
        "csv",
        env=cli_env,
        check=True,
    )
    assert as_csv.stdout.splitlines() == ["id", "t1", "t2"]
    query_file = tmp_path / "q.rq"
    query_file.write_text("ASK { ?c rg:claimId 't1' }")
    assert run_cli("query", "--file", str(query_file), env=cli_env).stdout.strip() == "true"

    for fmt, suffix in (("nquads", ".nq"), ("trig", ".trig")):
        out = tmp_path / f"export{suffix}"
        run_cli(
            "export",
            "--dataset",
            "mine",
            "--format",
            fmt,
            "--out",
            str(out),
            env=cli_env,
            check=True,
        )
        other = dict(cli_env, RECRUITGRAPH_DATA_DIR=str(tmp_path / f"other-{fmt}"))
        run_cli("load", str(out), "--dataset", "mine", env=other, check=True)
        again = run_cli(
            "query",
            "SELECT ?id WHERE { ?c rg:claimId ?id } ORDER BY ?id",
            "--format",
            "csv",
            env=other,
            check=True,
        )
        assert again.stdout == as_csv.stdout

    listed = json.loads(run_cli("datasets", "--format", "json", env=cli_env, check=True).stdout)
    assert {d["name"] for d in listed} == {"mine", "reference"}
    assert run_cli("delete", "mine", env=cli_env).returncode == 0
    assert run_cli("delete", "mine", env=cli_env).returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "missing.ttl", "--dataset", "x"], "cannot read"),
        (["load", "{csv}", "--dataset", "Bad Name"], "invalid dataset name"),
        (["load", "{csv}"], "--dataset"),
        (["load", "{bad}", "--dataset", "x"], "row 2, column amount"),
        (["load", "{bad}", "--dataset", "x", "--no-shapes"], "row 2, column amount"),
        (["validate", "{bad}"], "must not be negative"),
        # a literal rdflib cannot read is a problem of the data, not a warning with a traceback
        (["load", "{date}", "--dataset", "x"], "value '2024-02-30'"),
        (["validate", "{date}"], "value '2024-02-30'"),
        (["query", "SELECT WHERE"], "malformed SPARQL"),
        (["query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"], "SERVICE"),
        (["query"], "give a SPARQL query"),
        (["export", "--dataset", "nope", "--out", "{tmp}/x.nq"], "no such dataset"),
        (["synth", "--actors", "3", "--centralization", "0.5", "--out", "{tmp}/s.nt"], "actors"),
        (["synth", "--actors", "30", "--centralization", "2", "--out", "{tmp}/s.nt"], "centraliz"),
        (["synth", "--actors", "30", "--centralization", "0.5", "--out", "{tmp}/s.xyz"], ".nt"),
        (["synth", "--actors", "many", "--centralization", "0.5", "--out", "{tmp}/s.nt"], "int"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_invalid_input_exits_1_with_a_message(
    args: list[str], message: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    good = claims_csv(tmp_path / "good.csv", BASE_ROW)
    bad = claims_csv(tmp_path / "bad.csv", {**BASE_ROW, "amount": "-1"})
    date = tmp_path / "date.nt"
    date.write_text(
        "<https://example.org/c> <https://w3id.org/recruitgraph/ontology#start> "
        '"2024-02-30"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
        "<https://example.org/c> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://w3id.org/recruitgraph/ontology#FundingFlow> .\n"
    )
    places = {"{csv}": str(good), "{bad}": str(bad), "{date}": str(date), "{tmp}": str(tmp_path)}
    filled = []
    for arg in args:
        for key, value in places.items():
            arg = arg.replace(key, value)
        filled.append(arg)
    result = run_cli(*filled, env=cli_env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message.lower() in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("x.nq*")) and not list(tmp_path.glob("s.*"))


def test_output_cut_short_by_its_reader_is_no_traceback(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # `recruitgraph query ... | head -3`: the reader closes the pipe long before the rows (the
    # reference data: a few hundred kB, more than a pipe holds) are written.
    source = str(claims_csv(tmp_path / "c.csv", BASE_ROW))
    run_cli("load", source, "--dataset", "claims", env=cli_env, check=True)
    command = f"{BIN / 'recruitgraph'} query 'SELECT * WHERE {{ ?s ?p ?o }}' | head -3"
    result = subprocess.run(
        ["bash", "-c", command], env=cli_env, capture_output=True, text=True, timeout=120
    )
    assert len(result.stdout.splitlines()) == 3
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_store_in_use_is_a_clear_error(cli_env: dict[str, str], tmp_path: Path) -> None:
    from graph.store import EmbeddedStore

    with EmbeddedStore(Path(cli_env["RECRUITGRAPH_DATA_DIR"])):
        result = run_cli("datasets", env=cli_env)
    assert result.returncode == 1 and "in use by another recruitgraph process" in result.stderr


def test_synth_then_load_is_marked_synthetic(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "synthetic.ttl"
    run_cli(
        "synth",
        "--actors",
        "60",
        "--centralization",
        "0.7",
        "--seed",
        "4",
        "--out",
        str(out),
        env=cli_env,
        check=True,
    )
    loaded = run_cli("load", str(out), "--dataset", "synth", "--quiet", env=cli_env, check=True)
    assert "(synthetic)" in loaded.stdout and loaded.stderr == ""
    listed = json.loads(run_cli("datasets", "--format", "json", env=cli_env, check=True).stdout)
    assert {d["name"]: d["synthetic"] for d in listed} == {"synth": True, "reference": False}


def test_remote_store_through_the_cli(
    oxigraph_server: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    import httpx as client

    client.post(f"{oxigraph_server}/update", data={"update": "DROP ALL"}).raise_for_status()
    path = claims_csv(tmp_path / "claims.csv", BASE_ROW, SECOND_ROW)
    remote = ["--store-url", f"{oxigraph_server}/query"]
    run_cli("load", str(path), "--dataset", "team", *remote, env=cli_env, check=True)
    result = run_cli(
        "query",
        "SELECT ?id WHERE { ?c rg:claimId ?id } ORDER BY ?id",
        "--format",
        "csv",
        *remote,
        env=cli_env,
        check=True,
    )
    assert result.stdout.splitlines() == ["id", "t1", "t2"]
    assert not (Path(cli_env["RECRUITGRAPH_DATA_DIR"])).exists()


def test_demo_loads_the_default_dataset_and_serves_sparql(cli_env: dict[str, str]) -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "recruitgraph"), "demo", "--port", str(port)],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", process, seconds=60)
        health = httpx.get(f"{base}/healthz").json()
        assert health["status"] == "ok" and health["datasets"] == 2
        sparql = SPARQLWrapper(f"{base}/sparql")
        sparql.setQuery(
            "PREFIX rg: <https://w3id.org/recruitgraph/ontology#>\n"
            "SELECT (COUNT(?c) AS ?n) WHERE { ?c rg:claimId ?id }"
        )
        sparql.setReturnFormat(JSON)
        result = sparql.query().convert()
        assert result["results"]["bindings"][0]["n"]["value"] == "144"
    finally:
        stop(process)
    output = process.stdout.read() if process.stdout else ""
    assert "loaded dataset claims" in output and f"{base}/" in output


def test_metrics_report_timeline_and_compare(cli_env: dict[str, str], tmp_path: Path) -> None:
    from tests.helpers import shift_rows

    path = claims_csv(tmp_path / "shift.csv", *shift_rows())
    run_cli("load", str(path), "--dataset", "shift", env=cli_env, check=True)
    # Few resampling rounds: the figures and lines checked here do not depend on them.
    quick = ("--rounds", "9")
    report = json.loads(
        run_cli("metrics", *quick, "--format", "json", env=cli_env, check=True).stdout
    )
    assert report["figures"]["claims"] == 30 and report["synthetic"] is False
    table = run_cli("metrics", *quick, env=cli_env, check=True).stdout
    assert "burden_share_median" in table and "brokers between federal bodies" in table
    assert "funding in RUB, unknown amounts, median by payer tier" in table
    series = json.loads(
        run_cli(
            "metrics",
            "--window",
            "P12M",
            "--step",
            "P12M",
            "--format",
            "json",
            env=cli_env,
            check=True,
        ).stdout
    )
    shares = [w["regional_share_of_bonus_claims"] for w in series["windows"]]
    assert shares == [1.0, None, 0.0]
    compared = json.loads(
        run_cli(
            "metrics",
            *quick,
            "--compare",
            "2023",
            "2025",
            "--relation",
            "FundingFlow",
            "--format",
            "json",
            env=cli_env,
            check=True,
        ).stdout
    )
    assert compared["change"]["regional_share_of_bonus_claims"] == -1.0
    assert {c["type"] for c in compared["first"]["claims"]} == {"FundingFlow"}
    for bad, message in (
        (["--window", "12 months"], "ISO 8601"),
        (["--compare", "2024", "soon"], "not a period"),
        (["--kind", "Oligarch"], "unknown kind"),
        (["--from", "2025-01-01", "--to", "2024-01-01"], "before it starts"),
    ):
        result = run_cli("metrics", *bad, env=cli_env)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_start_up_errors_are_one_clear_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    """A data directory that is a file, or a port out of range, is refused with one line and
    exit 1 (no traceback, no server on another port)."""
    in_the_way = tmp_path / "store"
    in_the_way.write_text("not a directory")
    for command in (("datasets",), ("load", "--dataset", "x", str(in_the_way))):
        result = run_cli(*command, "--data-dir", str(in_the_way), env=cli_env)
        assert result.returncode == 1
        assert f"cannot use {in_the_way} as the data directory: it is a file" in result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for command in ("serve", "demo"):
        for port in ("70000", "0", "http"):
            result = run_cli(
                command, "--data-dir", str(tmp_path / "d"), "--port", port, env=cli_env
            )
            assert result.returncode == 1, (command, port)
            assert "argument --port" in result.stderr and "Traceback" not in result.stderr
