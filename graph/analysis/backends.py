"""Which networkx backend runs the analytics: networkx's own dispatch, chosen by one setting.

networkx (3.3 and later) hands a call of a dispatchable function (``betweenness_centrality``,
``pagerank``, ...) to a *backend* installed beside it — nx-parallel (CPU cores, Python 3.12 and
later), nx-cugraph (an NVIDIA GPU) — when that backend is first in
``nx.config.backend_priority`` and implements the function; everything else runs in networkx.
The analytics of this project call networkx as usual, so choosing a backend changes no code:
:func:`use_backend` sets that priority in the process that computes (the ``recruitgraph``
command, and the server's engine process, which is handed the setting in its
:class:`~graph.server.engine.StoreSpec`).

The setting is ``--nx-backend NAME`` (``recruitgraph serve``, ``metrics``, ``report``), else
the environment variable :data:`ENVIRONMENT`; ``networkx`` means networkx's own code. A name
that is not installed is refused (exit 1, or the server does not start), with the installed
ones listed: they are networkx's entry points of group ``networkx.backends``. Unset,
networkx's own configuration stands (its ``NETWORKX_BACKEND_PRIORITY`` variable included).

See docs/analytics-backends.md for installing a backend and what it was measured to do.

Examples
--------
>>> import networkx as nx
>>> "networkx" in installed_backends()
True
>>> use_backend("networkx")
'networkx'
>>> active_backend()
'networkx'
>>> use_backend("no-such-backend")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
graph.errors.InvalidArgument: networkx backend 'no-such-backend' is not installed; installed: ...
>>> use_backend(None)
'networkx'
>>> nx.config.backend_priority.algos = []  # (networkx's default again)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import import_module
from typing import Any

import networkx as nx

from graph.errors import InvalidArgument

__all__ = ["ENVIRONMENT", "NETWORKX", "active_backend", "installed_backends", "use_backend"]

#: The environment variable read where ``--nx-backend`` is not given.
ENVIRONMENT = "RECRUITGRAPH_NX_BACKEND"
#: networkx's own implementation: no dispatch.
NETWORKX = "networkx"


def installed_backends() -> list[str]:
    """The backends that can be chosen: ``networkx`` and those installed beside it, sorted: the
    entry points of group ``networkx.backends`` as networkx read them at import (less its own
    test backend, ``nx_loopback``)."""
    dispatch = import_module("networkx.utils.backends")  # (not in networkx's type stubs)
    return sorted({NETWORKX, *dispatch.backends})


def backend_setting(given: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The backend asked for: ``given`` (a command-line option) if any, else the environment's
    :data:`ENVIRONMENT` if set and not blank, else None (networkx's own configuration).

    >>> backend_setting(None, {ENVIRONMENT: " parallel "}), backend_setting("cugraph", {})
    ('parallel', 'cugraph')
    >>> backend_setting(None, {ENVIRONMENT: ""}) is None
    True
    """
    if given is not None:
        return given.strip()
    return environ.get(ENVIRONMENT, "").strip() or None


def use_backend(name: str | None) -> str:
    """Make ``name`` the backend that runs networkx's dispatchable functions in this process,
    and return the backend now active (:func:`active_backend`).

    ``networkx`` puts networkx's own code first (no dispatch); None leaves networkx's
    configuration as it is. Only the priority of *algorithms* is set: graph generators and
    classes stay networkx's, so the projection is an ordinary networkx graph that a backend
    converts (and networkx caches the conversion in the graph, see
    :mod:`graph.store.cache`).

    Raises
    ------
    InvalidArgument
        ``name`` is not installed; the message lists those that are.
    """
    if name is not None:
        installed = installed_backends()
        if name not in installed:
            raise InvalidArgument(
                f"networkx backend {name!r} is not installed; installed: {', '.join(installed)} "
                "(see docs/analytics-backends.md to install nx-parallel or nx-cugraph)"
            )
        _priority().algos = [name]
    return active_backend()


def active_backend() -> str:
    """The backend first in line for networkx's algorithms in this process (``networkx`` when
    none is configured). A backend runs only the functions it implements; networkx runs the
    rest."""
    priority = list(_priority().algos)
    return priority[0] if priority else NETWORKX


def _priority() -> Any:
    """networkx's ``BackendPriorities`` (typed as a plain list in its stubs)."""
    return nx.config.backend_priority
