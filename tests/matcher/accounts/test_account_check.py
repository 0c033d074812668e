"""GET /v1/accounts/check and concurrent reservations: who holds a customer, exactly one winner."""

from __future__ import annotations

import threading
import time
from collections import Counter

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from core import sqlite_writes
from tests.conftest import Clock
from tests.factories import create_partner
from tests.matcher.factories import create_account, error_fields, in_days, reserve


def check(client: TestClient, **params: str) -> dict:
    response = client.get("/v1/accounts/check", params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestCheckByName:
    def test_legal_forms_case_and_umlauts_are_folded(self, client: TestClient) -> None:
        mueller = create_account(client, name="Müller GmbH", owner="direct")
        acme = create_account(client, name="ACME Inc.", owner="direct")
        assert check(client, name="Mueller")["holder"]["account_id"] == mueller["id"]
        assert check(client, name="acme")["holder"]["account_id"] == acme["id"]
        assert check(client, name="Acme, LLC")["matches"][0]["similarity"] == 100.0

    def test_near_spellings_match_above_the_threshold(self, client: TestClient) -> None:
        account = create_account(client, name="Müller GmbH", owner="direct")
        result = check(client, name="Muller AG")
        assert result["taken"] is True
        assert result["matches"][0]["account_id"] == account["id"]
        assert 90 <= result["matches"][0]["similarity"] < 100

    def test_different_companies_do_not_match(self, client: TestClient) -> None:
        create_account(client, name="Acme Inc.", owner="direct")
        assert check(client, name="Apex Industries") == {
            "taken": False,
            "holder": None,
            "matches": [],
        }

    def test_an_unheld_match_is_listed_but_not_taken(self, client: TestClient) -> None:
        account = create_account(client, name="Initech Ltd")
        result = check(client, name="Initech")
        assert result["taken"] is False
        assert [match["account_id"] for match in result["matches"]] == [account["id"]]


class TestCheckByDomain:
    def test_domain_and_subdomains_match(self, client: TestClient, clock: Clock) -> None:
        partner = create_partner(client)["id"]
        account = create_account(client, name="Hooli", domain="hooli.com")
        reserve(client, account["id"], partner_id=partner, until=in_days(clock.now, 30))
        for domain in ("hooli.com", "https://www.HOOLI.com/about", "eu.sales.hooli.com"):
            result = check(client, domain=domain)
            assert result["taken"] is True
            assert result["holder"]["partner_id"] == partner
            assert result["matches"][0]["matched_on"] == "domain"

    def test_a_public_suffix_is_no_parent(self, client: TestClient) -> None:
        """An account registered as "co.uk" must not hold every British company."""
        create_account(client, name="Suffix Holdings", domain="co.uk", owner="direct")
        assert check(client, domain="acme.co.uk")["taken"] is False
        assert check(client, domain="sales.acme.co.uk")["taken"] is False

    def test_the_domain_wins_over_a_different_name(self, client: TestClient) -> None:
        direct = create_account(client, name="Hooli", domain="hooli.com", owner="direct")
        create_account(client, name="Hooly")
        result = check(client, name="Hooly", domain="hooli.com")
        assert result["holder"]["kind"] == "direct"
        assert result["matches"][0]["account_id"] == direct["id"]


class TestParentAndSubsidiary:
    def test_a_parent_reservation_covers_its_subsidiaries(
        self, client: TestClient, clock: Clock
    ) -> None:
        partner = create_partner(client)["id"]
        parent = create_account(client, name="Umbrella Holding AG")
        child = create_account(client, name="Umbrella Pharma GmbH", parent_id=parent["id"])
        grandchild = create_account(client, name="Umbrella Labs", parent_id=child["id"])
        reserve(client, parent["id"], partner_id=partner, until=in_days(clock.now, 30))
        holder = check(client, name="Umbrella Labs")["holder"]
        assert holder["partner_id"] == partner and holder["account_id"] == parent["id"]
        assert client.get(f"/v1/accounts/{grandchild['id']}").json()["holder"] == holder

    def test_a_subsidiary_reserved_separately_keeps_its_partner(
        self, client: TestClient, clock: Clock
    ) -> None:
        group, local = create_partner(client)["id"], create_partner(client)["id"]
        parent = create_account(client, name="Umbrella Holding AG")
        child = create_account(client, name="Umbrella Pharma GmbH", parent_id=parent["id"])
        reserve(client, parent["id"], partner_id=group, until=in_days(clock.now, 30))
        reserve(client, child["id"], partner_id=local, until=in_days(clock.now, 30))
        assert check(client, name="Umbrella Pharma")["holder"]["partner_id"] == local
        assert check(client, name="Umbrella Holding")["holder"]["partner_id"] == group

    def test_a_direct_parent_covers_its_subsidiaries(self, client: TestClient) -> None:
        parent = create_account(client, name="Globex", owner="direct")
        create_account(client, name="Globex Services", parent_id=parent["id"])
        assert check(client, name="Globex Services")["holder"]["kind"] == "direct"


class TestCheckBadInput:
    def test_name_or_domain_is_required(self, client: TestClient) -> None:
        response = client.get("/v1/accounts/check")
        assert (response.status_code, error_fields(response)) == (422, {"name"})

    def test_a_bad_domain_is_named(self, client: TestClient) -> None:
        response = client.get("/v1/accounts/check", params={"domain": "no domain"})
        assert (response.status_code, error_fields(response)) == (422, {"domain"})

    def test_a_name_without_letters_is_named(self, client: TestClient) -> None:
        response = client.get("/v1/accounts/check", params={"name": "..."})
        assert (response.status_code, error_fields(response)) == (422, {"name"})


def race_for_one_account(
    client: TestClient, clock: Clock, *, partners: list[int]
) -> tuple[dict, list[int]]:
    """One reservation of a new account per partner, all sent at once: the account and the
    answers' statuses."""
    account = create_account(client, name="Contested Customer")
    until = in_days(clock.now, 30).isoformat()
    start = threading.Barrier(len(partners))
    statuses: list[int] = []

    def attempt(partner_id: int) -> None:
        start.wait()
        response = client.post(
            f"/v1/accounts/{account['id']}/reservations",
            json={"partner_id": partner_id, "until": until},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in partners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return account, statuses


class TestConcurrentReservations:
    def test_exactly_one_of_many_concurrent_reservations_wins(
        self, client: TestClient, clock: Clock
    ) -> None:
        partners = [create_partner(client)["id"] for _ in range(8)]
        account, statuses = race_for_one_account(client, clock, partners=partners)
        assert Counter(statuses) == {201: 1, 409: len(partners) - 1}
        holder = client.get(f"/v1/accounts/{account['id']}").json()["holder"]
        assert holder["partner_id"] in partners

    def test_writers_waiting_for_the_store_do_not_starve_the_one_answering(
        self, client: TestClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """More concurrent writes than the process has threads for them: the first one to
        write still answers (and so commits) while the others hold every thread, waiting
        for the store it holds."""
        monkeypatch.setattr(sqlite_writes, "WAIT_SECONDS", 3.0)  # a stall fails in seconds
        client.portal.call(_threads_for_requests, 2)
        partners = [create_partner(client)["id"] for _ in range(8)]
        began = time.monotonic()
        _, statuses = race_for_one_account(client, clock, partners=partners)
        assert Counter(statuses) == {201: 1, 409: len(partners) - 1}
        assert time.monotonic() - began < WAIT_SECONDS_BOUND


WAIT_SECONDS_BOUND = 3.0  # less than any writer could have waited for its turn


def _threads_for_requests(count: int) -> None:
    """In the app's event loop: let at most `count` requests run in worker threads at once."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = count
