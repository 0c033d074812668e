"""Index settings, the explicit mapping and the document of one partner.

One document per partner, `_id` = partner id, `_version` = the store's version (external
versioning). Geography is kept twice, for two jobs:

- `office_points` (geo_point array): any-office filters (`geo_distance` within a radius),
  distance sorting (`_geo_distance`, mode min = nearest office) and the distance decay.
- `offices` (nested: location + service_radius_km): "the point is inside the service radius of
  at least one office" is a nested filter per office, so each office is tested against its own
  radius (see queries.served_by_office).

Freshness depends on the query date, so the raw timestamps are indexed and the status is
derived at query time (filters in queries.py, the vectorised policy in scoring/ afterwards).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from profiles.models import Partner

TIER_RANK = {"registered": 0, "silver": 1, "gold": 2, "platinum": 3}

# Free text is analysed exactly like the embedded index's TF-IDF (scikit-learn's default
# analyzer): runs of Unicode letters, digits and "_", lower-cased, tokens of 2+ characters,
# scikit-learn's English stop words; a query matches only when every term occurs. The same
# terms on both backends give the same matches. A pattern tokenizer splits at every run of
# other characters (Java regex Unicode classes).
INDEX_SETTINGS: dict[str, Any] = {
    "index": {"number_of_shards": 1, "number_of_replicas": 1, "refresh_interval": "1s"},
    "analysis": {
        "tokenizer": {
            "partner_words": {"type": "pattern", "pattern": r"[^\p{L}\p{N}_]+"},
        },
        "filter": {
            "partner_min_length": {"type": "length", "min": 2},
            "partner_stop_words": {"type": "stop", "stopwords": sorted(ENGLISH_STOP_WORDS)},
        },
        "analyzer": {
            "partner_text": {
                "type": "custom",
                "tokenizer": "partner_words",
                "filter": ["lowercase", "partner_min_length", "partner_stop_words"],
            }
        },
    },
}

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date", "format": "strict_date_optional_time"}
_DAY = {"type": "date", "format": "strict_date"}
_TEXT = {"type": "text", "analyzer": "partner_text"}
_SEARCHED_TEXT = {**_TEXT, "copy_to": "all_text"}
_SEARCHED_KEYWORD = {"type": "keyword", "copy_to": "all_text"}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "partner_id": {"type": "long"},
        "version": {"type": "long"},
        "name": _SEARCHED_TEXT,
        "description": _SEARCHED_TEXT,
        # What free text searches: name, description, skills, industries and products, each
        # copied here at index time (copy_to; not in _source).
        "all_text": _TEXT,
        "tier": _KEYWORD,
        "tier_rank": {"type": "byte"},
        "skill_names": _SEARCHED_KEYWORD,
        "skills": {
            "type": "nested",
            "properties": {
                "name": _KEYWORD,
                "level": {"type": "byte"},
                "verified": {"type": "boolean"},
            },
        },
        "certifications": {
            "type": "nested",
            "properties": {
                "name": _KEYWORD,
                "issuer": _KEYWORD,
                "earned_at": _DAY,
                "expires_at": _DAY,
            },
        },
        # Latest expiry; absent without certifications or when one never expires.
        "certifications_valid_until": _DAY,
        "industries": _SEARCHED_KEYWORD,
        "products": _SEARCHED_KEYWORD,
        "languages": _KEYWORD,
        "countries": _KEYWORD,
        "office_points": {"type": "geo_point"},
        "offices": {
            "type": "nested",
            "properties": {
                "location": {"type": "geo_point"},
                "service_radius_km": {"type": "float"},
                "country": _KEYWORD,
            },
        },
        "max_open_leads": {"type": "integer"},
        "profile_updated_at": _DATE,
        "attested_at": _DATE,
        "confirmed_at": _DATE,
    },
}


def index_body() -> dict[str, Any]:
    """Settings and mappings for a new versioned partner index."""
    return {"settings": INDEX_SETTINGS, "mappings": MAPPINGS}


def partner_document(partner: Partner) -> dict[str, Any]:
    """The indexed form of a stored partner (a pure function of the row)."""
    confirmed_at = max(
        partner.profile_updated_at, partner.attested_at or partner.profile_updated_at
    )
    return {
        "partner_id": partner.id,
        "version": partner.version,
        "name": partner.name,
        "description": partner.description,
        "tier": partner.tier,
        "tier_rank": TIER_RANK[partner.tier],
        "skill_names": [skill.name for skill in partner.skills],
        "skills": [
            {"name": s.name, "level": s.level, "verified": s.verified} for s in partner.skills
        ],
        "certifications": [
            {
                "name": c.name,
                "issuer": c.issuer,
                "earned_at": c.earned_at.isoformat(),
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
            }
            for c in partner.certifications
        ],
        "certifications_valid_until": _valid_until([c.expires_at for c in partner.certifications]),
        "industries": list(partner.industries),
        "products": list(partner.products),
        "languages": list(partner.languages),
        "countries": sorted({loc.country for loc in partner.locations if loc.country}),
        "office_points": [{"lat": loc.lat, "lon": loc.lon} for loc in partner.locations],
        "offices": [
            {
                "location": {"lat": loc.lat, "lon": loc.lon},
                "service_radius_km": loc.service_radius_km,
                "country": loc.country,
            }
            for loc in partner.locations
        ],
        "max_open_leads": partner.max_open_leads,
        "profile_updated_at": partner.profile_updated_at.isoformat(),
        "attested_at": partner.attested_at.isoformat() if partner.attested_at else None,
        "confirmed_at": confirmed_at.isoformat(),
    }


def _valid_until(expiries: list[date | None]) -> str | None:
    if not expiries or any(expiry is None for expiry in expiries):
        return None
    return max(e for e in expiries if e is not None).isoformat()
