"""Peer matching for a city: candidates ranked by similarity of social profile plus a bonus for practices in
the city's challenge themes, under constraints (country, size class, language, programme eligibility), each
with its reasons. One function, :func:`peers`, behind the CLI, the API and the page.

The score of a peer is ``similarity + THEME_WEIGHT × fit``: ``similarity`` = 1 / (1 + D) is symmetric
(:mod:`bettercities.peers.matching`); ``fit`` is the share of the city's challenge themes the peer has
practices in (a network it took part in, a goal or an intervention on the theme), so it is directional: what
one city seeks, another may not. Without challenge themes the score is the similarity.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report, Severity
from bettercities.peers import profiles, themes
from bettercities.peers.constraints import LANGUAGES, PROGRAMMES, languages_of
from bettercities.peers.matching import similarity
from bettercities.peers.profiles import FEATURES, World
from bettercities.peers.schemas import (
    ChallengeTheme,
    CountryChoice,
    FeatureReason,
    Peer,
    PeerConstraints,
    PeerResult,
    ThemeFit,
)
from bettercities.registry import service as registry

__all__ = ["REASONS", "THEME_WEIGHT", "allowed_rows", "peers"]

#: What a peer with practices in every one of the city's challenge themes gains on its similarity.
THEME_WEIGHT = 0.2
#: How many alike features a suggestion names.
REASONS = 3


def _refuse(field: str, value: str, message: str) -> InvalidInput:
    problem = Problem(code="peer-invalid-constraint", message=message, column=field, value=value)
    return InvalidInput(message, Report(source="constraints", problems=[problem]))


def check_constraints(constraints: PeerConstraints) -> None:
    """:class:`InvalidInput` (``peer-invalid-constraint``) for a size class, language or programme that
    does not exist."""
    sizes = ("any", "same", *registry.SIZE_CLASSES)
    if constraints.size not in sizes:
        raise _refuse(
            "size", constraints.size, f"unknown size '{constraints.size}': use one of {', '.join(sizes)}"
        )
    known = set().union(*LANGUAGES.values())
    if constraints.language not in ("any", "same") and constraints.language not in known:
        raise _refuse(
            "language",
            constraints.language,
            f"unknown language '{constraints.language}': use any, same or an ISO 639-1 code "
            f"({', '.join(sorted(known))})",
        )
    if constraints.programme is not None and constraints.programme not in PROGRAMMES:
        raise _refuse(
            "programme",
            constraints.programme,
            f"unknown programme '{constraints.programme}': use one of {', '.join(PROGRAMMES)}",
        )


def allowed_rows(w: World, row: int, constraints: PeerConstraints) -> np.ndarray:
    """Which municipalities the constraints allow as peers of the city in ``row`` (boolean per row)."""
    n = len(w.slugs)
    allowed = np.ones(n, dtype=bool)
    country = w.countries[row]
    if constraints.country == CountryChoice.SAME:
        allowed &= w.countries == country
    elif constraints.country == CountryChoice.OTHER:
        allowed &= w.countries != country
    if constraints.size == "same":
        allowed &= w.size_classes == w.size_classes[row]
    elif constraints.size != "any":
        allowed &= w.size_classes == constraints.size
    if constraints.language != "any":
        wanted = languages_of(country) if constraints.language == "same" else {constraints.language}
        speaking = [c for c, langs in LANGUAGES.items() if langs & wanted]
        allowed &= np.isin(w.countries, speaking)
    if constraints.programme is not None:
        programme = PROGRAMMES[constraints.programme]
        allowed &= np.isin(w.countries, sorted(programme.countries))
        if programme.min_population is not None:
            allowed &= w.populations >= programme.min_population
    allowed[row] = False
    return allowed


def _challenges(w: World, city_id: int, constraints: PeerConstraints) -> list[ChallengeTheme]:
    """The themes asked for, or the city's own: its goals', interventions' and networks' themes."""
    found: dict[str, str] = {}
    if constraints.themes:
        for text in constraints.themes:
            for key in sorted(themes.theme_keys(text)):
                found.setdefault(key, "asked")
    else:
        for key, practices in sorted(w.practices.get(city_id, {}).items()):
            found[key] = practices[0].kind
    return [
        ChallengeTheme(theme=k, label_en=themes.label(k, "en"), label_de=themes.label(k, "de"), source=s)
        for k, s in found.items()
    ]


def _reasons(w: World, row: int, other: int) -> tuple[list[str], list[FeatureReason]]:
    both = ~np.isnan(w.z[row]) & ~np.isnan(w.z[other])
    columns = np.flatnonzero(both)
    codes = [FEATURES[j].code for j in columns]
    diff = np.abs(w.z[row, columns] - w.z[other, columns])
    order = columns[np.lexsort((columns, diff))][:REASONS]
    alike = [
        FeatureReason(
            code=FEATURES[j].code,
            name_en=FEATURES[j].en,
            name_de=FEATURES[j].de,
            unit=FEATURES[j].unit,
            city_value=float(w.raw[row, j]),
            peer_value=float(w.raw[other, j]),
            difference=round(float(abs(w.z[row, j] - w.z[other, j])), 4),
        )
        for j in order
    ]
    return codes, alike


def peers(
    session: Session, city_slug: str, *, limit: int = 10, constraints: PeerConstraints | None = None
) -> PeerResult:
    """The ``limit`` best peers of the city ``city_slug`` under ``constraints``, best first, with reasons.

    :class:`NotFound` for a city that is not in the registry (problem code ``peer-unknown-city`` in the
    CLI), :class:`InvalidInput` for an unknown size class, language or programme. A city with fewer than
    ``min_overlap`` profile features gets no peers and the problem ``peer-no-profile``; when no allowed
    municipality shares enough features with it, ``peer-overlap-too-small``.
    """
    constraints = constraints or PeerConstraints()
    if limit < 1:
        raise _refuse("limit", str(limit), "limit must be at least 1")
    check_constraints(constraints)
    city = session.scalar(select(City).where(City.slug == city_slug))
    if city is None:
        raise NotFound("city", city_slug)
    w = profiles.world(session)
    row = w.row_of[city.id]
    features = [FEATURES[j].code for j in np.flatnonzero(~np.isnan(w.z[row]))]
    challenges = _challenges(w, city.id, constraints)
    allowed = allowed_rows(w, row, constraints)
    problems: list[Problem] = []
    found: list[Peer] = []
    if len(features) < constraints.min_overlap:
        problems.append(
            Problem(
                code="peer-no-profile",
                severity=Severity.WARNING,
                message=f"{city.name} has {len(features)} of the {len(FEATURES)} profile features; at least "
                f"{constraints.min_overlap} are needed to compare it",
                value=", ".join(features) or None,
            )
        )
    else:
        keys = {c.theme for c in challenges}
        practising = profiles.cities_with(w.practices, keys) - {city.id}
        extra = np.array(sorted(w.row_of[i] for i in practising if i in w.row_of), dtype=np.int64)
        matches = w.index.query(
            row, k=limit, allowed=allowed, extra=extra, min_overlap=constraints.min_overlap
        )
        rows = matches.rows
        alike_scores = 1.0 / (1.0 + matches.distances)  # similarity(), for every candidate at once
        fit_of = {
            w.row_of[i]: sum(1 for c in challenges if c.theme in w.practices[i]) / len(challenges)
            for i in practising
            if i in w.row_of
        }
        fits = np.array([fit_of.get(int(r), 0.0) for r in rows]) if fit_of else np.zeros(rows.size)
        scores = alike_scores + THEME_WEIGHT * fits
        order = np.lexsort((w.slug_order[rows], -alike_scores, -scores))[:limit]
        for rank, at in enumerate(order, start=1):
            other = int(rows[at])
            by_theme = w.practices.get(int(w.ids[other]), {})
            codes, alike = _reasons(w, row, other)
            found.append(
                Peer(
                    rank=rank,
                    slug=w.slugs[other],
                    name=w.names[other],
                    country=str(w.countries[other]),
                    population=int(w.populations[other]) if w.populations[other] >= 0 else None,
                    size_class=str(w.size_classes[other]) or None,
                    score=round(float(scores[at]), 6),
                    similarity=round(similarity(float(matches.distances[at])), 6),
                    distance=round(float(matches.distances[at]), 6),
                    overlap=int(matches.overlaps[at]),
                    overlap_codes=codes,
                    alike=alike,
                    themes=[
                        ThemeFit(theme=c.theme, label_en=c.label_en, label_de=c.label_de,
                                 practices=by_theme[c.theme])
                        for c in challenges
                        if c.theme in by_theme
                    ],
                )
            )  # fmt: skip
        if not found and allowed.any():
            problems.append(
                Problem(
                    code="peer-overlap-too-small",
                    severity=Severity.WARNING,
                    message="no municipality the constraints allow shares at least "
                    f"{constraints.min_overlap} profile features with {city.name}",
                )
            )
    return PeerResult(
        city=city.slug,
        city_name=city.name,
        country=city.country,
        population=city.population,
        size_class=registry.size_class(city.population),
        constraints=constraints,
        features=features,
        profile_size=len(FEATURES),
        challenges=challenges,
        candidates=int(allowed.sum()),
        peers=found,
        problems=problems,
        data_version=w.version,
    )
