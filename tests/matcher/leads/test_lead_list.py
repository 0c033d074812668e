"""GET /v1/leads: the channel manager's pipeline and a partner's own inbox."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.access.models import Role
from tests.conftest import ClientAs
from tests.matcher.factories import accept, decline, post_lead, skilled_partner


def ids(response: object) -> list[int]:
    body = response.json()  # type: ignore[attr-defined]
    return [item["id"] for item in body["items"]]


class TestManagerList:
    def test_newest_first_with_status_filter_and_stable_pages(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5, capacity={"max_open_leads": 2})
        leads = [post_lead(client, params={"policy": "best"})["id"] for _ in range(3)]
        assert ids(client.get("/v1/leads")) == leads[::-1]
        assert ids(client.get("/v1/leads", params={"status": "unassigned"})) == [leads[2]]
        first = client.get("/v1/leads", params={"limit": 2}).json()
        second = client.get("/v1/leads", params={"limit": 2, "cursor": first["next_cursor"]})
        assert [i["id"] for i in first["items"]] + ids(second) == leads[::-1]
        assert second.json()["next_cursor"] is None

    def test_filter_by_partner(self, client: TestClient) -> None:
        best = skilled_partner(client, aws_level=5)
        lead = post_lead(client, params={"policy": "best"})["id"]
        assert ids(client.get("/v1/leads", params={"partner_id": best})) == [lead]
        assert ids(client.get("/v1/leads", params={"partner_id": best + 1})) == []

    def test_filter_by_outcome(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        won, lost, _open = (post_lead(client)["id"] for _ in range(3))
        for lead, outcome in ((won, "won"), (lost, "lost")):
            accept(client, lead)
            client.post(f"/v1/leads/{lead}/close", json={"outcome": outcome}).raise_for_status()
        assert ids(client.get("/v1/leads", params={"outcome": "won"})) == [won]
        assert ids(client.get("/v1/leads", params={"outcome": "lost"})) == [lost]
        assert len(ids(client.get("/v1/leads"))) == 3

    def test_bad_parameters_are_named(self, client: TestClient) -> None:
        for params, field in (
            ({"outcome": "maybe"}, "outcome"),
            ({"status": "lost"}, "status.0"),
            ({"cursor": "abc"}, "cursor"),
            ({"cursor": "9300000000000000000"}, "cursor"),  # beyond a 64-bit id (was a 500)
            ({"limit": 0}, "limit"),
        ):
            response = client.get("/v1/leads", params=params)
            assert response.status_code == 422, params
            assert response.json()["error"]["details"][0]["field"] == field


class TestPartnerInbox:
    def test_a_partner_lists_only_the_leads_it_holds(
        self, client: TestClient, client_as: ClientAs
    ) -> None:
        best = skilled_partner(client, aws_level=5)
        second = skilled_partner(client, aws_level=3)
        declined = post_lead(client, params={"policy": "best"})["id"]
        decline(client, declined)  # now offered to the second partner
        kept = post_lead(client, params={"policy": "best"})["id"]
        inbox = client_as(Role.PARTNER, partner_id=best)
        assert ids(inbox.get("/v1/leads")) == [kept]
        # Asking for another partner's leads still shows only its own.
        assert ids(inbox.get("/v1/leads", params={"partner_id": second})) == [kept]
        assert ids(client_as(Role.PARTNER, partner_id=second).get("/v1/leads")) == [declined]

    def test_the_public_needs_a_key(self, client_as: ClientAs) -> None:
        assert client_as(Role.PUBLIC).get("/v1/leads").status_code == 401
