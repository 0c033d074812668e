"""Hand-built leads and `Candidates` for scorer tests, and hypothesis strategies over them."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from hypothesis import strategies as st

from indexing.protocol import Candidates, LeadQuery
from profiles.freshness import DUE, FRESH, STALE

MUNICH = (48.137, 11.575)


def lead_query(
    *,
    required_skills: int = 2,
    preferred_skills: int = 1,
    required_certifications: int = 0,
    preferred_certifications: int = 1,
    products: int = 1,
    industry: str | None = "Manufacturing",
    language: str | None = "de",
) -> LeadQuery:
    """A Munich lead asking for the given numbers of (synthetically named) criteria."""

    def names(prefix: str, count: int) -> tuple[str, ...]:
        return tuple(f"{prefix} {i}" for i in range(count))

    return LeadQuery(
        on_date=date(2026, 11, 2),
        location=MUNICH,
        required_skills=names("skill", required_skills),
        preferred_skills=names("extra skill", preferred_skills),
        required_certifications=names("cert", required_certifications),
        preferred_certifications=names("extra cert", preferred_certifications),
        industry=industry,
        products=names("product", products),
        language=language,
    )


def make_candidates(lead: LeadQuery, n: int = 1, **columns: Any) -> Candidates:
    """`n` identical, fully qualified candidates (ids 1..n) but for the `columns` given;
    a scalar or a single row is broadcast to every candidate."""

    def width(names: tuple[str, ...]) -> tuple[int, int]:
        return (n, len(names))

    values: dict[str, Any] = {
        "partner_ids": np.arange(1, n + 1, dtype=np.int64),
        "distance_km": np.full(n, 5.0),
        "service_radius_km": np.full(n, 100.0),
        "required_skill_levels": np.full(width(lead.required_skills), 4, dtype=np.int8),
        "required_skill_verified": np.ones(width(lead.required_skills), dtype=bool),
        "preferred_skill_levels": np.full(width(lead.preferred_skills), 3, dtype=np.int8),
        "required_cert_active": np.ones(width(lead.required_certifications), dtype=bool),
        "preferred_cert_active": np.ones(width(lead.preferred_certifications), dtype=bool),
        "tier": np.full(n, 2, dtype=np.int8),
        "max_open_leads": np.full(n, 10, dtype=np.int32),
        "language_match": np.ones(n, dtype=bool),
        "industry_match": np.ones(n, dtype=bool),
        "product_overlap": np.ones(n),
        "freshness": np.full(n, FRESH, dtype=np.int8),
    }
    for name, value in columns.items():
        default = values[name]
        values[name] = np.broadcast_to(np.asarray(value, dtype=default.dtype), default.shape).copy()
    return Candidates(**values)


@st.composite
def candidate_row(draw: st.DrawFn, lead: LeadQuery) -> dict[str, Any]:
    """Arbitrary features of one eligible candidate (fresh or due, certified, within its
    office's service radius)."""

    def flags(count: int) -> list[bool]:
        return draw(st.lists(st.booleans(), min_size=count, max_size=count))

    def levels(count: int, low: int = 0) -> list[int]:
        return draw(st.lists(st.integers(low, 5), min_size=count, max_size=count))

    radius = draw(st.floats(1.0, 500.0))
    return {
        "service_radius_km": radius,
        "distance_km": draw(st.floats(0.0, radius)),
        "required_skill_levels": levels(len(lead.required_skills)),
        "required_skill_verified": flags(len(lead.required_skills)),
        "preferred_skill_levels": levels(len(lead.preferred_skills)),
        "preferred_cert_active": flags(len(lead.preferred_certifications)),
        "tier": draw(st.integers(0, 3)),
        "max_open_leads": draw(st.integers(1, 50)),
        "language_match": draw(st.booleans()),
        "industry_match": draw(st.booleans()),
        "product_overlap": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "freshness": draw(st.sampled_from([FRESH, DUE])),
    }


@st.composite
def leads(draw: st.DrawFn) -> LeadQuery:
    return lead_query(
        required_skills=draw(st.integers(0, 4)),
        preferred_skills=draw(st.integers(0, 3)),
        preferred_certifications=draw(st.integers(0, 2)),
        products=draw(st.integers(0, 2)),
        industry=draw(st.sampled_from([None, "Manufacturing"])),
        language=draw(st.sampled_from([None, "de"])),
    )


@st.composite
def many_candidates(draw: st.DrawFn, lead: LeadQuery, *, max_size: int = 30) -> Candidates:
    """Several arbitrary candidates, some of them excluded by a hard constraint."""
    rows = draw(st.lists(candidate_row(lead), min_size=1, max_size=max_size))
    n = len(rows)
    columns = {name: np.array([row[name] for row in rows]) for name in rows[0]}
    candidates = make_candidates(lead, n, **columns)
    candidates.partner_ids = np.array(
        draw(st.lists(st.integers(1, 10**9), min_size=n, max_size=n, unique=True)), dtype=np.int64
    )
    stale = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    candidates.freshness[stale] = STALE
    return candidates
