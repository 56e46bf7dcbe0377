"""Crash safety (issue 17): a SIGKILL at a random moment of a load, a replacing reload, a
delete, a SPARQL update or an upload leaves a store that opens cleanly, each dataset complete
(its old or its new version) or absent, never half-written.

The rounds are those of ``bench/crash_safety.py`` (real ``recruitgraph`` processes: the command
line, and ``recruitgraph serve`` with its engine process), one of each kind here; the bench
runs the full count (bench/RESULTS.md, "Crash safety (issue 17)"). The kill delays come from a
seeded random: the seed is printed, and ``RECRUITGRAPH_CRASH_SEED`` replays a run.
"""

from __future__ import annotations

import os
import random

import pytest

from bench.crash_safety import KINDS, WINDOW, Fixture, one_round, prepare


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return prepare(tmp_path_factory.mktemp("crash"), actors=150)


@pytest.fixture(scope="module")
def seeded() -> tuple[int, random.Random]:
    seed = int(os.environ.get("RECRUITGRAPH_CRASH_SEED") or random.SystemRandom().randrange(2**31))
    print(f"crash safety: seed {seed} (RECRUITGRAPH_CRASH_SEED={seed} replays it)")
    return seed, random.Random(seed)


@pytest.mark.parametrize("kind", KINDS)
def test_a_killed_write_leaves_every_dataset_complete_or_absent(
    fixture: Fixture, seeded: tuple[int, random.Random], kind: str
) -> None:
    seed, chance = seeded
    delay = chance.uniform(0, WINDOW[kind])
    # one_round asserts that the store opens, holds no staging graph, and that each dataset
    # is one of the versions it may be (see bench/crash_safety.py).
    try:
        result = one_round(fixture, kind, delay, KINDS.index(kind))
    except AssertionError as error:
        raise AssertionError(f"{error} (seed {seed})") from None
    assert result["kind"] == kind and len(result["state"]) == 2  # type: ignore[arg-type]
