"""The server's log: one line per record on stderr, as JSON (for a log collector) or as text
(for a person at a terminal), from the server process and the engine process alike.

A record may carry fields of its own (``log.info("...", extra={"fields": {...}})``): the JSON
line holds them as keys beside ``time``, ``level``, ``logger`` and ``message``; the text line
holds only the message, which says the same in words. The request log of :mod:`api.app` is
such a record per request.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

__all__ = ["ENVIRONMENT", "FORMATS", "JsonFormatter", "configure", "default_format"]

#: The log formats.
FORMATS = ("json", "text")
#: The environment variable that passes the format on to the engine process.
ENVIRONMENT = "RECRUITGRAPH_LOG_FORMAT"


class JsonFormatter(logging.Formatter):
    """A record as one JSON object on one line: time (UTC, ISO 8601), level, logger,
    message, the record's own ``fields``, and the traceback (``exception``) if any.

    >>> record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "hi %s",
    ...     "args": ("you",), "created": 0.0, "fields": {"status": 200}})
    >>> print(JsonFormatter().format(record))  # doctest: +NORMALIZE_WHITESPACE
    {"time": "1970-01-01T00:00:00.000Z", "level": "INFO", "logger": "x",
     "message": "hi you", "status": 200}
    """

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def default_format() -> str:
    """``text`` when stderr is a terminal, else ``json`` (a service manager or a collector
    reads it)."""
    return "text" if sys.stderr.isatty() else "json"


def configure(fmt: str | None = None, *, process: str = "server") -> str:
    """Send records to stderr in ``fmt`` (default: :func:`default_format`): warnings and
    errors, and information from recruitgraph's own loggers (uvicorn's are set by uvicorn);
    ``process`` names the process in text lines. Returns the format,
    which the engine process inherits through :data:`ENVIRONMENT`."""
    fmt = fmt or default_format()
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}: use {' or '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s %(name)s [{process}]: %(message)s")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Warnings from every library; information from ours only (httpx's, say, would name
    # the remote store's URL, credentials and all).
    root.setLevel(logging.WARNING)
    logging.getLogger("recruitgraph").setLevel(logging.INFO)
    os.environ[ENVIRONMENT] = fmt
    return fmt
