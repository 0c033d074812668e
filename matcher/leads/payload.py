"""The lead (opportunity) of the v1 contract, as routing and the preview receive it.

`LeadIn` is validated once at the edge; the ranking pipeline (matcher/leads/ranking.py) turns
it into the index's LeadQuery.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.schemas import Strict
from profiles.schemas import (
    CountryCode,
    Industry,
    LanguageCode,
    Name,
    Products,
    _unique_folded,
)
from profiles.taxonomy import canonical_certification, canonical_skill
from scoring.schemas import Coordinates, ExcludedCandidate, RankedCandidate

_DOMAIN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$"

SkillName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(canonical_skill)]
SkillNames = Annotated[list[SkillName], Field(max_length=50), AfterValidator(_unique_folded)]
CertificationName = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(canonical_certification)
]
CertificationNames = Annotated[
    list[CertificationName], Field(max_length=20), AfterValidator(_unique_folded)
]


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


Domain = Annotated[str, BeforeValidator(_lower), Field(max_length=253, pattern=_DOMAIN)]


class PlaceIn(Strict):
    """A place: lat and lon (degrees), or a city and/or country geocoded offline."""

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    city: str | None = Field(default=None, min_length=1, max_length=100)
    country: CountryCode | None = None

    @model_validator(mode="after")
    def _coordinates_paired(self) -> PlaceIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self

    @property
    def placeable(self) -> bool:
        return any(value is not None for value in (self.lat, self.city, self.country))


class CustomerIn(PlaceIn):
    name: Name
    domain: Domain | None = None


class LeadIn(Strict):
    """A lead (opportunity); it is placed at `location`, else at its customer's place."""

    title: Name
    customer: CustomerIn
    location: PlaceIn | None = Field(default=None, validate_default=True)
    required_skills: SkillNames = Field(default_factory=list)
    preferred_skills: SkillNames = Field(default_factory=list)
    required_certifications: CertificationNames = Field(default_factory=list)
    preferred_certifications: CertificationNames = Field(default_factory=list)
    industry: Industry | None = None
    products: Products = Field(default_factory=list)
    language: LanguageCode | None = None
    deal_size: float | None = Field(default=None, ge=0, le=1e12)
    max_km_beyond_radius: float | None = Field(
        default=None,
        ge=0,
        le=20_000,
        description="km beyond a partner's service radius this lead may still be offered; "
        "default: the configured tolerance (0, the declared territory)",
    )

    @field_validator("location")
    @classmethod
    def _placed(cls, location: PlaceIn | None, info: ValidationInfo) -> PlaceIn | None:
        if "customer" not in info.data:
            return location  # the customer is invalid; its own error is reported
        if location is None and not info.data["customer"].placeable:
            raise ValueError("give a location, or a customer with lat/lon, a city or a country")
        if location is not None and not location.placeable:
            raise ValueError("give lat and lon, a city or a country")
        return location


class LeadPreview(BaseModel):
    model_version: str
    location: Coordinates
    candidates: list[RankedCandidate]
    excluded: list[ExcludedCandidate]
