"""Freeman centralization: how much one actor dominates the network, in [0, 1].

``centralization(G, measure)`` is a public contract that other code relies on (the timeline,
the CLI, the HTTP API); its values match igraph's ``centralization_*`` functions with
``normalized=True`` and ``loops=False``, except where the docstring says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np

from graph.analysis.metrics.node import _NodeScores
from graph.analysis.metrics.views import _simple
from graph.errors import InvalidArgument

__all__ = [
    "MEASURES",
    "centralization",
    "centralization_scores",
    "degree_centralization",
    "theoretical_max",
]

#: The measures accepted by :func:`centralization`, in report order.
MEASURES: tuple[str, ...] = (
    "degree",
    "in_degree",
    "out_degree",
    "betweenness",
    "closeness",
    "eigenvector",
)
_DIRECTED_ONLY = frozenset({"in_degree", "out_degree"})


def theoretical_max(measure: str, n: int, directed: bool) -> float:
    r"""The largest value of :math:`\sum_v (\max_u c_u - c_v)` over graphs like ``G``.

    igraph's ``centralization_*_tmax`` with ``loops=False``, for ``n`` nodes:

    ============  =====================================  ======================================
    measure       undirected                             directed
    ============  =====================================  ======================================
    degree        :math:`(n-1)(n-2)`                     :math:`2(n-1)(n-2)` (all-degree)
    in/out degr.  —                                      :math:`(n-1)^2`
    betweenness   :math:`(n-1)^2(n-2)/2`                 :math:`(n-1)^2(n-2)`
    closeness     :math:`(n-1)(n-2)/(2n-3)`              same (direction ignored, mode "all")
    eigenvector   :math:`n-2`                            same (undirected view)
    ============  =====================================  ======================================

    The maximum is reached by the star (a mutual star for directed all-degree and
    betweenness; the out-star for out-degree, the in-star for in-degree), except for
    eigenvector, where igraph takes the graph with a single edge (two scores 1, the rest 0),
    so that a star scores :math:`((n-1) - \sqrt{n-1})/(n-2) < 1`. The undirected values are
    Freeman's (1978/79) denominators :math:`n^2-3n+2`, :math:`(n^3-4n^2+5n-2)/2` and
    :math:`(n^2-3n+2)/(2n-3)`.

    Parameters
    ----------
    measure : str
        One of :data:`MEASURES`.
    n : int
        Number of nodes, at least 3.
    directed : bool
        Whether the graph is directed.

    Returns
    -------
    float

    Examples
    --------
    >>> theoretical_max("betweenness", 5, directed=False)
    24.0
    >>> theoretical_max("out_degree", 5, directed=True)
    16.0

    References
    ----------
    Freeman, L. C. (1978/79). Centrality in social networks: conceptual clarification.
    *Social Networks* 1, 215–239. igraph, ``src/centrality/centralization.c``.
    """
    if n < 3:
        raise ValueError(f"the theoretical maximum needs at least 3 nodes, got {n}")
    _check_measure(measure, directed)
    m = float(n)
    if measure == "degree":
        return 2 * (m - 1) * (m - 2) if directed else (m - 1) * (m - 2)
    if measure in _DIRECTED_ONLY:
        return (m - 1) * (m - 1)
    if measure == "betweenness":
        return (m - 1) ** 2 * (m - 2) if directed else (m - 1) ** 2 * (m - 2) / 2
    if measure == "closeness":
        return (m - 1) * (m - 2) / (2 * m - 3)
    return m - 2  # eigenvector


def centralization(
    G: nx.Graph | nx.DiGraph,
    measure: str,
    *,
    k: int | None = None,
    seed: int | None = 0,
    wf_improved: bool = False,
) -> float:
    r"""Freeman centralization of ``G`` for one node measure, normalized to [0, 1].

    .. math::

        C_x(G) = \frac{\sum_{v} \left(\max_u c_x(u) - c_x(v)\right)}
                      {\max_{H} \sum_{v} \left(\max_u c_x^H(u) - c_x^H(v)\right)}

    where :math:`c_x` is the node score and the denominator, the same sum maximized over all
    graphs :math:`H` with as many nodes and the same directedness (the star), is given by
    :func:`theoretical_max`. 1 means one actor holds all the centrality there is to hold;
    0 means all actors are alike. The normalization is igraph's ``centralization_degree``,
    ``_betweenness``, ``_closeness`` and ``_eigenvector_centrality`` with ``normalized=True``
    and ``loops=False``.

    Node scores :math:`c_x`, on the simple graph of ``G`` (a multigraph is first collapsed:
    parallel edges count once; self-loops are ignored):

    * ``"degree"``: number of neighbours; on a DiGraph the all-degree in + out (igraph
      ``mode="all"``, a mutual tie counting twice).
    * ``"in_degree"``, ``"out_degree"``: DiGraph only (``ValueError`` otherwise). The
      out-star scores 1 for ``out_degree`` and :math:`1/(n-1)^2` for ``in_degree``, as in
      igraph.
    * ``"betweenness"``: raw shortest-path betweenness, directed paths on a DiGraph (igraph's
      ``directed=True``; the directed maximum is the mutual star: an out-star scores 0).
    * ``"closeness"``: :math:`(r_v-1)/\sum_u d(v,u)` over the :math:`r_v - 1` nodes reachable
      from :math:`v`, **ignoring direction** on a DiGraph (igraph ``mode="all"``), so that
      the star is the maximum of both graph kinds. igraph's own default for digraphs,
      ``mode="out"``, has the theoretical maximum :math:`(n-1)(1-1/n)` of igraph < 0.10,
      where unreachable nodes counted at distance :math:`n`; with today's reachable-only
      closeness it gives NaN for any sink and more than 1 for the out-star, so it is not used.
    * ``"eigenvector"``: leading eigenvector of the adjacency matrix scaled to a maximum of 1,
      on the **undirected view** of a DiGraph, a mutual tie weighing 2 (igraph
      ``directed=False``, R igraph's ``centr_eigen`` default): directed eigenvector
      centrality is zero or undefined on the acyclic chains of command this project studies.

    Where networkx's and igraph's node measures differ, and what this function does:

    * Closeness on a disconnected graph: igraph scores each node over the nodes it can reach
      (as here); networkx's ``closeness_centrality`` by default multiplies by
      :math:`(r_v-1)/(n-1)` (Wasserman & Faust), which this function does only with
      ``wf_improved=True``. A node that reaches nobody (an isolate) is NaN in igraph, which
      makes igraph's centralization NaN; here it scores 0. Reachable-only closeness can push
      the index **above 1** on a disconnected graph (a separate pair scores 1 like a hub);
      ``wf_improved=True`` keeps it comparable across windows with isolates (it stayed
      within [0, 1] on 3,000 random graphs, though no bound is proven).
    * Eigenvector scale: networkx's ``eigenvector_centrality`` has Euclidean norm 1 and, on a
      DiGraph, follows in-edges; igraph's scores (and these) have maximum 1, which is what
      makes the index comparable across graph sizes.
    * Eigenvector on a disconnected graph: the leading eigenvector lives on the component
      with the largest eigenvalue. When components tie, the eigenvector is not unique: igraph
      returns an arbitrary combination (ARPACK), this function scales each tied component to
      a maximum of 1. A graph without edges scores every node 1 (igraph's convention), hence 0.
    * Fewer than 3 nodes: 0.0 (the star and the complete graph coincide and the denominator
      is 0; igraph gives NaN, or 1 for a directed in/out-degree pair). An empty graph: 0.0.

    Parameters
    ----------
    G : networkx Graph or DiGraph (MultiGraph, MultiDiGraph accepted and collapsed)
    measure : str
        One of :data:`MEASURES`.
    k : int or None
        For large graphs, estimate the betweenness and closeness indices from samples of
        about ``k`` nodes; ``None`` or ``k >= n`` is exact. Other measures ignore ``k``.

        Betweenness: the node scores are sums over source nodes, and are estimated from about
        ``k`` sampled sources, stratified by how many nodes each source reaches (in powers of
        two) and shared among the strata in proportion to their total reach, at least one
        each; each sampled source counts for the sources of its stratum not drawn. Every
        score is estimated without bias, and the few sources at the top of a hierarchy,
        which carry nearly all the betweenness and which uniform draws (networkx's ``k``)
        mostly miss, are sampled first. The maximum of the estimates is biased upwards, and so
        the index. Sources reaching at most one node contribute nothing and are never drawn,
        so the number of sources used is ``k`` plus at most one per stratum.

        Closeness: the ``k // 8`` nodes of highest degree (at least one) are scored exactly,
        where the maximum almost surely lies, and ``k`` other nodes drawn in strata by their
        distance from the node of highest degree (proportionally to the strata's sizes, at
        least one each), each standing for the nodes of its stratum not drawn; the sum of
        deviations from the sample's maximum is the weighted sum over the sample.

        bench/RESULTS.md gives the error of both estimates against exact values.
    seed : int or None
        Seed of the betweenness sample; the default makes repeated calls agree.
    wf_improved : bool
        Closeness only: use Wasserman–Faust scaled closeness (see above). Default False
        (igraph's definition).

    Returns
    -------
    float
        The centralization, in [0, 1] except for reachable-only closeness on a
        disconnected graph (see above).

    Raises
    ------
    ValueError
        Unknown measure, or an in/out-degree measure on an undirected graph.

    Examples
    --------
    >>> import networkx as nx
    >>> centralization(nx.star_graph(4), "betweenness")
    1.0
    >>> centralization(nx.cycle_graph(6), "closeness")
    0.0
    >>> round(centralization(nx.path_graph(5), "degree"), 4)  # (1+0+0+0+1) / (4*3)
    0.1667
    >>> out_star = nx.DiGraph([(0, 1), (0, 2), (0, 3)])
    >>> centralization(out_star, "out_degree"), centralization(out_star, "in_degree")
    (1.0, 0.1111111111111111)

    References
    ----------
    Freeman, L. C. (1978/79). Centrality in social networks: conceptual clarification.
    *Social Networks* 1, 215–239. Wasserman, S. & Faust, K. (1994). *Social Network
    Analysis*, ch. 5. Cambridge UP. Csárdi, G. & Nepusz, T. (2006). The igraph software
    package for complex network research. *InterJournal Complex Systems* 1695.
    """
    return _centralization(G, measure, k=k, seed=seed, wf_improved=wf_improved)


def _check_measure(measure: str, directed: bool) -> None:
    if measure not in MEASURES:
        raise InvalidArgument(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    if measure in _DIRECTED_ONLY and not directed:
        raise InvalidArgument(f"{measure!r} needs a directed graph; use 'degree' for a Graph")


def _freeman(scores: Iterable[float], tmax: float, weights: Iterable[float] | None = None) -> float:
    values = list(scores)
    top = max(values)
    # Summing nonnegative deviations (rather than n*max - sum, as igraph does) avoids
    # cancellation: a regular graph gives exactly 0.
    if weights is None:
        deviations = sum(top - c for c in values)
    else:
        # A sample of the nodes (sampled closeness): each stands for ``weight`` nodes.
        deviations = sum(w * (top - c) for c, w in zip(values, weights, strict=True))
    return float(deviations / tmax)


def degree_centralization(
    degrees: Sequence[float] | np.ndarray, measure: str, *, directed: bool
) -> float:
    """The centralization of a degree measure (``degree``, ``in_degree``, ``out_degree``) of
    a simple graph whose nodes have ``degrees``: what :func:`centralization` gives for it,
    without the graph (a degree measure reads nothing else). ``degrees`` as a numpy array of
    integers (a null's random networks) are summed in numpy, exactly as in Python.

    >>> degree_centralization([4, 1, 1, 1, 1], "degree", directed=False)  # the star
    1.0
    >>> degree_centralization(np.array([4, 1, 1, 1, 1]), "degree", directed=False)
    1.0
    """
    _check_measure(measure, directed)
    if measure not in ("degree", "in_degree", "out_degree"):
        raise InvalidArgument(f"{measure!r} is not a degree measure")
    if len(degrees) < 3:
        return 0.0
    tmax = theoretical_max(measure, len(degrees), directed)
    if isinstance(degrees, np.ndarray) and degrees.dtype.kind in "iu":
        # Whole numbers: the same sum of deviations as _freeman's (an integer, exact either
        # way) without a Python object per node, for each of a null's hundreds of networks
        # (a tenth of the question page's time at 100,000 actors).
        return float(int((degrees.max() - degrees).sum()) / tmax)
    return _freeman(degrees, tmax)


def _index(scores: _NodeScores, measure: str, wf_improved: bool) -> float:
    """One centralization index from the node scores of a simple graph of 3 or more nodes."""
    weights = None
    values: Iterable[float]
    if measure in ("degree", "in_degree", "out_degree"):
        values = scores.degrees(measure)
    elif measure == "betweenness":
        values = scores.betweenness().values()
    elif measure == "closeness":
        closeness = scores.closeness(wf_improved=wf_improved, sampled=True)
        values = closeness.values()
        sampled = scores.closeness_weights() if scores.k is not None else None
        weights = None if sampled is None else [sampled[v] for v in closeness]
    else:
        values = scores.eigenvector().values()
    return _freeman(values, theoretical_max(measure, scores.n, scores.directed), weights)


def _centralization(
    G: nx.Graph, measure: str, *, k: int | None, seed: int | None, wf_improved: bool
) -> float:
    _check_measure(measure, G.is_directed())
    if G.number_of_nodes() < 3:
        return 0.0
    return _index(_NodeScores(_simple(G), k=k, seed=seed), measure, wf_improved)


def centralization_scores(
    G: nx.Graph | nx.DiGraph,
    *,
    k: int | None = None,
    seed: int | None = 0,
    wf_improved: bool = False,
) -> dict[str, float]:
    """Every centralization index applicable to ``G``, keyed by measure.

    ``degree``, ``betweenness``, ``closeness`` and ``eigenvector`` for any graph, plus
    ``in_degree`` and ``out_degree`` for a directed one, each exactly as
    :func:`centralization` computes it (the simple graph is built once).

    Parameters
    ----------
    G : networkx graph (multigraphs are collapsed)
    k : int or None
        Sampled betweenness and closeness, as in :func:`centralization`.
    seed : int or None
        Seed of the sample.
    wf_improved : bool
        Wasserman–Faust closeness, as in :func:`centralization`.

    Returns
    -------
    dict
        ``{measure: value}`` in the order of :data:`MEASURES`.

    Examples
    --------
    >>> import networkx as nx
    >>> centralization_scores(nx.complete_graph(4))
    {'degree': 0.0, 'betweenness': 0.0, 'closeness': 0.0, 'eigenvector': 0.0}
    >>> sorted(centralization_scores(nx.DiGraph([(0, 1), (1, 2)])))
    ['betweenness', 'closeness', 'degree', 'eigenvector', 'in_degree', 'out_degree']

    References
    ----------
    Freeman, L. C. (1978/79). Centrality in social networks: conceptual clarification.
    *Social Networks* 1, 215–239.
    """
    return _centralizations(_NodeScores(_simple(G), k=k, seed=seed), wf_improved=wf_improved)


def _centralizations(scores: _NodeScores, *, wf_improved: bool) -> dict[str, float]:
    """:func:`centralization_scores` from node scores that may be shared with a node table."""
    directed = scores.directed
    measures = [m for m in MEASURES if directed or m not in _DIRECTED_ONLY]
    if scores.n < 3:
        return dict.fromkeys(measures, 0.0)
    return {m: _index(scores, m, wf_improved) for m in measures}
