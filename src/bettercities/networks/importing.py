"""``bettercities import memberships``: programmes, networks and memberships from a CSV file.

The file has the columns ``programme, network, member, country, role, start, end, source, note`` (one row per
membership; header = row 1). Every row is checked before anything is written; a refused file raises
:class:`~bettercities.core.errors.InvalidInput` with every problem (file, row, column, code) and writes
nothing. Programmes and networks are created when absent (found by their name, else by the slug their
name gives); a re-import changes nothing.

How a member is matched, in this order:

1. an organisation of :func:`organisations` (``data/organisations.csv``, name and country): a member that is
   not a municipality (a district, a metropolitan authority, an association of municipalities, a public
   institute) is kept as an organisation linked to its municipality where one is identifiable (the mapping
   names it; it is looked up in the registry like a member);
2. a registry city of that name (or alias) in that country (:func:`bettercities.registry.service.find_city`),
   else of the name the registry knows it by (:data:`member_names`, ``data/member_names.csv``: Aarhus is
   Århus there, Vari Voula Vouliagmeni its seat Voúla);
3. otherwise the member is kept as an organisation of kind ``unmatched`` with no municipality, and the
   import reports it (warning ``network-unmatched-member`` with file, row and column): never dropped.

A member's membership already recorded with the same role, status, dates, source and note is left alone; one
that differs is changed (its old version superseded, the reason naming the file). With ``withdraw_missing``
the file is taken as the complete list of every network it names: a current member not in it is marked
``withdrawn`` (the file does not say when it left, so no end date is set).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity
from bettercities.networks import service
from bettercities.networks.history import current
from bettercities.networks.models import Membership, Network, Organisation, Programme
from bettercities.networks.schemas import (
    ImportRow,
    MemberIn,
    MemberRole,
    MembershipChange,
    MembershipImportResult,
    MemberStatus,
    NetworkKind,
    OrganisationKind,
    ProgrammeIn,
)
from bettercities.networks.service import SLUG

COLUMNS = ("programme", "network", "member", "country", "role", "start", "end", "source", "note")
REQUIRED = ("programme", "network", "member", "country", "role")
#: A function that finds a registry city by name and Eurostat country code.
CityFinder = Callable[[Session, str, str], City | None]


@dataclass(frozen=True)
class KnownOrganisation:
    """A member that is not a municipality, and the municipality it belongs to (if one is identifiable)."""

    name: str
    country: str
    kind: OrganisationKind
    municipality: str | None
    municipality_country: str | None
    source: str
    note: str


@cache
def organisations() -> dict[tuple[str, str], KnownOrganisation]:
    """The shipped mapping of organisations (``data/organisations.csv``) by (case-folded name, country)."""
    text = resources.files("bettercities.networks").joinpath("data/organisations.csv").read_text("utf-8")
    found = {}
    for row in csv.DictReader(io.StringIO(text)):
        org = KnownOrganisation(
            name=row["name"],
            country=row["country"],
            kind=OrganisationKind(row["kind"]),
            municipality=row["municipality"] or None,
            municipality_country=row["municipality_country"] or None,
            source=row["source"],
            note=row["note"],
        )
        found[(org.name.casefold(), org.country)] = org
    return found


@cache
def member_names() -> dict[tuple[str, str], tuple[str, str]]:
    """The shipped spellings (``data/member_names.csv``): (case-folded member name, country) -> the name and
    country the registry knows it by."""
    text = resources.files("bettercities.networks").joinpath("data/member_names.csv").read_text("utf-8")
    return {
        (row["member"].casefold(), row["country"]): (row["registry_name"], row["registry_country"])
        for row in csv.DictReader(io.StringIO(text))
    }


def slug_of(name: str) -> str:
    """A programme's or network's slug from its name (the registry's slug rule, at most 80 characters)."""
    from bettercities.registry.names import base_slug

    slug = base_slug(name)
    while len(slug) > 80:
        slug = slug.rsplit("-", 1)[0]
    return slug


def default_finder() -> CityFinder:
    from bettercities.registry.service import find_city

    return find_city


@dataclass
class _Row:
    number: int
    programme: str
    network: str
    member: str
    country: str
    role: MemberRole
    start: date | None
    end: date | None
    source: str | None
    note: str | None


def _date(text: str, file: str, row: int, column: str, report: Report) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        report.add(
            Problem(
                code="network-invalid-date",
                message="not a date (YYYY-MM-DD)",
                file=file,
                row=row,
                column=column,
                value=text,
            )
        )
        return None


def read_rows(text: str, file: str) -> list[_Row]:
    """The file's rows, checked; :class:`InvalidInput` with every problem found."""
    report = Report(source=file)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if not header:
        report.add(Problem(code="empty-file", message="the file holds nothing", file=file))
        raise InvalidInput(f"{file}: the file holds nothing", report)
    for column in COLUMNS:
        if column not in header:
            report.add(
                Problem(code="missing-column", message="required column missing", file=file, column=column)
            )
    if not report.ok:
        raise InvalidInput(f"{file}: {report.summary()}", report)
    rows = []
    for number, raw in enumerate(reader, start=2):
        if None in raw or any(v is None for v in raw.values()):
            report.add(
                Problem(
                    code="malformed-row",
                    message="more or fewer fields than the header",
                    file=file,
                    row=number,
                )
            )
            continue
        values = {k: (v or "").strip() for k, v in raw.items()}
        for column in REQUIRED:
            if not values[column]:
                report.add(
                    Problem(
                        code="network-missing-value", message="empty", file=file, row=number, column=column
                    )
                )
        for column in ("programme", "network"):
            if values[column] and not SLUG.fullmatch(slug_of(values[column])):
                report.add(
                    Problem(
                        code="network-invalid-name",
                        message="the name gives no slug of 2 to 80 letters or digits",
                        file=file,
                        row=number,
                        column=column,
                        value=values[column],
                    )
                )
        country = values["country"]
        if country and not (len(country) == 2 and country.isalpha() and country.isupper()):
            report.add(
                Problem(
                    code="network-invalid-country",
                    message="not a two-letter Eurostat country code (EL = Greece)",
                    file=file,
                    row=number,
                    column="country",
                    value=country,
                )
            )
        try:
            role = MemberRole(values["role"].lower())
        except ValueError:
            if values["role"]:
                report.add(
                    Problem(
                        code="network-unknown-role",
                        message="use one of " + ", ".join(r.value for r in MemberRole),
                        file=file,
                        row=number,
                        column="role",
                        value=values["role"],
                    )
                )
            role = MemberRole.MEMBER
        start = _date(values["start"], file, number, "start", report)
        end = _date(values["end"], file, number, "end", report)
        if start and end and end < start:
            report.add(
                Problem(
                    code="network-end-before-start",
                    message=f"the membership ends ({end}) before it starts ({start})",
                    file=file,
                    row=number,
                    column="end",
                    value=values["end"],
                )
            )
        rows.append(
            _Row(
                number=number,
                programme=values["programme"],
                network=values["network"],
                member=values["member"],
                country=country,
                role=role,
                start=start,
                end=end,
                source=values["source"] or None,
                note=values["note"] or None,
            )
        )
    if not rows and report.ok:
        report.add(Problem(code="empty-file", message="the file has no rows", file=file))
    if not report.ok:
        raise InvalidInput(f"{file}: {report.summary()}", report)
    return rows


@dataclass
class _Member:
    city: City | None
    organisation: KnownOrganisation | None
    unmatched: bool


def _match(session: Session, row: _Row, finder: CityFinder, file: str, report: Report) -> _Member:
    known = organisations().get((row.member.casefold(), row.country))
    if known is not None:
        city = None
        if known.municipality and known.municipality_country:
            city = finder(session, known.municipality, known.municipality_country)
            if city is None:
                report.add(
                    Problem(
                        code="network-unlinked-organisation",
                        message=f"the municipality of this organisation, {known.municipality}, is in no "
                        "registry city; kept without it",
                        severity=Severity.WARNING,
                        file=file,
                        row=row.number,
                        column="member",
                        value=row.member,
                    )
                )
        return _Member(city=city, organisation=known, unmatched=False)
    city = finder(session, row.member, row.country)
    spelling = member_names().get((row.member.casefold(), row.country))
    if city is None and spelling is not None:
        city = finder(session, *spelling)
    if city is not None:
        return _Member(city=city, organisation=None, unmatched=False)
    report.add(
        Problem(
            code="network-unmatched-member",
            message="no registry city of this name in this country, and no known organisation; kept as an "
            "unmatched organisation (link it to a city later)",
            severity=Severity.WARNING,
            file=file,
            row=row.number,
            column="member",
            value=row.member,
        )
    )
    return _Member(city=None, organisation=None, unmatched=True)


def import_memberships(
    session: Session,
    text: str,
    file: str,
    *,
    dry_run: bool = False,
    withdraw_missing: bool = False,
    reason: str | None = None,
    withdraw_reason: str | None = None,
    finder: CityFinder | None = None,
) -> tuple[MembershipImportResult, Report]:
    """Import the memberships of ``text`` (the file's content, named ``file`` in problems and reasons).

    Returns what was done (with ``dry_run``: what would be done; nothing is written) and the report of
    warnings (unmatched members). :class:`InvalidInput` with every problem when a row is refused.
    ``reason`` is recorded with added and changed memberships (default: the file's name), ``withdraw_reason``
    with withdrawn ones (default: ``reason``).
    """
    finder = finder or default_finder()
    rows = read_rows(text, file)
    report = Report(source=file)
    members = [_match(session, row, finder, file, report) for row in rows]
    why = reason or f"import of {file}"
    result = MembershipImportResult(
        file=file,
        rows=len(rows),
        programmes_created=[],
        networks_created=[],
        memberships_added=0,
        memberships_unchanged=0,
        organisations_created=[],
        matched=[],
        dry_run=dry_run,
    )
    changed = 0
    by_network: dict[str, list[tuple[_Row, _Member]]] = {}
    for row, member in zip(rows, members, strict=True):
        by_network.setdefault(row.network, []).append((row, member))
        result.matched.append(
            ImportRow(
                row=row.number,
                network=slug_of(row.network),
                member=row.member,
                matched="organisation"
                if member.organisation
                else "unmatched"
                if member.unmatched
                else "city",
                city=(member.city.slug if member.city else None),
            )
        )
    for network_name, items in by_network.items():
        first = items[0][0]
        # an existing programme or network is found by its name first (it may have a slug of its own)
        existing_programme = session.scalar(
            select(Programme.slug).where(Programme.name == first.programme).order_by(Programme.id).limit(1)
        )
        programme_slug = existing_programme or slug_of(first.programme)
        absent = session.scalar(select(Programme.id).where(Programme.slug == programme_slug)) is None
        if absent and programme_slug not in result.programmes_created:
            result.programmes_created.append(programme_slug)
            if not dry_run:
                starts = [r.start for r in rows if r.programme == first.programme and r.start]
                ends = [r.end for r in rows if r.programme == first.programme and r.end]
                service.create_programme(
                    session,
                    ProgrammeIn(
                        slug=programme_slug,
                        name=first.programme,
                        start=min(starts) if starts else None,
                        end=max(ends) if ends else None,
                    ),
                )
        network = session.scalar(
            select(Network).where(Network.name_en == network_name).order_by(Network.id).limit(1)
        ) or session.scalar(select(Network).where(Network.slug == slug_of(network_name)))
        network_slug = network.slug if network is not None else slug_of(network_name)
        if network is None:
            result.networks_created.append(network_slug)
            if not dry_run:
                starts = [r.start for r, _ in items if r.start]
                ends = [r.end for r, _ in items if r.end]
                urls = {r.source for r, _ in items if r.source and r.source.startswith("https://")}
                tandem = all(r.role == MemberRole.TANDEM_PARTNER for r, _ in items)
                service.create_network(
                    session,
                    network_slug,
                    name_de=network_name,
                    name_en=network_name,
                    programme=programme_slug,
                    kind=NetworkKind.TANDEM if tandem else NetworkKind.NETWORK,
                    start=min(starts) if starts else None,
                    end=max(ends) if ends else None,
                    url=urls.pop() if len(urls) == 1 else None,
                )
                network = session.scalar(select(Network).where(Network.slug == network_slug))
        seen: set[int] = set()
        for row, member in items:
            org_id = None
            if member.city is None or member.organisation is not None:
                org_id = _organisation(session, row, member, result, dry_run=dry_run)
            existing = None
            if network is not None and (member.city is not None or org_id is not None):
                who: ColumnElement[bool] = (
                    Membership.organisation_id == org_id
                    if org_id is not None
                    else Membership.city_id == (member.city.id if member.city is not None else None)
                )
                existing = session.scalar(
                    select(Membership)
                    .where(Membership.network_id == network.id, who, current())
                    .order_by((Membership.start == row.start).desc(), Membership.id.desc())
                    .limit(1)
                )
            if existing is not None:
                seen.add(existing.id)
                wanted = {
                    "role": row.role.value,
                    "status": MemberStatus.ACTIVE.value,
                    "start": row.start,
                    "end": row.end,
                    "source": row.source,
                    "note": row.note,
                }
                if all(getattr(existing, k) == v for k, v in wanted.items()):
                    result.memberships_unchanged += 1
                    continue
                changed += 1
                if not dry_run:
                    new = service.change_membership(
                        session,
                        existing.id,
                        MembershipChange(
                            role=row.role,
                            status=MemberStatus.ACTIVE,
                            start=row.start,
                            end=row.end,
                            clear_end=row.end is None,
                            source=row.source or "",
                            note=row.note or "",
                            reason=why,
                        ),
                    )
                    seen.add(new.id)
                continue
            result.memberships_added += 1
            if dry_run:
                continue
            assert network is not None
            fields: dict[str, object] = {
                "city": member.city.slug if member.city is not None else None,
                "role": row.role,
                "start": row.start,
                "end": row.end,
                "source": row.source,
                "note": row.note,
                "reason": why,
            }
            if org_id is not None:
                org = session.get(Organisation, org_id)
                assert org is not None
                fields.update(organisation=org.name, country=org.country, organisation_kind=org.kind)
            spec = MemberIn.model_validate(fields)
            added = service.add_membership(session, network.slug, spec)
            seen.add(added.id)
        if withdraw_missing and network is not None:
            changed += _withdraw(session, network, seen, withdraw_reason or why, dry_run=dry_run)
    result.memberships_changed = changed
    return result, report


def _organisation(
    session: Session, row: _Row, member: _Member, result: MembershipImportResult, *, dry_run: bool
) -> int | None:
    """The id of the member's organisation (created unless ``dry_run``; ``None`` then when it is new)."""
    known = member.organisation
    name = known.name if known else row.member
    found = session.scalar(
        select(Organisation.id).where(Organisation.name == name, Organisation.country == row.country)
    )
    if found is not None:
        return found
    if name not in result.organisations_created:
        result.organisations_created.append(name)
    if dry_run:
        return None
    org = service.organisation(
        session,
        name,
        row.country,
        known.kind if known else OrganisationKind.UNMATCHED,
        city_id=member.city.id if member.city is not None else None,
        note=(f"{known.note} ({known.source})" if known else "no registry city matched this member"),
    )
    return org.id


def _withdraw(session: Session, network: Network, seen: set[int], why: str, *, dry_run: bool) -> int:
    rows = session.scalars(
        select(Membership).where(
            Membership.network_id == network.id,
            current(),
            Membership.status == MemberStatus.ACTIVE.value,
            Membership.id.not_in(seen) if seen else Membership.id.is_not(None),
        )
    ).all()
    if not dry_run:
        for row in rows:
            service.change_membership(
                session,
                row.id,
                MembershipChange(
                    status=MemberStatus.WITHDRAWN,
                    clear_end=True,
                    reason=why,
                    note=(row.note + "; " if row.note else "")
                    + "not listed by a later source; when it left is not stated",
                ),
            )
    return len(rows)


def read_file(path: Path) -> str:
    """The text of a memberships file (UTF-8, with or without a byte-order mark); :class:`InvalidInput`
    (``encoding-error``) when it is not UTF-8."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report = Report(
            source=path.name,
            problems=[
                Problem(
                    code="encoding-error",
                    message=f"not UTF-8 text (byte {error.start})",
                    file=path.name,
                )
            ],
        )
        raise InvalidInput(f"{path.name}: not UTF-8 text", report) from None
