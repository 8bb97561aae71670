"""Themes in words and the keys they are compared by: a city's challenge themes (its goals' themes and
indicators' themes, its networks' themes, or those asked for) against a peer's practices.

Themes are free text in several places (a goal's themes, an indicator's theme, a network's theme such as
"Health" or "Urban regeneration"). :func:`theme_keys` maps a text to the keys of :data:`THEMES` whose words it
contains (English and German, accents folded: "Gesundheit" and "One Health" are both ``health``); a text that
names none keeps its own normalised words as its key, so two networks on "Port cities" still fit each other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["THEMES", "Theme", "normalise", "theme_keys"]


@dataclass(frozen=True)
class Theme:
    """A theme: its labels and the words (English, German, folded) that name it."""

    key: str
    en: str
    de: str
    words: tuple[str, ...]


#: The themes of the platform's indicator vocabulary (web/vocabularies.py "theme") and of city networks.
THEMES: dict[str, Theme] = {
    t.key: t
    for t in (
        Theme("health", "health", "Gesundheit", ("health", "gesundheit", "wellbeing", "well being")),
        Theme("labour", "labour market", "Arbeitsmarkt", (
            "labour", "labor", "employment", "unemployment", "jobs", "arbeit", "arbeitsmarkt",
            "beschaftigung", "arbeitslosigkeit")),
        Theme("poverty", "poverty", "Armut", (
            "poverty", "armut", "social inclusion", "deprivation", "transfer", "transfers")),
        Theme("education", "education", "Bildung", ("education", "school", "schools", "bildung", "schule")),
        Theme("housing", "housing", "Wohnen", ("housing", "wohnen", "wohnungen", "rent", "miete")),
        Theme("demography", "population", "Bevölkerung", (
            "demography", "population", "ageing", "aging", "bevolkerung", "demografie", "demographie")),
        Theme("participation", "participation", "Beteiligung", (
            "participation", "beteiligung", "engagement", "co creation", "civic")),
        Theme("migration", "migration", "Migration", (
            "migration", "migrants", "integration", "refugees", "zuwanderung")),
        Theme("culture", "culture", "Kultur", ("culture", "cultural", "kultur", "heritage")),
        Theme("economy", "economy", "Wirtschaft", (
            "economy", "economic", "wirtschaft", "business", "retail")),
        Theme("environment", "environment", "Umwelt", (
            "environment", "umwelt", "climate", "klima", "green", "grun", "air quality", "nature")),
        Theme("youth", "youth", "Jugend", ("youth", "youthwork", "young people", "jugend", "jugendarbeit")),
        Theme("regeneration", "urban regeneration", "Stadterneuerung", (
            "regeneration", "city centre", "city centres", "city center", "heart", "stadterneuerung",
            "innenstadt", "revitalisation", "revitalization", "vacancy", "leerstand")),
        Theme("neighbourhood", "neighbourhood management", "Quartiersmanagement", (
            "neighbourhood", "neighborhood", "quartier", "quartiersmanagement", "stadtteil")),
    )
}  # fmt: skip


def normalise(text: str) -> str:
    """Lower case ASCII words separated by single spaces (accents and umlauts folded: ü → u)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", ascii_text))


def _contains(text: str, phrase: str) -> bool:
    return f" {phrase} " in f" {text} "


def theme_keys(text: str, *, known_only: bool = False) -> frozenset[str]:
    """The keys of :data:`THEMES` that ``text`` names, or its own normalised words when it names none (not
    with ``known_only``: a network's name stands in for a missing theme only where it names a known one).

    >>> sorted(theme_keys("One Health for cities"))
    ['health']
    >>> sorted(theme_keys("Jugendarbeit"))
    ['youth']
    >>> sorted(theme_keys("Port cities"))
    ['port cities']
    >>> sorted(theme_keys("Cities@Heart", known_only=True))
    ['regeneration']
    >>> sorted(theme_keys("U.R. Impact", known_only=True))
    []
    """
    words = normalise(text)
    if not words:
        return frozenset()
    keys = frozenset(t.key for t in THEMES.values() if any(_contains(words, w) for w in t.words))
    return keys or (frozenset() if known_only else frozenset({words}))


def label(key: str, lang: str) -> str:
    """A theme key in ``lang`` (a key of its own words is shown as it is)."""
    theme = THEMES.get(key)
    if theme is None:
        return key
    return theme.de if lang == "de" else theme.en
