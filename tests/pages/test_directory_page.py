"""The public directory page: the API's search behind it, the query in the URL, pages that
work without JavaScript, stale partners hidden, bad input explained next to its field."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import create_partner, location

SEARCH = "/?near=Munich&radius_km=50&skills=aws"


def names_on(html: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'<h3><a href="/partners/\d+">([^<]+)</a>', html)]


def reindexed(client: TestClient) -> None:
    client.app.state.index.catch_up()  # type: ignore[attr-defined]


class TestSearch:
    def test_the_first_page_is_in_the_html_with_the_apis_results_and_facets(
        self, client: TestClient, anonymous_client: TestClient
    ) -> None:
        create_partner(client, name="Isar Cloud")
        create_partner(client, name="Spree Cloud", locations=[location(lat=52.52, lon=13.40)])
        create_partner(client, name="Isar Network", skills=[{"name": "Cisco Meraki"}])
        reindexed(client)
        html = anonymous_client.get(SEARCH).text
        api = anonymous_client.get("/v1/partners/search" + SEARCH[1:]).json()
        assert names_on(html) == [item["name"] for item in api["items"]] == ["Isar Cloud"]
        assert 'value="Munich"' in html and 'value="50"' in html
        assert re.search(
            r'name="skills" value="Amazon Web Services" checked>\s*'
            r'Amazon Web Services <span class="count">\(1\)',
            html,
        )
        assert re.search(
            r'type="radio" name="language" value="de">\s*de <span class="count">\(1\)', html
        )

    def test_a_stale_partner_never_appears_nor_its_profile(
        self, client: TestClient, anonymous_client: TestClient, clock: Clock
    ) -> None:
        stale = create_partner(client, name="Old Cloud")
        clock.advance(days=200)
        create_partner(client, name="New Cloud")
        reindexed(client)
        assert names_on(anonymous_client.get(SEARCH).text) == ["New Cloud"]
        profile = anonymous_client.get(f"/partners/{stale['id']}")
        assert profile.status_code == 404
        assert "<h1>Not found</h1>" in profile.text

    def test_next_and_previous_pages_follow_the_cursor(
        self, client: TestClient, anonymous_client: TestClient
    ) -> None:
        for n in range(25):
            create_partner(client, name=f"Cloud {n:02d}")
        reindexed(client)
        first = anonymous_client.get(SEARCH)
        next_url = unescape(re.search(r'href="([^"]+)" rel="next"', first.text).group(1))  # type: ignore[union-attr]
        assert next_url.startswith("/?near=Munich&radius_km=50&skills=Amazon+Web+Services&cursor=")
        second = anonymous_client.get(next_url)
        assert len(names_on(first.text)) == 20 and len(names_on(second.text)) == 5
        assert not set(names_on(first.text)) & set(names_on(second.text))
        back = unescape(re.search(r'href="([^"]+)" rel="prev"', second.text).group(1))  # type: ignore[union-attr]
        assert names_on(anonymous_client.get(back).text) == names_on(first.text)

    def test_htmx_gets_only_the_results(
        self, client: TestClient, anonymous_client: TestClient
    ) -> None:
        create_partner(client, name="Isar Cloud")
        reindexed(client)
        partial = anonymous_client.get(SEARCH, headers={"HX-Request": "true"}).text
        assert "<html" not in partial and names_on(partial) == ["Isar Cloud"]


class TestBadInput:
    def test_each_bad_value_is_explained_next_to_its_field(
        self, anonymous_client: TestClient
    ) -> None:
        radius = anonymous_client.get("/?near=Munich&radius_km=abc")
        assert radius.status_code == 200
        assert 'id="radius_error" class="field-error">must be a number of km' in radius.text
        near = anonymous_client.get("/?near=Atlantis+Undersea")
        assert 'id="near_error" class="field-error">must be' in near.text
        tier = anonymous_client.get("/?tier=diamond")
        assert re.search(r'class="notice error" role="alert">tier: unknown diamond', tier.text)


class TestOfflineDocs:
    def test_swagger_ui_comes_from_the_app(self, anonymous_client: TestClient) -> None:
        docs = anonymous_client.get("/docs").text
        scripts = re.findall(r'src="([^"]+)"', docs)
        assert scripts and all(src.startswith("/static/") for src in scripts)
        for src in scripts:
            assert anonymous_client.get(src).status_code == 200
        assert anonymous_client.get("/static/vendor/htmx.min.js").status_code == 200


def test_public_pages_set_no_cookie(client: TestClient, anonymous_client: TestClient) -> None:
    partner = create_partner(client, name="Isar Cloud")
    reindexed(client)
    for url in (SEARCH, f"/partners/{partner['id']}"):
        assert "set-cookie" not in anonymous_client.get(url).headers, url
