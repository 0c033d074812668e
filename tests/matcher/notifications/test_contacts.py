"""Partner contacts: validated, versioned with the profile, seen by staff and the partner
itself, never by the public."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from core.access.models import Role
from core.settings import Settings
from tests.conftest import ClientAs
from tests.factories import create_partner
from tests.matcher.notifications.factories import contacts_of
from tests.profiles.test_partner_api import change_log


class TestContacts:
    def test_a_bad_email_or_role_is_a_422_naming_the_field(self, client: TestClient) -> None:
        response = client.post(
            "/v1/partners",
            json={
                "name": "Typo GmbH",
                "locations": [{"city": "Munich", "country": "DE"}],
                "contacts": [
                    {"name": "Ann", "email": "ann@@example", "role": "leads"},
                    {"name": "Bob", "email": "bob@example.com", "role": "boss"},
                ],
            },
        )
        assert response.status_code == 422
        fields = {d["field"] for d in response.json()["error"]["details"]}
        assert fields == {"contacts.0.email", "contacts.1.role"}

    def test_contacts_change_like_any_field_versioned_and_in_the_change_log(
        self, client: TestClient, clean_db: Engine
    ) -> None:
        partner = create_partner(client, contacts=contacts_of("alpha"))
        assert partner["contacts"][0] == {
            "name": "Lea Leads",
            "email": "leads@alpha.example",
            "role": "leads",
        }
        new = [{"name": "Nina", "email": "nina@alpha.example", "role": "admin"}]
        response = client.patch(
            f"/v1/partners/{partner['id']}", json={"contacts": new}, headers={"If-Match": "1"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["contacts"] == new and response.json()["version"] == 2
        assert [(op, version) for _, op, version in change_log(clean_db)] == [
            ("upsert", 1),
            ("upsert", 2),
        ]

    def test_the_partner_sees_its_contacts_the_public_never(
        self, client: TestClient, client_as: ClientAs
    ) -> None:
        partner = create_partner(client, contacts=contacts_of("beta"))
        own = client_as(Role.PARTNER, partner_id=partner["id"]).get(f"/v1/partners/{partner['id']}")
        assert len(own.json()["contacts"]) == 2
        public = client_as(Role.PUBLIC).get(f"/v1/partners/{partner['id']}")
        assert public.status_code == 200 and "contacts" not in public.json()
        client.app.state.index.catch_up()  # type: ignore[attr-defined]
        found = client_as(Role.PUBLIC).get("/v1/partners/search", params={"q": "Alpenwolke"})
        assert "beta.example" not in found.text


class TestManagerAddresses:
    def test_a_bad_manager_address_refuses_to_start(self) -> None:
        with pytest.raises(ValidationError, match="not-an-address"):
            Settings(manager_emails="cm@vendor.example, not-an-address")
        assert Settings(manager_emails=" a@v.example ,b@v.example").manager_addresses == [
            "a@v.example",
            "b@v.example",
        ]
