"""Offline geocoding from the bundled gazetteer, and any geopy geocoder plugged in instead."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from profiles.geocoding import (
    OfflineGeocoder,
    _load_gazetteer,
    country_code,
    gazetteer,
    make_geocoder,
    resolve_place,
)
from tests.factories import create_partner


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    return OfflineGeocoder()


class TestOfflineGeocoder:
    def test_city_and_country_resolve_to_that_city(self, geocoder: OfflineGeocoder) -> None:
        munich = geocoder.geocode({"city": "München", "country": "DE"})
        assert munich is not None
        assert (munich.latitude, munich.longitude) == pytest.approx((48.14, 11.58), abs=0.05)

    def test_the_most_populous_namesake_wins(self, geocoder: OfflineGeocoder) -> None:
        paris = geocoder.geocode("Paris")
        assert paris is not None and paris.address.endswith(", FR")
        texas = geocoder.geocode("Paris, US")
        assert texas is not None and texas.address.endswith(", US")

    def test_a_country_alone_resolves_inside_that_country(self, geocoder: OfflineGeocoder) -> None:
        for query, (south, north, west, east) in {
            "Germany": (47, 55, 6, 15),
            "AU": (-44, -10, 113, 154),
            "Fiji": (-21, -12, 176, 180),  # straddles the antimeridian
        }.items():
            place = geocoder.geocode(query)
            assert place is not None, query
            assert south < place.latitude < north, query
            assert west < abs(place.longitude) <= east, query

    def test_unknown_places_are_none(self, geocoder: OfflineGeocoder) -> None:
        assert geocoder.geocode("Atlantis, DE") is None
        assert geocoder.geocode({"city": "Munich", "country": "Narnia"}) is None

    def test_country_codes_and_names(self) -> None:
        assert [country_code(t) for t in ("de", "DEU", "Germany", "Narnia")] == [
            "DE",
            "DE",
            "DE",
            None,
        ]

    @pytest.mark.parametrize(
        ("text", "expected"),
        [("48.1, 11.5", (48.1, 11.5)), ("-33.9,151.2", (-33.9, 151.2)), ("91,0", None)],
    )
    def test_coordinates_are_read_directly(
        self, geocoder: OfflineGeocoder, text: str, expected: tuple[float, float] | None
    ) -> None:
        place = resolve_place(geocoder, text)
        assert (place and (place.lat, place.lon)) == expected
        assert place is None or (place.name, place.country) == (None, None)


class TestConfiguredGeocoder:
    def test_online_geocoder_is_opt_in(self) -> None:
        assert isinstance(make_geocoder("offline", user_agent="t"), OfflineGeocoder)
        assert isinstance(make_geocoder("nominatim", user_agent="t"), Nominatim)

    def test_the_service_geocodes_through_the_configured_geopy_geocoder(
        self, app: FastAPI, client: TestClient
    ) -> None:
        class FakeOnlineGeocoder(Geocoder):
            """Stands in for a network geocoder at the edge of the outside world."""

            def __init__(self) -> None:
                super().__init__()
                self.queries: list[Any] = []

            def geocode(self, query: Any, **_: Any) -> Location:
                self.queries.append(query)
                return Location("Somewhere", (10.0, 20.0), {})

        fake = FakeOnlineGeocoder()
        app.state.geocoder = fake
        office = {"city": "Gotham", "country": "US", "service_radius_km": 50}
        created = create_partner(client, locations=[office])
        assert fake.queries == [{"city": "Gotham", "country": "US"}]
        assert (created["locations"][0]["lat"], created["locations"][0]["lon"]) == (10.0, 20.0)


class TestGazetteerLoading:
    def test_concurrent_first_lookups_load_the_gazetteer_once(self) -> None:
        _load_gazetteer.cache_clear()
        with ThreadPoolExecutor(8) as pool:
            loaded = list(pool.map(lambda _: gazetteer(), range(8)))
        assert _load_gazetteer.cache_info().misses == 1
        assert all(each is loaded[0] for each in loaded)

    def test_it_is_built_once_per_machine_and_a_damaged_copy_is_built_again(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        _load_gazetteer.cache_clear()
        built = gazetteer()
        [cached] = (tmp_path / "partnermatch").glob("gazetteer-*.pickle")
        _load_gazetteer.cache_clear()
        assert gazetteer() == built  # read from the cache this time
        cached.write_bytes(b"not a pickle")
        _load_gazetteer.cache_clear()
        assert gazetteer() == built
        assert len(cached.read_bytes()) > 1_000_000
        _load_gazetteer.cache_clear()
        assert OfflineGeocoder().geocode("Munich, DE").raw["name"] == "Munich"

    def test_the_service_has_it_loaded_before_its_first_request(self, app: FastAPI) -> None:
        _load_gazetteer.cache_clear()
        with TestClient(app):  # the lifespan has run; no request yet
            assert _load_gazetteer.cache_info().currsize == 1
