"""`partnermatch import FILE`: the same per-line reasons as the API."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from api.cli import app as cli
from tests.factories import partner_payload


def test_a_bad_line_is_reported_with_every_reason(
    database_url: str, clean_db: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "partners.ndjson"
    lines = [
        partner_payload(external_id="CRM-1"),
        partner_payload(external_id="CRM-2", tier="diamond"),
    ]
    source.write_text("\n".join(json.dumps(line) for line in lines))
    runner = CliRunner(env={"PARTNERMATCH_DATABASE_URL": database_url})
    result = runner.invoke(cli, ["import", str(source)])
    assert result.exit_code == 1
    assert "1 created" in result.output
    assert "line 2: tier: Input should be" in result.output
