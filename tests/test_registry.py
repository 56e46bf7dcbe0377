"""The revised dataset (version 2): its actor registry, the new columns, and every rule of the
dataset's own reference check (``graph/data/check_data.py``) enforced at load.

Each rule is tried the same way: one cell of the shipped files is spoiled, then both the
reference check and ``recruitgraph``'s loader must refuse the files, at the same row and column.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from graph.analysis.projection import ProjectionFilter, claims_of, project
from graph.ingest import (
    load_files,
    shipped_actors,
    shipped_claims,
    validate_files,
)
from graph.ingest.registry import Actor, Registry, read_actors_csv
from graph.ingest.validation import ValidationError
from graph.store import EmbeddedStore

CHECK = Path(shipped_claims()).with_name("check_data.py")
Rows = list[dict[str, str]]


def _read(path: Path) -> tuple[list[str], Rows]:
    reader = csv.DictReader(io.StringIO(path.read_text("utf-8"), newline=""))
    return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: Rows) -> None:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), "utf-8")


def _row(rows: Rows, claim_id: str) -> tuple[int, dict[str, str]]:
    for number, row in enumerate(rows, start=2):
        if row.get("claim_id") == claim_id or row.get("actor_id") == claim_id:
            return number, row
    raise KeyError(claim_id)


def _first(rows: Rows, **cells: str) -> str:
    """The id of the first row whose cells equal ``cells`` (empty string: empty cell)."""
    for row in rows:
        if all(row[k] == v for k, v in cells.items()):
            return row.get("claim_id") or row["actor_id"]
    raise KeyError(cells)


def _set(**cells: str) -> Callable[[dict[str, str]], None]:
    return lambda row: row.update(cells)


# (which file, how to find the row, how to spoil it, the column both must name)
CLAIM_RULES: list[tuple[str, dict[str, str], Callable[[dict[str, str]], None], str]] = [
    ("basis missing", {"claim_id": "c010"}, _set(basis=""), "basis"),
    ("basis unknown", {"claim_id": "c010"}, _set(basis="rumour"), "basis"),
    ("foreigners unknown", {"claim_id": "c010"}, _set(foreigners="maybe"), "foreigners"),
    ("amount without its basis", {"claim_id": "c013"}, _set(amount_basis=""), "amount_basis"),
    ("amount basis unknown", {"claim_id": "c013"}, _set(amount_basis="each"), "amount_basis"),
    (
        "amount basis without an amount",
        {"relation": "Operation"},
        _set(amount_basis="total"),
        "amount_basis",
    ),
    ("currency without an amount", {"relation": "Operation"}, _set(currency="RUB"), "currency"),
    (
        "amount outside a funding flow",
        {"relation": "Operation"},
        _set(amount="5", currency="RUB", amount_basis="total"),
        "amount",
    ),
    ("purpose outside a funding flow", {"relation": "Operation"}, _set(purpose="other"), "purpose"),
    (
        "offer type outside recruitment and operation",
        {"relation": "FundingFlow"},
        _set(offer_type="factory_job"),
        "offer_type",
    ),
    ("action outside enforcement", {"relation": "FundingFlow"}, _set(action="arrest"), "action"),
    ("enforcement without action", {"relation": "EnforcementAction"}, _set(action=""), "action"),
    (
        "month not written as its first day",
        {"date_precision": "month"},
        lambda row: row.update(start=row["start"][:8] + "15"),
        "start",
    ),
    (
        "year not written as 1 January",
        {"date_precision": "year"},
        lambda row: row.update(start=row["start"][:4] + "-03-01"),
        "start",
    ),
    ("end before start", {"claim_id": "c013"}, _set(end="2020-01-01"), "end"),
    ("not a calendar date", {"claim_id": "c013"}, _set(start="2024-02-30"), "start"),
    ("negative amount", {"claim_id": "c013"}, _set(amount="-400000"), "amount"),
    ("count not whole", {"claim_id": "c003"}, _set(count="3.5"), "count"),
    ("unknown currency", {"claim_id": "c013"}, _set(currency="ZZZ"), "currency"),
    ("note missing", {"claim_id": "c013"}, _set(note=""), "note"),
    (
        "source URL not http(s)",
        {"claim_id": "c013"},
        _set(source_url="ftp://example.org/x"),
        "source_url",
    ),
    ("source title missing", {"claim_id": "c013"}, _set(source_title=""), "source_title"),
    (
        "code differs from the actor's",
        {"subject_code": "RU-TA"},
        _set(subject_code="RU-BA"),
        "subject_code",
    ),
    ("code on a federal body", {"claim_id": "c013"}, _set(subject_code="RU-TA"), "subject_code"),
    ("unknown relation", {"claim_id": "c013"}, _set(relation="Bribe"), "relation"),
]

ACTOR_RULES: list[tuple[str, str, Callable[[dict[str, str]], None], str]] = [
    ("part_of names no actor", "ru-mod", _set(part_of="ru-nowhere"), "part_of"),
    ("federal body outside the chain", "ru-mod", _set(part_of=""), "part_of"),
    ("a cycle", "ru-federal-center", _set(part_of="ru-mod"), "part_of"),
    ("agency of another government", "in-cbi", _set(part_of="np-government"), "part_of"),
    ("not a slug", "ru-mod", _set(actor_id="RU MoD"), "actor_id"),
    ("an aggregate with a code", "ru-regional-governments-aggregate", _set(code="RU-TA"), "code"),
    ("a government without its code", "ru-ba-government", _set(code=""), "code"),
    ("an unknown province", "ru-ba-government", _set(code="RU-ZZ"), "code"),
    ("an unknown kind", "ru-mod", _set(kind="Ministry"), "kind"),
]


def _spoiled(
    tmp_path: Path, claims: Callable[[Rows], None] | None, actors: Callable[[Rows], None] | None
) -> tuple[Path, Path]:
    paths = []
    for name, source, spoil in (
        ("claims.csv", shipped_claims(), claims),
        ("actors.csv", shipped_actors(), actors),
    ):
        header, rows = _read(Path(source))
        if spoil is not None:
            spoil(rows)
        path = tmp_path / name
        _write(path, header, rows)
        paths.append(path)
    return paths[0], paths[1]


def _reference(claims: Path, actors: Path) -> tuple[int, set[tuple[str, int, str]]]:
    done = subprocess.run(
        [sys.executable, str(CHECK), str(claims), str(actors)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = set()
    for line in done.stdout.splitlines():
        parts = line.split(": ", 2)
        if len(parts) == 3 and ":" in parts[0]:
            file, row = parts[0].rsplit(":", 1)
            found.add((file, int(row), parts[1]))
    return done.returncode, found


def test_the_shipped_files_pass_the_reference_check_and_load(tmp_path: Path) -> None:
    claims, actors = _spoiled(tmp_path, None, None)
    assert _reference(claims, actors)[0] == 0
    assert validate_files([actors, claims]) == []


@pytest.mark.parametrize(("rule", "where", "spoil", "column"), CLAIM_RULES, ids=lambda v: v)
def test_a_claims_rule_is_enforced_at_the_same_row_and_column(
    tmp_path: Path,
    rule: str,
    where: dict[str, str],
    spoil: Callable[[dict[str, str]], None],
    column: str,
) -> None:
    spoiled_row: list[int] = []

    def apply(rows: Rows) -> None:
        number, row = _row(rows, _first(rows, **where))
        spoil(row)
        spoiled_row.append(number)

    claims, actors = _spoiled(tmp_path, apply, None)
    code, reference = _reference(claims, actors)
    assert code == 1
    assert ("claims.csv", spoiled_row[0], column) in reference, reference
    problems = validate_files([actors, claims])
    assert problems, rule
    placed = {(Path(str(p.file)).name, p.line, p.column) for p in problems}
    assert ("claims.csv", spoiled_row[0], column) in placed, [str(p) for p in problems]


@pytest.mark.parametrize(("rule", "actor", "spoil", "column"), ACTOR_RULES, ids=lambda v: v)
def test_a_registry_rule_is_enforced_at_the_same_row_and_column(
    tmp_path: Path, rule: str, actor: str, spoil: Callable[[dict[str, str]], None], column: str
) -> None:
    spoiled_row: list[int] = []

    def apply(rows: Rows) -> None:
        number, row = _row(rows, actor)
        spoil(row)
        spoiled_row.append(number)

    claims, actors = _spoiled(tmp_path, None, apply)
    code, reference = _reference(claims, actors)
    assert code == 1
    assert ("actors.csv", spoiled_row[0], column) in reference, reference
    problems = validate_files([actors, claims])
    placed = {(Path(str(p.file)).name, p.line, p.column) for p in problems}
    assert ("actors.csv", spoiled_row[0], column) in placed, [str(p) for p in problems]


def test_a_bad_row_writes_nothing(tmp_path: Path) -> None:
    claims, actors = _spoiled(tmp_path, lambda rows: _row(rows, "c013")[1].update(basis=""), None)
    store = EmbeddedStore()
    with pytest.raises(ValidationError) as refused:
        load_files(store, [actors, claims], "claims")
    assert any(p.column == "basis" for p in refused.value.problems)
    assert store.graph_names() == [] or all("claims" not in g for g in store.graph_names())


def test_a_version_1_file_loads_with_the_documented_defaults(tmp_path: Path) -> None:
    header, rows = _read(Path(shipped_claims()))
    old = [c for c in header if c not in ("basis", "amount_basis", "foreigners")]
    path = tmp_path / "v1.csv"
    _write(path, old, [{c: row[c] for c in old} for row in rows[:20]])
    store = EmbeddedStore()
    report = load_files(store, [path], "old")
    G = project(store)
    assert G.number_of_edges() == 20
    assert {d["basis"] for *_, d in G.edges(data=True)} == {"report"}
    assert all(d["amount_basis"] is None for *_, d in G.edges(data=True))
    assert all(d["foreigners"] is None for *_, d in G.edges(data=True))
    # Without a registry every party is new, named by the rules of version 1.
    assert report.new_actors and all("iri" in a for a in report.new_actors)


def test_names_resolve_through_the_registry_in_the_store(tmp_path: Path) -> None:
    store = EmbeddedStore()
    load_files(store, [shipped_actors(), shipped_claims()], "claims")
    header, rows = _read(Path(shipped_claims()))
    row = dict(_row(rows, "c010")[1], claim_id="c900")
    row["subject"] = "President of Russia (decree)"  # an alias of version 1
    extra = dict(row, claim_id="c901", subject="Ministry of Truth", subject_kind="FederalBody")
    path = tmp_path / "mine.csv"
    _write(path, header, [row, extra])
    report = load_files(store, [path], "mine")
    assert [a["name"] for a in report.new_actors] == ["Ministry of Truth"]
    G = project(store, ProjectionFilter(datasets=("mine",)))
    labels = {G.nodes[u]["label"] for u, _ in G.edges()}
    assert "President of Russia" in labels  # the canonical label, not the alias


def test_registry_resolution_refuses_ambiguity_and_disagreement() -> None:
    registry = Registry.of(
        [
            Actor("ru-federal-center", "FederalBody", "Center"),
            Actor("in-government", "ForeignGovernment", "Government of India", "IN"),
            Actor("in-cbi", "ForeignGovernment", "CBI", "IN", part_of="in-government"),
        ]
    )
    assert registry.resolve("CBI", "ForeignGovernment", "IN")[0].actor_id == "in-cbi"
    assert registry.resolve("CBI", "ForeignGovernment", "NP")[1].startswith("code:")
    assert registry.resolve("Nobody", "Recruiter", "") == (None, None)
    assert registry.top("in-cbi") == "in-government"


def test_a_registry_with_a_shared_name_is_refused() -> None:
    text = (
        "actor_id,kind,label,code,part_of,aliases,note\n"
        "ru-federal-center,FederalBody,Center,,,Kremlin,\n"
        "ru-mod,FederalBody,Ministry of Defence,,ru-federal-center,Kremlin,\n"
    )
    _, problems, _ = read_actors_csv(text)
    assert [(p.line, p.column) for p in problems] == [(3, "aliases")]


@pytest.fixture(scope="module")
def shipped() -> EmbeddedStore:
    store = EmbeddedStore()
    load_files(store, [shipped_actors(), shipped_claims()], "claims")
    return store


def test_every_federal_body_rolls_up_to_the_center(shipped: EmbeddedStore) -> None:
    organizations = project(shipped)
    federal = [n for n, t in organizations.nodes(data="tier") if t == "federal"]
    assert len(federal) > 2  # distinct organizations stay distinct
    governments = project(shipped, ProjectionFilter(level="government"))
    federal = [n for n, t in governments.nodes(data="tier") if t == "federal"]
    assert [governments.nodes[n]["label"] for n in federal] == [
        "Russian federal government (federal center)"
    ]
    # Same claims at both levels; the evidence still names each claim's own party.
    assert governments.number_of_edges() == organizations.number_of_edges()
    own = {c["claim_id"]: c["from"] for c in claims_of(governments)}
    assert own["c010"] == "President of Russia"


def test_agencies_of_a_foreign_government_stay_apart_until_rolled_up(
    shipped: EmbeddedStore,
) -> None:
    organizations = project(shipped)
    india = {d["label"] for _, d in organizations.nodes(data=True) if d["code"] == "IN"}
    assert {"Central Bureau of Investigation (India)", "Ministry of External Affairs (India)"} <= (
        india
    )
    governments = project(shipped, ProjectionFilter(level="government"))
    india = [
        d["label"]
        for _, d in governments.nodes(data=True)
        if d["code"] == "IN" and d["kind"] == "ForeignGovernment"
    ]
    assert india == ["Government of India"]


def test_reports_only_leaves_the_assessments_out(shipped: EmbeddedStore) -> None:
    every = project(shipped)
    reports = project(shipped, ProjectionFilter(basis="report"))
    assessments = {d["claim_id"] for *_, d in every.edges(data=True) if d["basis"] == "assessment"}
    assert assessments == {"c001", "c002", "c003", "c004", "c005", "c006", "c007", "c040"}
    assert reports.number_of_edges() == every.number_of_edges() - len(assessments)


def test_unknown_level_or_basis_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        ProjectionFilter(level="planet")
    with pytest.raises(ValueError, match="basis"):
        ProjectionFilter(basis="hearsay")
