"""Checking a municipality's answers against a form on the server: types, choices, skip logic (``relevant``),
required answers and constraints, in the subset of :mod:`bettercities.surveys.expressions`.

Answers are text, as XLSForm instances hold them: a ``select_multiple`` answer is its choices' names
separated by spaces, a date is ``YYYY-MM-DD``, numbers are written with a point. A question whose
``relevant`` is false (or in a group whose ``relevant`` is false) is skipped: its answer is dropped, it is
never required and its constraint is not checked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bettercities.surveys import expressions
from bettercities.surveys.schemas import FormDefinition, Item

__all__ = ["MAX_TEXT", "Checked", "FieldError", "check_answers", "relevant_items"]

#: The longest answer kept (a text question); longer ones are refused.
MAX_TEXT = 4000


@dataclass(frozen=True)
class FieldError:
    """A refused answer: the question, the problem code and the message (in the form's language)."""

    name: str
    code: str
    message: str


@dataclass
class Checked:
    """The kept answers (skipped questions dropped), the questions shown, the refusals."""

    answers: dict[str, str]
    shown: set[str] = field(default_factory=set)
    errors: list[FieldError] = field(default_factory=list)


def _normalise(item: Item, raw: str | Sequence[str] | None) -> tuple[str, str | None]:
    """The answer as stored text, and the reason it is not a valid answer of its type (``None``: valid)."""
    if raw is None:
        return "", None
    if isinstance(raw, str):
        values = raw.split() if item.kind == "select_multiple" else [raw]
    else:
        values = [v for part in raw for v in (part.split() if item.kind == "select_multiple" else [part])]
    values = [v.strip() for v in values if v is not None and v.strip()]
    if not values:
        return "", None
    names = [c.name for c in item.choices]
    if item.kind == "select_multiple":
        unknown = [v for v in values if v not in names]
        kept = " ".join(n for n in names if n in values)
        return (kept, None) if not unknown else (" ".join(values), "not-a-choice")
    text = values[0]
    if item.kind == "select_one":
        return text, None if text in names else "not-a-choice"
    if item.kind == "integer":
        try:
            return str(int(text)), None
        except ValueError:
            return text, "not-an-integer"
    if item.kind == "decimal":
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return text, "not-a-number"
        return (repr(number), None) if math.isfinite(number) else (text, "not-a-number")
    if item.kind == "date":
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            return text, "not-a-date"
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT], "too-long"
    return text, None


def _flag(text: str | None) -> str | None:
    """A required column as an expression (``yes`` -> ``true()``); ``None`` when not required."""
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered in {"yes", "true", "true()"}:
        return "true()"
    if lowered in {"no", "false", "false()", ""}:
        return None
    return text


def relevant_items(definition: FormDefinition, answers: Mapping[str, str]) -> set[str]:
    """Names of the items (groups and questions) shown with ``answers``."""
    return check_answers(definition, answers, lang=definition.default_language).shown


def check_answers(
    definition: FormDefinition, raw: Mapping[str, str | Sequence[str] | None], *, lang: str
) -> Checked:
    """Check ``raw`` (question name -> answer) against ``definition``; messages in ``lang``."""
    fallback = definition.default_language
    answers: dict[str, str] = {}
    type_errors: dict[str, str] = {}
    for item in definition.questions():
        if item.kind == "note":
            continue
        text, problem = _normalise(item, raw.get(item.name))
        if text:
            answers[item.name] = text
        if problem:
            type_errors[item.name] = problem
    checked = Checked(answers={})

    def walk(items: list[Item], shown: bool) -> None:
        for item in items:
            visible = shown and (
                not item.relevant or expressions.parse(item.relevant).holds(checked.answers | _later(item))
            )
            if item.kind == "group":
                if visible:
                    checked.shown.add(item.name)
                walk(item.items, visible)
                continue
            if not visible:
                continue
            checked.shown.add(item.name)
            if item.kind == "note":
                continue
            value = answers.get(item.name, "")
            if item.name in type_errors:
                checked.errors.append(
                    FieldError(item.name, "survey-invalid-answer", _message(type_errors[item.name], lang))
                )
                continue
            required = _flag(item.required)
            if not value:
                if required and expressions.parse(required).holds(checked.answers | _later(item)):
                    text = item.required_message.get(lang) or item.required_message.get(fallback)
                    checked.errors.append(
                        FieldError(item.name, "survey-required", text or _message("required", lang))
                    )
                continue
            if item.constraint and not expressions.parse(item.constraint).holds(
                checked.answers | _later(item), current=value
            ):
                text = item.constraint_message.get(lang) or item.constraint_message.get(fallback)
                checked.errors.append(
                    FieldError(item.name, "survey-constraint", text or _message("constraint", lang))
                )
            checked.answers[item.name] = value

    def _later(item: Item) -> dict[str, str]:
        # an expression may refer to a question further down: its answer as given (checked when reached)
        return {k: v for k, v in answers.items() if k not in checked.answers}

    walk(definition.items, True)
    return checked


_MESSAGES = {
    "required": ("Diese Frage muss beantwortet werden.", "This question must be answered."),
    "constraint": ("Diese Antwort ist nicht zulässig.", "This answer is not allowed."),
    "not-a-choice": ("Bitte eine der angebotenen Antworten wählen.", "Choose one of the answers offered."),
    "not-an-integer": ("Bitte eine ganze Zahl eingeben.", "Enter a whole number."),
    "not-a-number": ("Bitte eine Zahl eingeben.", "Enter a number."),
    "not-a-date": ("Bitte ein Datum (JJJJ-MM-TT) eingeben.", "Enter a date (YYYY-MM-DD)."),
    "too-long": (
        "Die Antwort ist zu lang (höchstens 4000 Zeichen).",
        "The answer is too long (at most 4000 characters).",
    ),
}


def _message(key: str, lang: str) -> str:
    german, english = _MESSAGES[key]
    return german if lang == "de" else english
