"""Tests of the pure network measures (graph/analysis/metrics/): hand-known values, igraph, sna.

Three kinds of evidence:

* exact values on graphs whose answers are known by hand (stars, cycles, complete graphs,
  paths computed in the comments, out-trees, directed cycles);
* agreement to 1e-9 with igraph (python-igraph, a test-only dependency) on 150 undirected
  and 150 directed G(n, p) graphs, n in 3..30, sparse (mostly disconnected) to dense, for
  every centralization measure and the node scores behind it;
* Krackhardt's measures against a direct transliteration of the R package sna's definitions
  (reachability matrix, dyad census, per-component counts), O(n^4) and independent of the
  condensation-based implementation.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import warnings
from collections.abc import Hashable
from itertools import combinations

# igraph is a test dependency (the dev extra): a missing one must fail, not skip.
import igraph as ig
import networkx as nx
import pytest

from graph.analysis.metrics import (
    MEASURES,
    REPORT_KEYS,
    brokers,
    centralization,
    centralization_scores,
    global_reaching_centrality,
    graph_level_report,
    krackhardt,
    node_measures,
    ranked,
    theoretical_max,
)

TOL = 1e-9
UNDIRECTED_MEASURES = ("degree", "betweenness", "closeness", "eigenvector")


def star_value_eigenvector(n: int) -> float:
    # Star K_{1,n-1}: center 1, leaves 1/sqrt(n-1) (scaled eigenvector); igraph's maximum
    # n - 2 is the single-edge graph, so the star is below 1.
    return ((n - 1) - math.sqrt(n - 1)) / (n - 2)


# ------------------------------------------------------------------------------------------
# Hand-known values
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 5, 8, 13])
def test_undirected_star_is_maximal(n: int) -> None:
    star = nx.star_graph(n - 1)
    for measure in ("degree", "betweenness", "closeness"):
        assert centralization(star, measure) == pytest.approx(1.0, abs=TOL)
    assert centralization(star, "eigenvector") == pytest.approx(star_value_eigenvector(n))


@pytest.mark.parametrize("n", [3, 4, 6, 10])
def test_single_edge_is_eigenvector_maximum(n: int) -> None:
    # igraph's theoretical maximum for eigenvector centralization: one edge, n - 2 isolates.
    G = nx.empty_graph(n)
    G.add_edge(0, 1)
    assert centralization(G, "eigenvector") == pytest.approx(1.0, abs=TOL)


@pytest.mark.parametrize("n", [4, 6, 9])
def test_directed_stars(n: int) -> None:
    out_star = nx.DiGraph((0, i) for i in range(1, n))
    assert centralization(out_star, "out_degree") == pytest.approx(1.0)
    # In-degrees: center 0, leaves 1 -> one deviation of 1 over (n-1)^2, as igraph.
    assert centralization(out_star, "in_degree") == pytest.approx(1 / (n - 1) ** 2)
    # All-degree: center n-1, leaves 1 -> (n-1)(n-2) / (2(n-1)(n-2)).
    assert centralization(out_star, "degree") == pytest.approx(0.5)
    # No directed path has an intermediate node.
    assert centralization(out_star, "betweenness") == 0.0
    assert centralization(out_star, "closeness") == pytest.approx(1.0)
    assert centralization(out_star, "eigenvector") == pytest.approx(star_value_eigenvector(n))

    in_star = out_star.reverse()
    assert centralization(in_star, "in_degree") == pytest.approx(1.0)
    assert centralization(in_star, "out_degree") == pytest.approx(1 / (n - 1) ** 2)

    mutual = nx.DiGraph(out_star)
    mutual.add_edges_from(in_star.edges())
    for measure in ("degree", "betweenness", "closeness"):
        assert centralization(mutual, measure) == pytest.approx(1.0), measure
    # In-degrees: center n-1, leaves 1 -> (n-1)(n-2) / (n-1)^2.
    assert centralization(mutual, "in_degree") == pytest.approx((n - 2) / (n - 1))


@pytest.mark.parametrize("n", [3, 4, 7, 12])
def test_cycles_and_complete_graphs_are_zero(n: int) -> None:
    for G in (
        nx.cycle_graph(n),
        nx.complete_graph(n),
        nx.cycle_graph(n, create_using=nx.DiGraph),
        nx.complete_graph(n, create_using=nx.DiGraph),
    ):
        for measure, value in centralization_scores(G).items():
            assert value == pytest.approx(0.0, abs=1e-12), (G, measure)


def test_path_of_five_by_hand() -> None:
    # Freeman's "chain" of five points, 1-2-3-4-5.
    P = nx.path_graph(5)
    # Degrees 1,2,2,2,1: deviations 1+0+0+0+1 = 2, over (n-1)(n-2) = 12.
    assert centralization(P, "degree") == pytest.approx(2 / 12)
    # Betweenness (unordered pairs): 0,3,4,3,0: deviations 4+1+0+1+4 = 10, over
    # (n-1)^2 (n-2)/2 = 24.
    assert centralization(P, "betweenness") == pytest.approx(10 / 24)
    # Closeness (n-1)/sum d: 4/10, 4/7, 4/6, 4/7, 4/10; deviations
    # 2(2/3-2/5) + 2(2/3-4/7) = 8/15 + 4/21 = 76/105, over (n-1)(n-2)/(2n-3) = 12/7.
    assert centralization(P, "closeness") == pytest.approx((76 / 105) / (12 / 7))
    # Eigenvector: lambda = sqrt(3), x = (1/2, sqrt3/2, 1, sqrt3/2, 1/2); deviations
    # 2(1/2) + 2(1 - sqrt3/2) = 3 - sqrt3, over n - 2 = 3.
    assert centralization(P, "eigenvector") == pytest.approx((3 - math.sqrt(3)) / 3)


def test_directed_path_by_hand() -> None:
    # a -> b -> c -> d. Directed betweenness: b carries (a,c),(a,d); c carries (a,d),(b,d):
    # 0,2,2,0 -> deviations 4, over (n-1)^2 (n-2) = 18.
    P = nx.path_graph(4, create_using=nx.DiGraph)
    assert centralization(P, "betweenness") == pytest.approx(4 / 18)
    # In-degree 0,1,1,1 and out-degree 1,1,1,0: one deviation each, over (n-1)^2 = 9.
    assert centralization(P, "in_degree") == pytest.approx(1 / 9)
    assert centralization(P, "out_degree") == pytest.approx(1 / 9)
    # All-degree 1,2,2,1: deviations 2 over 2(n-1)(n-2) = 12.
    assert centralization(P, "degree") == pytest.approx(2 / 12)


def test_freeman_denominators() -> None:
    for n in range(3, 12):
        assert theoretical_max("degree", n, False) == n * n - 3 * n + 2
        assert theoretical_max("betweenness", n, False) == (n**3 - 4 * n**2 + 5 * n - 2) / 2
        assert theoretical_max("closeness", n, False) == pytest.approx(
            (n * n - 3 * n + 2) / (2 * n - 3)
        )
    with pytest.raises(ValueError):
        theoretical_max("degree", 2, False)


# ------------------------------------------------------------------------------------------
# Edge cases and input kinds
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2])
@pytest.mark.parametrize("directed", [False, True])
def test_tiny_graphs(n: int, directed: bool) -> None:
    G = nx.complete_graph(n, create_using=nx.DiGraph if directed else nx.Graph)
    for measure in MEASURES:
        if measure in ("in_degree", "out_degree") and not directed:
            continue
        assert centralization(G, measure) == 0.0
    report = graph_level_report(G)
    assert list(report) == list(REPORT_KEYS)
    assert all(isinstance(v, float) and not math.isnan(v) for v in report.values())
    assert global_reaching_centrality(G) == 0.0
    k4 = krackhardt(G)
    assert all(0.0 <= v <= 1.0 for v in k4.values())
    assert node_measures(G) == {} if n == 0 else len(node_measures(G)) == n


def test_empty_and_edgeless_graphs() -> None:
    E = nx.empty_graph(6, create_using=nx.DiGraph)
    assert all(v == 0.0 for v in centralization_scores(E).values())
    assert global_reaching_centrality(E) == 0.0
    # No semipath joins any pair; no pair is reachable (0/0 -> 0); nothing can be redundant
    # (efficiency 1); no component of 3 (LUB 1).
    assert krackhardt(E) == {
        "connectedness": 0.0,
        "hierarchy": 0.0,
        "efficiency": 1.0,
        "least_upper_boundedness": 1.0,
    }


def test_invalid_measures() -> None:
    with pytest.raises(ValueError, match="directed"):
        centralization(nx.path_graph(4), "in_degree")
    with pytest.raises(ValueError, match="directed"):
        centralization(nx.Graph(), "out_degree")
    with pytest.raises(ValueError, match="unknown measure"):
        centralization(nx.path_graph(4), "katz")
    with pytest.raises(ValueError):
        centralization(nx.path_graph(4), "betweenness", k=0)


def test_multidigraph_is_collapsed_and_loops_ignored() -> None:
    base = nx.DiGraph([(0, 1), (0, 2), (0, 3), (2, 3), (3, 1), (4, 0)])
    M = nx.MultiDiGraph(base)
    M.add_edges_from([(0, 1), (0, 1), (2, 3)])  # parallel relations
    M.add_edges_from([(0, 0), (3, 3)])  # self-loops
    assert centralization_scores(M) == centralization_scores(base)
    assert graph_level_report(M) == graph_level_report(base)
    assert krackhardt(M) == krackhardt(base)
    assert global_reaching_centrality(M) == global_reaching_centrality(base)
    U = nx.MultiGraph(nx.Graph(base))
    U.add_edge(0, 1)
    U.add_edge(2, 2)
    assert centralization_scores(U) == centralization_scores(nx.Graph(base))


def test_sampled_betweenness() -> None:
    G = nx.gnp_random_graph(40, 0.1, seed=3, directed=True)
    exact = centralization(G, "betweenness")
    # k >= n samples every source: exact.
    assert centralization(G, "betweenness", k=40) == exact
    assert centralization(G, "betweenness", k=400) == exact
    estimate = centralization(G, "betweenness", k=20, seed=7)
    assert estimate == centralization(G, "betweenness", k=20, seed=7)  # seeded
    assert estimate != exact and estimate > 0
    report = graph_level_report(G, k=20, seed=7)
    assert report["centralization_betweenness"] == estimate


def test_closeness_wasserman_faust_option() -> None:
    # A pair apart from a star: reachable-only closeness scores the pair 1 like the hub.
    G = nx.star_graph(4)
    G.add_edge(10, 11)
    G.add_node(12)
    reachable_only = centralization(G, "closeness")
    wf = centralization(G, "closeness", wf_improved=True)
    assert wf < reachable_only
    assert centralization(nx.star_graph(5), "closeness", wf_improved=True) == pytest.approx(1)


# ------------------------------------------------------------------------------------------
# Agreement with igraph
# ------------------------------------------------------------------------------------------


def random_graphs(directed: bool, count: int = 150) -> list[nx.Graph]:
    rng = random.Random(20240501 + directed)
    graphs = []
    for i in range(count):
        n = rng.randint(3, 30)
        # A third sparse (mostly disconnected, with isolates), a third around the
        # connectivity threshold, a third dense.
        band = i % 3
        p = rng.uniform(0.01, 1.2 / n) if band == 0 else rng.uniform(1 / n, 3 / n)
        if band == 2:
            p = rng.uniform(0.2, 0.8)
        graphs.append(
            nx.gnp_random_graph(n, min(p, 1.0), seed=rng.randrange(2**31), directed=directed)
        )
    return graphs


def to_igraph(G: nx.Graph) -> tuple[object, list[Hashable]]:
    nodes = list(G)
    index = {v: i for i, v in enumerate(nodes)}
    g = ig.Graph(
        n=len(nodes), edges=[(index[u], index[v]) for u, v in G.edges()], directed=G.is_directed()
    )
    return g, nodes


def igraph_scores(g, measure: str) -> list[float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # igraph warns on disconnected eigenvector input
        if measure == "degree":
            return g.degree(mode="all", loops=False)
        if measure == "in_degree":
            return g.degree(mode="in", loops=False)
        if measure == "out_degree":
            return g.degree(mode="out", loops=False)
        if measure == "betweenness":
            return g.betweenness(directed=True)
        if measure == "closeness":
            return g.closeness(mode="all", normalized=True)
        # igraph's directed=False on a digraph reads each arc as an undirected edge (a mutual
        # tie becomes two parallel edges). python-igraph 1.0.0 rejects directed=False
        # ("Invalid mode"), so the conversion is spelt out.
        return undirected_each(g).eigenvector_centrality(scale=True)


def undirected_each(g):
    return g.as_undirected(mode="each") if g.is_directed() else g


def igraph_tmax(measure: str, n: int, directed: bool) -> float:
    # igraph src/centrality/centralization.c, *_tmax with loops=false (and mode "all" /
    # directed=false for closeness and eigenvector).
    if measure == "degree":
        return 2 * (n - 1) * (n - 2) if directed else (n - 1) * (n - 2)
    if measure in ("in_degree", "out_degree"):
        return (n - 1) ** 2
    if measure == "betweenness":
        return (n - 1) ** 2 * (n - 2) if directed else (n - 1) ** 2 * (n - 2) / 2
    if measure == "closeness":
        return (n - 1) * (n - 2) / (2 * n - 3)
    return n - 2


def igraph_centralization(scores: list[float], tmax: float) -> float:
    n = len(scores)
    return (n * max(scores) - sum(scores)) / tmax  # igraph_centralization()


def eigenvector_is_unique(g) -> bool:
    """False when two components tie for the largest adjacency eigenvalue."""
    lams = []
    u = undirected_each(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for comp in u.connected_components():
            if len(comp) >= 2:
                sub = u.induced_subgraph(comp)
                _, lam = sub.eigenvector_centrality(return_eigenvalue=True)
                lams.append(lam)
    lams.sort(reverse=True)
    return len(lams) < 2 or lams[0] - lams[1] > 1e-6 * lams[0]


@pytest.mark.parametrize("directed", [False, True], ids=["undirected", "directed"])
def test_agreement_with_igraph(directed: bool) -> None:
    from graph.analysis.metrics.node import (
        _betweenness_scores,
        _closeness_scores,
        _eigenvector_scores,
    )

    measures = MEASURES if directed else UNDIRECTED_MEASURES
    compared = dict.fromkeys(measures, 0)
    disconnected = with_isolates = 0
    for G in random_graphs(directed):
        n = G.number_of_nodes()
        g, nodes = to_igraph(G)
        disconnected += not nx.is_weakly_connected(G) if directed else not nx.is_connected(G)
        isolates = nx.number_of_isolates(G) > 0
        with_isolates += isolates
        unique = eigenvector_is_unique(g)
        ours = centralization_scores(G)
        for measure in measures:
            theirs = [0.0 if math.isnan(s) else s for s in igraph_scores(g, measure)]
            if measure == "eigenvector" and not unique:
                continue  # not uniquely defined: igraph's answer is one of many
            expected = igraph_centralization(theirs, igraph_tmax(measure, n, directed))
            assert ours[measure] == pytest.approx(expected, abs=TOL), (measure, G.edges())
            assert centralization(G, measure) == ours[measure]
            compared[measure] += 1
            # The node scores behind the index agree too.
            if measure in ("betweenness", "closeness", "eigenvector"):
                if measure == "betweenness":
                    mine = _betweenness_scores(G, normalized=False)
                elif measure == "closeness":
                    mine = _closeness_scores(G)
                else:
                    mine = _eigenvector_scores(G)
                for i, v in enumerate(nodes):
                    assert mine[v] == pytest.approx(theirs[i], abs=TOL), (measure, v)
        if isolates:
            # igraph's closeness of an isolate is NaN, so its centralization is NaN; here the
            # isolate scores 0 (the documented difference).
            assert any(math.isnan(s) for s in igraph_scores(g, "closeness"))
    assert min(compared.values()) >= 100, compared
    assert disconnected >= 40 and with_isolates >= 20


def test_eigenvector_arpack_path_agrees_with_igraph(monkeypatch) -> None:
    # Large components use ARPACK (scipy, a dependency); force it on small graphs.
    from graph.analysis.metrics import node

    monkeypatch.setattr(node, "_ARPACK_MIN_NODES", 3)
    checked = 0
    for G in random_graphs(directed=True, count=60):
        g, _ = to_igraph(G)
        if not eigenvector_is_unique(g):
            continue
        theirs = igraph_scores(g, "eigenvector")
        expected = igraph_centralization(theirs, igraph_tmax("eigenvector", len(G), True))
        assert centralization(G, "eigenvector") == pytest.approx(expected, abs=TOL)
        checked += 1
    assert checked >= 50


# ------------------------------------------------------------------------------------------
# Hierarchy: global reaching centrality, Krackhardt
# ------------------------------------------------------------------------------------------


def test_global_reaching_centrality_by_hand() -> None:
    assert global_reaching_centrality(nx.DiGraph([(0, 1), (0, 2), (0, 3)])) == 1.0
    # In-star of n: each leaf reaches 1/(n-1), the center none -> (1/(n-1)) / (n-1).
    assert global_reaching_centrality(nx.DiGraph([(1, 0), (2, 0), (3, 0)])) == pytest.approx(1 / 9)
    # Directed path of n: node i reaches (n-1-i)/(n-1); sum of deviations n/2 -> n/(2(n-1)).
    for n in (3, 5, 8):
        P = nx.path_graph(n, create_using=nx.DiGraph)
        assert global_reaching_centrality(P) == pytest.approx(n / (2 * (n - 1)))
    assert global_reaching_centrality(nx.DiGraph([(0, 1), (1, 0), (1, 2), (2, 1)])) == 0.0


def test_global_reaching_centrality_matches_networkx() -> None:
    rng = random.Random(11)
    for _ in range(60):
        n = rng.randint(2, 25)
        G = nx.gnp_random_graph(n, rng.uniform(0.03, 0.4), seed=rng.randrange(10**6), directed=True)
        if G.number_of_edges() == 0:
            continue
        assert global_reaching_centrality(G) == pytest.approx(
            nx.global_reaching_centrality(G), abs=1e-12
        )
        # The weighted and undirected cases are networkx's own function.
        for u, v in G.edges():
            G[u][v]["amount"] = rng.uniform(1, 10)
        assert global_reaching_centrality(G, weight="amount") == pytest.approx(
            nx.global_reaching_centrality(G, weight="amount")
        )
        U = G.to_undirected()
        assert global_reaching_centrality(U) == pytest.approx(nx.global_reaching_centrality(U))


def test_krackhardt_out_tree_is_one() -> None:
    tree = nx.balanced_tree(2, 4, create_using=nx.DiGraph)  # root -> children, 31 nodes
    assert krackhardt(tree) == {
        "connectedness": 1.0,
        "hierarchy": 1.0,
        "efficiency": 1.0,
        "least_upper_boundedness": 1.0,
    }
    forest = nx.disjoint_union(tree, nx.balanced_tree(3, 2, create_using=nx.DiGraph))
    k4 = krackhardt(forest)
    assert k4["hierarchy"] == k4["efficiency"] == k4["least_upper_boundedness"] == 1.0
    # 31 + 13 nodes in two components: 1 - 31*13 / C(44, 2).
    assert k4["connectedness"] == pytest.approx(1 - 31 * 13 / (44 * 43 / 2))


@pytest.mark.parametrize("n", [3, 5, 10])
def test_krackhardt_directed_cycle(n: int) -> None:
    k4 = krackhardt(nx.cycle_graph(n, create_using=nx.DiGraph))
    assert k4["connectedness"] == 1.0
    assert k4["hierarchy"] == 0.0  # everybody reaches everybody both ways
    assert k4["efficiency"] == pytest.approx(1 - 1 / (n - 1) ** 2)  # one arc too many
    assert k4["least_upper_boundedness"] == 1.0


def test_krackhardt_small_cases_by_hand() -> None:
    # In-star (everyone reports to 0 but nobody commands two people): C(n-1, 2) leaf pairs
    # without any common upper bound = the maximum.
    assert krackhardt(nx.DiGraph([(1, 0), (2, 0), (3, 0)])) == {
        "connectedness": 1.0,
        "hierarchy": 1.0,
        "efficiency": 1.0,
        "least_upper_boundedness": 0.0,
    }
    # 0 -> 1 -> 2 plus 2 -> 1: pairs (0,1),(0,2) one-way, (1,2) mutual -> A=2, M=1: 2/3.
    # 3 arcs, 2 needed, room (3-1)^2 = 4: 1 - 1/4.
    k4 = krackhardt(nx.DiGraph([(0, 1), (1, 2), (2, 1)]))
    assert k4["hierarchy"] == pytest.approx(2 / 3)
    assert k4["efficiency"] == pytest.approx(0.75)
    assert k4["least_upper_boundedness"] == 1.0
    # Two bosses over one worker, a common head above them: 0->1, 0->2, 1->3, 2->3.
    # Pairs: (1,2) LUB 0; (0,*) comparable; (1,3),(2,3) comparable. No violation.
    diamond = nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3)])
    assert krackhardt(diamond)["least_upper_boundedness"] == 1.0
    # Add 4 under both 1 and 2: pair (3,4) has upper bounds {0,1,2}; 1 and 2 are both
    # minimal, neither reaches the other -> no LUB. 1 violation of max (5-1)(5-2)/2 = 6.
    # (sna's compiled lubness would accept 0, which reaches both bosses.)
    diamond.add_edges_from([(1, 4), (2, 4)])
    assert krackhardt(diamond)["least_upper_boundedness"] == pytest.approx(1 - 1 / 6)
    # An undirected edge is a mutual tie.
    k4 = krackhardt(nx.path_graph(4))
    assert k4["hierarchy"] == 0.0 and k4["least_upper_boundedness"] == 1.0
    assert k4["efficiency"] == pytest.approx(1 - 3 / 9)  # 6 arcs, 3 needed, room 9


def sna_reference(G: nx.DiGraph) -> dict[str, float]:
    """sna's connectedness, hierarchy(krackhardt), efficiency and lubness, transliterated.

    r[i][j] = 1 iff j is reachable from i, diagonal 1 (sna's reachability); dyad census on r
    for hierarchy (grecip "dyadic.nonnull"); per weak component counts for efficiency and
    LUB; LUB as sna documents it (and as its pure-R 0.4x code did): an upper bound l of i, j
    that every upper bound k reaches.
    """
    nodes = list(G)
    n = len(nodes)
    r = {i: {j: j == i or nx.has_path(G, i, j) for j in nodes} for i in nodes}
    weak = [list(c) for c in nx.weakly_connected_components(G)]
    comp_of = {v: i for i, c in enumerate(weak) for v in c}
    out = {}
    # connectedness: density of the reachability matrix of the weakly symmetrized graph.
    joined = sum(1 for i, j in combinations(nodes, 2) if comp_of[i] == comp_of[j])
    out["connectedness"] = 1.0 if n <= 1 else joined / (n * (n - 1) / 2)
    mut = sum(1 for i, j in combinations(nodes, 2) if r[i][j] and r[j][i])
    asym = sum(1 for i, j in combinations(nodes, 2) if r[i][j] != r[j][i])
    out["hierarchy"] = 1 - mut / (mut + asym) if mut + asym else 0.0
    req = sum(len(c) - 1 for c in weak)
    maxv = sum(len(c) * (len(c) - 1) - (len(c) - 1) for c in weak)
    out["efficiency"] = 1 - (G.number_of_edges() - req) / maxv if maxv else 1.0
    nolub = maxnolub = 0
    for c in weak:
        if len(c) <= 2:
            continue
        for i, j in combinations(c, 2):
            ub = [k for k in c if r[k][i] and r[k][j]]
            if not any(all(r[k][lub] for k in ub) for lub in ub):
                nolub += 1
        maxnolub += (len(c) - 1) * (len(c) - 2) / 2
    out["least_upper_boundedness"] = 1 - nolub / maxnolub if maxnolub else 1.0
    return out


def shared_bosses(rng: random.Random, n: int, *, back_links: int) -> nx.DiGraph:
    """A hierarchy of ``n`` actors where each has one to three bosses among those before it,
    with up to ``back_links`` arcs anywhere: least upper boundedness neither 0 nor 1."""
    H = nx.DiGraph()
    H.add_nodes_from(range(n))
    for v in range(1, n):
        for boss in rng.sample(range(v), min(v, rng.choice([1, 1, 2, 3]))):
            H.add_edge(boss, v)
    for _ in range(rng.randint(0, back_links)):
        u, v = rng.sample(range(n), 2)
        H.add_edge(u, v)
    return H


def test_krackhardt_matches_sna_definitions() -> None:
    rng = random.Random(5)
    graphs = []
    for _ in range(80):
        n = rng.randint(1, 16)
        graphs.append(
            nx.gnp_random_graph(
                n, rng.uniform(0.02, 0.45), seed=rng.randrange(10**6), directed=True
            )
        )
    # Hierarchies with shared bosses and a few back-links, where LUB is neither 0 nor 1.
    for _ in range(40):
        graphs.append(shared_bosses(rng, rng.randint(5, 18), back_links=2))
    interior = 0
    for G in graphs:
        ours, ref = krackhardt(G), sna_reference(G)
        for key in ref:
            assert ours[key] == pytest.approx(ref[key], abs=1e-12), (key, G.edges())
            assert 0.0 <= ours[key] <= 1.0
        interior += 0 < ours["least_upper_boundedness"] < 1
    assert interior >= 10


# ------------------------------------------------------------------------------------------
# Brokers, node measures, report
# ------------------------------------------------------------------------------------------


def test_brokers() -> None:
    # mod -> {region_a, region_b} -> recruiters; agency is a second path to r2.
    G = nx.MultiDiGraph(
        [
            ("mod", "region_a"),
            ("mod", "region_b"),
            ("region_a", "r1"),
            ("region_a", "r2"),
            ("region_b", "r3"),
            ("mod", "agency"),
            ("agency", "r2"),
            ("r1", "r3"),
        ]
    )
    # (mod, r2): two shortest paths, via region_a and via agency -> 1/2 each.
    # region_a: r1 1 + r2 1/2; region_b: r3 1; agency: r2 1/2.
    assert brokers(G, ["mod"], ["r1", "r2", "r3"]) == [
        ("region_a", 1.5),
        ("region_b", 1.0),
        ("agency", 0.5),
    ]
    assert brokers(G, ["mod"], ["r1", "r2", "r3"], top=1) == [("region_a", 1.5)]
    # Endpoints never rank, even when they carry paths (r1 lies on nothing here anyway).
    ranked_nodes = [v for v, _ in brokers(G, ["mod", "region_a"], ["r1", "r2", "r3"], top=None)]
    assert "region_a" not in ranked_nodes and "mod" not in ranked_nodes
    assert brokers(G, ["nobody"], ["r1"]) == []
    # Against the direction nothing flows; undirected, r1 -- r3 is also a path.
    assert brokers(G, ["r3"], ["mod"]) == []
    undirected = dict(brokers(G, ["r3"], ["mod"], directed=False, top=None))
    assert undirected == {"region_b": 1.0}
    assert brokers(nx.Graph(G.to_undirected()), ["r3"], ["mod"]) == [("region_b", 1.0)]


def test_node_measures() -> None:
    G = nx.MultiDiGraph()
    G.add_edge("mod", "region", amount=100.0)
    G.add_edge("mod", "region", amount=50.0)  # a second payment
    G.add_edge("region", "recruiter", amount=30.0)
    G.add_edge("region", "recruiter", kind="coordination")  # no amount: counts 0
    G.add_edge("recruiter", "recruiter", amount=5.0)  # self-loop: ignored
    G.add_node("isolate")
    m = node_measures(G, weight="amount")
    assert m["region"]["in_strength"] == 150.0 and m["region"]["out_strength"] == 30.0
    assert m["region"]["strength"] == 180.0
    assert m["region"]["degree"] == 2.0 and m["region"]["in_degree"] == 1.0
    counts = node_measures(G)
    assert counts["region"]["strength"] == 4.0  # four relations
    assert counts["recruiter"]["strength"] == 2.0
    assert m["region"]["betweenness"] == pytest.approx(1 / 6)  # 1 of (n-1)(n-2) = 6 pairs
    assert m["region"]["eigenvector"] == 1.0 and m["isolate"]["eigenvector"] == 0.0
    assert m["isolate"]["closeness"] == 0.0
    assert sum(row["pagerank"] for row in m.values()) == pytest.approx(1.0)
    assert ranked(m, "betweenness", top=1) == [("region", pytest.approx(1 / 6))]
    assert [v for v, _ in ranked(m, "in_strength")][:2] == ["region", "recruiter"]
    U = node_measures(nx.path_graph(3))
    assert set(U[0]) == {
        "degree",
        "strength",
        "betweenness",
        "closeness",
        "eigenvector",
        "pagerank",
    }
    with pytest.raises(KeyError):
        ranked(U, "in_degree")


def test_eigenvector_falls_back_when_power_iteration_fails(monkeypatch) -> None:
    from graph.analysis.metrics import node

    def fail(*args, **kwargs):
        raise nx.PowerIterationFailedConvergence(1)

    def no_scipy(*args, **kwargs):
        raise ImportError("scipy")

    monkeypatch.setattr(nx, "eigenvector_centrality", fail)
    monkeypatch.setattr(nx, "eigenvector_centrality_numpy", no_scipy)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        scores = node._eigenvector_scores(nx.star_graph(4))
    assert scores[0] == 1.0 and scores[1] == pytest.approx(0.25)  # degree, scaled


def test_report_on_a_federal_star() -> None:
    G = nx.MultiDiGraph()
    for region in range(6):
        G.add_edge("center", f"region{region}")
        G.add_edge("center", f"region{region}")  # funding and coordination
    report = graph_level_report(G)
    assert list(report) == list(REPORT_KEYS)
    assert report["centralization_out_degree"] == 1.0
    assert report["centralization_closeness"] == pytest.approx(1.0)
    assert report["global_reaching_centrality"] == 1.0
    assert report["krackhardt_hierarchy"] == report["krackhardt_lub"] == 1.0
    assert report["krackhardt_connectedness"] == report["krackhardt_efficiency"] == 1.0
    # Provinces on their own: six disjoint region -> recruiter pairs.
    P = nx.MultiDiGraph((f"region{i}", f"recruiter{i}") for i in range(6))
    provinces = graph_level_report(P)
    assert provinces["centralization_out_degree"] < report["centralization_out_degree"]
    assert provinces["global_reaching_centrality"] < report["global_reaching_centrality"]
    # Undirected input is read as mutual ties.
    assert graph_level_report(nx.star_graph(5))["krackhardt_hierarchy"] == 0.0


# ------------------------------------------------------------------------------------------
# Estimates for large graphs
# ------------------------------------------------------------------------------------------


def chain_of_command(mids: int = 40, per_mid: int = 20) -> nx.DiGraph:
    """A head over ``mids`` offices, each over ``per_mid`` recruiters with a cohort each."""
    G = nx.DiGraph()
    for m in range(mids):
        G.add_edge("head", f"office{m}")
        for r in range(per_mid):
            G.add_edge(f"office{m}", f"recruiter{m}.{r}")
            G.add_edge(f"recruiter{m}.{r}", f"cohort{m}.{r}")
    return G


def test_stratified_betweenness_is_exact_when_every_stratum_is_taken_whole() -> None:
    from graph.analysis.metrics.node import _out_reach, _sampled_betweenness

    for directed in (True, False):
        G = nx.gnp_random_graph(60, 0.05, seed=11, directed=directed)
        exact = nx.betweenness_centrality(G, normalized=False)
        estimate = _sampled_betweenness(G, 10_000, 0, _out_reach(G))
        assert estimate == pytest.approx(exact, abs=1e-9)


def test_sampled_estimates_do_not_miss_the_top_of_a_hierarchy() -> None:
    # Uniform draws of 8 sources among 1,641 nodes almost never include the head, whose
    # paths give the offices all their betweenness; the strata by reach always do.
    G = chain_of_command()
    exact = {m: centralization(G, m) for m in ("betweenness", "closeness")}
    assert exact["betweenness"] > 0
    for seed in range(5):
        for measure, value in exact.items():
            estimate = centralization(G, measure, k=8, seed=seed)
            assert estimate == pytest.approx(value, rel=0.05), (measure, seed)


def test_sampled_least_upper_boundedness_does_not_depend_on_string_hashing() -> None:
    # The components are sets, whose order changes with PYTHONHASHSEED; the sample must not.
    code = (
        "import random, networkx as nx\n"
        "from graph.analysis.metrics import krackhardt\n"
        "rng = random.Random(1)\n"
        "G = nx.DiGraph()\n"
        "for v in range(1, 400):\n"
        "    for u in rng.sample(range(v), min(v, rng.choice([1, 2]))):\n"
        "        G.add_edge(f'a{u}', f'a{v}')\n"
        "print(krackhardt(G, lub_pairs=500)['least_upper_boundedness'])\n"
    )
    results = set()
    for hash_seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        results.add(run.stdout.strip())
    assert len(results) == 1, results


def test_sampled_least_upper_boundedness_tests_each_pair_drawn_as_sna() -> None:
    # Chains of command with shared bosses and a few back-links: each pair that the estimate
    # draws (the same seeded draws, in the graph's node order) is tested here by sna's
    # definition on the reachability matrix, and the count of pairs without a LUB must agree.
    rng = random.Random(11)
    for _ in range(12):
        n = rng.randint(20, 60)
        G = shared_bosses(rng, n, back_links=3)
        nodes = list(G)
        reaches = {k: nx.descendants(G, k) | {k} for k in nodes}
        draws = random.Random(0)
        misses = 0
        for _ in range(300):
            a, b = draws.sample(nodes, 2)
            upper = [k for k in nodes if a in reaches[k] and b in reaches[k]]
            if not any(all(lub in reaches[k] for k in upper) for lub in upper):
                misses += 1
        expected = max(0.0, 1 - misses / 300 * (n * (n - 1) // 2) / ((n - 1) * (n - 2) // 2))
        found = krackhardt(G, lub_pairs=300, seed=0)["least_upper_boundedness"]
        assert found == pytest.approx(expected, abs=1e-12), G.edges()
