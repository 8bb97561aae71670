"""What the networks domain takes and returns: programmes, networks, memberships with their history, the
datasets shared with a network, and participation analytics."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class MemberRole(StrEnum):
    """A member's role in a network."""

    LEAD_PARTNER = "lead partner"
    PARTNER = "partner"
    OBSERVER = "observer"
    PEER = "peer"
    APPLICANT = "applicant"
    TANDEM_PARTNER = "tandem partner"
    MEMBER = "member"


class MemberStatus(StrEnum):
    """Where a recorded membership stands: ``active`` (a member from ``start`` to ``end``), ``withdrawn`` (a
    source listed it, a later one does not; when it left is not known, so it counts on no date)."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class NetworkKind(StrEnum):
    NETWORK = "network"
    TANDEM = "tandem"


class OrganisationKind(StrEnum):
    """What a member that is not a municipality is."""

    DISTRICT = "district"
    METROPOLITAN = "metropolitan authority"
    ASSOCIATION = "association of municipalities"
    AGENCY = "agency"
    REGION = "region"
    INSTITUTE = "public institute"
    UNMATCHED = "unmatched"  # named like a municipality, but no registry city matched it


class NetworkCityOut(BaseModel):
    """One period of a city's membership (``left``: the first day it was no member; empty while it is one)."""

    city: str  # slug
    joined: date | None
    left: date | None


class ShareOut(BaseModel):
    """A dataset of a city shared with a network."""

    network: str
    city: str
    dataset: str  # dataset code


class ProgrammeIn(BaseModel):
    """A programme to create."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    name: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=4000)
    start: date | None = None
    end: date | None = None


class ProgrammeOut(BaseModel):
    """A programme with the slugs of its networks."""

    slug: str
    name: str
    url: str | None
    description: str | None
    start: date | None
    end: date | None
    networks: list[str]


class NetworkOut(BaseModel):
    """A city network with its programme, the cities' membership periods and shared datasets."""

    slug: str
    name_de: str
    name_en: str
    description: str | None
    programme: str | None = None  # slug
    programme_name: str | None = None
    kind: str = NetworkKind.NETWORK.value
    theme: str | None = None
    start: date | None = None
    end: date | None = None
    url: str | None = None
    lead_partner: str | None = None  # name of the current lead partner, if any
    members: list[NetworkCityOut]
    shares: list[ShareOut]


class MembershipOut(BaseModel):
    """One recorded version of a membership: the member (a city or an organisation linked to one), role,
    status, valid time (``start``, ``end`` inclusive) and recorded time (who, when, why; superseded when)."""

    id: int
    network: str
    network_name: str
    member: str  # the member's name as recorded (city name or organisation name)
    country: str
    city: str | None  # slug of the member city, or of the organisation's municipality
    city_id: int | None
    organisation: str | None
    organisation_kind: str | None
    role: str
    status: str
    start: date | None
    end: date | None
    source: str | None
    note: str | None
    recorded_at: datetime
    recorded_by: str
    reason: str | None
    superseded_at: datetime | None
    superseded_by_id: int | None
    lat: float | None = None
    lon: float | None = None
    population: int | None = None


class MemberIn(BaseModel):
    """A new membership: a city (``city``: slug) or an organisation (``organisation`` with ``country`` and
    ``organisation_kind``, ``city`` then names the municipality it belongs to, if any)."""

    city: str | None = Field(default=None, max_length=80)
    organisation: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    organisation_kind: OrganisationKind | None = None
    role: MemberRole = MemberRole.MEMBER
    status: MemberStatus = MemberStatus.ACTIVE
    start: date | None = None
    end: date | None = None
    source: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=4000)
    reason: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _checked(self) -> MemberIn:
        if self.city is None and self.organisation is None:
            raise ValueError("give the member: a city (slug) or an organisation")
        if self.organisation is not None and (self.country is None or self.organisation_kind is None):
            raise ValueError("an organisation needs its country and kind")
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"the membership ends ({self.end}) before it starts ({self.start})")
        return self


class MembershipChange(BaseModel):
    """A change of a recorded membership: the fields given replace the old version's; ``reason`` says why
    (kept with the new version; the old one is superseded, never overwritten)."""

    role: MemberRole | None = None
    status: MemberStatus | None = None
    start: date | None = None
    end: date | None = None
    source: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=4000)
    reason: str = Field(min_length=1, max_length=4000)
    clear_end: bool = False  # reopen: set ``end`` empty


class MembershipEnd(BaseModel):
    """The end of a membership: its last day as a member, and why."""

    end: date
    reason: str = Field(min_length=1, max_length=4000)


class NetworkDetail(BaseModel):
    """A network's page: the network, its members on a date and its whole recorded history."""

    network: NetworkOut
    on: date
    members: list[MembershipOut]
    history: list[MembershipOut]


class ProgrammeDetail(BaseModel):
    """A programme's page: the programme, its networks, members (current versions) and tandem links."""

    programme: ProgrammeOut
    networks: list[NetworkOut]
    members: list[MembershipOut]
    links: list[tuple[str, str, str]]  # (city slug, city slug, network slug)


class ImportRow(BaseModel):
    """What the memberships import did with one row of the file."""

    row: int
    network: str
    member: str
    matched: str  # "city", "organisation" or "unmatched"
    city: str | None


class MembershipImportResult(BaseModel):
    """The outcome of ``bettercities import memberships``."""

    file: str
    rows: int
    programmes_created: list[str]
    networks_created: list[str]
    memberships_added: int
    memberships_unchanged: int
    memberships_changed: int = 0  # changed or (``withdraw_missing``) withdrawn
    organisations_created: list[str]
    matched: list[ImportRow]
    dry_run: bool


class RateGroup(BaseModel):
    """Participation of one group of municipalities: members among all, with a confidence interval."""

    dimension: str  # "country", "size_class", "urban_rural", "all"
    group: str
    municipalities: int
    participants: int
    rate: float
    low: float
    high: float
    under_represented: bool


class ParticipantOut(BaseModel):
    """How often a municipality takes part (distinct networks it is or was a member of)."""

    city: str
    name: str
    country: str
    networks: int
    programmes: int


class Participation(BaseModel):
    """Participation analytics: rates per group (Wilson 95 % intervals) against all registry municipalities,
    and the participating municipalities with their counts."""

    method: str
    confidence: float
    overall: RateGroup
    groups: list[RateGroup]
    participants: list[ParticipantOut]
