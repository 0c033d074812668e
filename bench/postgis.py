"""The PostgreSQL + PostGIS baseline: the same partners, the same three query kinds.

Schema: partners with a skills array (GIN) and a tsvector (GIN); one row per office with a
geography point (GiST); certifications with their expiry. Freshness inputs are columns, so
the stale filter is evaluated at query time, as in the embedded index.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from indexing.protocol import SearchQuery
from profiles.freshness import FreshnessPolicy

DATABASE = "bench_postgis"
PAGE = 20

SCHEMA = """
DROP TABLE IF EXISTS offices, certifications, partners;
CREATE TABLE partners (
    id bigint PRIMARY KEY, tier smallint NOT NULL, confirmed_at timestamptz NOT NULL,
    skills text[] NOT NULL, industries text[] NOT NULL, doc text NOT NULL,
    latest_cert_expiry date,  -- NULL: no certification; 'infinity': one never expires
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, doc)) STORED
);
CREATE TABLE offices (
    partner_id bigint NOT NULL, geog geography(Point, 4326) NOT NULL,
    service_radius_km double precision NOT NULL, country text
);
CREATE TABLE certifications (partner_id bigint NOT NULL, name text NOT NULL, expires_at date);
"""
INDEXES = """
CREATE INDEX ON partners USING gin (skills);
CREATE INDEX ON partners USING gin (tsv);
CREATE INDEX ON offices USING gist (geog);
CREATE INDEX ON offices (country, partner_id);
CREATE INDEX ON offices (partner_id);
CREATE INDEX ON certifications (partner_id);
ANALYZE;
"""


def connect(admin_url: str) -> psycopg.Connection[Any]:
    """The benchmark database (created if needed) with PostGIS installed."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if not admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone():
            admin.execute(f"CREATE DATABASE {DATABASE}")
    connection = psycopg.connect(admin_url.rsplit("/", 1)[0] + f"/{DATABASE}", autocommit=True)
    try:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error:  # "extension is not available": the package is missing
        _install_postgis()
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return connection


def _install_postgis() -> None:
    """Debian's package; the extension loads on CREATE EXTENSION, no restart needed."""
    print("installing postgresql-15-postgis-3 with apt-get ...", flush=True)
    subprocess.run(["apt-get", "update"], check=True, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "postgresql-15-postgis-3"],
        check=True,
        capture_output=True,
    )


def load(connection: psycopg.Connection[Any], store: Path) -> float | None:
    """Copy the SQLite store's partners in (seconds taken), unless already loaded."""
    expected = sqlite3.connect(store).execute("SELECT count(*) FROM partners").fetchone()[0]
    try:
        if connection.execute("SELECT count(*) FROM partners").fetchone()[0] == expected:
            return None
    except psycopg.errors.UndefinedTable:
        pass
    started = time.perf_counter()
    connection.execute(SCHEMA)
    with sqlite3.connect(store) as db:
        _copy(
            connection,
            "partners (id, tier, confirmed_at, skills, industries, doc, latest_cert_expiry)",
            _partner_rows(db),
        )
        _copy(
            connection,
            "certifications (partner_id, name, expires_at)",
            db.execute("SELECT partner_id, name, expires_at FROM partner_certifications"),
        )
        _copy(connection, "offices (partner_id, geog, service_radius_km, country)",
              ((pid, f"SRID=4326;POINT({lon} {lat})", radius, country) for pid, lat, lon, radius,
               country in db.execute("SELECT partner_id, lat, lon, service_radius_km, country "
                                     "FROM partner_locations")))  # fmt: skip
    connection.execute(INDEXES)
    return time.perf_counter() - started


def _copy(connection: psycopg.Connection[Any], target: str, rows: Iterator[Any]) -> None:
    with connection.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


_TIERS = "CASE p.tier WHEN 'silver' THEN 1 WHEN 'gold' THEN 2 WHEN 'platinum' THEN 3 ELSE 0 END"


def _partner_rows(db: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
    rows = db.execute(
        f"""
        SELECT p.id, {_TIERS}, max(p.profile_updated_at, coalesce(p.attested_at, '')),
               (SELECT group_concat(s.name, char(31)) FROM partner_skills s WHERE s.partner_id = p.id),
               (SELECT group_concat(j.value, char(31)) FROM json_each(p.industries) j),
               p.name || ' ' || p.description || ' ' ||
                   (SELECT coalesce(group_concat(s.name, ' '), '') FROM partner_skills s WHERE s.partner_id = p.id)
                   || ' ' || (SELECT coalesce(group_concat(j.value, ' '), '') FROM json_each(p.industries) j)
                   || ' ' || (SELECT coalesce(group_concat(j.value, ' '), '') FROM json_each(p.products) j),
               (SELECT CASE WHEN count(*) = 0 THEN NULL
                            WHEN count(*) > count(c.expires_at) THEN 'infinity'
                            ELSE max(c.expires_at) END
                  FROM partner_certifications c WHERE c.partner_id = p.id)
        FROM partners p
        """  # noqa: E501
    )
    for pid, tier, confirmed, skills, industries, doc, latest in rows:
        split = lambda text: text.split("\x1f") if text else []  # noqa: E731
        yield pid, tier, confirmed + "+00", split(skills), split(industries), doc, latest


def _fresh(policy: FreshnessPolicy) -> str:
    """The stale rule of profiles.freshness, as SQL over partners `p`."""
    return (
        f"p.confirmed_at > %(now)s - interval '{policy.stale_after_days} days'"
        " AND cardinality(p.skills) > 0"
        " AND (p.latest_cert_expiry IS NULL OR p.latest_cert_expiry >= %(today)s)"
    )


def near_sql(policy: FreshnessPolicy) -> str:
    return f"""
        WITH hits AS (
            SELECT o.partner_id, min(ST_Distance(o.geog, pt.g)) AS d
            FROM offices o,
                 (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS g) pt
            WHERE ST_DWithin(o.geog, pt.g, %(radius_m)s)
            GROUP BY o.partner_id)
        SELECT p.id, h.d / 1000.0 AS km, count(*) OVER () AS total
        FROM hits h JOIN partners p ON p.id = h.partner_id
        WHERE p.skills @> %(skills)s AND {_fresh(policy)}
        ORDER BY h.d, p.id LIMIT {PAGE}"""


def text_sql(policy: FreshnessPolicy) -> str:
    return f"""
        SELECT p.id, ts_rank(p.tsv, q) AS rank, count(*) OVER () AS total
        FROM partners p, plainto_tsquery('english', %(q)s) q
        WHERE p.tsv @@ q AND {_fresh(policy)}
        ORDER BY rank DESC, p.id LIMIT {PAGE}"""


def facets_sql(policy: FreshnessPolicy) -> str:
    return f"""
        WITH m AS MATERIALIZED (
            SELECT p.id, p.tier, p.skills, p.industries FROM partners p
            WHERE p.id IN (SELECT partner_id FROM offices WHERE country = %(country)s)
              AND {_fresh(policy)})
        SELECT 'total', '', count(*) FROM m
        UNION ALL SELECT 'skill', s, count(*) FROM m, unnest(m.skills) s GROUP BY s
        UNION ALL SELECT 'industry', i, count(*) FROM m, unnest(m.industries) i GROUP BY i
        UNION ALL SELECT 'tier', m.tier::text, count(*) FROM m GROUP BY m.tier
        UNION ALL SELECT 'country', o.country, count(DISTINCT o.partner_id)
                  FROM offices o JOIN m ON m.id = o.partner_id GROUP BY o.country
        UNION ALL SELECT 'certification', c.name, count(DISTINCT c.partner_id)
                  FROM certifications c JOIN m ON m.id = c.partner_id
                  WHERE c.expires_at IS NULL OR c.expires_at >= %(today)s GROUP BY c.name
        UNION ALL SELECT 'page', id::text, tier FROM (
            SELECT id, tier FROM m ORDER BY tier DESC, id LIMIT {PAGE}) page"""


def parameters(query: SearchQuery) -> dict[str, Any]:
    """SQL parameters of one benchmark query."""
    values: dict[str, Any] = {"now": query.now, "today": query.on_date}
    if query.near is not None:
        assert query.radius_km is not None
        values.update(
            lat=query.near[0], lon=query.near[1], radius_m=query.radius_km * 1000,
            skills=list(query.skills),
        )  # fmt: skip
    return {**values, "q": query.q, "country": query.country}


def run(
    connection: psycopg.Connection[Any], sql: str, queries: list[SearchQuery]
) -> tuple[list[float], list[int]]:
    """Latency (ms, client-observed) and result size (total) of each query."""
    latencies, totals = [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters(queries[0]), prepare=True)  # plan once
        cursor.fetchall()
        for query in queries:
            started = time.perf_counter()
            cursor.execute(sql, parameters(query), prepare=True)
            rows = cursor.fetchall()
            latencies.append((time.perf_counter() - started) * 1000)
            totals.append(_total(rows))
    return latencies, totals


def _total(rows: list[tuple[Any, ...]]) -> int:
    if rows and rows[0][0] == "total":
        return int(rows[0][2])
    return int(rows[0][-1]) if rows else 0
