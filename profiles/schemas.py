"""Partner profile models of the v1 contract: one set of field types shared by every model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.schemas import Strict
from profiles.geocoding import is_country_code
from profiles.models import Partner as PartnerRow
from profiles.taxonomy import (
    canonical_certification,
    canonical_industry,
    canonical_skill,
    is_language_code,
)

Tier = Literal["registered", "silver", "gold", "platinum"]
TIERS: tuple[str, ...] = ("registered", "silver", "gold", "platinum")
MAX_TIER = len(TIERS) - 1  # platinum
MAX_SKILL_LEVEL = 5


def _country(value: str) -> str:
    code = value.strip().upper()
    if not is_country_code(code):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as DE or US")
    return code


def _language(value: str) -> str:
    code = value.strip().lower()
    if not is_language_code(code):
        raise ValueError("must be an ISO 639-1 language code such as en or de")
    return code


def utc_datetime(value: datetime) -> datetime:
    """In UTC; a naive value is taken as UTC. Instants off the calendar are refused."""
    try:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is outside the supported date range") from exc


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_8601(value: object) -> object:
    """Only ISO 8601 text (`2026-11-26` or `2026-11-26T09:00:00Z`): pydantic alone would also
    read a number, or numeric text such as "0.5", as seconds since 1970."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date or date-time, e.g. 2026-11-26T09:00:00Z")
    return value


def _not_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + timedelta(minutes=5):
        raise ValueError("must not be in the future")
    return value


def _unique_folded(values: list[str]) -> list[str]:
    """Drop repeats that differ only by case, keeping the first spelling."""
    seen: set[str] = set()
    kept = []
    for value in values:
        if value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


CountryCode = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]
LanguageCode = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_language)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5000)]
Website = Annotated[HttpUrl, Field(max_length=500)]
ExternalId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\s]+$")]
Industry = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(canonical_industry)]
Product = Annotated[str, Field(min_length=1, max_length=100)]
UtcDateTime = Annotated[datetime, BeforeValidator(iso_8601), AfterValidator(utc_datetime)]
SourceTimestamp = Annotated[UtcDateTime, AfterValidator(_not_future)]


class LocationIn(Strict):
    label: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    city: str | None = Field(default=None, min_length=1, max_length=100)
    country: CountryCode | None = None
    service_radius_km: float = Field(default=100.0, gt=0, le=20_000)

    @model_validator(mode="after")
    def _placeable(self) -> LocationIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        if self.lat is None and self.country is None:
            raise ValueError("give lat and lon, or a city and country to geocode")
        return self


class LocationRead(BaseModel):
    label: str | None
    lat: float
    lon: float
    city: str | None
    country: str | None
    service_radius_km: float


class Skill(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(canonical_skill)]
    level: int = Field(default=3, ge=1, le=MAX_SKILL_LEVEL)
    verified: bool = False


class CertificationIn(Strict):
    name: Annotated[
        str, Field(min_length=1, max_length=200), AfterValidator(canonical_certification)
    ]
    issuer: str | None = Field(default=None, max_length=100)
    earned_at: date
    expires_at: date | None = None

    @field_validator("earned_at")
    @classmethod
    def _earned_in_past(cls, value: date) -> date:
        if value > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError("must not be in the future")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> CertificationIn:
        if self.expires_at is not None and self.expires_at < self.earned_at:
            raise ValueError("expires_at must not be before earned_at")
        return self


class Contact(Strict):
    """A person at the partner: `leads` contacts hear about offers, `profile` contacts about
    freshness reminders, `admin` contacts about both when no one else is named."""

    name: Name
    email: Annotated[EmailStr, Field(max_length=320)]
    role: Literal["leads", "profile", "admin"]


class Capacity(Strict):
    max_open_leads: int = Field(ge=0, le=100_000)


def _unique_skills(skills: list[Skill]) -> list[Skill]:
    names = [skill.name.casefold() for skill in skills]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate skills after normalisation: {', '.join(duplicates)}")
    return skills


Locations = Annotated[list[LocationIn], Field(min_length=1, max_length=50)]
Skills = Annotated[list[Skill], Field(max_length=200), AfterValidator(_unique_skills)]
Certifications = Annotated[list[CertificationIn], Field(max_length=100)]
Industries = Annotated[list[Industry], Field(max_length=30), AfterValidator(_unique_folded)]
Products = Annotated[list[Product], Field(max_length=100), AfterValidator(_unique_folded)]
Languages = Annotated[list[LanguageCode], Field(max_length=30), AfterValidator(_unique_folded)]
Contacts = Annotated[list[Contact], Field(max_length=50)]


class PartnerCreate(Strict):
    external_id: ExternalId | None = None
    name: Name
    description: Description = ""
    website: Website | None = None
    tier: Tier = "registered"
    locations: Locations
    skills: Skills = []
    certifications: Certifications = []
    industries: Industries = []
    products: Products = []
    languages: Languages = []
    capacity: Capacity = Capacity(max_open_leads=10)
    contacts: Contacts = []


class PartnerImport(PartnerCreate):
    """An import line: an upsert by `external_id` (required), keeping the source system's
    own timestamps."""

    external_id: ExternalId
    profile_updated_at: SourceTimestamp | None = None
    attested_at: SourceTimestamp | None = None


# The fields a PATCH may clear with null; the others may be left out but never null.
_CLEARABLE = frozenset({"external_id", "website", "description"})


def _null_only_where_clearable(schema: dict[str, Any]) -> None:
    """The documented schema says which fields take null, as `_required_stay_set` enforces."""
    for name, field in schema["properties"].items():
        if name not in _CLEARABLE and "anyOf" in field:
            field["anyOf"] = [kind for kind in field["anyOf"] if kind != {"type": "null"}]


class PartnerUpdate(Strict):
    """A PATCH: fields present replace the stored ones (lists as a whole)."""

    model_config = ConfigDict(json_schema_extra=_null_only_where_clearable)  # merged with Strict's

    external_id: ExternalId | None = None
    name: Name | None = None
    description: Description | None = None
    website: Website | None = None
    tier: Tier | None = None
    locations: Locations | None = None
    skills: Skills | None = None
    certifications: Certifications | None = None
    industries: Industries | None = None
    products: Products | None = None
    languages: Languages | None = None
    capacity: Capacity | None = None
    contacts: Contacts | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> PartnerUpdate:
        for name in self.model_fields_set - _CLEARABLE:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class SkillRead(BaseModel):
    """A stored skill as stored: its name was made canonical when it was written."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    level: int
    verified: bool


@dataclass(frozen=True)
class ReadContext:
    """What a stored row does not hold but its view shows: the day of the response and the
    freshness the policy found (`PartnerRead.model_validate(row, context=ReadContext(...))`)."""

    today: date
    freshness: FreshnessRead


def _context(info: ValidationInfo) -> ReadContext | None:
    """The context of a stored row's reading; None when a view is validated again."""
    return info.context if isinstance(info.context, ReadContext) else None


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default")


# Fields the ReadContext decides: always in a response, so the document lists them as required.
_DECIDED_WHEN_READ = ConfigDict(
    from_attributes=True, json_schema_serialization_defaults_required=True
)


class CertificationRead(BaseModel):
    model_config = _DECIDED_WHEN_READ

    name: str
    issuer: str | None
    earned_at: date
    expires_at: date | None
    active: bool = Field(
        default=False,
        description="not expired on the day of the response",
        json_schema_extra=_without_default,
    )

    @model_validator(mode="after")
    def _active_on_the_day(self, info: ValidationInfo) -> CertificationRead:
        if context := _context(info):
            self.active = self.expires_at is None or self.expires_at >= context.today
        return self


class FreshnessRead(BaseModel):
    status: Literal["fresh", "due", "stale"]
    reasons: list[str]


class PartnerRead(BaseModel):
    model_config = _DECIDED_WHEN_READ

    id: int
    external_id: str | None
    name: str
    description: str
    website: str | None
    tier: Tier
    locations: list[LocationRead]
    skills: list[SkillRead]
    certifications: list[CertificationRead]
    industries: list[str]
    products: list[str]
    languages: list[str]
    capacity: Capacity
    contacts: list[Contact]
    profile_updated_at: datetime
    attested_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    freshness: FreshnessRead = Field(
        default=FreshnessRead(status="stale", reasons=[]),
        description="what the freshness policy finds on the day of the response",
        json_schema_extra=_without_default,
    )

    @model_validator(mode="after")
    def _found_by_the_policy(self, info: ValidationInfo) -> PartnerRead:
        if context := _context(info):
            self.freshness = context.freshness
        return self


class CertificationPublic(BaseModel):
    name: str
    issuer: str | None
    expires_at: date | None


class PartnerPublic(BaseModel):
    """What anyone may see of a partner. An allow-list: a field added to PartnerRead stays
    internal (capacity, contacts, external_id, timestamps, version, freshness) until it is
    named here."""

    id: int
    name: str
    description: str
    website: str | None
    tier: Tier
    locations: list[LocationRead]
    skills: list[SkillRead]
    certifications: list[CertificationPublic]
    industries: list[str]
    products: list[str]
    languages: list[str]


class ImportLineError(BaseModel):
    line: int
    external_id: str | None
    code: str
    message: str
    details: list[dict[str, object]]

    def reasons(self) -> str:
        """Every problem of the line, as a person reads them ("tier: Input should be ...")."""
        named = [f"{d.get('field')}: {d.get('message')}" for d in self.details]
        return "; ".join(named) or self.message


class ImportReport(BaseModel):
    created: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[ImportLineError] = []


def partner_read(partner: PartnerRow, *, freshness: FreshnessRead, today: date) -> PartnerRead:
    """The API view of a stored partner; `today` decides which certifications are active."""
    return PartnerRead.model_validate(
        partner, from_attributes=True, context=ReadContext(today=today, freshness=freshness)
    )


def partner_public(read: PartnerRead) -> PartnerPublic:
    """The public view of a full profile: internal fields dropped, only active certifications."""
    fields = set(PartnerPublic.model_fields) - {"certifications"}
    return PartnerPublic(
        **{name: getattr(read, name) for name in fields},
        certifications=[
            CertificationPublic(name=c.name, issuer=c.issuer, expires_at=c.expires_at)
            for c in read.certifications
            if c.active
        ],
    )
