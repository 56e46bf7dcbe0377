r"""Uncertainty of the figures of a recruitment network: exact intervals for proportions and
their differences, intervals that stay open when every claim agrees, Holm's adjustment for
several changes tested together, and a null model that says what centralization chance gives.

Pure statistics: these functions know counts, values and graphs, not claims or projections;
:mod:`graph.analysis.evidence` applies them to the figures of
:func:`graph.analysis.network.network_figures`.

Which interval a figure gets
----------------------------
* **A proportion of counts** :math:`k/n` (federal reach: schemes and recruiters reached of
  those active; a share of claims): the Wilson score interval (:func:`wilson_interval`), whose
  coverage stays close to the nominal level down to small :math:`n` and which never collapses
  to a point (24 of 24 gives [0.862, 1]); the Clopper–Pearson interval
  (:func:`clopper_pearson_interval`) is there for a reader who wants coverage guaranteed at
  least nominal, at the price of width (24 of 24: [0.8575, 1]).
* **The change of a proportion** between two periods: Newcombe's hybrid score interval
  (:func:`newcombe_interval`), the difference interval built from the two Wilson intervals.
* **Any other figure** (a ratio of sums such as an amount share, a concentration index, a
  centralization, a hierarchy score): the percentile bootstrap over claims
  (:func:`graph.analysis.evidence.bootstrap`), and for its change the percentile interval of the
  difference of independent resamples of the two periods.
* **A degenerate bootstrap.** When every resample gives the same value :math:`v` (all 24 bonus
  claims paid by regions, so every resample's share is 1), resampling says nothing about how
  far :math:`v` could move: it only shows that the :math:`n` claims behind the figure all point
  the same way. The interval is then taken from the exact binomial bound on the share of
  claims that could point the other way, which :math:`n` agreeing claims cannot rule out:

  .. math:: u = 1 - (\alpha/2)^{1/n}

  (the Clopper–Pearson upper bound of 0 disagreeing claims of :math:`n`), and the figure is
  allowed to move that share of the way to either end of its range :math:`[a, b]`:

  .. math:: [\,v - u\,(v - a),\; v + u\,(b - v)\,]

  (:func:`degenerate_interval`). For a share at 1 this is exactly the Clopper–Pearson interval
  of :math:`n` of :math:`n`; for a count-weighted share it is the exact interval of the share
  of disagreeing claims carried over; for an amount-weighted share or a network index it
  reads "a share :math:`u` of claims unlike the rest", a stated assumption rather than an
  estimate, and the output says which rule was used. A figure without a known range keeps
  :math:`[v, v]`, marked degenerate, with :math:`u` beside it.
* **The change when a side is degenerate**: the MOVER interval (:func:`mover_interval`,
  Zou & Donner 2008) from the two sides' intervals, which is what Newcombe's interval is for
  Wilson intervals.

Several changes read together get Holm's step-down adjustment (:func:`holm`), which controls
the chance of any false positive among them without assuming the tests independent.

Centralization against chance
-----------------------------
:func:`centralization_null` compares a centralization with those of random networks of the
same actors and as many ties. The default null keeps every actor's in- and out-degree
(degree-preserving rewiring, the "switching" null of network-motif studies): it asks whether
the ties are arranged more centrally than the actors' numbers of ties alone imply. Degree
centralizations are functions of the degrees, so under that null they cannot move; for them
the null is the Erdős–Rényi :math:`G(n, m)` graph of as many actors and ties, which asks
whether the degrees are more unequal than ties formed at random would make them.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
*JASA* 22, 209–212. Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial
limits illustrated in the case of the binomial. *Biometrika* 26, 404–413. Brown, L. D., Cai,
T. T. & DasGupta, A. (2001). Interval estimation for a binomial proportion. *Statistical
Science* 16, 101–133. Newcombe, R. G. (1998). Interval estimation for the difference between
independent proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873–890.
Zou, G. Y. & Donner, A. (2008). Construction of confidence limits about effect measures: a
general approach. *Statistics in Medicine* 27, 1693–1702. Holm, S. (1979). A simple
sequentially rejective multiple test procedure. *Scandinavian Journal of Statistics* 6,
65–70. Milo, R. et al. (2002). Network motifs: simple building blocks of complex networks.
*Science* 298, 824–827. Fosdick, B. K., Larremore, D. B., Nishimura, J. & Ugander, J. (2018).
Configuring random graph models with fixed degree sequences. *SIAM Review* 60, 315–355.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from graph.analysis.metrics.centralization import MEASURES, centralization, degree_centralization
from graph.analysis.metrics.views import _simple
from graph.errors import InvalidArgument

# scipy.stats is imported where it is used: the server's HTTP process imports this module
# (for the operations' names) and never runs it, and scipy is a third of its memory
# (tests/test_memory.py).

__all__ = [
    "NULL_MODELS",
    "NullDistribution",
    "centralization_null",
    "clopper_pearson_interval",
    "degenerate_interval",
    "disagreement_bound",
    "holm",
    "median_interval",
    "mover_interval",
    "newcombe_interval",
    "percentile_interval",
    "wilson_interval",
]

#: The null models of :func:`centralization_null`; "auto" picks one per measure.
NULL_MODELS: tuple[str, ...] = ("auto", "degree_preserving", "gnm")

#: Measures that are functions of the degree sequence: a degree-preserving null is a point.
_DEGREE_MEASURES = frozenset({"degree", "in_degree", "out_degree"})

#: Switch attempts per tie before the first draw, and between draws, of the rewiring chain.
_BURN_IN = 100
_GAP = 10

#: Values this close count as equal (a degenerate distribution, a tie with the observed).
_TOL = 1e-12


def _check_confidence(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InvalidArgument(f"confidence must be between 0 and 1, not {confidence!r}")
    return 1 - confidence


def _check_counts(k: int, n: int) -> None:
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise ValueError(f"k and n must be whole numbers, not {k!r} and {n!r}")
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Wilson score interval for a proportion of ``k`` successes in ``n`` trials.

    .. math::

        \frac{k + z^2/2}{n + z^2} \pm \frac{z}{n + z^2}\sqrt{\frac{k(n-k)}{n} + \frac{z^2}{4}}

    with :math:`z` the :math:`1 - \alpha/2` normal quantile. The interval inverts the score
    test, so it lies within [0, 1] and never shrinks to a point: 0 of :math:`n` and :math:`n`
    of :math:`n` get a bound of :math:`z^2/(n + z^2)` from the end.

    Parameters
    ----------
    k, n : int
        Successes and trials, :math:`0 \le k \le n`.
    confidence : float
        Coverage, between 0 and 1.

    Returns
    -------
    (float, float)
        Lower and upper bound; (0, 1) when ``n`` is 0 (nothing observed).

    Examples
    --------
    Newcombe (1998, Table II), 81 of 263 and 0 of 20:

    >>> [round(x, 4) for x in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    >>> [round(x, 4) for x in wilson_interval(0, 20)]
    [0.0, 0.1611]
    >>> round(wilson_interval(24, 24)[0], 4)
    0.862

    References
    ----------
    Wilson, E. B. (1927). *JASA* 22, 209–212. Newcombe, R. G. (1998). Two-sided confidence
    intervals for the single proportion: comparison of seven methods. *Statistics in
    Medicine* 17, 857–872. Brown, Cai & DasGupta (2001), *Statistical Science* 16, 101–133.
    """
    _check_counts(k, n)
    alpha = _check_confidence(confidence)
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import norm  # (see the imports)

    z = float(norm.ppf(1 - alpha / 2))
    z2 = z * z
    centre = (k + z2 / 2) / (n + z2)
    half = z / (n + z2) * math.sqrt(k * (n - k) / n + z2 / 4)
    # The ends are exact at k = 0 and k = n; rounding must not push them past 0 or 1.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def clopper_pearson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Clopper–Pearson ("exact") interval for a proportion of ``k`` successes in ``n``.

    .. math::

        \left[\,B^{-1}\!\left(\tfrac{\alpha}{2};\ k,\ n-k+1\right),\;
               B^{-1}\!\left(1-\tfrac{\alpha}{2};\ k+1,\ n-k\right)\right]

    with :math:`B^{-1}(q; a, b)` the quantile of the beta distribution; the lower bound is 0
    when :math:`k = 0` and the upper 1 when :math:`k = n`. It inverts two one-sided binomial
    tests, so its coverage is at least the nominal level for every true proportion
    (conservative: wider than :func:`wilson_interval`). At :math:`k = n` the lower bound is
    :math:`(\alpha/2)^{1/n}`.

    Parameters
    ----------
    k, n : int
        Successes and trials, :math:`0 \le k \le n`.
    confidence : float
        Coverage, between 0 and 1.

    Returns
    -------
    (float, float)
        Lower and upper bound; (0, 1) when ``n`` is 0.

    Examples
    --------
    Newcombe (1998, Table II), 81 of 263; and 24 of 24:

    >>> [round(x, 4) for x in clopper_pearson_interval(81, 263)]
    [0.2527, 0.3676]
    >>> [round(x, 4) for x in clopper_pearson_interval(24, 24)]
    [0.8575, 1.0]

    References
    ----------
    Clopper, C. J. & Pearson, E. S. (1934). *Biometrika* 26, 404–413.
    """
    _check_counts(k, n)
    alpha = _check_confidence(confidence)
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import beta  # (see the imports)

    low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


def mover_interval(
    first: float,
    first_interval: tuple[float, float],
    second: float,
    second_interval: tuple[float, float],
) -> tuple[float, float]:
    r"""Interval for the difference ``second - first`` of two independent estimates, from
    their own intervals (MOVER: the method of variance estimates recovery).

    With :math:`d = \theta_2 - \theta_1` and intervals :math:`[l_i, u_i]`:

    .. math::

        \left[\, d - \sqrt{(\theta_2 - l_2)^2 + (u_1 - \theta_1)^2},\;
                 d + \sqrt{(u_2 - \theta_2)^2 + (\theta_1 - l_1)^2} \,\right]

    Each side's distance to its bound is taken as 0 where an interval does not contain its
    estimate (a percentile bootstrap interval need not). With Wilson intervals this is
    Newcombe's hybrid score interval (:func:`newcombe_interval`).

    Examples
    --------
    >>> [round(x, 4) for x in mover_interval(0.5, (0.4, 0.6), 0.7, (0.6, 0.8))]
    [0.0586, 0.3414]

    References
    ----------
    Zou, G. Y. & Donner, A. (2008). Construction of confidence limits about effect measures:
    a general approach. *Statistics in Medicine* 27, 1693–1702.
    """
    (l1, u1), (l2, u2) = first_interval, second_interval
    d = second - first
    below = math.hypot(max(second - l2, 0.0), max(u1 - first, 0.0))
    above = math.hypot(max(u2 - second, 0.0), max(first - l1, 0.0))
    return d - below, d + above


def newcombe_interval(
    k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float]:
    r"""Newcombe's hybrid score interval for the difference :math:`k_2/n_2 - k_1/n_1` of two
    independent proportions (second minus first).

    .. math::

        \left[\, d - \sqrt{(p_2 - l_2)^2 + (u_1 - p_1)^2},\;
                 d + \sqrt{(u_2 - p_2)^2 + (p_1 - l_1)^2} \,\right]

    with :math:`d = p_2 - p_1` and :math:`[l_i, u_i]` the Wilson intervals of
    :math:`p_i = k_i/n_i` (:func:`wilson_interval`): method 10 of Newcombe's eleven. Unlike
    the Wald interval it stays inside [-1, 1] and does not collapse when both proportions are
    0 or 1.

    Parameters
    ----------
    k1, n1 : int
        Successes and trials of the first period.
    k2, n2 : int
        Of the second.
    confidence : float
        Coverage, between 0 and 1.

    Returns
    -------
    (float, float)

    Examples
    --------
    Newcombe (1998, Table II), 56/70 against 48/80 (written here as 48/80 first):

    >>> [round(x, 4) for x in newcombe_interval(48, 80, 56, 70)]
    [0.0524, 0.3339]
    >>> [round(x, 4) for x in newcombe_interval(0, 20, 0, 10)]
    [-0.1611, 0.2775]

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873–890.
    """
    first = wilson_interval(k1, n1, confidence)
    second = wilson_interval(k2, n2, confidence)
    p1 = k1 / n1 if n1 else 0.5
    p2 = k2 / n2 if n2 else 0.5
    low, high = mover_interval(p1, first, p2, second)
    return max(low, -1.0), min(high, 1.0)


def disagreement_bound(n: int, confidence: float = 0.95) -> float:
    r"""The largest share of disagreeing claims that ``n`` claims, all agreeing, leave open.

    .. math:: u = 1 - (\alpha/2)^{1/n}

    the upper Clopper–Pearson bound for 0 disagreeing claims of :math:`n`
    (:func:`clopper_pearson_interval`); 1 when :math:`n = 0`.

    Examples
    --------
    >>> round(disagreement_bound(24), 4)
    0.1425
    """
    _check_counts(0, n)
    alpha = _check_confidence(confidence)
    return 1.0 if n == 0 else 1 - (alpha / 2) ** (1 / n)


def degenerate_interval(
    value: float,
    n: int,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> tuple[float, float]:
    r"""The interval of a figure whose resamples all give ``value``: the figure may move the
    share :math:`u` (:func:`disagreement_bound`) of the way to either end of its range.

    .. math:: [\,v - u\,(v - a),\; v + u\,(b - v)\,], \qquad u = 1 - (\alpha/2)^{1/n}

    where :math:`[a, b]` are ``bounds`` and :math:`n` the claims behind the figure. At
    :math:`v = b = 1` the lower end is the Clopper–Pearson bound of :math:`n` of :math:`n`.

    Examples
    --------
    >>> [round(x, 4) for x in degenerate_interval(1.0, 24)]
    [0.8575, 1.0]
    >>> [round(x, 4) for x in degenerate_interval(0.5, 24)]
    [0.4288, 0.5712]
    """
    a, b = bounds
    if not a <= value <= b:
        raise ValueError(f"value {value} lies outside its bounds {bounds}")
    u = disagreement_bound(n, confidence)
    return value - u * (value - a), value + u * (b - value)


def percentile_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    r"""The :math:`\alpha/2` and :math:`1 - \alpha/2` quantiles of ``values``, linearly
    interpolated between order statistics (numpy's default, type 7 of Hyndman & Fan).

    Examples
    --------
    >>> percentile_interval(range(101), 0.5)
    (25.0, 75.0)
    """
    alpha = _check_confidence(confidence)
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values to take percentiles of")

    def quantile(q: float) -> float:
        position = q * (len(ordered) - 1)
        below = math.floor(position)
        above = min(below + 1, len(ordered) - 1)
        return float(ordered[below] + (ordered[above] - ordered[below]) * (position - below))

    return quantile(alpha / 2), quantile(1 - alpha / 2)


def median_interval(values: Sequence[Any], confidence: float = 0.95) -> tuple[Any, Any, float]:
    r"""A distribution-free confidence interval for the median of ``values``: two of their
    order statistics, with the coverage they give.

    For :math:`n` values sorted, :math:`x_{(1)} \le \dots \le x_{(n)}`, the interval
    :math:`[x_{(j)},\ x_{(n-j+1)}]` covers the population median with probability

    .. math:: 1 - 2\,P\big(\mathrm{Bin}(n, \tfrac12) \le j - 1\big)

    whatever the distribution (only independent draws are assumed). The largest :math:`j`
    whose coverage is at least ``confidence`` is taken; with fewer than six values no pair
    reaches 95%, and the interval is the range, :math:`[x_{(1)}, x_{(n)}]`, with its own,
    lower, coverage :math:`1 - 2^{1-n}` (a single value: 0). The coverage is always returned,
    so that a reader sees how far a median of few claims can be trusted.

    Parameters
    ----------
    values : sequence
        The observations (numbers or decimals: the bounds are two of them, not computed).
    confidence : float
        The coverage wanted, between 0 and 1.

    Returns
    -------
    (low, high, coverage)

    Raises
    ------
    ValueError
        If ``values`` is empty.

    Examples
    --------
    Ten values: :math:`[x_{(2)}, x_{(9)}]` covers with 97.9%; five values: only the range,
    with 93.75%.

    >>> median_interval(range(1, 11))
    (2, 9, 0.978515625)
    >>> median_interval([5, 1, 4, 2, 3])
    (1, 5, 0.9375)

    References
    ----------
    W. J. Conover, *Practical Nonparametric Statistics*, 3rd ed. (Wiley, 1999), §3.2 (the
    confidence interval for a quantile).
    """
    _check_confidence(confidence)
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        raise ValueError("no values to take the median of")

    # P(Bin(n, 1/2) <= j - 1) of every j the search may reach, in one call (scipy's values
    # are the same one by one or at once): a call per j took seconds for the thousands of
    # amounts of a chart at 100,000 actors.
    from scipy.stats import binom  # (see the imports)

    below = binom.cdf(np.arange((n + 1) // 2), n, 0.5)

    def coverage(j: int) -> float:
        return 1 - 2 * float(below[j - 1])

    j = 1
    while j + 1 <= (n + 1) // 2 and coverage(j + 1) >= confidence:
        j += 1
    return ordered[j - 1], ordered[n - j], coverage(j)


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    r"""Holm's step-down adjustment of p-values tested together.

    With the :math:`m` p-values sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`:

    .. math:: \tilde p_{(i)} = \min\left(1,\ \max_{j \le i}\ (m - j + 1)\, p_{(j)}\right)

    Rejecting every hypothesis with :math:`\tilde p \le \alpha` keeps the chance of any false
    rejection at most :math:`\alpha`, whatever the dependence between the tests. ``None``
    (a change that could not be tested) stays ``None`` and does not count in :math:`m`.

    Parameters
    ----------
    pvalues : sequence of float or None

    Returns
    -------
    list
        The adjusted p-values, in the order given.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    >>> holm([0.5, None, 0.01])
    [0.5, None, 0.02]

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
    Journal of Statistics* 6, 65–70.
    """
    for p in pvalues:
        if p is not None and not 0 <= p <= 1:
            raise ValueError(f"a p-value must lie in [0, 1], not {p!r}")
    tested = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    m = len(tested)
    adjusted: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for j, (p, i) in enumerate(tested):
        # Rounded to 15 significant digits so that 3 * 0.01 reads 0.03, not 0.030000000000000002.
        running = max(running, min(1.0, float(f"{(m - j) * p:.15g}")))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class NullDistribution:
    """A centralization against random networks of the same size (:func:`centralization_null`)."""

    figure: str
    observed: float  #: the centralization of the network itself
    model: str  #: "degree_preserving" or "gnm"
    values: tuple[float, ...]  #: the centralization of each random network
    p_value: float  #: share of random networks at least as centralized (one-sided, upper)
    p_lower: float  #: share at most as centralized (one-sided, lower)
    low: float  #: lower percentile of the null (2.5th for confidence 0.95)
    high: float  #: upper percentile (97.5th)
    confidence: float
    degenerate: bool  #: every random network gives the same value
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _measure(figure: str) -> str:
    measure = figure.removeprefix("centralization_")
    if measure not in MEASURES:
        names = ", ".join(f"centralization_{m}" for m in MEASURES)
        raise InvalidArgument(f"unknown centralization figure {figure!r}; use one of {names}")
    return measure


def _switch_chain(
    S: nx.Graph, samples: int, rng: random.Random
) -> tuple[list[list[tuple[Hashable, Hashable]]], bool]:
    """``samples`` tie lists from a degree-preserving switch chain started at ``S``, and
    whether any switch was made at all.

    A step draws two ties (a, b) and (c, d) at random and replaces them by (a, d) and (c, b)
    (for an undirected graph, with equal chance, by (a, c) and (b, d)) unless the four ends are
    not distinct (a self-loop or no change) or a new tie is already there; a refused step leaves
    the graph as it is and still counts, which makes the uniform distribution over the graphs
    the chain reaches its stationary one.
    """
    directed = S.is_directed()
    edges = list(S.edges())
    m = len(edges)
    if m < 2:
        return [list(edges) for _ in range(samples)], False

    def key(u: Hashable, v: Hashable) -> Hashable:
        return (u, v) if directed else frozenset((u, v))

    present = {key(u, v) for u, v in edges}

    def step() -> bool:
        i, j = rng.randrange(m), rng.randrange(m)
        (a, b), (c, d) = edges[i], edges[j]
        if not directed and rng.random() < 0.5:
            c, d = d, c
        if len({a, b, c, d}) < 4 or key(a, d) in present or key(c, b) in present:
            return False
        present.difference_update((key(a, b), key(c, d)))
        present.update((key(a, d), key(c, b)))
        edges[i], edges[j] = (a, d), (c, b)
        return True

    moved = False
    for _ in range(_BURN_IN * m):
        moved = step() or moved
    drawn = []
    for _ in range(samples):
        drawn.append(list(edges))
        for _ in range(_GAP * m):
            moved = step() or moved
    return drawn, moved


def _gnm_degrees(n: int, m: int, directed: bool, rng: random.Random, measure: str) -> np.ndarray:
    """The degrees (``measure``: all, in or out) of the nodes of an Erdős–Rényi :math:`G(n,
    m)` graph: ``m`` distinct ties drawn uniformly among the possible ones, as
    ``nx.gnm_random_graph`` draws them, but as distinct indices of the ties (numpy, seeded
    from ``rng``) decoded into their ends and counted, no graph built. The degree
    centralizations read nothing else; building the 796 networkx graphs of 10,000 actors'
    nulls took 126 s of the question page's 314 s (bench/RESULTS.md).

    >>> degrees = _gnm_degrees(5, 7, True, random.Random(1), "degree")
    >>> len(degrees), int(degrees.sum())
    (5, 14)
    >>> _gnm_degrees(4, 6, False, random.Random(2), "degree").tolist()  # the complete graph
    [3, 3, 3, 3]
    """
    possible = n * (n - 1) if directed else n * (n - 1) // 2
    drawn = np.random.default_rng(rng.getrandbits(64)).choice(
        possible, size=min(m, possible), replace=False
    )
    if directed and measure == "out_degree":
        # The tails alone (index i: tail i // (n-1)): the heads, not read, took a third of a
        # draw, and the null of a large network draws hundreds.
        ends: np.ndarray = np.bincount(drawn // (n - 1), minlength=n)
        return ends
    if directed:
        # Index i: tail i // (n-1), head the (i % (n-1))-th of the other nodes.
        tails, rest = np.divmod(drawn, n - 1)
        heads = rest + (rest >= tails)
    else:
        # Index i: the pair (u, v), v < u, at i = u(u-1)/2 + v of the lower triangle; u from
        # the square root, corrected where floating point rounds across a row.
        tails = ((1 + np.sqrt(1 + 8 * drawn.astype(np.float64))) // 2).astype(np.int64)
        tails -= tails * (tails - 1) // 2 > drawn
        tails += (tails + 1) * tails // 2 <= drawn
        heads = drawn - tails * (tails - 1) // 2
    outs = np.bincount(tails, minlength=n)
    ins = np.bincount(heads, minlength=n)
    chosen: np.ndarray = {"in_degree": ins, "out_degree": outs}.get(measure, outs + ins)
    return chosen


def centralization_null(
    G: nx.Graph,
    figure: str,
    n: int = 199,
    seed: int | random.Random | None = 0,
    *,
    model: str = "auto",
    confidence: float = 0.95,
) -> NullDistribution:
    r"""How centralized random networks of the same actors and as many ties are: the null
    distribution of a centralization, and where the observed value falls in it.

    ``G`` is read as its simple graph (parallel claims collapsed, self-loops dropped, every
    actor kept), as :func:`graph.analysis.metrics.centralization.centralization` reads it; the
    figure is computed as the report computes it (closeness with Wasserman–Faust scaling). The
    one-sided p-value for "more centralized than chance" is

    .. math:: p = \frac{1 + \#\{i : C_i \ge C\}}{1 + n}

    over the :math:`n` random networks' values :math:`C_i`, with :math:`C` the observed one;
    ``p_lower`` counts :math:`C_i \le C` instead.

    Null models (``model``):

    * ``"degree_preserving"``: random networks with every actor's in- and out-degree (degree,
      for an undirected graph) as observed, drawn from a switch Markov chain started at the
      observed network: two ties (a→b, c→d) become (a→d, c→b) unless that makes a self-loop or
      an existing tie; a refused switch counts as a step, so that the chain's stationary
      distribution is uniform over the networks it reaches: 100 steps per tie before the first
      draw, 10 per tie between draws. networkx's
      ``directed_edge_swap`` is not used: its three-arc move needs a path of three arcs, which
      networks of stars (payers around a scheme) seldom have; on the 2024 claims (47 arcs)
      4,700 tries made 2 switches.
    * ``"gnm"``: Erdős–Rényi :math:`G(n, m)` graphs with as many actors and ties, directed as
      ``G`` is.
    * ``"auto"`` (default): ``"gnm"`` for the degree, in-degree and out-degree
      centralizations, which are functions of the degrees and so are the same in every
      degree-preserving network; ``"degree_preserving"`` for betweenness, closeness and
      eigenvector.

    When the degree sequence admits no other network (a star: every switch would make a
    self-loop or repeat a tie), every draw is the observed network: the result says so
    (``degenerate``, ``note``) and the p-value is 1.

    Parameters
    ----------
    G : networkx graph
        A projection or any graph (multigraphs are collapsed).
    figure : str
        ``centralization_<measure>`` (or the measure) for a measure of
        :data:`graph.analysis.metrics.centralization.MEASURES`.
    n : int
        Random networks to draw.
    seed : int or random.Random, optional
        The same seed gives the same draws.
    model : str
        One of :data:`NULL_MODELS`.
    confidence : float
        The central share of the null that ``low`` and ``high`` enclose.

    Returns
    -------
    NullDistribution

    Examples
    --------
    An out-star: one actor sends every tie; random ties of the same number almost never do.

    >>> star = nx.DiGraph([("centre", leaf) for leaf in "abcdefghij"])
    >>> null = centralization_null(star, "centralization_out_degree", n=99)
    >>> null.model, null.observed, null.p_value
    ('gnm', 1.0, 0.01)

    References
    ----------
    Milo, R. et al. (2002). Network motifs: simple building blocks of complex networks.
    *Science* 298, 824–827. Fosdick, B. K. et al. (2018). Configuring random graph models
    with fixed degree sequences. *SIAM Review* 60, 315–355. Erdős, P. & Rényi, A. (1959). On
    random graphs I. *Publicationes Mathematicae* 6, 290–297.
    """
    measure = _measure(figure)
    name = f"centralization_{measure}"
    if model not in NULL_MODELS:
        raise InvalidArgument(f"unknown null model {model!r}; use one of {', '.join(NULL_MODELS)}")
    if model == "degree_preserving" and measure in _DEGREE_MEASURES:
        raise InvalidArgument(
            f"{name} is the same in every degree-preserving network (the null is a point); "
            "use model='gnm' (or 'auto')"
        )
    if n < 1:
        raise InvalidArgument("n must be at least 1")
    _check_confidence(confidence)
    if model == "auto":
        model = "gnm" if measure in _DEGREE_MEASURES else "degree_preserving"
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    S = _simple(G)
    if measure in ("in_degree", "out_degree") and not S.is_directed():
        raise InvalidArgument(f"{measure!r} needs a directed graph; use 'degree' for a Graph")

    def value(H: nx.Graph) -> float:
        return centralization(H, measure, wf_improved=measure == "closeness")

    observed = value(S)
    values: list[float] = []
    note = None
    if model == "gnm":
        nodes, m = S.number_of_nodes(), S.number_of_edges()
        for _ in range(n):
            if measure in _DEGREE_MEASURES:
                degrees = _gnm_degrees(nodes, m, S.is_directed(), rng, measure)
                values.append(degree_centralization(degrees, measure, directed=S.is_directed()))
            else:
                H = nx.gnm_random_graph(nodes, m, seed=rng, directed=S.is_directed())
                values.append(value(H))
    else:
        drawn, moved = _switch_chain(S, n, rng)
        for arcs in drawn:
            H = S.__class__()
            H.add_nodes_from(S)
            H.add_edges_from(arcs)
            values.append(value(H))
        if not moved:
            note = (
                "no switch was possible: the degree sequence admits no other network "
                "(a star, or fewer than two ties), so the null is the network itself"
            )
    degenerate = max(values) - min(values) <= _TOL
    if degenerate and note is None:
        note = f"every random network gives {values[0]:.4g}: the null is a point"
    low, high = percentile_interval(values, confidence)
    return NullDistribution(
        figure=name,
        observed=observed,
        model=model,
        values=tuple(values),
        p_value=(1 + sum(1 for v in values if v >= observed - _TOL)) / (1 + n),
        p_lower=(1 + sum(1 for v in values if v <= observed + _TOL)) / (1 + n),
        low=low,
        high=high,
        confidence=confidence,
        degenerate=degenerate,
        note=note,
    )
