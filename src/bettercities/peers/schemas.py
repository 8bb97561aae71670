"""Typed inputs and results of peer matching: the constraints of a search and the ranked peers with their
reasons."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from bettercities.core.problems import Problem

__all__ = [
    "ChallengeTheme",
    "CountryChoice",
    "FeatureReason",
    "Peer",
    "PeerConstraints",
    "PeerQuery",
    "PeerResult",
    "Practice",
    "ThemeFit",
]


class CountryChoice(StrEnum):
    """Which countries a peer may come from, relative to the city's."""

    ANY = "any"
    SAME = "same"
    OTHER = "other"


class PeerConstraints(BaseModel):
    """What a peer must satisfy. ``size``: ``any``, ``same`` (the city's size class) or a size class code;
    ``language``: ``any``, ``same`` (shares an official language with the city) or an ISO 639-1 code;
    ``programme``: a programme's code whose eligibility the peer must meet (``urbact``, ``eui-ia``);
    ``themes``: the challenge themes to match practices against (empty: the city's own, from its goals and
    networks); ``min_overlap``: the fewest profile features two cities must share to be compared."""

    model_config = {"frozen": True}

    country: CountryChoice = CountryChoice.ANY
    size: str = Field(default="any", max_length=40)
    language: str = Field(default="any", max_length=10)
    programme: str | None = Field(default=None, max_length=40)
    themes: tuple[str, ...] = ()
    min_overlap: int = Field(default=3, ge=2, le=20)


class FeatureReason(BaseModel):
    """A profile feature both cities have: its values and their standardised difference (smallest: most
    alike)."""

    code: str
    name_en: str
    name_de: str
    unit: str
    city_value: float
    peer_value: float
    difference: float = Field(description="Absolute difference of the robust z-scores.")


class Practice(BaseModel):
    """Something a peer does on a theme: a network it took part in, a goal or an intervention it has."""

    kind: str = Field(description="network, goal or intervention")
    name: str
    slug: str | None = Field(default=None, description="The network's slug (kind network).")


class ThemeFit(BaseModel):
    """A challenge theme of the city that the peer has practices in."""

    theme: str = Field(description="The theme's key (docs/peers.md, 'Themes').")
    label_en: str
    label_de: str
    practices: list[Practice]


class Peer(BaseModel):
    """One suggested peer with its score and its reasons."""

    rank: int
    slug: str
    name: str
    country: str
    population: int | None
    size_class: str | None
    score: float = Field(description="Similarity plus the theme bonus; what the ranking is by.")
    similarity: float = Field(description="1 / (1 + D): symmetric, 1 = identical profiles.")
    distance: float = Field(description="D: the shrunk root mean squared standardised difference.")
    overlap: int = Field(description="How many profile features both cities have.")
    overlap_codes: list[str]
    alike: list[FeatureReason] = Field(description="The features that make the cities most alike.")
    themes: list[ThemeFit] = Field(description="The city's challenge themes this peer has practices in.")


class ChallengeTheme(BaseModel):
    """A challenge theme of the city and where it comes from."""

    theme: str
    label_en: str
    label_de: str
    source: str = Field(description="asked, goal, indicator or network")


class PeerResult(BaseModel):
    """Ranked peers of a city under constraints, with what the comparison rests on."""

    city: str
    city_name: str
    country: str
    population: int | None
    size_class: str | None
    constraints: PeerConstraints
    features: list[str] = Field(description="The profile features the city has.")
    profile_size: int = Field(description="How many features a profile has in all.")
    challenges: list[ChallengeTheme]
    candidates: int = Field(description="Municipalities the constraints allow (the city left out).")
    peers: list[Peer]
    problems: list[Problem] = Field(
        description="Why fewer peers (or none) were found: peer-no-profile, peer-overlap-too-small."
    )
    data_version: int


class PeerQuery(BaseModel):
    """A peer search as the query string gives it (one model for the API, the page and its JSON twin);
    ``theme`` is comma-separated."""

    limit: int = Field(default=10, ge=1, le=100)
    country: CountryChoice = CountryChoice.ANY
    size: str = Field(default="any", max_length=40)
    language: str = Field(default="any", max_length=10)
    programme: str | None = Field(default=None, max_length=40)
    theme: str | None = Field(default=None, max_length=400)
    min_overlap: int = Field(default=3, ge=2, le=20)

    def constraints(self) -> PeerConstraints:
        themes = tuple(t.strip() for t in (self.theme or "").split(",") if t.strip())
        return PeerConstraints(
            country=self.country,
            size=self.size,
            language=self.language,
            programme=self.programme or None,
            themes=themes,
            min_overlap=self.min_overlap,
        )
