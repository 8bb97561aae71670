"""The shipped practice survey (``data/practice_survey.xlsx``): how municipalities use social data, along the
four questions of URBACT's social-data networks — what do you collect; how is it collected and managed; how do
you use it for priorities and goals; how do you measure impact — in German and English.

The workbook is generated from the rows below, so that it can be re-made and reviewed as text::

    python -m bettercities.surveys.practice src/bettercities/surveys/data/practice_survey.xlsx
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

__all__ = ["CHOICES", "SETTINGS", "SURVEY", "build", "shipped_path"]

SURVEY_COLUMNS = (
    "type",
    "name",
    "label::German (de)",
    "label::English (en)",
    "hint::German (de)",
    "hint::English (en)",
    "relevant",
    "constraint",
    "constraint_message::German (de)",
    "constraint_message::English (en)",
    "required",
    "gap",
)

_ = ""
SURVEY: tuple[tuple[str, ...], ...] = (
    ("begin_group", "collect", "1. Was erheben Sie?", "1. What do you collect?", _, _, _, _, _, _, _, _),
    (
        "select_multiple topics",
        "topics",
        "Zu welchen Themen erheben oder beziehen Sie Sozialdaten?",
        "On which topics do you collect or obtain social data?",
        "Mehrfachauswahl möglich.",
        "Choose all that apply.",
        _,
        _,
        _,
        _,
        "yes",
        "holds",
    ),
    (
        "select_one yes_no",
        "small_area",
        "Liegen Ihnen Daten unterhalb der Gesamtstadt vor (Stadtteile, Quartiere)?",
        "Do you hold data below the whole city (districts, neighbourhoods)?",
        _,
        _,
        _,
        _,
        _,
        _,
        "yes",
        _,
    ),
    (
        "select_one levels",
        "finest_level",
        "Was ist die feinste räumliche Ebene Ihrer Daten?",
        "What is the finest spatial level of your data?",
        _,
        _,
        "${small_area} = 'yes'",
        _,
        _,
        _,
        "yes",
        _,
    ),
    ("end_group", _, _, _, _, _, _, _, _, _, _, _),
    (
        "begin_group",
        "manage",
        "2. Wie werden die Daten erhoben und verwaltet?",
        "2. How is it collected and managed?",
        _,
        _,
        _,
        _,
        _,
        _,
        _,
        _,
    ),
    (
        "select_multiple sources",
        "sources",
        "Woher stammen Ihre Sozialdaten?",
        "Where do your social data come from?",
        _,
        _,
        _,
        _,
        _,
        _,
        "yes",
        _,
    ),
    (
        "integer",
        "staff",
        "Wie viele Vollzeitstellen arbeiten bei Ihnen mit Sozialdaten?",
        "How many full-time equivalent staff work with social data?",
        "Eine ganze Zahl von 0 bis 200.",
        "A whole number from 0 to 200.",
        _,
        ". >= 0 and . <= 200",
        "Bitte eine Zahl von 0 bis 200 angeben.",
        "Give a number from 0 to 200.",
        "yes",
        _,
    ),
    (
        "select_multiple tools",
        "tools",
        "Mit welchen Werkzeugen verwalten Sie die Daten?",
        "Which tools do you manage the data with?",
        _,
        _,
        _,
        _,
        _,
        _,
        _,
        _,
    ),
    (
        "text",
        "tools_other",
        "Welche anderen Werkzeuge?",
        "Which other tools?",
        _,
        _,
        "selected(${tools}, 'other')",
        "string-length(.) <= 200",
        "Höchstens 200 Zeichen.",
        "At most 200 characters.",
        _,
        _,
    ),
    ("end_group", _, _, _, _, _, _, _, _, _, _, _),
    (
        "begin_group",
        "use",
        "3. Wie nutzen Sie die Daten für Prioritäten und Ziele?",
        "3. How do you use it for priorities and goals?",
        _,
        _,
        _,
        _,
        _,
        _,
        _,
        _,
    ),
    (
        "select_one frequency",
        "priorities",
        "Wie oft begründen Sie räumliche Prioritäten mit Sozialdaten?",
        "How often do you base spatial priorities on social data?",
        _,
        _,
        _,
        _,
        _,
        _,
        "yes",
        _,
    ),
    (
        "text",
        "priority_example",
        "Nennen Sie ein Beispiel.",
        "Give an example.",
        _,
        _,
        "${priorities} = 'sometimes' or ${priorities} = 'regularly'",
        "string-length(.) <= 500",
        "Höchstens 500 Zeichen.",
        "At most 500 characters.",
        _,
        _,
    ),
    (
        "select_one yes_no",
        "goals",
        "Hat Ihre Kommune messbare Ziele auf Grundlage von Sozialdaten beschlossen?",
        "Has your municipality adopted measurable goals based on social data?",
        _,
        _,
        _,
        _,
        _,
        _,
        "yes",
        _,
    ),
    ("end_group", _, _, _, _, _, _, _, _, _, _, _),
    (
        "begin_group",
        "impact",
        "4. Wie messen Sie Wirkung?",
        "4. How do you measure impact?",
        _,
        _,
        _,
        _,
        _,
        _,
        _,
        _,
    ),
    (
        "select_one yes_no",
        "measures_impact",
        "Messen Sie die Wirkung von Maßnahmen?",
        "Do you measure the impact of measures?",
        _,
        _,
        _,
        _,
        _,
        _,
        "yes",
        _,
    ),
    (
        "select_multiple methods",
        "impact_methods",
        "Mit welchen Methoden?",
        "With which methods?",
        _,
        _,
        "${measures_impact} = 'yes'",
        "count-selected(.) >= 1",
        _,
        _,
        "yes",
        _,
    ),
    (
        "select_multiple topics",
        "needs",
        "Zu welchen Themen brauchen Sie Unterstützung bei Daten?",
        "On which topics do you need support with data?",
        "Mehrfachauswahl möglich.",
        "Choose all that apply.",
        _,
        _,
        _,
        _,
        _,
        "needs",
    ),
    (
        "select_multiple support",
        "support",
        "Welche Unterstützung wäre hilfreich?",
        "Which support would help?",
        _,
        _,
        _,
        _,
        _,
        _,
        _,
        _,
    ),
    ("end_group", _, _, _, _, _, _, _, _, _, _, _),
)

CHOICES: tuple[tuple[str, str, str, str], ...] = (
    ("topics", "labour", "Arbeit und Beschäftigung", "Labour and employment"),
    ("topics", "poverty", "Armut und Einkommen", "Poverty and income"),
    ("topics", "education", "Bildung", "Education"),
    ("topics", "housing", "Wohnen", "Housing"),
    ("topics", "health", "Gesundheit", "Health"),
    ("topics", "demography", "Bevölkerung", "Demography"),
    ("topics", "participation", "Teilhabe", "Participation"),
    ("yes_no", "yes", "Ja", "Yes"),
    ("yes_no", "no", "Nein", "No"),
    ("levels", "district", "Stadtbezirke", "Districts"),
    ("levels", "small_area", "Stadtteile oder Quartiere", "Neighbourhoods"),
    ("levels", "block", "Baublöcke oder Raster", "Blocks or grid cells"),
    ("sources", "statistics_office", "Statistisches Amt", "Statistical office"),
    ("sources", "registers", "Verwaltungsregister", "Administrative registers"),
    ("sources", "own_surveys", "Eigene Befragungen", "Own surveys"),
    ("sources", "open_data", "Offene Daten", "Open data"),
    ("tools", "spreadsheets", "Tabellenkalkulation", "Spreadsheets"),
    ("tools", "database", "Datenbank", "Database"),
    ("tools", "gis", "Geoinformationssystem", "GIS"),
    ("tools", "dashboard", "Dashboard", "Dashboard"),
    ("tools", "other", "Andere", "Other"),
    ("frequency", "never", "Nie", "Never"),
    ("frequency", "sometimes", "Manchmal", "Sometimes"),
    ("frequency", "regularly", "Regelmäßig", "Regularly"),
    ("methods", "monitoring", "Monitoring von Indikatoren", "Indicator monitoring"),
    ("methods", "before_after", "Vorher-nachher-Vergleich", "Before-and-after comparison"),
    ("methods", "comparison_group", "Vergleichsgruppe", "Comparison group"),
    ("methods", "qualitative", "Qualitative Auswertung", "Qualitative evaluation"),
    ("support", "data_access", "Zugang zu Daten", "Access to data"),
    ("support", "methods", "Methoden", "Methods"),
    ("support", "training", "Schulung", "Training"),
    ("support", "exchange", "Austausch mit anderen Städten", "Exchange with other cities"),
)

SETTINGS = {
    "form_title::German (de)": "Sozialdaten in der Praxis der Kommunen",
    "form_title::English (en)": "Social data in municipal practice",
    "form_id": "practice-survey",
    "version": "2026-01",
    "default_language": "German (de)",
}


def build(path: Path) -> Path:
    """Write the practice survey's workbook to ``path``."""
    from openpyxl import Workbook

    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    for row in SURVEY:
        survey.append([cell or None for cell in row])
    choices = workbook.create_sheet("choices")
    choices.append(("list_name", "name", "label::German (de)", "label::English (en)"))
    for choice in CHOICES:
        choices.append(choice)
    settings = workbook.create_sheet("settings")
    settings.append(tuple(SETTINGS))
    settings.append(tuple(SETTINGS.values()))
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def shipped_path() -> Path:
    """The shipped workbook."""
    return Path(str(resources.files("bettercities.surveys").joinpath("data/practice_survey.xlsx")))


if __name__ == "__main__":  # pragma: no cover - the command that re-makes the shipped file
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else shipped_path()))
