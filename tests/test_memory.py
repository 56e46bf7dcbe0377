"""Freed memory given back to the operating system (:mod:`graph.store.memory`): the resident
memory of a process that freed most of what it allocated falls once it is released."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: A process that allocates 256 MiB in objects past Python's small-object allocator (which
#: ``malloc`` serves), frees all but one in 64 (what is kept stops ``malloc`` from giving the
#: space back by itself), then prints its resident memory (KiB) before and after the release.
SCRIPT = """
from graph.store.memory import release_freed_memory
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
blocks = [bytearray(2048) for _ in range(131072)]
kept = blocks[::64]
del blocks
before = rss()
released = release_freed_memory()
print(before, rss(), released)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_released_memory_leaves_the_resident_set() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after, released = int(out[0]), int(out[1]), out[2]
    assert released == "True"
    assert before - after > 128 * 1024  # KiB: more than half of the 256 MiB freed went back


#: Libraries that only the engine process runs (analysis, the explorer's pyvis, the reference
#: validator): the HTTP process imports the modules that use them, for the operations' names,
#: and must not load them (scipy alone is 70 MiB of its resident memory).
ENGINE_ONLY = ("scipy", "pyshacl", "pyvis", "IPython")


def test_the_http_process_imports_no_library_only_the_engine_runs() -> None:
    """What ``recruitgraph serve`` imports for its HTTP process (the CLI, the app) loads none
    of :data:`ENGINE_ONLY`; the modules that use them still work when called."""
    script = (
        "import sys, graph.cli, api.app\n"
        "api.app.create_app\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({ENGINE_ONLY!r})))\n"
        "from graph.analysis.metrics.uncertainty import wilson_interval\n"
        "print(round(wilson_interval(3, 10)[0], 4))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split("\n")[:3] == ["[]", "0.1078", "['scipy']"]
