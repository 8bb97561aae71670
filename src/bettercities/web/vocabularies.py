"""Labels of the codes pages show, in German and English, from one place.

A page never shows a code of a controlled vocabulary (``labour``, ``ANNUAL``, ``small_area``, ``PUBLIC``,
``draft``, ``unknown-area`` …) but its label: ``label(code, vocabulary, lang)``, in templates the filter
``code|label('frequency')``. The labels are msgids of the web catalogs (``locale/*/messages.po``), so a
translation lives beside every other message of the pages. A code no vocabulary knows is shown as it is
(cities name their own levels, themes and units; those come with their own names).

Vocabularies (:data:`VOCABULARIES`): indicator themes and the reference set's areas (``theme``), the EU data
themes (``data_theme``), frequencies, access rights, licences, the states of a dataset (``state``), the
inventory's statuses, the kinds of spatial level the reference set asks for (``level_kind``), roles, the
states and methods of outlier flags, the severities and modes of quality rules, spatial weights, units, and
problem codes (``problem``: the titles of :data:`bettercities.core.problem_codes.PROBLEM_CODES`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from bettercities.core.problem_codes import PROBLEM_CODES
from bettercities.web.i18n import gettext_for


def N_(message: str) -> str:
    """Marks ``message`` for the catalogs; it is translated where it is shown."""
    return message


VOCABULARIES: dict[str, dict[str, str]] = {
    # themes of indicators (free text of the registry; these are the shipped presets' and the demo's) and the
    # areas of the reference indicator set (catalog/data/reference_indicators.yaml)
    "theme": {
        "labour": N_("labour market"),
        "poverty": N_("poverty"),
        "education": N_("education"),
        "housing": N_("housing"),
        "health": N_("health"),
        "demography": N_("population"),
        "participation": N_("participation"),
        "migration": N_("migration"),
        "culture": N_("culture"),
        "economy": N_("economy"),
        "environment": N_("environment"),
    },
    # EU data theme vocabulary (publications.europa.eu/resource/authority/data-theme), its official labels
    "data_theme": {
        "AGRI": N_("Agriculture, fisheries, forestry and food"),
        "ECON": N_("Economy and finance"),
        "EDUC": N_("Education, culture and sport"),
        "ENER": N_("Energy"),
        "ENVI": N_("Environment"),
        "GOVE": N_("Government and public sector"),
        "HEAL": N_("Health"),
        "INTR": N_("International issues"),
        "JUST": N_("Justice, legal system and public safety"),
        "REGI": N_("Regions and cities"),
        "SOCI": N_("Population and society"),
        "TECH": N_("Science and technology"),
        "TRAN": N_("Transport"),
    },
    # EU frequency vocabulary (authority/frequency)
    "frequency": {
        "MONTHLY": N_("monthly"),
        "QUARTERLY": N_("quarterly"),
        "ANNUAL_2": N_("semiannual"),
        "ANNUAL": N_("annual"),
        "BIENNIAL": N_("biennial"),
        "TRIENNIAL": N_("triennial"),
        "QUINQUENNIAL": N_("quinquennial"),
        "DECENNIAL": N_("decennial"),
        "IRREG": N_("irregular"),
    },
    # EU access-right vocabulary (authority/access-right)
    "access_rights": {
        "PUBLIC": N_("public"),
        "RESTRICTED": N_("restricted"),
        "NON_PUBLIC": N_("non-public"),
    },
    # dcat-ap.de licence list
    "licence": {
        "dl-by-de/2.0": N_("Data licence Germany – attribution – version 2.0"),
        "dl-zero-de/2.0": N_("Data licence Germany – zero – version 2.0"),
        "cc-by/4.0": N_("Creative Commons Attribution 4.0 International"),
        "cc-by-sa/4.0": N_("Creative Commons Attribution – Share Alike 4.0 International"),
        "cc-zero": N_("Creative Commons CC Zero"),
        "other-closed": N_("Other licence (not open)"),
    },
    "state": {
        "draft": N_("draft"),
        "submitted": N_("submitted"),
        "approved": N_("approved (locked)"),
        "published": N_("published"),
    },
    "inventory_status": {
        "held": N_("held"),
        "missing": N_("missing"),
        "stale": N_("stale"),
        "too_coarse": N_("too coarse"),
    },
    "level_kind": {
        "city": N_("whole city"),
        "district": N_("districts"),
        "small_area": N_("small areas"),
    },
    "role": {
        "viewer": N_("viewer"),
        "analyst": N_("analyst"),
        "steward": N_("steward"),
        "city_admin": N_("city administrator"),
        "member": N_("member"),
        "coordinator": N_("coordinator"),
    },
    "flag_status": {
        "open": N_("open"),
        "accepted": N_("accepted"),
        "corrected": N_("corrected"),
    },
    "outlier_method": {
        "zscore": N_("z-score"),
        "robust": N_("robust z-score (median)"),
        "band": N_("outside the expected band"),
        "jump": N_("jump from the previous period"),
    },
    "severity": {"error": N_("error"), "warning": N_("warning")},
    # what a quality rule does with a missing operand
    "missing": {"skip": N_("not checked"), "zero": N_("counts as 0"), "fail": N_("counts as a violation")},
    # how the protection of a period was found (privacy/schemas.py)
    "solver_status": {
        "optimal": N_("optimal"),
        "feasible": N_("feasible (node limit)"),
        "fallback": N_("fallback"),
        "none": N_("nothing to protect"),
    },
    "weights": {
        "queen": N_("queen contiguity"),
        "rook": N_("rook contiguity"),
        "knn": N_("k nearest neighbours"),
        "distance-band": N_("distance band"),
    },
    "unit": {
        "persons": N_("persons"),
        "person": N_("persons"),
        "years": N_("years"),
        "count": N_("count"),
        "per 100 inhabitants": N_("per 100 inhabitants"),
        "pp": N_("pp"),
    },
    "problem": {code: entry.title for code, entry in PROBLEM_CODES.items()},
    # the actions of the audit log: writes of the tables and the events of audit/service.EVENTS
    "audit_action": {
        "insert": N_("inserted"),
        "update": N_("updated"),
        "delete": N_("deleted"),
        "bulk-insert": N_("inserted in bulk"),
        "bulk-update": N_("updated in bulk"),
        "bulk-delete": N_("deleted in bulk"),
        "login": N_("signed in"),
        "login-failed": N_("sign-in failed"),
        "logout": N_("signed out"),
        "token-issued": N_("token issued"),
        "token-revoked": N_("token revoked"),
        "user-created": N_("account created"),
        "user-disabled": N_("account disabled"),
        "user-enabled": N_("account enabled"),
        "role-granted": N_("role granted"),
        "role-revoked": N_("role revoked"),
        "network-role-granted": N_("network role granted"),
        "network-role-revoked": N_("network role revoked"),
        "password-changed": N_("password changed"),
        "restore": N_("restored from a backup"),
        "restore-kept-access": N_("restored, accounts kept"),
        "registry-loaded": N_("city registry loaded"),
    },
    # how a write reached the database (audit/context.py)
    "via": {"web": N_("web page"), "api": N_("API"), "cli": N_("command line"), "library": N_("library")},
    # the actor of writes outside a request or command (audit/context.LIBRARY); users go by their names
    "actor": {"library": N_("library")},
    # the titles of the shipped quality rules (quality/data/rules/*.yaml), by rule code
    "quality_rule": {
        "unemployment-pct-range": N_("Unemployment rate between 0 and 100 %"),
        "activity-rate-range": N_("Activity rate between 0 and 100 %"),
        "poverty-pct-range": N_("At-risk-of-poverty rate between 0 and 100 %"),
        "homeownership-pct-range": N_("Home ownership between 0 and 100 %"),
        "noise-55-covers-65": N_("Population above 55 dB(A) includes those above 65 dB(A)"),
        "warmest-above-coldest": N_("The warmest month is warmer than the coldest"),
        "sunshine-hours-per-day": N_("Daily hours of sunshine between 0 and 24"),
    },
    # the titles of the preset priority rules (analysis/priority/schemas.py)
    "priority_rule": {
        "mss-low-status-negative-dynamics": N_("Status low or very low with negative dynamics (MSS)"),
        "low-status": N_("Status low or very low (latest index run)"),
    },
}


def label(code: object, vocabulary: str, lang: str, default: str | None = None) -> str:
    """The label of ``code`` in ``vocabulary`` in ``lang``; ``default`` (else the code itself) when the
    vocabulary has none (``None`` and ``""`` give an en dash)."""
    if code is None or code == "":
        return "–"
    key = code.value if isinstance(code, Enum) else str(code)
    message = VOCABULARIES[vocabulary].get(key)
    if message:
        return gettext_for(lang).gettext(message)
    return key if default is None else default


def label_filter(lang: str) -> Callable[..., str]:
    """The Jinja filter ``label`` of the templates of ``lang``: ``{{ d.frequency|label('frequency') }}``,
    ``{{ rule.name|label('priority_rule', rule.title) }}``."""

    def label_in(code: object, vocabulary: str, default: str | None = None) -> str:
        return label(code, vocabulary, lang, default)

    return label_in
