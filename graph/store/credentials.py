"""Credentials for a remote store: a user and password, sent by HTTP Basic or Digest.

They come from a file (``--store-credentials``), from the environment
(``RECRUITGRAPH_STORE_USER``, ``RECRUITGRAPH_STORE_PASSWORD``, ``RECRUITGRAPH_STORE_AUTH``),
or, for old configurations, from the user information of the store's URL, in that order of
precedence. They never go on a command line (``ps`` shows those to every user of the
machine): the server hands them to its engine process in that process's environment, and
the URL it passes on carries no user information. Their ``repr`` leaves the password out.

A credentials file holds ``key = value`` lines (``#`` starts a comment)::

    user = recruitgraph
    password = s3cret=with:any characters
    auth = digest
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from graph.errors import InvalidArgument

__all__ = ["ENVIRONMENT", "Credentials", "without_userinfo"]

#: The environment variables credentials are read from: user, password, scheme, file.
ENVIRONMENT = {
    "user": "RECRUITGRAPH_STORE_USER",
    "password": "RECRUITGRAPH_STORE_PASSWORD",
    "auth": "RECRUITGRAPH_STORE_AUTH",
    "file": "RECRUITGRAPH_STORE_CREDENTIALS",
}
#: The HTTP authentication schemes a store may ask for.
SCHEMES = ("basic", "digest")


@dataclass(frozen=True)
class Credentials:
    """A user and password for a remote store, sent by ``scheme`` (basic or digest)."""

    user: str
    password: str = field(repr=False)
    scheme: str = "basic"

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise InvalidArgument(
                f"unknown store authentication {self.scheme!r}: use {' or '.join(SCHEMES)}"
            )

    def auth(self) -> httpx.Auth:
        """The httpx authentication that sends them."""
        if self.scheme == "digest":
            return httpx.DigestAuth(self.user, self.password)
        return httpx.BasicAuth(self.user, self.password)

    def environment(self) -> dict[str, str]:
        """The environment variables that carry them to a child process."""
        return {
            ENVIRONMENT["user"]: self.user,
            ENVIRONMENT["password"]: self.password,
            ENVIRONMENT["auth"]: self.scheme,
        }

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Credentials:
        """Read a credentials file (see the module docstring); InvalidArgument if it cannot
        be read or lacks a user or password (the message never quotes its lines)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise InvalidArgument(f"cannot read the store credentials {path}: {reason}") from None
        values: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, equals, value = line.partition("=")
            if not equals or key.strip() not in ("user", "password", "auth"):
                raise InvalidArgument(
                    f"{path}, line {number}: expected 'user = …', 'password = …' or "
                    "'auth = basic|digest'"
                )
            values[key.strip()] = value.strip()
        if not values.get("user") or "password" not in values:
            raise InvalidArgument(f"{path}: the store credentials need a user and a password")
        return cls(values["user"], values["password"], values.get("auth", "basic").lower())

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """Credentials from the environment: a file named by ``RECRUITGRAPH_STORE_CREDENTIALS``,
        else ``RECRUITGRAPH_STORE_USER`` and ``_PASSWORD`` (``_AUTH``: basic or digest);
        None when none are set."""
        environ = os.environ if environ is None else environ
        if environ.get(ENVIRONMENT["file"]):
            return cls.from_file(environ[ENVIRONMENT["file"]])
        user = environ.get(ENVIRONMENT["user"])
        if not user:
            return None
        scheme = environ.get(ENVIRONMENT["auth"], "basic").lower() or "basic"
        return cls(user, environ.get(ENVIRONMENT["password"], ""), scheme)


def without_userinfo(url: str) -> tuple[str, Credentials | None]:
    """``url`` without its user information, and the credentials that it held (Basic).

    >>> without_userinfo("http://rg:s%40cret@127.0.0.1:7878/query")
    ('http://127.0.0.1:7878/query', Credentials(user='rg', scheme='basic'))
    >>> without_userinfo("http://127.0.0.1:7878/query")
    ('http://127.0.0.1:7878/query', None)
    """
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return bare, Credentials(unquote(parts.username), unquote(parts.password or ""))
