"""The demo city's catalogue: one dataset per group of its indicators, with full DCAT-AP.de metadata,
stewards and due dates, taken through the approval workflow to *published*."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.catalog import approval, service
from bettercities.catalog.schemas import DatasetSpec, DistributionSpec, Frequency, Theme
from bettercities.privacy import service as privacy
from bettercities.privacy.schemas import Method, RelationSpec, RuleSpec

PUBLISHER = "Stadt {city}, Amt für Statistik und Wahlen"
USER = "bettercities demo"

#: Counts that add up in every area and period of the generated data (demo/generator.py: the age groups
#: under 15, 15 to 64 and 65 and over partition the inhabitants). Declared as a chain, which implies
#: inhabitants = under 15 + 15 to 64 + 65 and over: the same knowledge for the attacker, but secondary
#: suppression solves it to optimality in every period (with the three-part relation beside the chain it fell
#: back to whole relations in 5 of 12 periods and took 25 s instead of 6.5 s for the whole demo). Benefit
#: recipients are not declared: the generator stores recipients under 15 but not those of 15 to 64, so no
#: relation of them holds in the data.
RELATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("inhabitants", ("population_under_65", "population_65_plus")),
    ("population_under_65", ("population_under_15", "population_15_65")),
)

#: code, theme, titles, descriptions, indicators, originator, legal basis, steward, months late
_DATASETS: tuple[tuple[str, Theme, str, str, str, str, tuple[str, ...], str, str, str], ...] = (
    (
        "population",
        Theme.SOCI,
        "Einwohnerinnen und Einwohner nach Alter und Haushalt",
        "Inhabitants by age and household",
        "Einwohnerinnen und Einwohner am 31.12. je Planungsraum, Altersanteile, Durchschnittsalter und "
        "Alleinerziehendenhaushalte aus dem Melderegister.",
        "Inhabitants on 31 December per planning area, age shares, mean age and single-parent households "
        "from the population register.",
        ("inhabitants", "age_under_18", "age_65_plus", "mean_age", "single_parent_households"),
        "Einwohnermelderegister, Bürgeramt",
        "Bundesmeldegesetz (BMG) § 34; Landesstatistikgesetz",
        "Dana Berger",
    ),
    (
        "labour-market",
        Theme.ECON,
        "Arbeitslosigkeit",
        "Unemployment",
        "Arbeitslose und Langzeitarbeitslose als Anteil der Einwohnerinnen und Einwohner von 15 bis unter 65 "
        "Jahren je Planungsraum, Stichtag 31.12.",
        "Unemployed and long-term unemployed as a share of inhabitants aged 15 to 64 per planning area, "
        "on 31 December.",
        ("unemployment", "long_term_unemployment"),
        "Statistik der Bundesagentur für Arbeit",
        "§ 281 SGB III (Arbeitsmarktstatistik)",
        "Jonas Albrecht",
    ),
    (
        "transfers",
        Theme.SOCI,
        "Transferleistungen und Armut",
        "Social transfers and poverty",
        "Bezug von Leistungen nach SGB II und SGB XII je Planungsraum: insgesamt, Kinder unter 15 Jahren, "
        "Grundsicherung im Alter.",
        "Recipients of minimum income benefits (SGB II and XII) per planning area: all, children under 15, "
        "basic income support in old age.",
        ("transfer_benefits", "child_poverty", "old_age_poverty"),
        "Statistik der Bundesagentur für Arbeit; Sozialamt",
        "§ 53 SGB II; § 128 SGB XII",
        "Jonas Albrecht",
    ),
    (
        "migration",
        Theme.SOCI,
        "Migration und Staatsangehörigkeit",
        "Migration and citizenship",
        "Einwohnerinnen und Einwohner mit Migrationshintergrund und ausländischer Staatsangehörigkeit je "
        "Planungsraum, abgeleitet aus dem Melderegister.",
        "Inhabitants with a migration background and with a foreign citizenship per planning area, derived "
        "from the population register.",
        ("migration_background", "foreign_nationals"),
        "Einwohnermelderegister, Bürgeramt",
        "Bundesmeldegesetz (BMG) § 34; Landesstatistikgesetz",
        "Dana Berger",
    ),
    (
        "housing",
        Theme.REGI,
        "Wohnen und Wohnmobilität",
        "Housing and residential mobility",
        "Umzüge, Wohndauer von mindestens fünf Jahren und Anteil der Sozialwohnungen je Planungsraum.",
        "Moves, residence of at least five years at the address and the share of social housing per "
        "planning area.",
        ("residential_mobility", "residential_duration_5y", "social_housing"),
        "Einwohnermelderegister; Wohnungsamt",
        "Wohnraumförderungsgesetz (WoFG); Landesstatistikgesetz",
        "Mira Sommer",
    ),
)


def build_catalog(session: Session, city: City, *, first_year: int, last_year: int) -> int:
    """Add and publish the demo city's datasets; the housing delivery is left overdue on purpose."""
    count = 0
    for code, theme, title_de, title_en, text_de, text_en, codes, origin, law, steward in _DATASETS:
        late = code == "housing"
        spec = DatasetSpec(
            code=code,
            title_de=title_de,
            title_en=title_en,
            description_de=text_de,
            description_en=text_en,
            keywords=["Sozialmonitoring", "kleinräumig", code],
            publisher=PUBLISHER.format(city=city.name),
            contact_name="Amt für Statistik und Wahlen, Auskunftsdienst",
            contact_email="statistik@auenstedt.example",
            theme=theme,
            spatial_level="planning_area",
            temporal_start=date(first_year, 1, 1),
            temporal_end=date(last_year, 12, 31),
            frequency=Frequency.ANNUAL,
            access_rights="PUBLIC",
            legal_basis=law,
            originator=origin,
            method_notes="Stichtagsbestand am 31.12.; Anteile je 100 der Bezugsbevölkerung; Fälle unter 3 "
            "werden geheim gehalten (Zellsperrung).",
            owner_unit="Amt für Statistik und Wahlen, Sachgebiet Sozialstatistik",
            steward=steward,
            steward_email=f"{steward.split()[0].lower()}@auenstedt.example",
            last_updated=date(last_year if late else last_year + 1, 3, 31),
            indicators=[c for c in codes],
            distributions=[
                DistributionSpec(
                    title=f"JSON API: {c}",
                    format="JSON",
                    access_url=f"/api/cities/{city.slug}/observations?indicator={c}",
                    media_type="application/json",
                )
                for c in codes
            ],
        )
        service.add_dataset(session, city, spec)
        for action in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
            approval.transition(session, city.slug, code, action, user=USER)
        count += 1
    return count


def declare_protection(session: Session, city: City) -> None:
    """Make the catalogue's note ("Fälle unter 3 werden geheim gehalten") true: the city's default rule is
    cell suppression of counts below 3, and the relations that hold in the generated data are declared, so
    secondary suppression also protects across the age groups."""
    privacy.set_rule(session, city, RuleSpec(method=Method.SUPPRESSION, threshold=3))
    for total, parts in RELATIONS:
        privacy.add_relation(session, city, RelationSpec(total=total, parts=list(parts)))
