"""The compiled path of the large-graph measures (graph/analysis/metrics/sparse.py) against
networkx.

Where no networkx backend is set, the report computes betweenness, closeness, components, the
condensation and eigenvectors on a CSR form of the graph. These tests hold that path to what
networkx itself gives: bit for bit for the searches (betweenness, closeness), the same
partitions and a valid topological order for components and the condensation, 1e-9 for
eigenvectors; and every figure of the report the same whichever path computes it.
"""

from __future__ import annotations

import importlib
import random
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest

from graph.analysis import figures
from graph.analysis import network as network_module
from graph.analysis.metrics import brokers, graph_level_report, krackhardt, node_measures
from graph.analysis.metrics import hierarchy as hierarchy_module
from graph.analysis.metrics import node as node_module
from graph.analysis.metrics import sparse as sparse_module
from graph.analysis.metrics.brokers import _brokers
from graph.analysis.metrics.node import (
    _eigen_undirected,
    _eigenvector_scores,
    _NodeScores,
    _sparse_eigenvector_scores,
)
from graph.analysis.metrics.report import LUB_PAIRS, _graph_level_report
from graph.analysis.metrics.sparse import (
    SparseGraph,
    betweenness_subset,
    closeness,
    components,
    condensation,
    dispatched,
    distances,
)
from graph.analysis.network import EXACT_LIMIT
from graph.analysis.projection import _multidigraph, simple_view
from graph.errors import InvalidArgument


def random_graphs(directed: bool, count: int = 60, seed: int = 7) -> list[nx.Graph]:
    """G(n, p) graphs from mostly disconnected to dense, with string nodes in a shuffled
    order (so that node order, not node value, is what the searches must follow)."""
    rng = random.Random(seed + directed)
    graphs = []
    for i in range(count):
        n = rng.randint(2, 40)
        p = (rng.uniform(0.01, 1.5 / n), rng.uniform(1 / n, 4 / n), rng.uniform(0.2, 0.7))[i % 3]
        G = nx.gnp_random_graph(n, min(p, 1.0), seed=rng.randrange(2**31), directed=directed)
        labels = list(range(n))
        rng.shuffle(labels)
        graphs.append(nx.relabel_nodes(G, {v: f"a{labels[v]}" for v in G}))
    return graphs


def hierarchies(count: int = 20, seed: int = 3) -> list[nx.DiGraph]:
    """Directed trees with a few arcs back up and across: chains of command with cycles."""
    rng = random.Random(seed)
    graphs = []
    for _ in range(count):
        n = rng.randint(5, 80)
        D = nx.DiGraph()
        D.add_node("n0")
        for v in range(1, n):
            D.add_edge(f"n{rng.randrange(v)}", f"n{v}")
        for _ in range(rng.randint(0, n // 4)):
            u, v = rng.sample(range(n), 2)
            D.add_edge(f"n{u}", f"n{v}")
        graphs.append(D)
    return graphs


@pytest.mark.parametrize("directed", [False, True])
def test_betweenness_subset_is_networkx_bit_for_bit(directed: bool) -> None:
    rng = random.Random(11)
    for G in random_graphs(directed):
        g = SparseGraph.from_networkx(G)
        nodes = list(G)
        for _ in range(3):
            sources = rng.sample(nodes, rng.randint(1, len(nodes)))
            targets = rng.sample(nodes, rng.randint(1, len(nodes)))
            expected = nx.betweenness_centrality_subset(
                G, sources=sources, targets=targets, normalized=False
            )
            found = betweenness_subset(
                g, [g.index[s] for s in sources], [g.index[t] for t in targets]
            )
            assert dict(zip(g.nodes, found.tolist(), strict=True)) == expected


@pytest.mark.parametrize("directed", [False, True])
def test_exact_betweenness_is_networkx_bit_for_bit(
    directed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node_module, "_COMPILED_MIN_NODES", 0)  # the compiled path always
    for G in [*random_graphs(directed), nx.gnp_random_graph(300, 0.01, seed=2, directed=directed)]:
        assert node_module._betweenness_scores(G, normalized=False) == nx.betweenness_centrality(
            G, normalized=False
        )


def test_betweenness_subset_counts_many_shortest_paths() -> None:
    # A grid has binomially many shortest paths between opposite corners.
    G = nx.convert_node_labels_to_integers(nx.grid_2d_graph(9, 9))
    g = SparseGraph.from_networkx(G)
    found = betweenness_subset(g, range(g.n), range(g.n))
    expected = nx.betweenness_centrality(G, normalized=False)
    assert dict(zip(g.nodes, found.tolist(), strict=True)) == expected


def test_closeness_and_distances_are_networkx_bit_for_bit() -> None:
    for G in random_graphs(False):
        g = SparseGraph.from_networkx(G)
        for v in G:
            for wf in (False, True):
                assert closeness(g, g.index[v], wf_improved=wf) == nx.closeness_centrality(
                    G, u=v, wf_improved=wf
                )
            hops = {g.nodes[i]: d for i, d in distances(g, g.index[v]).items()}
            assert hops == nx.single_source_shortest_path_length(G, v)


def test_closeness_on_the_undirected_view_of_a_digraph() -> None:
    for D in random_graphs(True, count=20):
        g = SparseGraph.from_networkx(D).undirected
        U = D.to_undirected()
        for v in D:
            assert closeness(g, g.index[v], wf_improved=True) == pytest.approx(
                nx.closeness_centrality(U, u=v, wf_improved=True), abs=0
            )


@pytest.mark.parametrize("directed", [False, True])
def test_components_in_networkx_order(directed: bool) -> None:
    for G in random_graphs(directed):
        g = SparseGraph.from_networkx(G)
        found = [[g.nodes[i] for i in part.tolist()] for part in components(g)]
        parts = nx.weakly_connected_components(G) if directed else nx.connected_components(G)
        order = {v: i for i, v in enumerate(G)}
        expected = [sorted(part, key=order.__getitem__) for part in parts]
        assert found == expected


def test_condensation_is_a_topologically_ordered_dag_of_the_sccs() -> None:
    for D in [*random_graphs(True), *hierarchies()]:
        g = SparseGraph.from_networkx(D)
        labels, order, parents = condensation(g)
        # The same partition into strongly connected components as networkx's.
        found = {frozenset(g.nodes[i] for i in np.flatnonzero(labels == c)) for c in order}
        assert found == {frozenset(c) for c in nx.strongly_connected_components(D)}
        assert sorted(order) == list(range(len(order)))
        # Every arc between two SCCs goes from an earlier one to a later one, and the parents
        # of an SCC are exactly the SCCs with an arc into it.
        position = {c: i for i, c in enumerate(order)}
        expected_parents: dict[int, set[int]] = {c: set() for c in order}
        for u, v in D.edges():
            a, b = int(labels[g.index[u]]), int(labels[g.index[v]])
            if a != b:
                assert position[a] < position[b]
                expected_parents[b].add(a)
        assert {c: set(p) for c, p in enumerate(parents)} == expected_parents
        assert all(p == sorted(p) for p in parents)


@pytest.mark.parametrize("through_networkx", [False, True])
def test_ancestors_and_reach_of_each_scc_are_networkx_s(
    through_networkx: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The condensation's ancestor sets (positions in its topological order) and the actors
    # below each SCC, from the compiled condensation or from networkx's.
    if through_networkx:
        _networkx_everywhere(monkeypatch)
    for D in [*random_graphs(True), *hierarchies()]:
        reach = hierarchy_module._reach(D)
        scc_of = reach.scc_of
        for v in D:
            c = scc_of[v]
            above = {reach.order[p] for p in reach.ancestors.of(c)}
            assert above == {scc_of[a] for a in nx.ancestors(D, v)} - {c}
            assert reach.ancestors.count(c) == len(above)
            assert reach.below[c] == sum(1 for w in nx.descendants(D, v) if scc_of[w] != c)


def test_undirected_view_weighs_mutual_ties_two() -> None:
    D = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    W = SparseGraph.from_networkx(D).undirected
    dense = W.matrix.toarray()
    i = W.index
    assert dense[i["a"], i["b"]] == dense[i["b"], i["a"]] == 2
    assert dense[i["b"], i["c"]] == dense[i["c"], i["b"]] == 1
    assert dense[i["a"], i["c"]] == 0


def test_sparse_eigenvector_matches_networkx_path() -> None:
    graphs: list[nx.Graph] = [*random_graphs(False), *random_graphs(True)]
    # Components past the ARPACK threshold, beside small ones: both paths of the matrix code.
    big = nx.barabasi_albert_graph(1500, 2, seed=1)
    big.add_edges_from([(2000, 2001), (2001, 2002), (3000, 3001)])
    big.add_node(4000)
    graphs.append(big)
    graphs.append(nx.DiGraph())
    graphs.append(nx.empty_graph(4))
    for G in graphs:
        expected = _eigenvector_scores(G)
        found = _sparse_eigenvector_scores(SparseGraph.from_networkx(G).undirected)
        assert found.keys() == expected.keys()
        for v in G:
            assert found[v] == pytest.approx(expected[v], abs=1e-9), v
    assert _eigen_undirected is not None


def _networkx_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every measure take its networkx path, as it does where a backend is set."""
    # graph.analysis.metrics.brokers is also the name of a function in graph.analysis.metrics:
    # import the module.
    brokers_module = importlib.import_module("graph.analysis.metrics.brokers")
    for module in (node_module, hierarchy_module, brokers_module):
        monkeypatch.setattr(module, "dispatched", lambda *algorithms: True)


def _both_paths(monkeypatch: pytest.MonkeyPatch, compute):
    compiled = compute()
    with monkeypatch.context() as patch:
        _networkx_everywhere(patch)
        through_networkx = compute()
    return compiled, through_networkx


def test_report_is_the_same_on_either_path(monkeypatch: pytest.MonkeyPatch) -> None:
    graphs = [*hierarchies(), *random_graphs(True, count=15)]
    for D in graphs:
        for k in (None, 4):
            compiled, through_networkx = _both_paths(
                monkeypatch, lambda D=D, k=k: graph_level_report(D, k=k, seed=1)
            )
            assert compiled.keys() == through_networkx.keys()
            for key, value in compiled.items():
                assert value == pytest.approx(through_networkx[key], abs=1e-9), key


def test_krackhardt_and_node_measures_the_same_on_either_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for D in hierarchies(count=10):
        compiled, through_networkx = _both_paths(monkeypatch, lambda D=D: krackhardt(D))
        assert compiled == pytest.approx(through_networkx, abs=1e-12)
        compiled, through_networkx = _both_paths(monkeypatch, lambda D=D: node_measures(D))
        for v in D:
            assert compiled[v] == pytest.approx(through_networkx[v], abs=1e-9)


def test_brokers_the_same_on_either_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    for D in [*hierarchies(), *random_graphs(True, count=20)]:
        nodes = list(D)
        src = rng.sample(nodes, max(1, len(nodes) // 6))
        dst = rng.sample(nodes, max(1, len(nodes) // 3))
        for directed in (True, False):
            compiled, through_networkx = _both_paths(
                monkeypatch,
                lambda D=D, src=src, dst=dst, directed=directed: brokers(
                    D, src, dst, top=None, directed=directed
                ),
            )
            # networkx takes the sources in the order of a set (varying with string hashing),
            # the compiled path in the graph's: the sums agree to the last bits.
            assert dict(compiled) == pytest.approx(dict(through_networkx), rel=1e-12)
        # The scores of a report, whose CSR form is read from the projection, give the same.
        M = nx.MultiDiGraph(D)
        M.add_edges_from(list(D.edges())[::3])  # parallel claims
        M.add_edges_from((v, v) for v in list(D)[::4])  # and self-loops
        lazy = _NodeScores.lazy(
            M.number_of_nodes(), lambda M=M: simple_view(M), lambda M=M: SparseGraph.simple_of(M)
        )
        assert _brokers(lazy, src, dst, None) == brokers(D, src, dst, top=None)
        assert lazy._S is None  # the networkx view was not built


def test_dispatched_reads_networkx_backend_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    # No backend is installed here: networkx runs everything itself.
    assert not dispatched(nx.betweenness_centrality_subset, nx.condensation)
    algorithm = SimpleNamespace(name="betweenness_centrality_subset", backends={"cugraph"})
    priorities = SimpleNamespace(algos=["cugraph"], get=lambda name, default: default)
    monkeypatch.setattr(
        sparse_module, "nx", SimpleNamespace(config=SimpleNamespace(backend_priority=priorities))
    )
    assert dispatched(algorithm)
    # A function's own entry overrides the list for algorithms.
    priorities.get = lambda name, default: ["networkx"]
    assert not dispatched(algorithm)
    # A backend that does not implement the function does not take it.
    priorities.get = lambda name, default: default
    assert not dispatched(SimpleNamespace(name="condensation", backends={"networkx"}))


def test_multidigraph_is_what_networkx_builds() -> None:
    nodes = {f"n{i}": {"kind": "Recruiter", "label": f"N {i}"} for i in range(6)}
    edges = [
        ("n0", "n1", "c1", {"type": "FundingFlow", "amount": 5.0}),
        ("n0", "n1", "c2", {"type": "Coordination"}),
        ("n1", "n0", "c3", {"type": "FundingFlow"}),
        ("n2", "n2", "c4", {"type": "Operation"}),
        ("n3", "n4", "c5", {"type": "Recruitment", "count": 40}),
    ]
    expected = nx.MultiDiGraph()
    expected.add_nodes_from(nodes.items())
    expected.add_edges_from(edges)
    built = _multidigraph(
        {v: dict(a) for v, a in nodes.items()}, [(u, v, k, dict(a)) for u, v, k, a in edges]
    )
    assert nx.utils.graphs_equal(built, expected)
    assert list(built.edges(keys=True, data=True)) == list(expected.edges(keys=True, data=True))
    assert list(built.in_edges(keys=True)) == list(expected.in_edges(keys=True))
    # The successor and predecessor views share one attribute dict per edge, as networkx's do.
    assert built["n0"]["n1"]["c1"] is built.pred["n1"]["n0"]["c1"]
    assert built.number_of_edges() == 5 and built.degree("n2") == 2


def with_parallel_claims(D: nx.DiGraph) -> nx.MultiDiGraph:
    """``D`` as a projection holds it: some relations claimed twice, some actors tied to
    themselves."""
    M = nx.MultiDiGraph(D)
    M.add_edges_from(list(D.edges())[::3])
    M.add_edges_from((v, v) for v in list(D)[::4])
    return M


def test_lazy_scores_of_a_projection_give_the_report_of_its_simple_view(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A report's node scores read the CSR form from the projection and build the networkx
    # view only where a measure needs it: the same figures as the scores of the view itself,
    # on either path.
    for D in [*hierarchies(), *random_graphs(True, count=15)]:
        M = with_parallel_claims(D)
        for k in (None, 4):
            for through_networkx in (False, True):
                with monkeypatch.context() as patch:
                    if through_networkx:
                        _networkx_everywhere(patch)
                    lazy = network_module._scores(M, k)
                    found = _graph_level_report(
                        lazy, lub_pairs=None if lazy.k is None else LUB_PAIRS, seed=0
                    )
                    assert found == graph_level_report(M, k=k, seed=0)
                    if lazy.k is not None and not through_networkx:
                        assert lazy._S is None  # no networkx view was built


def test_node_table_of_a_large_projection_ranks_degree_and_betweenness() -> None:
    rng = random.Random(2)
    D = nx.DiGraph()
    for v in range(1, EXACT_LIMIT + 500):
        for boss in rng.sample(range(v), min(v, rng.choice([1, 1, 2]))):
            D.add_edge(f"a{boss}", f"a{v}")
    G = with_parallel_claims(D)
    view = simple_view(G, weight="count")
    k = network_module.sample_size(G)
    between = _NodeScores(view, k=k, seed=0).betweenness(normalized=True)
    for by, column in (("degree", dict(view.degree())), ("betweenness", between)):
        rows = figures.node_table(G, by=by, top=None)
        assert [row["id"] for row in rows] == [
            v for v, _ in sorted(column.items(), key=lambda item: (-item[1], str(item[0])))
        ]
        for row in rows:
            v = row["id"]
            assert row[by] == float(column[v])
            assert row["measures"] == {"degree": view.degree(v), "betweenness": between[v]}
    assert [row["rank"] for row in figures.node_table(G, top=3)] == [1, 2, 3]
    with pytest.raises(InvalidArgument, match="use one of degree, betweenness"):
        figures.node_table(G, by="closeness")
