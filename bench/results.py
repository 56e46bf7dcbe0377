"""Writing one section of bench/RESULTS.md: each bench script owns one ``## `` section and
replaces only it, so that runs of different scripts do not overwrite each other."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(heading: str, section: str, path: Path = RESULTS) -> None:
    """Put ``section`` (which starts with ``heading``) in place of the section of that heading
    in ``path``, or append it; nothing else in the file changes."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if heading in text:
        head, _, rest = text.partition(heading)
        tail = rest.split("\n## ", 1)
        text = head + section.rstrip("\n") + "\n" + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    path.write_text(text)
