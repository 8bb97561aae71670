"""A survey's results per group of municipalities, with groups smaller than the survey's minimum group size
withheld.

Grouping (``group_by``): ``None`` (all respondents), ``country``, ``size_class``
(:func:`bettercities.registry.service.size_class`), ``network`` (one group per network of the survey's
programme — or of every programme when the survey has none — that the municipality is or was a member of; a
municipality can be in several), ``programme``, or ``network:<slug>`` (the network's members only).
``network`` narrows every grouping to the members of one network (its aggregate, broken down).

Disclosure, the rule of the privacy work's minimum frequency (default 3): a group with fewer respondents than
the survey's ``min_group_size`` is withheld — its label and the reason are shown, never its counts. When
exactly one group of a breakdown is withheld, the next smallest is withheld as well (secondary suppression),
so that the withheld group cannot be derived from the total. The rule is the same for every audience: the
answers of a single municipality are read on its response, by its contacts and the survey's coordinators.
Free-text and date answers are counted, never listed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.networks.models import Membership, Network, Programme
from bettercities.publication import Audience
from bettercities.registry.service import size_class
from bettercities.surveys.models import Survey, SurveyResponse
from bettercities.surveys.schemas import (
    AnswerCount,
    FormDefinition,
    GroupResult,
    Item,
    QuestionResult,
    SurveyResults,
)
from bettercities.surveys.versions import definition

__all__ = ["GROUPINGS", "results"]

GROUPINGS = ("country", "size_class", "network", "programme")
ALL = "all"


@dataclass(frozen=True)
class _Respondent:
    city_id: int
    country: str
    population: int | None
    answers: dict[str, str]


def _memberships(session: Session, city_ids: list[int]) -> dict[int, list[Network]]:
    rows = session.execute(
        select(Membership.city_id, Network)
        .join(Network, Network.id == Membership.network_id)
        .where(Membership.city_id.in_(city_ids), Membership.superseded_at.is_(None))
        .order_by(Network.slug)
    ).all()
    found: dict[int, list[Network]] = defaultdict(list)
    for city_id, network in rows:
        if city_id is not None and network not in found[city_id]:
            found[city_id].append(network)
    return found


def _invalid(group_by: str) -> InvalidInput:
    problem = Problem(
        code="survey-invalid-grouping",
        message=f"{group_by!r} is no grouping (country, size_class, network, programme, network:<slug>)",
        column="by",
        value=group_by,
    )
    return InvalidInput(problem.message, Report(problems=[problem]))


def _question_result(
    item: Item,
    section: str | None,
    lang: str,
    groups: dict[str, list[_Respondent]],
    labels: dict[str, str],
    withheld: dict[str, str],
) -> QuestionResult:
    fallback = next(iter(item.label), lang)
    out: list[GroupResult] = []
    for key, members in groups.items():
        if key in withheld:
            out.append(GroupResult(group=key, label=labels[key], withheld=True, reason=withheld[key]))
            continue
        given = [m.answers[item.name] for m in members if m.answers.get(item.name)]
        counts: list[AnswerCount] = []
        mean = None
        if item.kind in {"select_one", "select_multiple"}:
            for choice in item.choices:
                n = sum(choice.name in (g.split() if item.kind == "select_multiple" else [g]) for g in given)
                counts.append(
                    AnswerCount(
                        answer=choice.name,
                        label=choice.label.get(lang) or choice.label.get(fallback) or choice.name,
                        count=n,
                        share=n / len(given) if given else 0.0,
                    )
                )
        elif item.kind in {"integer", "decimal"} and given:
            mean = sum(float(g) for g in given) / len(given)
        out.append(
            GroupResult(group=key, label=labels[key], respondents=len(members), answers=counts, mean=mean)
        )
    return QuestionResult(
        name=item.name, kind=item.kind, label=item.label_in(lang, fallback), section=section, groups=out
    )


def results(
    session: Session,
    survey_slug: str,
    *,
    group_by: str | None = None,
    audience: Audience = Audience.PUBLIC,
    network: str | None = None,
    lang: str = "en",
) -> SurveyResults:
    """Counts and shares per answer per group of every question of the survey's current form (see the
    module's docstring for the groupings and the withholding rule; ``audience`` is accepted for the contract's
    signature: the rule is the same for every audience)."""
    del audience  # the same rule for everyone (see the module's docstring)
    survey = session.scalar(select(Survey).where(Survey.slug == survey_slug))
    if survey is None:
        raise NotFound("survey", survey_slug)
    if group_by is not None and group_by not in GROUPINGS and not group_by.startswith("network:"):
        raise _invalid(group_by)
    form: FormDefinition = definition(session, survey_slug)
    lang = lang if lang in form.languages else form.default_language
    rows = session.execute(
        select(City.id, City.country, City.population, SurveyResponse.answers)
        .join(SurveyResponse, SurveyResponse.city_id == City.id)
        .where(SurveyResponse.survey_id == survey.id, SurveyResponse.submitted.is_(True))
    ).all()
    respondents = [_Respondent(r[0], r[1], r[2], json.loads(r[3])) for r in rows]
    networks = _memberships(session, [r.city_id for r in respondents])
    within = group_by.split(":", 1)[1] if group_by and group_by.startswith("network:") else network
    if within is not None:
        if session.scalar(select(Network.id).where(Network.slug == within)) is None:
            raise NotFound("network", within)
        respondents = [r for r in respondents if any(n.slug == within for n in networks.get(r.city_id, []))]
    programmes = {p.id: p for p in session.scalars(select(Programme))}
    labels: dict[str, str] = {}
    groups: dict[str, list[_Respondent]] = defaultdict(list)
    for r in respondents:
        keys: list[tuple[str, str]]
        if group_by is None or group_by.startswith("network:"):
            keys = [(within or ALL, within or ALL)]
        elif group_by == "country":
            keys = [(r.country, r.country)]
        elif group_by == "size_class":
            code = size_class(r.population) or "unknown"
            keys = [(code, code)]
        elif group_by == "network":
            keys = [
                (n.slug, n.name_de if lang == "de" else n.name_en)
                for n in networks.get(r.city_id, [])
                if survey.programme_id is None or n.programme_id == survey.programme_id
            ]
        else:
            keys = [
                (programmes[pid].slug, programmes[pid].name)
                for pid in sorted({n.programme_id for n in networks.get(r.city_id, []) if n.programme_id})
            ]
        for key, label in keys:
            labels[key] = label
            groups[key].append(r)
    if not groups and (group_by is None or within is not None):
        groups[within or ALL], labels[within or ALL] = [], within or ALL
    ordered = dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))
    minimum = survey.min_group_size
    withheld = {k: "small-group" for k, v in ordered.items() if len(v) < minimum}
    shown = [k for k in ordered if k not in withheld]
    if len(withheld) == 1 and len(ordered) > 1 and shown:
        smallest = min(shown, key=lambda k: (len(ordered[k]), k))
        withheld[smallest] = "secondary"
    questions: list[QuestionResult] = []

    def walk(items: list[Item], section: str | None) -> None:
        for item in items:
            if item.kind == "group":
                walk(item.items, section or item.label_in(lang, form.default_language))
            elif item.kind != "note":
                questions.append(_question_result(item, section, lang, ordered, labels, withheld))

    walk(form.items, None)
    total = len({r.city_id for r in respondents})
    return SurveyResults(
        survey=survey.slug,
        title=form.title.get(lang) or next(iter(form.title.values()), survey.slug),
        group_by=group_by,
        min_group_size=minimum,
        respondents=total if total >= minimum else None,
        groups=list(ordered),
        withheld_groups=[k for k in ordered if k in withheld],
        questions=questions,
    )
