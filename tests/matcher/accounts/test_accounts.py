"""Customer accounts and reservations through HTTP: creation, reservation rules, bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import create_partner
from tests.matcher.factories import create_account, error_fields, in_days, reserve


class TestCreateAccount:
    def test_stores_normalised_name_and_domain(self, client: TestClient) -> None:
        account = create_account(
            client, name="Müller Maschinenbau GmbH", domain="https://www.Mueller-MB.de/kontakt"
        )
        assert account["normalized_name"] == "mueller maschinenbau"
        assert account["domain"] == "mueller-mb.de"
        assert account["owner"] is None and account["holder"] is None
        assert client.get(f"/v1/accounts/{account['id']}").json() == account

    def test_direct_account_is_held_by_direct_sales(self, client: TestClient) -> None:
        account = create_account(client, name="Globex Corp", owner="direct")
        assert account["holder"] == {
            "kind": "direct",
            "partner_id": None,
            "account_id": account["id"],
            "until": None,
        }

    def test_duplicate_domain_is_a_conflict(self, client: TestClient) -> None:
        create_account(client, name="Acme", domain="acme.com")
        response = client.post("/v1/accounts", json={"name": "Acme 2", "domain": "ACME.com"})
        assert response.status_code == 409
        assert error_fields(response) == {"domain"}

    def test_a_reservation_off_the_calendar_is_named(self, client: TestClient) -> None:
        account = create_account(client, name="Initech")
        partner = create_partner(client)["id"]
        response = client.post(
            f"/v1/accounts/{account['id']}/reservations",
            json={"partner_id": partner, "until": "9999-12-31T23:59:59-01:00"},
        )
        assert (response.status_code, error_fields(response)) == (422, {"until"})

    def test_unknown_account_is_404(self, client: TestClient) -> None:
        assert client.get("/v1/accounts/999").status_code == 404


class TestAccountBadInput:
    def test_every_invalid_field_is_named(self, client: TestClient) -> None:
        response = client.post(
            "/v1/accounts",
            json={"name": "", "domain": "not a domain", "country": "XX", "owner": "partner"},
        )
        assert response.status_code == 422
        assert error_fields(response) == {"name", "domain", "country", "owner"}

    def test_unknown_parent_is_named(self, client: TestClient) -> None:
        response = client.post("/v1/accounts", json={"name": "Sub", "parent_id": 12345})
        assert response.status_code == 422
        assert error_fields(response) == {"parent_id"}

    def test_a_nul_character_is_named_and_nothing_is_stored(self, client: TestClient) -> None:
        response = client.post("/v1/accounts", json={"name": "Acme\x00 GmbH"})
        assert response.status_code == 422
        assert error_fields(response) == {"name"}
        check = client.get("/v1/accounts/check", params={"name": "Acme GmbH"})
        assert check.json()["taken"] is False

    def test_a_nul_character_in_a_checked_domain_is_named(self, client: TestClient) -> None:
        response = client.get("/v1/accounts/check", params={"domain": "acme\x00.com"})
        assert response.status_code == 422
        assert error_fields(response) == {"domain"}

    def test_a_nul_character_in_a_checked_name_is_folded_like_punctuation(
        self, client: TestClient
    ) -> None:
        client.post("/v1/accounts", json={"name": "Acme GmbH", "owner": "direct"})
        response = client.get("/v1/accounts/check", params={"name": "Acme\x00 GmbH"})
        assert response.status_code == 200
        assert response.json()["taken"] is True

    def test_unknown_field_is_refused(self, client: TestClient) -> None:
        response = client.post("/v1/accounts", json={"name": "Acme", "onwer": "direct"})
        assert response.status_code == 422
        assert error_fields(response) == {"onwer"}


class TestReservations:
    def test_another_partner_gets_409_while_it_is_held(
        self, client: TestClient, clock: Clock
    ) -> None:
        first, second = create_partner(client)["id"], create_partner(client)["id"]
        account = create_account(client, name="Initech")
        held = reserve(client, account["id"], partner_id=first, until=in_days(clock.now, 30))
        assert held["status"] == "active"
        response = client.post(
            f"/v1/accounts/{account['id']}/reservations",
            json={"partner_id": second, "until": in_days(clock.now, 10).isoformat()},
        )
        assert response.status_code == 409
        assert client.get(f"/v1/accounts/{account['id']}").json()["holder"]["partner_id"] == first

    def test_the_holder_extends_its_own_reservation(self, client: TestClient, clock: Clock) -> None:
        partner = create_partner(client)["id"]
        account = create_account(client, name="Initech")
        first = reserve(client, account["id"], partner_id=partner, until=in_days(clock.now, 5))
        response = client.post(
            f"/v1/accounts/{account['id']}/reservations",
            json={"partner_id": partner, "until": in_days(clock.now, 50).isoformat()},
        )
        assert response.status_code == 200
        assert response.json()["id"] == first["id"]
        assert response.json()["until"] > first["until"]

    def test_an_expired_reservation_frees_the_account(
        self, client: TestClient, clock: Clock
    ) -> None:
        first, second = create_partner(client)["id"], create_partner(client)["id"]
        account = create_account(client, name="Initech")
        reserve(client, account["id"], partner_id=first, until=in_days(clock.now, 1))
        clock.advance(days=2)
        assert client.get(f"/v1/accounts/{account['id']}").json()["holder"] is None
        taken = reserve(client, account["id"], partner_id=second, until=in_days(clock.now, 1))
        assert taken["partner_id"] == second

    def test_a_released_reservation_frees_the_account(
        self, client: TestClient, clock: Clock
    ) -> None:
        first, second = create_partner(client)["id"], create_partner(client)["id"]
        account = create_account(client, name="Initech")
        held = reserve(client, account["id"], partner_id=first, until=in_days(clock.now, 9))
        path = f"/v1/accounts/{account['id']}/reservations/{held['id']}"
        assert client.delete(path).status_code == 204
        assert reserve(client, account["id"], partner_id=second, until=in_days(clock.now, 9))

    def test_a_direct_account_cannot_be_reserved(self, client: TestClient, clock: Clock) -> None:
        partner = create_partner(client)["id"]
        account = create_account(client, name="Globex", owner="direct")
        response = client.post(
            f"/v1/accounts/{account['id']}/reservations",
            json={"partner_id": partner, "until": in_days(clock.now, 9).isoformat()},
        )
        assert response.status_code == 409

    def test_bad_reservations_name_the_field(self, client: TestClient, clock: Clock) -> None:
        partner = create_partner(client)["id"]
        account = create_account(client, name="Initech")
        path = f"/v1/accounts/{account['id']}/reservations"
        past = client.post(
            path, json={"partner_id": partner, "until": in_days(clock.now, -1).isoformat()}
        )
        unknown = client.post(
            path, json={"partner_id": 999_999, "until": in_days(clock.now, 1).isoformat()}
        )
        malformed = client.post(path, json={"partner_id": 0, "until": "soon"})
        assert (past.status_code, error_fields(past)) == (422, {"until"})
        assert (unknown.status_code, error_fields(unknown)) == (422, {"partner_id"})
        assert (malformed.status_code, error_fields(malformed)) == (422, {"partner_id", "until"})
        assert (
            client.post(
                "/v1/accounts/999/reservations",
                json={"partner_id": partner, "until": in_days(clock.now, 1).isoformat()},
            ).status_code
            == 404
        )
