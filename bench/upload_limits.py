"""Oversized request bodies (issue 17, item 5): each write route of a live ``recruitgraph
serve`` gets a body far past the limit, three ways, and the script records the answer and the
peak memory (VmHWM) of the HTTP process and of the engine process during each request.

- ``chunked``: ``--size`` bytes (1 GiB) streamed with ``Transfer-Encoding: chunked``, no length;
- ``lying``: the same bytes sent after a ``Content-Length`` of 100 (the server reads 100
  bytes as the body; the rest is not a request);
- ``huge``: ``Content-Length: 10**12`` announced, 100 bytes sent.

Routes: ``POST /api/datasets`` (a multipart form whose file part is the body), ``PUT
/api/datasets/{name}``, ``POST /sparql`` (an update) and ``PUT /rdf-graphs``, with an editor
token. Before each request the peak of both processes is reset (``/proc/PID/clear_refs``), so
each figure is that request's own peak over the memory held before it.

    PYTHONPATH=. python bench/upload_limits.py --size 1073741824 --limit-mb 64

Prints one JSON object per request, and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from graph.server.auth import TokenStore
from tests.helpers import build_data, start_server, stop

BOUNDARY = "rg-bench-boundary"
PRELUDE = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n'
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.nt"\r\n'
    "Content-Type: application/n-triples\r\n\r\n"
).encode()
ROUTES = [
    ("POST", "/api/datasets", f"multipart/form-data; boundary={BOUNDARY}", PRELUDE),
    ("PUT", "/api/datasets/big", "application/n-triples", b""),
    ("POST", "/sparql", "application/sparql-update", b""),
    ("PUT", "/rdf-graphs?graph=https://w3id.org/recruitgraph/dataset/big", "text/turtle", b""),
]


def peak_kib(pid: int) -> int:
    """The peak resident memory of ``pid`` since its last reset, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for {pid}")


def reset_peak(pid: int) -> int:
    """Reset the peak of ``pid`` to its present resident memory; that memory, in KiB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return peak_kib(pid)


def send(
    base: str,
    method: str,
    path: str,
    headers: dict[str, str],
    prelude: bytes,
    size: int,
    mode: str,
) -> tuple[str, int]:
    """Send one request as ``mode`` says; (the answer's status line, bytes of body sent)."""
    url = urlsplit(base)
    assert url.hostname is not None and url.port is not None
    lines = [f"{method} {path} HTTP/1.1", f"Host: {url.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(
        {
            "chunked": "Transfer-Encoding: chunked",
            "lying": "Content-Length: 100",
            "huge": f"Content-Length: {10**12}",
        }[mode]
    )
    block = b"#" * (1 << 20)
    sent = 0
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            if mode == "huge":
                sock.sendall(prelude + block[: 100 - len(prelude)] if prelude else block[:100])
                sent = 100
            else:
                chunked = mode == "chunked"
                if chunked and prelude:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(prelude), prelude))
                elif prelude:
                    sock.sendall(prelude)
                sent = len(prelude)
                while sent < size:
                    part = block[: min(len(block), size - sent)]
                    sock.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
                    sent += len(part)
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed: what it read is what counts
            pass
        sock.settimeout(60)
        answer = b""
        try:
            while b"\r\n" not in answer:
                part = sock.recv(4096)
                if not part:
                    break
                answer += part
        except OSError as error:
            return f"no answer ({error.__class__.__name__})", sent
    return answer.split(b"\r\n", 1)[0].decode(errors="replace") or "connection closed", sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1 << 30, help="bytes streamed")
    parser.add_argument("--limit-mb", type=float, default=64.0, help="the server's body limit")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rg-upload-bench-"))
    data = work / "data"
    build_data(data, work)
    token = TokenStore(data).create("editor", "bench-editor", ())
    server = start_server(
        data,
        work / "server.log",
        "--data-dir", str(data),
        "--max-upload-mb", str(args.limit_mb),
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    try:
        engine = server.engine_pid()
        assert engine is not None
        for method, path, media, prelude in ROUTES:
            for mode in ("chunked", "lying", "huge"):
                headers = {"Authorization": f"Bearer {token}", "Content-Type": media}
                before = {"server": reset_peak(server.process.pid), "engine": reset_peak(engine)}
                started = time.perf_counter()
                status, sent = send(server.base, method, path, headers, prelude, args.size, mode)
                seconds = time.perf_counter() - started
                time.sleep(0.5)  # let the server finish with what it read
                row = {
                    "route": f"{method} {path.split('?')[0]}",
                    "mode": mode,
                    "answer": status.removeprefix("HTTP/1.1 "),
                    "sent_mib": round(sent / 1024**2, 1),
                    "seconds": round(seconds, 2),
                    "server_rss_mib": round(before["server"] / 1024, 1),
                    "server_peak_growth_mib": round(
                        (peak_kib(server.process.pid) - before["server"]) / 1024, 1
                    ),
                    "engine_peak_growth_mib": round(
                        (peak_kib(engine) - before["engine"]) / 1024, 1
                    ),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        stop(server.process)
    print("\n| route | body | answer | sent MiB | s | server peak +MiB | engine peak +MiB |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['route']} | {r['mode']} | {r['answer']} | {r['sent_mib']} | {r['seconds']} "
            f"| {r['server_peak_growth_mib']} | {r['engine_peak_growth_mib']} |"
        )


if __name__ == "__main__":
    main()
