"""The networkx backend the analytics run on (graph.analysis.backends): one setting, read by the
command line (``--nx-backend``, $RECRUITGRAPH_NX_BACKEND) and handed to the server's engine
process; a backend that is not installed is refused with the installed ones named; the
default is networkx's own code, named in the report. (No backend besides networkx is installed
in the project's venv: see docs/analytics-backends.md. The live server's /healthz shows the
backend in tests/test_operations.py.)"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from graph.analysis import figures
from graph.analysis.backends import ENVIRONMENT, installed_backends, use_backend
from graph.errors import InvalidArgument
from graph.server.engine import Engine, EngineUnavailable, StoreSpec
from graph.store import Store
from tests.helpers import free_port, run_cli, with_default_dataset

#: A backend name that no installed package registers.
ABSENT = "no-such-backend"


@pytest.fixture
def priority() -> Iterator[None]:
    """networkx's backend priority of this process, put back after the test."""
    before = list(nx.config.backend_priority.algos)
    yield
    nx.config.backend_priority.algos = before


def test_a_backend_not_installed_is_refused_with_the_installed_ones_named(
    priority: None,
) -> None:
    assert "networkx" in installed_backends()
    with pytest.raises(InvalidArgument) as refused:
        use_backend(ABSENT)
    message = str(refused.value)
    assert f"networkx backend {ABSENT!r} is not installed" in message
    assert "installed: " + ", ".join(installed_backends()) in message
    assert list(nx.config.backend_priority.algos) == []  # nothing changed


def test_the_default_is_networkx_and_the_report_names_it(
    memory_store: Store, priority: None
) -> None:
    with_default_dataset(memory_store)
    assert use_backend(None) == "networkx"  # nothing asked for: networkx's own configuration
    assert figures.report(memory_store)["nx_backend"] == "networkx"
    assert use_backend("networkx") == "networkx"
    assert list(nx.config.backend_priority.algos) == ["networkx"]
    assert figures.report(memory_store)["nx_backend"] == "networkx"


def test_the_command_line_refuses_it_before_anything_runs(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "d"
    result = run_cli("metrics", "--data-dir", str(data), "--nx-backend", ABSENT, env=cli_env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: networkx backend {ABSENT!r} is not installed")
    assert "Traceback" not in result.stderr
    # The environment's setting, for a server: refused before it listens.
    port = free_port()
    result = run_cli(
        "serve", "--data-dir", str(data), "--port", str(port), env={**cli_env, ENVIRONMENT: ABSENT}
    )
    assert result.returncode == 1 and f"backend {ABSENT!r} is not installed" in result.stderr
    assert "serving" not in result.stdout and "Traceback" not in result.stderr
    with socket.socket() as probe:  # the port was never taken
        probe.bind(("127.0.0.1", port))


def test_the_setting_reaches_the_engine_process(tmp_path: Path) -> None:
    """The engine process applies the backend of its spec (not of its environment, which has
    none here): one not installed stops it from starting, with the message. (A server's engine
    started with ``--nx-backend networkx`` says so in /healthz: tests/test_operations.py.)"""

    async def scenario() -> None:
        engine = Engine(StoreSpec("embedded", str(tmp_path / "store"), nx_backend=ABSENT))
        try:
            with pytest.raises(EngineUnavailable, match=f"backend {ABSENT!r} is not installed"):
                await engine.start()
        finally:
            await engine.close()

    spec = StoreSpec("embedded", "/x", nx_backend="parallel")
    assert StoreSpec.from_json(spec.to_json()).nx_backend == "parallel"
    asyncio.run(scenario())
