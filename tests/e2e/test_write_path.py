"""A 2xx means committed and visible: read-your-writes, lead races, kill -9, long imports.

Against a real `partnermatch serve`: the in-process test client waits for the whole request,
teardown included, and so hides a response sent before its commit.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import ServerFactory, client
from tests.e2e.stores import Store
from tests.factories import location, partner_payload
from tests.matcher.factories import lead_payload

TRIES = 25


def searched(http: httpx.Client, **params: Any) -> set[int]:
    response = http.get("/v1/partners/search", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def create(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = http.post("/v1/partners", json=partner_payload(**fields))
    assert response.status_code == 201, response.text
    return response.json()


class TestReadYourWrites:
    def test_every_acknowledged_write_is_seen_by_the_next_request(
        self, start_server: ServerFactory, admin: dict[str, str]
    ) -> None:
        misses: dict[str, int] = dict.fromkeys(("create", "update", "attest", "delete"), 0)
        with client(start_server(), admin) as http:
            for n in range(TRIES):
                word = f"zq{n}create"
                partner = create(http, name=f"Partner {word}")
                misses["create"] += http.get(f"/v1/partners/{partner['id']}").status_code != 200
                misses["create"] += searched(http, q=word) != {partner["id"]}

                renamed = f"zq{n}renamed"
                response = http.patch(f"/v1/partners/{partner['id']}", json={"name": renamed})
                assert response.status_code == 200, response.text
                misses["update"] += searched(http, q=renamed) != {partner["id"]}
                misses["update"] += searched(http, q=word) != set()

                assert http.post(f"/v1/partners/{partner['id']}/attest").status_code == 200
                read = http.get(f"/v1/partners/{partner['id']}").json()
                misses["attest"] += read["attested_at"] is None

                assert http.delete(f"/v1/partners/{partner['id']}").status_code == 204
                misses["delete"] += http.get(f"/v1/partners/{partner['id']}").status_code != 404
                misses["delete"] += searched(http, q=renamed) != set()
        assert misses == dict.fromkeys(misses, 0)

    def test_an_imported_partner_is_searchable_as_soon_as_the_import_answers(
        self, start_server: ServerFactory, admin: dict[str, str]
    ) -> None:
        misses = 0
        with client(start_server(), admin) as http:
            for n in range(TRIES):
                line = json.dumps(partner_payload(name=f"Imported zq{n}imp", external_id=f"x{n}"))
                response = http.post(
                    "/v1/partners/import",
                    content=line,
                    headers={"Content-Type": "application/x-ndjson"},
                )
                assert response.status_code == 200, response.text
                misses += len(searched(http, q=f"zq{n}imp")) != 1
        assert misses == 0

    def test_another_process_on_the_same_store_converges_within_its_poll_interval(
        self, start_server: ServerFactory, admin: dict[str, str], tmp_path: Path
    ) -> None:
        writer = start_server()
        reader = start_server(index_dir=tmp_path / "reader-index")
        with client(writer, admin) as write, client(reader, admin) as read:
            partner = create(write, name="Partner zqshared")
            for _ in range(100):  # the reader polls every 0.5 s by default
                if searched(read, q="zqshared") == {partner["id"]}:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the other process did not see the write within 5 s")


class TestLeadRaces:
    def test_an_offer_can_be_acted_on_at_once_and_concurrent_answers_never_fail(
        self, start_server: ServerFactory, admin: dict[str, str]
    ) -> None:
        with client(start_server(), admin) as http:
            for level in (5, 4, 3):
                create(http, name=f"AWS partner {level}", skills=[{"name": "AWS", "level": level}])
            statuses: list[int] = []
            for _ in range(10):
                lead = http.post("/v1/leads", json=lead_payload()).json()
                assert lead["status"] == "offered", lead
                accepted = http.post(f"/v1/leads/{lead['id']}/accept")
                assert accepted.status_code == 200, accepted.text

                lead = http.post("/v1/leads", json=lead_payload()).json()
                path = f"/v1/leads/{lead['id']}"
                with ThreadPoolExecutor(4) as pool:
                    answers = [
                        pool.submit(http.post, f"{path}/{action}", json={"reason": "busy"})
                        for action in ("accept", "decline", "accept", "decline")
                    ]
                    statuses += [answer.result().status_code for answer in answers]
                    assert http.get(path).status_code == 200
        assert set(statuses) <= {200, 409}, statuses
        assert 200 in statuses and 409 in statuses


class TestKilledServer:
    def test_every_acknowledged_write_survives_kill_9(
        self, start_server: ServerFactory, admin: dict[str, str], store: Store
    ) -> None:
        server = start_server()
        acknowledged: dict[int, str] = {}
        with client(server, admin) as http:
            for n in range(TRIES):
                partner = create(http, name=f"Durable zq{n}dur")
                response = http.patch(f"/v1/partners/{partner['id']}", json={"name": f"zq{n}kept"})
                assert response.status_code == 200
                acknowledged[partner["id"]] = f"zq{n}kept"
        server.kill()
        assert store.partner_versions() == dict.fromkeys(acknowledged, 2)
        with client(start_server(), admin) as http:
            lost = [pid for pid, word in acknowledged.items() if searched(http, q=word) != {pid}]
        assert lost == []


class TestIndexBelongsToItsStore:
    def test_an_index_folder_of_another_store_is_rebuilt_not_served(
        self, start_server: ServerFactory, admin: dict[str, str], tmp_path: Path
    ) -> None:
        (tmp_path / "other").mkdir()
        other = Store(server_url=None, directory=tmp_path / "other")
        index_dir = tmp_path / "shared-index"
        first = start_server(database_url=other.url, index_dir=index_dir)
        with client(first, {"Authorization": f"Bearer {other.admin_key()}"}) as http:
            create(http, name="Foreign zqforeign")
        first.stop()
        with client(start_server(index_dir=index_dir), admin) as http:
            assert searched(http, q="zqforeign") == set()
            mine = create(http, name="Mine zqmine")["id"]
            assert searched(http, q="zqmine") == {mine}

    def test_a_restored_backup_under_an_existing_index_folder_is_served_as_restored(
        self, start_server: ServerFactory, admin: dict[str, str], store: Store, tmp_path: Path
    ) -> None:
        server = start_server()
        with client(server, admin) as http:
            kept = {create(http, name=f"Kept zq{n}old")["id"] for n in range(3)}
        server.stop()
        backup = store.backup()
        server = start_server()
        with client(server, admin) as http:
            for n in range(5):
                create(http, name=f"Gone zq{n}gone")
            assert http.delete(f"/v1/partners/{min(kept)}").status_code == 204
        server.stop()  # the index folder's snapshot now holds what the backup lacks
        store.restore(backup)
        # Writes after the restore carry the log past the snapshot's position again.
        elsewhere = start_server(index_dir=tmp_path / "elsewhere")
        with client(elsewhere, admin) as http:
            new = {create(http, name=f"New zq{n}new")["id"]: f"zq{n}new" for n in range(10)}
        elsewhere.stop()
        with client(start_server(), admin) as http:
            assert searched(http, q="zq0gone zq1gone zq2gone zq3gone zq4gone") == set()
            assert searched(http, q="kept") == kept
            found = sum(searched(http, q=word) == {pid} for pid, word in new.items())
        assert found == 10
        assert store.count_partners() == 13

    def test_a_file_where_the_index_folder_should_be_does_not_stop_start_up(
        self, start_server: ServerFactory, admin: dict[str, str], tmp_path: Path
    ) -> None:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("in the way")
        with client(start_server(index_dir=blocker), admin) as http:
            partner = create(http, name="Partner zqblocked")
            assert searched(http, q="zqblocked") == {partner["id"]}


class TestLongImport:
    def test_writes_during_a_long_import_all_reach_the_index(
        self, start_server: ServerFactory, admin: dict[str, str], store: Store
    ) -> None:
        lines = "\n".join(
            json.dumps(
                partner_payload(name=f"Bulk {n}", external_id=f"bulk-{n}", locations=[location()])
            )
            for n in range(3000)
        )
        with client(start_server(), admin) as http:
            with ThreadPoolExecutor(1) as pool:
                imported = pool.submit(
                    http.post,
                    "/v1/partners/import",
                    content=lines,
                    headers={"Content-Type": "application/x-ndjson"},
                )
                during = [create(http, name=f"During zq{n}during")["id"] for n in range(20)]
                assert imported.result().status_code == 200, imported.result().text
            total = http.get(
                "/v1/partners/search", params={"include_stale": "true", "limit": 1}
            ).json()["total"]
            missing = [
                pid for n, pid in enumerate(during) if searched(http, q=f"zq{n}during") != {pid}
            ]
        assert missing == []
        assert total == store.count_partners() == 3020
