"""Typed inputs and results of the catalog: dataset specs (from YAML), dataset records, filters,
inventory and stewardship views. Controlled vocabularies are the EU authority tables DCAT-AP.de names."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from bettercities.core.timestamps import UtcDateTime

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
DCATDE_LICENCES = "http://dcat-ap.de/def/licenses/"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
#: The schemes a link of the catalogue (a distribution, a publisher) may have: they reach DCAT, the pages
#: and harvesters, so no ``javascript:``, ``data:`` or ``file:``.
LINK_SCHEMES = ("http", "https", "mailto")


def link(value: str | None) -> str | None:
    """``value`` if it is an http(s) URL with a host, a mailto URL or a path under the app's root (``/…``);
    else ``ValueError`` (a 422, an ``invalid-dataset`` problem)."""
    if value is None:
        return None
    text = value.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError("a link may not contain control characters")
    if text.startswith("/") and not text.startswith("//"):
        return text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES or (scheme != "mailto" and not parts.netloc):
        raise ValueError(
            f"{text[:80]!r} is not a link: use an http(s) or mailto URL, or a path under the app's root (/…)"
        )
    return text


class Theme(StrEnum):
    """EU data theme vocabulary (``authority/data-theme``)."""

    AGRI = "AGRI"
    ECON = "ECON"
    EDUC = "EDUC"
    ENER = "ENER"
    ENVI = "ENVI"
    GOVE = "GOVE"
    HEAL = "HEAL"
    INTR = "INTR"
    JUST = "JUST"
    REGI = "REGI"
    SOCI = "SOCI"
    TECH = "TECH"
    TRAN = "TRAN"


class Frequency(StrEnum):
    """EU frequency vocabulary (``authority/frequency``), the subsets statistics use."""

    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    ANNUAL_2 = "ANNUAL_2"
    ANNUAL = "ANNUAL"
    BIENNIAL = "BIENNIAL"
    TRIENNIAL = "TRIENNIAL"
    QUINQUENNIAL = "QUINQUENNIAL"
    DECENNIAL = "DECENNIAL"
    IRREG = "IRREG"


#: Months between two deliveries at each frequency (``None``: no cadence, never overdue).
CADENCE_MONTHS: dict[Frequency, int | None] = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.ANNUAL_2: 6,
    Frequency.ANNUAL: 12,
    Frequency.BIENNIAL: 24,
    Frequency.TRIENNIAL: 36,
    Frequency.QUINQUENNIAL: 60,
    Frequency.DECENNIAL: 120,
    Frequency.IRREG: None,
}


class AccessRights(StrEnum):
    """EU access-right vocabulary (``authority/access-right``)."""

    PUBLIC = "PUBLIC"
    RESTRICTED = "RESTRICTED"
    NON_PUBLIC = "NON_PUBLIC"


class Licence(StrEnum):
    """Licences of the dcat-ap.de licence list (``http://dcat-ap.de/def/licenses/<key>``)."""

    DL_BY_DE_2 = "dl-by-de/2.0"
    DL_ZERO_DE_2 = "dl-zero-de/2.0"
    CC_BY_4 = "cc-by/4.0"
    CC_BY_SA_4 = "cc-by-sa/4.0"
    CC_ZERO = "cc-zero"
    OTHER_CLOSED = "other-closed"


class State(StrEnum):
    """Approval state of a dataset; ``approved`` and ``published`` lock its data."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PUBLISHED = "published"


LOCKED_STATES = frozenset({State.APPROVED, State.PUBLISHED})


class DistributionSpec(BaseModel):
    """One way to get a dataset; ``access_url`` may be a path under the app's root (``/api/…``)."""

    model_config = ConfigDict(extra="forbid")

    title: str
    format: str = Field(description="EU file type code: CSV, JSON, XLSX, GEOJSON …")
    access_url: str = Field(
        max_length=500, description="http(s) or mailto URL, or a path under the app (/…)."
    )
    media_type: str | None = None

    @field_validator("access_url")
    @classmethod
    def _link(cls, value: str) -> str:
        return link(value) or ""


class DatasetSpec(BaseModel):
    """A dataset as written in a catalogue YAML file (``catalog add``)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=80)
    title_de: str
    title_en: str
    description_de: str | None = None
    description_en: str | None = None
    keywords: list[str] = Field(default_factory=list)
    publisher: str
    publisher_uri: str | None = Field(default=None, max_length=500)
    contact_name: str | None = None
    contact_email: str | None = Field(default=None, pattern=EMAIL)
    theme: Theme = Theme.SOCI
    spatial_level: str | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    frequency: Frequency = Frequency.ANNUAL
    licence: Licence = Licence.DL_BY_DE_2
    access_rights: AccessRights = AccessRights.PUBLIC
    legal_basis: str | None = None
    originator: str | None = None
    method_notes: str | None = None
    owner_unit: str | None = None
    steward: str | None = None
    steward_email: str | None = Field(default=None, pattern=EMAIL)
    last_updated: date | None = None
    next_due: date | None = Field(default=None, description="Default: last update plus the cadence.")
    indicators: list[str] = Field(default_factory=list, description="Codes of registered indicators.")
    distributions: list[DistributionSpec] = Field(default_factory=list)

    @field_validator("publisher_uri")
    @classmethod
    def _publisher_link(cls, value: str | None) -> str | None:
        return link(value)

    @field_validator("description_de", "description_en", "legal_basis", "method_notes")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class ApprovalEventOut(BaseModel):
    """A recorded step of the approval workflow."""

    dataset: str
    from_state: State
    to_state: State
    user: str | None
    reason: str | None
    at: UtcDateTime
    four_eyes: bool = Field(default=False, description="The four-eyes rule was in force for this step.")
    open_flags: int | None = Field(
        default=None, description="Approval: open outlier flags on the dataset's indicators (a warning)."
    )
    flagged_indicators: list[str] = Field(
        default_factory=list, description="Approval: the indicators with open outlier flags."
    )

    @computed_field(description="Approval: the recorded warning (open outlier flags), in English.")  # type: ignore[prop-decorator]
    @property
    def warning(self) -> str | None:
        """The step's warning in English (the pages translate it), or ``None``."""
        if not self.open_flags:
            return None
        return (
            f"approved with {self.open_flags} open outlier flag{'s' if self.open_flags != 1 else ''} "
            f"({', '.join(self.flagged_indicators)}): see the quality queue"
        )


class CatalogSettings(BaseModel):
    """The catalogue's settings of a city."""

    city: str
    four_eyes: bool = Field(
        description="Approving a dataset needs a second person: whoever submitted it may not approve it."
    )
    changed_by: str | None = None
    changed_at: UtcDateTime | None = None


class CatalogSettingsIn(BaseModel):
    """New catalogue settings of a city (city admins)."""

    model_config = ConfigDict(extra="forbid")

    four_eyes: bool


class DatasetOut(DatasetSpec):
    """A catalogued dataset with its approval state and stewardship status."""

    model_config = ConfigDict(extra="forbid")

    city: str
    state: State
    locked: bool
    overdue: bool
    created_at: UtcDateTime
    modified_at: UtcDateTime


class DatasetFilter(BaseModel):
    """Filters of the dataset list, shared by the page, the API and the export."""

    q: str | None = Field(default=None, description="Words in code, titles, descriptions or keywords.")
    theme: Theme | None = None
    state: State | None = None
    access_rights: AccessRights | None = None
    frequency: Frequency | None = None
    public_only: bool = Field(default=False, description="Only published datasets with public access.")


class CatalogView(BaseModel):
    """A city's catalogue, filtered."""

    city: str
    city_name: str
    filters: DatasetFilter
    datasets: list[DatasetOut]
    total: int
    four_eyes: bool = Field(default=False, description="Approval needs a second person (four-eyes rule).")


class Responsibility(BaseModel):
    """Who delivers which dataset, how often, and when next."""

    dataset: str
    title_de: str
    title_en: str
    owner_unit: str | None
    steward: str | None
    steward_email: str | None
    frequency: Frequency
    last_updated: date | None
    next_due: date | None
    days_until_due: int | None
    overdue: bool
    state: State


class Reminder(BaseModel):
    """A reminder shown in the app: a delivery is overdue or due soon."""

    dataset: str
    steward: str | None
    next_due: date
    overdue: bool
    message_en: str
    message_de: str


class StewardshipView(BaseModel):
    """Responsibilities of a city's datasets, the overdue ones and the reminders."""

    city: str
    city_name: str
    today: date
    responsibilities: list[Responsibility]
    overdue: list[Responsibility]
    reminders: list[Reminder]


class InventoryStatus(StrEnum):
    """How a city stands on one reference indicator."""

    HELD = "held"
    MISSING = "missing"
    STALE = "stale"
    TOO_COARSE = "too_coarse"


class ReferenceIndicator(BaseModel):
    """One indicator of the shipped reference set."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name_de: str
    name_en: str
    area: str = Field(description="labour, poverty, education, housing, health, demography, participation")
    source: str = Field(description="Key of the source in the file's sources list.")
    spatial_level: str = Field(description="city, district or small_area")
    frequency: Frequency
    matches: list[str] = Field(default_factory=list, description="Indicator codes that satisfy it.")


class InventoryRow(BaseModel):
    """A reference indicator and what the city holds of it."""

    reference: ReferenceIndicator
    status: InventoryStatus
    indicator: str | None = None
    dataset: str | None = None
    finest_level: str | None = None
    level_kind: str | None = Field(default=None, description="city, district or small_area")
    areas_with_data: int = 0
    areas_total: int = 0
    latest_period: str | None = None
    last_update: date | None = None


class InventoryView(BaseModel):
    """Inventory of a city against the reference set: held, missing, stale, too coarse."""

    city: str
    city_name: str
    today: date
    rows: list[InventoryRow]
    counts: dict[str, int]
    sources: dict[str, str]


class DatasetView(BaseModel):
    """One dataset's page: its metadata and its approval history."""

    city_name: str
    dataset: DatasetOut
    history: list[ApprovalEventOut]
