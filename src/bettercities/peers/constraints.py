"""The tables behind the constraints of peer matching: official languages per country and the countries
(and sizes) a programme accepts. Small, documented tables (docs/peers.md, "Constraints"); codes are
Eurostat's country codes (EL = Greece, UK = United Kingdom).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EU27", "LANGUAGES", "PROGRAMMES", "Programme", "languages_of"]

#: The 27 member states of the European Union (since 1 February 2020).
EU27 = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)

#: Official languages at national level (ISO 639-1), per country. EU member states: the EU's official
#: languages as each state registered them (Regulation No 1 of 1958 as amended; Irish and English for
#: Ireland, Maltese and English for Malta, Luxembourgish added as Luxembourg's national language by its law of
#: 24 February 1984); other countries: their constitutions. Regional co-official languages (Catalan, Basque,
#: Galician, Welsh, Frisian, Sorbian, Romansh outside federal use …) are not listed: a match on language means
#: a shared national official language.
LANGUAGES: dict[str, frozenset[str]] = {
    country: frozenset(codes.split())
    for country, codes in {
        "AT": "de", "BE": "nl fr de", "BG": "bg", "CY": "el tr", "CZ": "cs", "DE": "de", "DK": "da",
        "EE": "et", "EL": "el", "ES": "es", "FI": "fi sv", "FR": "fr", "HR": "hr", "HU": "hu",
        "IE": "ga en", "IT": "it", "LT": "lt", "LU": "lb fr de", "LV": "lv", "MT": "mt en", "NL": "nl",
        "PL": "pl", "PT": "pt", "RO": "ro", "SE": "sv", "SI": "sl", "SK": "sk",
        "CH": "de fr it rm", "IS": "is", "LI": "de", "NO": "no", "UK": "en",
        "AL": "sq", "BA": "bs hr sr", "ME": "sr", "MK": "mk", "RS": "sr", "TR": "tr", "XK": "sq sr",
        "MD": "ro", "UA": "uk",
    }.items()
}  # fmt: skip


def languages_of(country: str) -> frozenset[str]:
    """The official languages of ``country`` (empty for a country not in :data:`LANGUAGES`)."""
    return LANGUAGES.get(country.upper(), frozenset())


@dataclass(frozen=True)
class Programme:
    """Who may take part in a programme: countries and, where the programme sets one, a least population."""

    code: str
    name: str
    countries: frozenset[str]
    min_population: int | None
    source: str


#: Programmes whose eligibility a peer search can require (``programme=<code>``).
PROGRAMMES: dict[str, Programme] = {
    p.code: p
    for p in (
        Programme(
            code="urbact",
            name="URBACT IV (2021-2027)",
            # IPA countries: Albania, Bosnia and Herzegovina, Montenegro, North Macedonia, Serbia
            countries=EU27 | {"NO", "CH", "AL", "BA", "ME", "MK", "RS"},
            min_population=None,
            source="URBACT IV Cooperation Programme (CCI 2021TC16FFIR001), programme area; URBACT IV call "
            "for Action Planning Networks (2023): EU member states, partner states Norway and Switzerland, "
            "IPA countries Albania, Bosnia and Herzegovina, Montenegro, North Macedonia and Serbia",
        ),
        Programme(
            code="eui-ia",
            name="European Urban Initiative – Innovative Actions",
            countries=EU27,
            min_population=50_000,
            source="EUI-IA online guidance, 'Eligible authorities': urban authorities of EU member states "
            "with at least 50,000 inhabitants (the first category; associations of authorities are not "
            "modelled)",
        ),
    )
}
