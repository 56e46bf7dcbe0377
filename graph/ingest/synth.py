"""Synthetic recruitment networks with a planted centralization.

The generator builds a seeded, fully deterministic random network of the actors in state-run
foreign recruitment and the sourced, time-scoped claims between them, in the vocabulary of
``spec/vocab.md``: federal bodies, regional governments (one per real Russian federal subject),
foreign governments (one per real country), recruit cohorts of real nationalities, recruitment
schemes and recruiters, joined by relation nodes of all six kinds (FundingFlow, Coordination,
Operation, Recruitment, EnforcementAction, DiplomaticContact). It is meant for tests,
benchmarks and demonstrations of the metrics, from tens of actors to millions of triples.

The planted parameter
---------------------
``centralization`` (X in [0, 1]) decides who runs and pays for recruitment. Every recruiter,
scheme and cohort has a home regional government; each *choice* below goes to a federal body
with probability X and to the home region otherwise:

- who coordinates each recruiter, operates each scheme, funds each scheme, pays each
  recruiter's fee and pays each cohort's enlistment bonus;
- whether the federal center coordinates each regional government (no alternative: the
  relation exists only when the choice goes federal).

The federal body of a federal choice is the first (dominant) one with probability X, and
otherwise drawn with Zipf weights 1/k², so one body dominates at any X. Hence X = 1 gives a
federal star (the first federal body coordinates every regional government and recruiter,
operates and funds every scheme and pays every bonus) and X = 0 gives independent provinces
(each scheme and recruiter run, coordinated and paid by its own regional government, no
federal links into the recruitment network). The degree centralization of the projected graph
rises monotonically with X.

With ``centralization_end`` (Y) the probability moves linearly from X at ``start`` to Y at
``end``, evaluated at each relation's own ``rg:start``: a planted trend for timeline metrics.

The rest of the network does not depend on X: the first federal body coordinates the other
federal bodies, recruiters co-operate schemes of their home region, schemes and recruiters
recruit cohorts, foreign governments act against recruiters, schemes, cohorts and federal
bodies, and hold diplomatic contacts with federal bodies.

The model is the ontology's: the classes, IRI segments, labels and code properties of the six
kinds and the confidence levels are read from :mod:`graph.model.ontology`, the namespaces from
:mod:`graph.model.namespaces`; this module only names the kinds and concepts it plants.

Identity and provenance
-----------------------
Synthetic actors get IRIs of their own (``id/<kind>/synth-<seed>-<n>``) and labels that say
they are synthetic, so they never merge with real data; they link to the real province and
country IRIs (reference data, not emitted here). Every actor, scheme and the one shared
``rg:Source`` carry ``rg:synthetic true``; every relation node (``id/claim/synth-<seed>/s<n>``)
is ``prov:wasDerivedFrom`` that source.

Output is streamed: :func:`synthetic_triples` yields :class:`pyoxigraph.Triple` objects one at a
time and holds only the actor lists (linear in ``actors``, never in triples);
:func:`write_synthetic` streams them through :func:`pyoxigraph.serialize` into N-Triples (.nt)
or Turtle (.ttl). The same seed gives byte-identical files for the same pycountry data.

Examples
--------
>>> from graph.ingest.synth import synthetic_triples
>>> triples = list(synthetic_triples(20, 0.5, seed=1))
>>> len(triples) > 200
True
"""

import math
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path

import pycountry
import pyoxigraph as ox

from graph.errors import InvalidArgument
from graph.model.namespaces import DCTERMS, ID, PROV, RDF, RDFS, RG, SCHEMA, XSD, source_iri
from graph.model.ontology import Kind, concepts, confidence_levels, id_segment, kinds
from graph.store import formats
from graph.store.export import write_export

__all__ = ["synthetic_triples", "write_synthetic"]

MIN_ACTORS = 10
DEFAULT_START = date(2022, 1, 1)
DEFAULT_END = date(2025, 12, 31)

# The kinds the generator plants (class, IRI segment, label and code property from the
# ontology), and the order their actors are minted in, on which the seeded output depends.
_FEDERAL_BODY = kinds()["FederalBody"]
_REGIONAL = kinds()["RegionalGovernment"]
_FOREIGN = kinds()["ForeignGovernment"]
_COHORT = kinds()["RecruitCohort"]
_SCHEME = kinds()["RecruitmentScheme"]
_RECRUITER = kinds()["Recruiter"]
_PLANTED = (_FEDERAL_BODY, _REGIONAL, _FOREIGN, _COHORT, _SCHEME, _RECRUITER)


def _rg(name: str) -> ox.NamedNode:
    return ox.NamedNode(RG + name)


# Predicates and concepts, created once: the generator touches them for every triple.
_TYPE = ox.NamedNode(RDF + "type")
_LABEL = ox.NamedNode(RDFS + "label")
_SYNTHETIC = _rg("synthetic")
_FROM = _rg("from")
_TO = _rg("to")
_START = _rg("start")
_END = _rg("end")
_PRECISION = _rg("datePrecision")
_CONFIDENCE = _rg("confidence")
_CLAIM_ID = _rg("claimId")
_DERIVED = ox.NamedNode(PROV + "wasDerivedFrom")
_AMOUNT = ox.NamedNode(SCHEMA + "amount")
_CURRENCY = ox.NamedNode(SCHEMA + "currency")
_URL = ox.NamedNode(SCHEMA + "url")
_PURPOSE = _rg("purpose")
_OFFER = _rg("offerType")
_DECEPTIVE = _rg("deceptive")
_ENFORCEMENT_KIND = _rg("enforcementKind")
_COUNT = _rg("count")
_BASIS = _rg("basis")
_REPORT = _rg("ReportBasis")
_AMOUNT_BASIS = _rg("amountBasis")
_TITLE = ox.NamedNode(DCTERMS + "title")
_PUBLISHER = ox.NamedNode(DCTERMS + "publisher")

_XSD_DATE = ox.NamedNode(XSD + "date")
_XSD_DECIMAL = ox.NamedNode(XSD + "decimal")
_XSD_NNI = ox.NamedNode(XSD + "nonNegativeInteger")
_XSD_ANYURI = ox.NamedNode(XSD + "anyURI")
_TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
_FALSE = ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean"))
_RUB = ox.Literal("RUB")

_FUNDING = _rg("FundingFlow")
_COORDINATION = _rg("Coordination")
_OPERATION = _rg("Operation")
_RECRUITMENT = _rg("Recruitment")
_ENFORCEMENT = _rg("EnforcementAction")
_DIPLOMATIC = _rg("DiplomaticContact")

_DAY, _MONTH, _YEAR = _rg("DayPrecision"), _rg("MonthPrecision"), _rg("YearPrecision")
# The confidence levels of the ontology, firmest first: mostly high and medium, as curated
# claims are.
_CONFIDENCES = tuple(
    ox.NamedNode(concepts("ConfidenceScheme")[level]) for level in reversed(confidence_levels())
)
_CONFIDENCE_CUM = (0.55, 0.90, 1.0)
_BONUS, _FEE, _SALARY, _TRANSFER = (
    _rg("EnlistmentBonus"),
    _rg("RecruiterFee"),
    _rg("Salary"),
    _rg("Transfer"),
)
_MILITARY = _rg("MilitaryContract")
_OFFERS = (
    _MILITARY,
    _rg("FactoryJob"),
    _rg("SecurityJob"),
    _rg("ConstructionJob"),
    _rg("Study"),
    _rg("OtherOffer"),
)
_OFFER_CUM = tuple(accumulate((0.40, 0.20, 0.15, 0.15, 0.05, 0.05)))
_ENFORCEMENT_KINDS = (
    _rg("Arrest"),
    _rg("Prosecution"),
    _rg("Warning"),
    _rg("Ban"),
    _rg("OtherEnforcement"),
)
_ENFORCEMENT_CUM = tuple(accumulate((0.30, 0.30, 0.20, 0.15, 0.05)))
_REPATRIATION = _rg("RepatriationRequest")

# Extra (predicate, object) pairs of a relation node.
_Terms = tuple[tuple[ox.NamedNode, ox.NamedNode | ox.Literal], ...]

# Turtle prefixes: the vocabularies plus one per synthetic namespace, so the file reads well.
_BASE_PREFIXES = {
    "rg": RG,
    "prov": PROV,
    "schema": SCHEMA,
    "dcterms": DCTERMS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    **{place: f"{ID}{place}/" for place in (id_segment("Province"), id_segment("Country"))},
    "source": ID + "source/",
    **{kind.id_segment: f"{ID}{kind.id_segment}/" for kind in _PLANTED},
}


def synthetic_triples(
    actors: int,
    centralization: float,
    seed: int,
    *,
    centralization_end: float | None = None,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
) -> Iterator[ox.Triple]:
    """Yield the triples of a synthetic recruitment network, one at a time.

    Parameters
    ----------
    actors : int
        Number of actors and schemes (at least 10). About 34 triples are generated per actor.
    centralization : float
        Probability in [0, 1] that a run/coordinate/pay choice goes to a federal body (0:
        independent provinces, 1: a federal star). See the module docstring.
    seed : int
        Seed of the random generator; the same arguments give the same triples in the same order.
    centralization_end : float, optional
        If given, the probability moves linearly from ``centralization`` at ``start`` to this
        value at ``end``, by each relation's start date.
    start, end : date
        The period the relations' dates fall in (``start < end``).

    Raises
    ------
    ValueError
        If an argument is out of range. Arguments are checked at once, before iteration.
    """
    params = _Params(actors, centralization, seed, centralization_end, start, end)
    return _generate(params)


def write_synthetic(
    path: str | Path,
    actors: int,
    centralization: float,
    seed: int,
    *,
    centralization_end: float | None = None,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
) -> int:
    """Write a synthetic network to ``path`` and return the number of triples written.

    The format follows the extension: ``.nt`` (N-Triples) or ``.ttl`` (Turtle with prefixes).
    The file is written atomically by :func:`graph.store.export.write_export`, so a failed run
    never leaves a half-written file. The other arguments are those of
    :func:`synthetic_triples`.

    Raises
    ------
    ValueError
        If the extension is not .nt or .ttl, or an argument is out of range.
    """
    path = Path(path)
    rdf_format = formats.by_suffix(path.suffix, formats.Kind.GRAPH)
    if rdf_format is None or rdf_format.name not in ("ntriples", "turtle"):
        raise InvalidArgument(
            f"cannot tell the output format of {str(path)!r}: "
            "the file name must end in .nt (N-Triples) or .ttl (Turtle)"
        )
    triples = synthetic_triples(
        actors,
        centralization,
        seed,
        centralization_end=centralization_end,
        start=start,
        end=end,
    )
    prefixes = _BASE_PREFIXES | {"claim": f"{ID}claim/synth-{seed}/"}
    return write_export(path, rdf_format, triples, prefixes=prefixes)


class _Params:
    """Checked arguments, and the probability of a federal choice on a given day."""

    def __init__(
        self,
        actors: int,
        centralization: float,
        seed: int,
        centralization_end: float | None,
        start: date,
        end: date,
    ) -> None:
        if isinstance(actors, bool) or not isinstance(actors, int):
            raise InvalidArgument(f"actors must be a whole number, not {actors!r}")
        if actors < MIN_ACTORS:
            raise InvalidArgument(f"actors must be at least {MIN_ACTORS}, got {actors}")
        # Negative seeds would put "--" into IRIs, which slug() never produces.
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InvalidArgument(f"seed must be a whole number of 0 or more, not {seed!r}")
        self.x0 = _probability("centralization", centralization)
        self.x1 = (
            self.x0
            if centralization_end is None
            else _probability("centralization-end", centralization_end)
        )
        self.start = _day("start", start)
        self.end = _day("end", end)
        if self.start >= self.end:
            raise InvalidArgument(
                f"the start date ({self.start}) must be before the end date ({self.end})"
            )
        self.actors = actors
        self.seed = seed
        self.trend = centralization_end is not None
        self.span = (self.end - self.start).days

    def federal_probability(self, day: date) -> float:
        # Linear in time; constant when no end value was given.
        return self.x0 + (self.x1 - self.x0) * (day - self.start).days / self.span

    def describe(self) -> str:
        if self.trend:
            return f"centralization {self.x0:g} to {self.x1:g}"
        return f"centralization {self.x0:g}"


def _probability(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(f"{name} must be a number between 0 and 1, not {value!r}")
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise InvalidArgument(f"{name} must be between 0 and 1, got {value}")
    return float(value)


def _day(name: str, value: date) -> date:
    # A datetime is a date too, but its isoformat() is no xsd:date: keep the day only.
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise InvalidArgument(f"{name} must be a date (YYYY-MM-DD), not {value!r}")
    return value


def _actor_counts(actors: int, max_regions: int, max_foreign: int) -> dict[Kind, int]:
    """How many actors of each kind: a small state core, many recruiters."""

    def share(fraction: float, low: int, high: int) -> int:
        return max(low, min(high, round(actors * fraction)))

    counts = {
        _FEDERAL_BODY: share(0.01, 1, 10),
        # One government per real federal subject (83 in ISO 3166-2) or country: past that,
        # the remainder become recruiters.
        _REGIONAL: share(0.08, 2, max_regions),
        _FOREIGN: share(0.03, 1, max_foreign),
        _COHORT: share(0.15, 1, actors),
        _SCHEME: share(0.20, 1, actors),
    }
    counts[_RECRUITER] = actors - sum(counts.values())
    return counts


def _reference_codes() -> tuple[list[str], list[str]]:
    # Sorted, so that the seeded draws do not depend on pycountry's iteration order.
    provinces = sorted(s.code for s in pycountry.subdivisions.get(country_code="RU"))
    countries = sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 != "RU")
    return provinces, countries


def _generate(p: _Params) -> Iterator[ox.Triple]:
    rng = random.Random(p.seed)
    provinces, countries = _reference_codes()
    counts = _actor_counts(p.actors, len(provinces), len(countries))
    T = ox.Triple

    # The one shared source. Its IRI follows the contract: first 16 hex of sha1(url).
    url = f"urn:recruitgraph:synthetic:seed-{p.seed}"
    source = ox.NamedNode(source_iri(url))
    yield T(source, _TYPE, _rg("Source"))
    title = f"Synthetic claims generated by recruitgraph synth (seed {p.seed}, {p.describe()})"
    yield T(source, _TITLE, ox.Literal(title))
    yield T(source, _URL, ox.Literal(url, datatype=_XSD_ANYURI))
    yield T(source, _PUBLISHER, ox.Literal("recruitgraph synth"))
    yield T(source, _SYNTHETIC, _TRUE)

    # --- actors -------------------------------------------------------------------------------
    nodes: dict[Kind, list[ox.NamedNode]] = {}
    for kind, n in counts.items():
        segment = kind.id_segment
        nodes[kind] = [ox.NamedNode(f"{ID}{segment}/synth-{p.seed}-{i}") for i in range(1, n + 1)]
    federal = nodes[_FEDERAL_BODY]
    regions = nodes[_REGIONAL]
    foreign = nodes[_FOREIGN]
    cohorts = nodes[_COHORT]
    schemes = nodes[_SCHEME]
    recruiters = nodes[_RECRUITER]

    province_codes = rng.sample(provinces, len(regions))
    foreign_codes = rng.sample(countries, len(foreign))
    # Cohorts mostly come from countries whose government appears in the network.
    cohort_codes = [
        rng.choice(foreign_codes) if rng.random() < 0.7 else rng.choice(countries) for _ in cohorts
    ]
    # Regions differ in activity, but mildly: no region should look like a federal hub.
    region_cum = list(accumulate(rng.uniform(0.5, 2.0) for _ in regions))
    region_ids = range(len(regions))

    def home_regions(n: int) -> list[int]:
        return rng.choices(region_ids, cum_weights=region_cum, k=n)

    recruiter_home = home_regions(len(recruiters))
    scheme_home = home_regions(len(schemes))
    cohort_home = home_regions(len(cohorts))
    recruiters_by_region: list[list[int]] = [[] for _ in regions]
    for i, r in enumerate(recruiter_home):
        recruiters_by_region[r].append(i)
    scheme_offer = []
    for _ in schemes:
        offer = rng.choices(_OFFERS, cum_weights=_OFFER_CUM)[0]
        scheme_offer.append((offer, _deceptive(rng, offer)))

    def actor(kind: Kind, i: int, code: str | None = None) -> Iterator[ox.Triple]:
        node = nodes[kind][i]
        label = f"Synthetic {kind.label.lower()} {i + 1}" + (f" ({code})" if code else "")
        yield T(node, _TYPE, ox.NamedNode(kind.iri))
        yield T(node, _LABEL, ox.Literal(label, language="en"))
        yield T(node, _SYNTHETIC, _TRUE)
        if code is not None and kind.code is not None:
            # The kind's rg:codeProperty, to the real province or country of the reference data.
            yield T(node, ox.NamedNode(kind.code.predicate), ox.NamedNode(kind.code.iri(code)))

    for i in range(len(federal)):
        yield from actor(_FEDERAL_BODY, i)
    for i, code in enumerate(province_codes):
        yield from actor(_REGIONAL, i, code)
    for i, code in enumerate(foreign_codes):
        yield from actor(_FOREIGN, i, code)
    for i, code in enumerate(cohort_codes):
        yield from actor(_COHORT, i, code)
    for i in range(len(schemes)):
        yield from actor(_SCHEME, i)
    for i in range(len(recruiters)):
        yield from actor(_RECRUITER, i)

    # --- relations ----------------------------------------------------------------------------
    claim = _Claims(rng, p, source)
    federal_cum = list(accumulate(1.0 / k**2 for k in range(1, len(federal) + 1)))

    def zipf_federal() -> ox.NamedNode:
        return rng.choices(federal, cum_weights=federal_cum)[0]

    def state_party(when: tuple[date, ox.NamedNode], home: int) -> ox.NamedNode:
        """The planted choice: a federal body with probability X(day), else the home region."""
        x = p.federal_probability(when[0])
        if rng.random() < x:
            # The first federal body dominates more as X grows: a pure star at X = 1.
            return federal[0] if rng.random() < x else zipf_federal()
        return regions[home]

    def rub(median: float, sigma: float = 1.0) -> int:
        return round(rng.lognormvariate(math.log(median), sigma))

    # The federal hierarchy: the first body coordinates the others.
    for body in federal[1:]:
        yield from claim(_COORDINATION, federal[0], body, claim.day())

    # Federal coordination of each regional government, only when the choice goes federal.
    for i, region in enumerate(regions):
        when = claim.day()
        coordinator = state_party(when, i)
        if coordinator != region:
            yield from claim(_COORDINATION, coordinator, region, when)

    for i, scheme in enumerate(schemes):
        home = scheme_home[i]
        offer, deceptive = scheme_offer[i]
        offer_terms = ((_OFFER, offer), (_DECEPTIVE, deceptive))
        when = claim.day()
        yield from claim(_OPERATION, state_party(when, home), scheme, when, offer_terms)
        when = claim.day()
        funding = _funding(_TRANSFER, rub(50_000_000, 1.2))
        yield from claim(_FUNDING, state_party(when, home), scheme, when, funding)
        # Recruiters of the scheme's region co-operate it (an intermediary runs the ground work).
        local = recruiters_by_region[home] or range(len(recruiters))
        for r in _distinct(rng, local, rng.randint(1, 2)):
            yield from claim(_OPERATION, recruiters[r], scheme, claim.day(), offer_terms)
        for c in _distinct(rng, range(len(cohorts)), rng.randint(1, 2)):
            count = ((_COUNT, _count(rng)),)
            yield from claim(_RECRUITMENT, scheme, cohorts[c], claim.day(), offer_terms + count)

    for i, recruiter in enumerate(recruiters):
        home = recruiter_home[i]
        when = claim.day()
        yield from claim(_COORDINATION, state_party(when, home), recruiter, when)
        when = claim.day()
        yield from claim(
            _FUNDING, state_party(when, home), recruiter, when, _funding(_FEE, rub(400_000))
        )
        if rng.random() < 0.5:
            cohort = cohorts[rng.randrange(len(cohorts))]
            offer = rng.choices(_OFFERS, cum_weights=_OFFER_CUM)[0]
            terms = ((_OFFER, offer), (_DECEPTIVE, _deceptive(rng, offer)), (_COUNT, _count(rng)))
            yield from claim(_RECRUITMENT, recruiter, cohort, claim.day(), terms)
            if rng.random() < 0.25:
                salary = _funding(_SALARY, rub(150_000, 0.6))
                yield from claim(_FUNDING, recruiter, cohort, claim.day(), salary)

    for i, cohort in enumerate(cohorts):
        for _ in range(rng.randint(1, 2)):
            when = claim.day()
            bonus = _funding(_BONUS, rub(1_000_000, 0.8))
            yield from claim(_FUNDING, state_party(when, cohort_home[i]), cohort, when, bonus)

    for government in foreign:
        for _ in range(rng.randint(2, 6)):
            yield from _enforcement(rng, claim, government, recruiters, schemes, cohorts, federal)
        for _ in range(rng.randint(1, 2)):
            body = zipf_federal()
            # Contacts go both ways; the contract allows either party first.
            pair = (government, body) if rng.random() < 0.5 else (body, government)
            yield from claim(_DIPLOMATIC, *pair, claim.day())


class _Claims:
    """Mints relation nodes: numbering, dates, precision, confidence and the source link."""

    def __init__(self, rng: random.Random, p: _Params, source: ox.NamedNode) -> None:
        self.rng = rng
        self.p = p
        self.source = source
        self.prefix = f"{ID}claim/synth-{p.seed}/"
        self.n = 0

    def day(self) -> tuple[date, ox.NamedNode]:
        """A start date in the period, with the precision a source would give it."""
        rng, p = self.rng, self.p
        day = p.start + timedelta(days=rng.randint(0, p.span))
        u = rng.random()
        # Sources often give only a month or a year; the date then starts that month or year,
        # unless that would fall before the period.
        if u < 0.15 and (rounded := day.replace(month=1, day=1)) >= p.start:
            return rounded, _YEAR
        if u < 0.50 and (rounded := day.replace(day=1)) >= p.start:
            return rounded, _MONTH
        return day, _DAY

    def __call__(
        self,
        cls: ox.NamedNode,
        frm: ox.NamedNode,
        to: ox.NamedNode,
        when: tuple[date, ox.NamedNode],
        terms: _Terms = (),
    ) -> Iterator[ox.Triple]:
        rng, T = self.rng, ox.Triple
        start, precision = when
        self.n += 1
        node = ox.NamedNode(f"{self.prefix}s{self.n}")
        yield T(node, _TYPE, cls)
        yield T(node, _FROM, frm)
        yield T(node, _TO, to)
        yield T(node, _START, ox.Literal(start.isoformat(), datatype=_XSD_DATE))
        if rng.random() < 0.3:
            end = min(start + timedelta(days=rng.randint(0, 365)), self.p.end)
            yield T(node, _END, ox.Literal(end.isoformat(), datatype=_XSD_DATE))
        yield T(node, _PRECISION, precision)
        yield T(node, _CONFIDENCE, rng.choices(_CONFIDENCES, cum_weights=_CONFIDENCE_CUM)[0])
        yield T(node, _BASIS, _REPORT)
        yield T(node, _CLAIM_ID, ox.Literal(f"s{self.n}"))
        yield T(node, _DERIVED, self.source)
        for predicate, value in terms:
            yield T(node, predicate, value)


def _funding(purpose: ox.NamedNode, amount: int) -> _Terms:
    # Bonuses and fees are levels per recruit; salaries and transfers sums over the period.
    basis = _rg("PerRecruitAmount") if purpose in (_BONUS, _FEE) else _rg("TotalAmount")
    return (
        (_AMOUNT, ox.Literal(str(amount), datatype=_XSD_DECIMAL)),
        (_CURRENCY, _RUB),
        (_PURPOSE, purpose),
        (_AMOUNT_BASIS, basis),
    )


def _deceptive(rng: random.Random, offer: ox.NamedNode) -> ox.Literal:
    # Civilian job offers that end at the front are the typical deception.
    return _TRUE if rng.random() < (0.15 if offer == _MILITARY else 0.7) else _FALSE


def _count(rng: random.Random) -> ox.Literal:
    return ox.Literal(str(max(1, round(rng.lognormvariate(3.0, 1.0)))), datatype=_XSD_NNI)


def _distinct(rng: random.Random, population: range | list[int], k: int) -> list[int]:
    return rng.sample(population, min(k, len(population)))


def _enforcement(
    rng: random.Random,
    claim: _Claims,
    government: ox.NamedNode,
    recruiters: list[ox.NamedNode],
    schemes: list[ox.NamedNode],
    cohorts: list[ox.NamedNode],
    federal: list[ox.NamedNode],
) -> Iterator[ox.Triple]:
    u = rng.random()
    if u < 0.80:
        # Recruiters and schemes are arrested, prosecuted, warned against or banned.
        targets = recruiters if u < 0.45 else schemes
        target = targets[rng.randrange(len(targets))]
        kind = rng.choices(_ENFORCEMENT_KINDS, cum_weights=_ENFORCEMENT_CUM)[0]
    else:
        # Governments ask Moscow to send their citizens home.
        targets = cohorts if u < 0.90 else federal
        target = targets[rng.randrange(len(targets))]
        kind = _REPATRIATION
    yield from claim(_ENFORCEMENT, government, target, claim.day(), ((_ENFORCEMENT_KIND, kind),))
