"""Participation analytics: which municipalities take part in networks, how often, and which groups of
municipalities (by country, size class and urban-rural type) are under-represented.

A municipality *takes part* when it has a current, active membership in any network (any date), itself or
through an organisation linked to it (the Eurométropole de Strasbourg counts for Strasbourg). The universe is
every municipality of the registry (every row of ``city``). For each group the participation rate
:math:`\\hat p = k / n` gets a Wilson score interval (``statsmodels.stats.proportion.proportion_confint``,
``method="wilson"``):

.. math::

    \\frac{\\hat p + z^2/2n \\pm z \\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

A group is flagged *under-represented* when its whole interval lies below the overall rate. Reference:
Wilson, E. B. (1927), "Probable inference, the law of succession, and statistical inference", JASA 22,
209-212; Brown, Cai & DasGupta (2001), "Interval estimation for a binomial proportion", Statistical Science
16, 101-133.

>>> low, high = wilson(1, 10)
>>> round(low, 4), round(high, 4)
(0.0179, 0.4042)
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.networks.history import current
from bettercities.networks.models import Membership, Network, Organisation
from bettercities.networks.schemas import MemberStatus, ParticipantOut, Participation, RateGroup

CONFIDENCE = 0.95
METHOD = "wilson"
UNKNOWN = "unknown"
DIMENSIONS = ("country", "size_class", "urban_rural")


def wilson(count: int, total: int, *, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of ``count`` successes in ``total`` trials (statsmodels)."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(count, total, alpha=1 - confidence, method=METHOD)
    return float(low), float(high)


def _participation_counts(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """Per taking-part city id: the number of distinct networks and of distinct programmes."""
    rows = session.execute(
        select(Membership.city_id, Organisation.city_id, Membership.network_id, Network.programme_id)
        .join(Network, Network.id == Membership.network_id)
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            current(),
            Membership.status == MemberStatus.ACTIVE.value,
            or_(Membership.city_id.is_not(None), Organisation.city_id.is_not(None)),
        )
    )
    networks: dict[int, set[int]] = defaultdict(set)
    programmes: dict[int, set[int]] = defaultdict(set)
    for own, via, network, programme in rows:
        city = own if own is not None else via
        if city is None:
            continue
        networks[city].add(network)
        if programme is not None:
            programmes[city].add(programme)
    return {c: len(n) for c, n in networks.items()}, {c: len(p) for c, p in programmes.items()}


def _urban_rural(session: Session) -> dict[str, str]:
    """Urban-rural type per NUTS-3 code (the registry's regions)."""
    from bettercities.registry.models import RegistryRegion

    return {
        code: kind
        for code, kind in session.execute(select(RegistryRegion.nuts3_code, RegistryRegion.urban_rural))
        if kind
    }


def _group(dimension: str, group: str, n: int, k: int, overall: float | None) -> RateGroup:
    low, high = wilson(k, n)
    return RateGroup(
        dimension=dimension,
        group=group,
        municipalities=n,
        participants=k,
        rate=k / n,
        low=low,
        high=high,
        under_represented=overall is not None and high < overall,
    )


def participation(session: Session) -> Participation:
    """Participation rates by country, size class and urban-rural type against all registry municipalities,
    with Wilson 95 % intervals, and the municipalities that take part with their counts (most first)."""
    from bettercities.registry.service import size_class

    networks, programmes = _participation_counts(session)
    types = _urban_rural(session)
    totals: dict[tuple[str, str], int] = Counter()
    taking: dict[tuple[str, str], int] = Counter()
    participants: list[ParticipantOut] = []
    n = k = 0
    for city in session.execute(
        select(City.id, City.slug, City.name, City.country, City.population, City.nuts3_code)
    ):
        of = {
            "country": city.country,
            "size_class": size_class(city.population) or UNKNOWN,
            "urban_rural": types.get(city.nuts3_code or "", UNKNOWN),
        }
        part = city.id in networks
        n += 1
        k += part
        for dimension, group in of.items():
            totals[(dimension, group)] += 1
            taking[(dimension, group)] += part
        if part:
            participants.append(
                ParticipantOut(
                    city=city.slug,
                    name=city.name,
                    country=city.country,
                    networks=networks[city.id],
                    programmes=programmes.get(city.id, 0),
                )
            )
    if n == 0:
        overall = RateGroup(
            dimension="all", group="all", municipalities=0, participants=0, rate=0.0, low=0.0, high=0.0,
            under_represented=False,
        )  # fmt: skip
        return Participation(
            method=METHOD, confidence=CONFIDENCE, overall=overall, groups=[], participants=[]
        )
    overall = _group("all", "all", n, k, None)
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    groups = [
        _group(dimension, group, total, taking[(dimension, group)], overall.rate)
        for (dimension, group), total in sorted(totals.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]
    participants.sort(key=lambda p: (-p.networks, -p.programmes, p.name.casefold()))
    return Participation(
        method=METHOD, confidence=CONFIDENCE, overall=overall, groups=groups, participants=participants
    )


CSV_COLUMNS = (
    "dimension", "group", "municipalities", "participants", "rate", "low", "high", "under_represented",
)  # fmt: skip


def rates_csv(result: Participation) -> str:
    """The rates as CSV (one row per group, the overall rate first), for the download."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in [result.overall, *result.groups]:
        writer.writerow(
            [g.dimension, g.group, g.municipalities, g.participants, f"{g.rate:.6f}", f"{g.low:.6f}",
             f"{g.high:.6f}", "yes" if g.under_represented else "no"]
        )  # fmt: skip
    return out.getvalue()
