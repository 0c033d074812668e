"""Radius queries over office points: the tree over many distinct points finds exactly the
offices a scan of every office's great-circle distance finds, anywhere on the globe (poles,
the antimeridian, radii up to half way round)."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.embedded.geo import BRUTE_FORCE_MAX, Offices, haversine_km


def offices(rng: np.random.Generator, points: int, per_point: int) -> Offices:
    """`points` distinct places worldwide (some at the poles and on the antimeridian), each
    with `per_point` offices; one partner per office."""
    lat = np.concatenate([rng.uniform(-90, 90, points - 4), [90.0, -90.0, 0.0, 45.0]])
    lon = np.concatenate([rng.uniform(-180, 180, points - 4), [0.0, 0.0, 180.0, -180.0]])
    lat, lon = np.repeat(lat, per_point), np.repeat(lon, per_point)
    count = len(lat)
    return Offices(
        row=np.arange(count, dtype=np.int32),
        lat=lat,
        lon=lon,
        service_radius_km=np.full(count, 50.0),
        indptr=np.arange(count + 1, dtype=np.int64),
    )


@pytest.mark.parametrize("points", [BRUTE_FORCE_MAX // 2, BRUTE_FORCE_MAX * 8])
def test_offices_within_a_radius_are_those_a_scan_finds(points: int) -> None:
    rng = np.random.default_rng(points)
    world = offices(rng, points, per_point=2)
    queries = [(float(rng.uniform(-90, 90)), float(rng.uniform(-180, 180))) for _ in range(150)]
    queries += [(90.0, 0.0), (-89.9, 45.0), (10.0, 179.99), (10.0, -179.99)]
    for centre in queries:
        radius = float(rng.choice([1.0, 50.0, 400.0, 3_000.0, 20_015.0, 25_000.0]))
        found, distances = world.within(centre, radius)

        scanned = haversine_km(centre[0], centre[1], world.lat, world.lon)
        expected = np.flatnonzero(scanned <= radius)
        assert sorted(found.tolist()) == expected.tolist(), (centre, radius)
        np.testing.assert_allclose(distances, scanned[found])
