"""`partnermatch route LEAD.json` and `partnermatch sweep` against the test store."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from core.settings import Settings
from tests.matcher.factories import lead_payload, post_lead, skilled_partner


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"lead_accept_hours": 0.0001})  # 0.36 s


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PARTNERMATCH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PARTNERMATCH_INDEX_DIR", settings.index_dir + "-cli")
    return CliRunner()


class TestCli:
    def test_route_stores_and_offers_a_lead(
        self, client: TestClient, runner: CliRunner, tmp_path: Path
    ) -> None:
        partner = skilled_partner(client, aws_level=5)
        lead_file = tmp_path / "lead.json"
        lead_file.write_text(json.dumps(lead_payload()))
        result = runner.invoke(cli, ["route", str(lead_file)])
        assert result.exit_code == 0, result.output
        assert f"offered to partner {partner}" in result.output

    def test_route_names_invalid_fields(self, runner: CliRunner, tmp_path: Path) -> None:
        lead_file = tmp_path / "lead.json"
        lead_file.write_text(json.dumps(lead_payload(title="")))
        result = runner.invoke(cli, ["route", str(lead_file)])
        assert result.exit_code == 2
        assert "title" in result.output

    def test_sweep_expires_overdue_offers(self, client: TestClient, runner: CliRunner) -> None:
        skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        time.sleep(0.5)
        result = runner.invoke(cli, ["sweep"])
        assert result.exit_code == 0, result.output
        assert "1 offers expired" in result.output
        assert client.get(f"/v1/leads/{lead['id']}").json()["status"] == "unassigned"
