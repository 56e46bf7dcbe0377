"""Who may do what: bearer tokens, roles, grants, and the graphs a caller may read or write.

Tokens
------
``recruitgraph token create --role reader|editor|admin [--name N] [--grant DATASET]`` prints a
new token once. Only its SHA-256 hash is kept, in ``tokens.json`` in the data directory (the
embedded store's directory; for a remote store, the ``--data-dir`` directory, which holds
nothing else). The file is replaced atomically under a lock, so the CLI can create or revoke
tokens while a server runs: the server notices the change at its next request. A token is 32
random bytes, so a fast hash is safe; no salt or slow hash is needed for such secrets.

A presented token is never compared with a secret: the server hashes it and looks the hash up
in a dict of the stored hashes. The only comparison that touches stored data is the dict's
equality test of two SHA-256 digests, whose time can tell at most how many leading digits of
the presented token's digest match a stored one; the caller cannot choose its digest's digits
(that takes SHA-256 preimages), so that time leads nowhere near a token, and the lookup is
constant time in everything a caller could learn. Neither tokens nor their hashes are logged;
a stored hash is no key (it is hashed again when presented).

Roles and grants
----------------
=========  =====================================================================================
anonymous  reads public datasets (unless the server runs with ``--no-anonymous``)
reader     reads public datasets, and restricted datasets named in its grants
editor     what a reader may, and writes (upload, replace, update, delete) the datasets it can
           read, except the reference dataset; creates public datasets, and restricted ones
           that its grants name
admin      reads and writes every dataset, restricted ones included
=========  =====================================================================================

A grant of ``*`` covers every restricted dataset. A dataset whose description is missing (its
access level cannot be read) is treated as restricted to admins: access fails closed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.errors import Forbidden as Forbidden  # where callers have always imported it
from graph.errors import InvalidArgument, RecruitgraphError
from graph.ingest.load import list_datasets
from graph.model.namespaces import check_dataset_name, dataset_iri, dataset_name
from graph.model.reference import with_reference
from graph.sparql.guard import AccessError, QueryError
from graph.sparql.query import dataset_graphs
from graph.sparql.update import UpdatePlan
from graph.store.consistency import view_version

ROLES = ("reader", "editor", "admin")
TOKEN_FILE = "tokens.json"
TOKEN_PREFIX = "rgt_"
#: The dataset of reference data that recruitgraph itself maintains.
REFERENCE = "reference"

log = logging.getLogger("recruitgraph.server")


class AuthError(RecruitgraphError):
    """A token is missing, unknown or revoked (HTTP 401)."""


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a role and the restricted datasets granted to it."""

    role: str = "anonymous"
    name: str = "anonymous"
    grants: frozenset[str] = frozenset()
    token_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_edit(self) -> bool:
        return self.role in ("editor", "admin")

    def covers(self, dataset: str) -> bool:
        """Whether the role or a grant covers restricted dataset ``dataset``."""
        return self.is_admin or "*" in self.grants or dataset in self.grants

    def may_read(self, dataset: str, access: str | None) -> bool:
        """Whether the caller may read dataset ``dataset`` of access level ``access``
        (None: the level cannot be read, so only admins may)."""
        if access == "public":
            return True
        if access is None:
            return self.is_admin
        return self.covers(dataset)

    def may_write(self, dataset: str, access: str | None) -> bool:
        """Whether the caller may change or delete the existing dataset ``dataset``."""
        if not self.can_edit:
            return False
        if self.is_admin:
            return True
        return dataset != REFERENCE and self.may_read(dataset, access)

    def may_create(self, dataset: str, access: str) -> bool:
        """Whether the caller may create a new dataset ``dataset`` at level ``access``."""
        if not self.can_edit:
            return False
        if self.is_admin:
            return True
        return dataset != REFERENCE and (access == "public" or self.covers(dataset))

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "name": self.name, "grants": sorted(self.grants)}


ANONYMOUS = Principal()
#: What the CLI and notebooks act as: they hold the data directory itself.
LOCAL_ADMIN = Principal(role="admin", name="local")


@dataclass(frozen=True)
class Catalog:
    """The dataset graphs of a store and their access levels (None: unreadable description)."""

    access: Mapping[str, str | None] = field(default_factory=dict)  # graph IRI -> level
    version: int = 0
    #: The store's write stamps at that version (:meth:`graph.store.Store.stamps`).
    stamps: Mapping[str, str] = field(default_factory=dict)
    #: The dataset graphs whose data uses the recruitment model (their descriptions say so).
    model: frozenset[str] = frozenset()
    #: What :meth:`readable` and :meth:`view_version` worked out, by caller: every query asks
    #: both, and a catalog is never changed (a write makes a new one).
    _known: dict[tuple[str, Principal], Any] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def readable(self, principal: Principal) -> list[str]:
        """IRIs of the dataset graphs ``principal`` may read, sorted; the reference dataset
        among them only with a dataset that uses the recruitment model
        (:func:`graph.model.reference.with_reference`: the one place that decides it)."""
        graphs = self._known.get(("readable", principal))
        if graphs is None:
            graphs = with_reference(
                (g for g, level in self.access.items() if principal.may_read(_name(g), level)),
                self.model,
            )
            self._known[("readable", principal)] = graphs
        return list(graphs)

    def writable(self, principal: Principal) -> list[str]:
        """IRIs of the existing dataset graphs ``principal`` may write, sorted."""
        return sorted(g for g, level in self.access.items() if principal.may_write(_name(g), level))

    def level(self, graph: str) -> str | None:
        return self.access.get(graph)

    def view_version(self, principal: Principal) -> str:
        """The version of the datasets ``principal`` may read, at this catalog's store version
        (:func:`graph.store.consistency.view_version`): what every answer tells its caller
        (the store's version counts the writes to hidden datasets too)."""
        version = self._known.get(("version", principal))
        if version is None:
            version = view_version(self.stamps, self.readable(principal))
            self._known[("version", principal)] = version
        return str(version)

    def __contains__(self, graph: object) -> bool:
        return graph in self.access


def _name(graph: str) -> str:
    return dataset_name(graph) or ""


def read_catalog(store: Any) -> Catalog:
    """The catalog of ``store``: every dataset graph and its access level."""

    graphs = dataset_graphs(store)
    levels: dict[str, str | None] = dict.fromkeys(graphs)
    model = set()
    for info in list_datasets(store):
        if info.graph in levels:
            levels[info.graph] = info.access
            if info.uses_model:
                model.add(info.graph)
    return Catalog(levels, store.version, store.stamps(), frozenset(model))


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenRecord:
    """A token as stored: never the token itself, only its hash."""

    id: str
    name: str
    role: str
    hash: str
    created: str
    grants: tuple[str, ...] = ()
    revoked: str | None = None

    def principal(self) -> Principal:
        return Principal(self.role, self.name, frozenset(self.grants), self.id)

    def public(self) -> dict[str, Any]:
        """What ``token list`` shows (no hash)."""
        data = asdict(self)
        del data["hash"]
        data["grants"] = list(self.grants)
        return data


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class TokenStore:
    """The tokens of a data directory (``<data_dir>/tokens.json``)."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.path = Path(data_dir) / TOKEN_FILE
        self._seen: tuple[int, int] | None = None
        self._by_hash: dict[str, TokenRecord] = {}

    # -- reading (the server) ------------------------------------------------------------
    def _read(self) -> list[TokenRecord]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            raise AuthError(f"the token file {self.path} cannot be read: {error}") from None
        return [
            TokenRecord(**{**t, "grants": tuple(t.get("grants", ()))})
            for t in data.get("tokens", [])
        ]

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
            seen = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            seen = (0, 0)
        if seen != self._seen:
            self._by_hash = {r.hash: r for r in self._read() if r.revoked is None}
            self._seen = seen

    def authenticate(self, token: str) -> Principal:
        """The principal of a presented token; AuthError if it is unknown or revoked, or if
        the token file cannot be read (its path and the reason are logged, not told)."""
        try:
            self._refresh()
        except AuthError as error:
            log.error("%s", error)
            raise AuthError(
                "authentication is unavailable: the server cannot read its tokens "
                "(the operator finds why in its log)"
            ) from None
        record = self._by_hash.get(hash_token(token.strip()))
        if record is None:
            raise AuthError("the token is not valid (unknown or revoked)")
        return record.principal()

    def records(self) -> list[TokenRecord]:
        return self._read()

    # -- writing (the CLI) ---------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[TokenRecord]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(TOKEN_FILE + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = self._read()
            yield records
            partial = self.path.with_name(f".{TOKEN_FILE}.partial")
            partial.write_text(
                json.dumps({"version": 1, "tokens": [asdict(r) for r in records]}, indent=2),
                "utf-8",
            )
            os.chmod(partial, 0o600)
            partial.replace(self.path)

    def create(self, role: str, name: str | None = None, grants: Iterable[str] = ()) -> str:
        """Create a token; returns the token itself (shown once, never stored)."""
        if role not in ROLES:
            raise InvalidArgument(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        grants = tuple(sorted({g if g == "*" else check_dataset_name(g) for g in grants}))
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._locked() as records:
            ids = {r.id for r in records}
            token_id = secrets.token_hex(4)
            while token_id in ids:
                token_id = secrets.token_hex(4)
            records.append(
                TokenRecord(
                    id=token_id,
                    name=name or f"{role}-{token_id}",
                    role=role,
                    hash=hash_token(token),
                    created=_now(),
                    grants=grants,
                )
            )
        return token

    def revoke(self, key: str) -> list[TokenRecord]:
        """Revoke the tokens whose id or name is ``key``; returns them (empty: none matched)."""
        revoked = []
        with self._locked() as records:
            for i, record in enumerate(records):
                if record.revoked is None and key in (record.id, record.name):
                    records[i] = TokenRecord(**{**asdict(record), "revoked": _now()})
                    revoked.append(records[i])
        return revoked


def principal_for(
    authorization: str | None, tokens: TokenStore | None, *, anonymous: bool = True
) -> Principal:
    """The caller of a request from its ``Authorization`` header.

    No header: the anonymous reader, or AuthError when anonymous access is off. A header that
    is not ``Bearer <token>``, or a token that is unknown or revoked: AuthError (a wrong token
    is an error, never a silent downgrade to anonymous).
    """
    if not authorization:
        if anonymous:
            return ANONYMOUS
        raise AuthError("this server needs a token: send Authorization: Bearer <token>")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("send the token as Authorization: Bearer <token>")
    if tokens is None:
        raise AuthError("this server has no tokens")
    return tokens.authenticate(token)


def authorize_update(
    plan: UpdatePlan,
    catalog: Catalog,
    principal: Principal,
    *,
    new_level: Callable[[str], str] | None = None,
) -> list[str]:
    """Refuse ``plan`` unless ``principal`` may run it; the graphs it creates, sorted.

    Rules: the caller needs an editor or admin token; every graph the update writes must be a
    dataset the caller may write, and every graph it reads one the caller may read. With
    ``new_level`` (a dataset's name to the access level it is created at), a graph that is
    no dataset yet may be written (and read, empty) where the caller may create a dataset of
    its name at that level (:meth:`Principal.may_create`: an editor creates public ones, not
    the reference dataset; a graph of the project's own namespace that names no dataset is
    never one): the update creates it. The message is the same for a graph that does not
    exist and for one the caller cannot see wherever the caller may not create it, so a
    refusal reveals nothing about restricted datasets.
    Raises QueryError (400) for the refusals of :func:`plan_update`, AccessError (403)
    otherwise.
    """
    if not principal.can_edit:
        raise AccessError("updates need an editor or admin token")
    if plan.refusals:
        raise QueryError("; ".join(plan.refusals))
    writable = set(catalog.writable(principal))
    readable = set(catalog.readable(principal))

    def creatable(graph: str) -> bool:
        name = dataset_name(graph)
        if graph in catalog or name is None or new_level is None:
            return False
        try:
            dataset_iri(name)
        except InvalidArgument:
            return False
        return principal.may_create(name, new_level(name))

    for graph in sorted(plan.writes):
        if graph not in writable and not creatable(graph):
            raise AccessError(
                f"you may not write <{graph}>: it is reserved, or a dataset you may not write"
            )
    for graph in sorted(plan.reads):
        if graph not in readable and not creatable(graph):
            raise AccessError(f"you may not read <{graph}>: it is not a dataset you can see")
    return sorted(g for g in plan.writes if g not in catalog)
