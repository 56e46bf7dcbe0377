"""The statistics of graph.analysis.metrics.uncertainty, each checked against its definition or
against
published values: Wilson and Clopper–Pearson intervals, Newcombe's difference interval, Holm's
adjustment, the interval of a degenerate bootstrap, and the null of a centralization."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import networkx as nx
import pytest
from scipy.stats import binom

from graph.analysis.metrics import uncertainty
from graph.analysis.metrics.centralization import centralization, degree_centralization
from graph.analysis.metrics.uncertainty import (
    centralization_null,
    clopper_pearson_interval,
    degenerate_interval,
    disagreement_bound,
    holm,
    median_interval,
    mover_interval,
    newcombe_interval,
    percentile_interval,
    wilson_interval,
)

# Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion: comparison
# of seven methods. Statistics in Medicine 17, 857–872, Table II: methods 3 (Wilson score) and
# 5 (Clopper–Pearson "exact"), 95%.
SINGLE = [
    # k, n, Wilson, Clopper–Pearson
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]

# Newcombe, R. G. (1998). Interval estimation for the difference between independent
# proportions: comparison of eleven methods. Statistics in Medicine 17, 873–890, Table II,
# method 10 (hybrid score), 95%, for p1 - p2 with p1 = k1/n1.
DIFFERENCE = [
    (56, 70, 48, 80, (0.0524, 0.3339)),
    (9, 10, 3, 10, (0.1705, 0.8090)),
    (6, 7, 2, 7, (0.0582, 0.8062)),
    (5, 56, 0, 29, (-0.0381, 0.1926)),
    (0, 10, 0, 20, (-0.1611, 0.2775)),
    (10, 10, 0, 20, (0.6791, 1.0000)),
]


@pytest.mark.parametrize(("k", "n", "wilson", "exact"), SINGLE)
def test_single_proportion_intervals_match_newcombe_1998(
    k: int, n: int, wilson: tuple[float, float], exact: tuple[float, float]
) -> None:
    assert wilson_interval(k, n) == pytest.approx(wilson, abs=5e-5)
    assert clopper_pearson_interval(k, n) == pytest.approx(exact, abs=5e-5)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "expected"), DIFFERENCE)
def test_newcombe_difference_matches_newcombe_1998(
    k1: int, n1: int, k2: int, n2: int, expected: tuple[float, float]
) -> None:
    # Newcombe tabulates p1 - p2; newcombe_interval gives second - first.
    assert newcombe_interval(k2, n2, k1, n1) == pytest.approx(expected, abs=5e-5)


def test_24_of_24_does_not_collapse_to_a_point() -> None:
    # Clopper–Pearson's lower bound at k = n is (alpha/2)^(1/n): 0.025 ** (1/24) = 0.8575.
    low, high = clopper_pearson_interval(24, 24)
    assert (
        high == 1.0
        and low == pytest.approx(0.025 ** (1 / 24))
        and low == pytest.approx(0.8575, abs=5e-5)
    )
    # Wilson's at k = n is n / (n + z^2).
    z = 1.959963984540054
    assert wilson_interval(24, 24) == pytest.approx((24 / (24 + z * z), 1.0))
    assert wilson_interval(0, 24) == pytest.approx((0.0, z * z / (24 + z * z)))
    # The interval of a bootstrap whose every resample gives 1: that of 24 of 24 agreeing.
    assert degenerate_interval(1.0, 24) == pytest.approx((0.025 ** (1 / 24), 1.0))
    assert degenerate_interval(0.0, 24) == pytest.approx((0.0, 1 - 0.025 ** (1 / 24)))
    # An interior value moves the same share of the way to either end.
    u = disagreement_bound(24)
    assert degenerate_interval(0.25, 24) == pytest.approx((0.25 - u * 0.25, 0.25 + u * 0.75))
    # Both periods at 24 of 24: no change, but not a certain one.
    low, high = newcombe_interval(24, 24, 24, 24)
    assert low < 0 < high and high - low > 0.2
    assert wilson_interval(0, 0) == (0.0, 1.0) and disagreement_bound(0) == 1.0


def test_intervals_refuse_bad_input() -> None:
    for bad in [(3, 2), (-1, 4), (1.5, 4)]:
        with pytest.raises(ValueError, match="k"):
            wilson_interval(*bad)
        with pytest.raises(ValueError, match="k"):
            clopper_pearson_interval(*bad)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=1.0)
    with pytest.raises(ValueError, match="bounds"):
        degenerate_interval(1.5, 10)
    with pytest.raises(ValueError, match="no values"):
        percentile_interval([])


def test_mover_is_newcombe_for_wilson_intervals_and_never_a_point() -> None:
    for k1, n1, k2, n2 in [(3, 10, 7, 12), (0, 5, 5, 5), (12, 40, 11, 40)]:
        mover = mover_interval(k1 / n1, wilson_interval(k1, n1), k2 / n2, wilson_interval(k2, n2))
        assert mover == pytest.approx(newcombe_interval(k1, n1, k2, n2))
    # d = 0.2; below: sqrt(0.1^2 + 0.1^2), above the same.
    assert mover_interval(0.5, (0.4, 0.6), 0.7, (0.6, 0.8)) == pytest.approx(
        (0.2 - 0.02**0.5, 0.2 + 0.02**0.5)
    )
    # A percentile interval need not contain its estimate: that side then adds nothing.
    # Here d = 0; below: sqrt(0.1^2 + 0.1^2); above: both bounds on the wrong side, 0.
    assert mover_interval(0.5, (0.55, 0.6), 0.5, (0.4, 0.45)) == pytest.approx((-(0.02**0.5), 0.0))


def test_percentile_interval_is_numpys_linear_quantile() -> None:
    values = [0.3, 0.1, 0.7, 0.5, 0.9]  # sorted 0.1, 0.3, 0.5, 0.7, 0.9
    # q = 0.025: position 0.1 -> 0.1 + 0.1 * 0.2; q = 0.975: position 3.9 -> 0.7 + 0.9 * 0.2.
    assert percentile_interval(values) == pytest.approx((0.12, 0.88))


def test_holm_by_hand() -> None:
    # m = 3. Sorted: 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04, raised to 0.06).
    assert holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]
    # m = 4. Sorted: 0.01 x4 = 0.04, 0.04 x3 = 0.12, 0.2 x2 = 0.4, 0.5 x1 = 0.5.
    assert holm([0.2, 0.5, 0.01, 0.04]) == [0.4, 0.5, 0.04, 0.12]
    # Capped at 1: 0.6 x3 = 1.8.
    assert holm([0.6, 0.9, 0.7]) == [1.0, 1.0, 1.0]
    # An untested change (None) is left out of m: m = 2, 0.01 x2 = 0.02, 0.5 x1 = 0.5.
    assert holm([0.5, None, 0.01]) == [0.5, None, 0.02]
    assert holm([]) == [] and holm([0.3]) == [0.3]
    with pytest.raises(ValueError, match="p-value"):
        holm([0.5, 1.2])


def _holm_by_definition(p: list[float]) -> list[float]:
    """Holm's adjusted p from the closed-testing form: for hypothesis i, the largest over the
    hypotheses j ranked at or before i of min(1, (m - rank_j + 1) p_j)."""
    m = len(p)
    order = sorted(range(m), key=lambda i: (p[i], i))
    rank = {i: r for r, i in enumerate(order, start=1)}
    return [
        max(min(1.0, (m - rank[j] + 1) * p[j]) for j in range(m) if rank[j] <= rank[i])
        for i in range(m)
    ]


def test_holm_matches_its_definition_is_monotone_and_capped() -> None:
    rng = random.Random(7)
    for _ in range(200):
        p = [round(rng.random() ** 2, 4) for _ in range(rng.randint(1, 9))]
        adjusted = holm(p)
        assert adjusted == pytest.approx(_holm_by_definition(p))
        assert all(a >= q for a, q in zip(adjusted, p, strict=True))
        assert all(a <= 1 for a in adjusted)
        # The adjustment keeps the order of the p-values.
        for i, j in itertools.combinations(range(len(p)), 2):
            if p[i] <= p[j]:
                assert adjusted[i] <= adjusted[j]


def _degrees(arcs: list[tuple[str, str]]) -> tuple[Counter, Counter]:
    return Counter(u for u, _ in arcs), Counter(v for _, v in arcs)


def test_the_switch_chain_keeps_every_degree() -> None:
    D = nx.gnm_random_graph(20, 45, seed=3, directed=True)
    drawn, moved = uncertainty._switch_chain(D, 30, random.Random(1))
    assert moved and len(drawn) == 30
    observed = _degrees(list(D.edges()))
    for arcs in drawn:
        assert _degrees(arcs) == observed
        assert len(set(arcs)) == len(arcs) and all(u != v for u, v in arcs)
    assert any(set(arcs) != set(D.edges()) for arcs in drawn)
    # Undirected: the degree of every node.
    U = nx.gnm_random_graph(15, 30, seed=2)
    drawn, moved = uncertainty._switch_chain(U, 10, random.Random(2))
    for edges in drawn:
        assert Counter(x for e in edges for x in e) == Counter(dict(U.degree()))
        assert len({frozenset(e) for e in edges}) == len(edges)


def test_a_star_is_more_centralized_than_chance() -> None:
    star = nx.MultiDiGraph([("centre", leaf) for leaf in "abcdefghij"])
    null = centralization_null(star, "centralization_out_degree", n=199, seed=4)
    # Degree figures are fixed by the degrees: the null is G(n, m) with 11 actors and 10 arcs,
    # whose out-degree centralization is 1 only for an out-star, never drawn here.
    assert null.model == "gnm" and null.observed == 1.0
    assert len(null.values) == 199 and max(null.values) < 1.0
    assert null.p_value == pytest.approx(1 / 200) and null.p_lower == 1.0
    assert null.low <= null.high < 1.0 and not null.degenerate
    assert null == centralization_null(star, "out_degree", n=199, seed=4)  # same seed, same draws
    # The undirected degree centralization of a star, against G(n, m) undirected.
    undirected = centralization_null(nx.star_graph(10), "centralization_degree", n=99)
    assert undirected.observed == 1.0 and undirected.p_value == pytest.approx(0.01)


def test_degree_preserving_null_of_a_hub() -> None:
    # A wheel: six cycles a_i -> hub -> b_i -> c_i -> a_(i+1) that all run through the hub.
    # Arranged at random with the same in- and out-degrees, the ties form longer cycles that
    # bypass it, and its betweenness falls.
    G = nx.DiGraph()
    for i in range(6):
        G.add_edges_from(
            [(f"a{i}", "hub"), ("hub", f"b{i}"), (f"b{i}", f"c{i}"), (f"c{i}", f"a{(i + 1) % 6}")]
        )
    null = centralization_null(G, "centralization_betweenness", n=99, seed=1)
    assert null.model == "degree_preserving" and not null.degenerate
    assert null.observed == pytest.approx(centralization(G, "betweenness"))
    assert null.p_value == pytest.approx(0.01) and null.high < null.observed
    # The p-values are their definitions over the drawn values.
    extreme = sum(1 for v in null.values if v >= null.observed - 1e-12)
    assert null.p_value == (1 + extreme) / 100
    assert null.p_lower == (1 + sum(1 for v in null.values if v <= null.observed + 1e-12)) / 100
    # A hub beside a long cycle: random arrangements give the cycle's nodes shortcuts through
    # the hub, so the observed network is *less* centralized than chance.
    H = nx.DiGraph([(f"a{i}", "hub") for i in range(6)] + [("hub", f"b{i}") for i in range(6)])
    H.add_edges_from((f"x{i}", f"x{(i + 1) % 12}") for i in range(12))
    below = centralization_null(H, "centralization_betweenness", n=99, seed=0)
    assert below.p_lower == pytest.approx(0.01) and below.p_value == 1.0


def test_a_null_that_cannot_move_says_so() -> None:
    # A mutual star: every switch would make a self-loop or repeat a tie, so the only network
    # with its degrees is itself.
    mutual = nx.DiGraph([("hub", x) for x in "abcde"] + [(x, "hub") for x in "abcde"])
    null = centralization_null(mutual, "centralization_betweenness", n=19)
    assert null.degenerate and "no switch" in null.note and null.p_value == 1.0
    assert set(null.values) == {null.observed}
    with pytest.raises(ValueError, match="point"):
        centralization_null(mutual, "centralization_degree", model="degree_preserving")
    with pytest.raises(ValueError, match="unknown centralization"):
        centralization_null(mutual, "centralization_charisma")
    with pytest.raises(ValueError, match="null model"):
        centralization_null(mutual, "betweenness", model="lattice")
    with pytest.raises(ValueError, match="directed"):
        centralization_null(nx.path_graph(4), "out_degree", model="gnm")


@pytest.mark.parametrize("n", [1, 2, 5, 6, 7, 10, 25, 57])
def test_median_interval_takes_the_narrowest_order_statistics_that_cover(n: int) -> None:
    """Coverage counted over every way the n draws can fall either side of the median
    (2**n equally likely sign patterns), against what median_interval says."""
    values = list(range(n))
    low, high, coverage = median_interval(values)
    j = low + 1  # the interval is (x_(j), x_(n-j+1))
    assert high == n - j

    def covers(j: int) -> float:
        # x_(j) <= median <= x_(n-j+1) fails when fewer than j of the n draws fall below
        # the median, or fewer than j above it
        misses = sum(math.comb(n, k) for k in range(n + 1) if k < j or k > n - j)
        return 1 - misses / 2**n

    assert coverage == pytest.approx(covers(j))
    if n >= 6:
        assert coverage >= 0.95
    if j + 1 <= (n + 1) // 2:
        assert covers(j + 1) < 0.95  # the next pair in would cover less than 95%
    assert median_interval(list(reversed(values))) == (low, high, coverage)


def test_median_interval_needs_values() -> None:
    with pytest.raises(ValueError, match="no values"):
        median_interval([])


def test_median_interval_is_scipys_coverage_of_each_order_statistic() -> None:
    """The coverages of every order statistic, from one call of scipy, are what a call for
    each gives: the same pair and the same coverage, to the bit (a chart's interval did not
    move when the calls were joined)."""
    for n in [*range(1, 80), 999, 4_001, 9_999]:
        low, high, coverage = median_interval(range(n))
        j = 1
        while j + 1 <= (n + 1) // 2 and 1 - 2 * float(binom.cdf(j, n, 0.5)) >= 0.95:
            j += 1
        assert (low, high, coverage) == (j - 1, n - j, 1 - 2 * float(binom.cdf(j - 1, n, 0.5)))


@pytest.mark.parametrize(("n", "m", "seed"), [(50, 120, 1), (2_000, 5_000, 2), (30_000, 45_000, 3)])
def test_the_null_of_a_degree_centralization_is_summed_exactly(n: int, m: int, seed: int) -> None:
    """The degrees of a null's random networks summed in numpy give what the sum in Python
    gives, to the bit; the out-degrees alone are those of the whole draw."""
    for directed, measure in [
        (True, "out_degree"),
        (True, "in_degree"),
        (True, "degree"),
        (False, "degree"),
    ]:
        degrees = uncertainty._gnm_degrees(n, m, directed, random.Random(seed), measure)
        assert int(degrees.sum()) == m * (1 if measure != "degree" else 2)
        in_python = degree_centralization(degrees.tolist(), measure, directed=directed)
        assert degree_centralization(degrees, measure, directed=directed) == in_python
    both = uncertainty._gnm_degrees(n, m, True, random.Random(seed), "degree")
    ins = uncertainty._gnm_degrees(n, m, True, random.Random(seed), "in_degree")
    outs = uncertainty._gnm_degrees(n, m, True, random.Random(seed), "out_degree")
    assert (outs == both - ins).all()
