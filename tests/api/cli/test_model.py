"""`partnermatch model ...` against the test store: the whole cycle from the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from core.settings import Settings
from scoring.ranker import HAND_RANKER
from tests.conftest import Clock
from tests.scoring.test_learning import store_examples


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PARTNERMATCH_DATABASE_URL", settings.database_url)
    return CliRunner()


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, ["model", *args])
    assert result.exit_code == 0, result.output
    return result.output


class TestModelCommands:
    def test_without_history_the_hand_weights_stay_and_say_so(
        self, client: TestClient, runner: CliRunner
    ) -> None:
        assert "hand weights stay active" in run(runner, "train")
        assert f"the hand weights {HAND_RANKER.version} rank" in run(runner, "list")

    def test_train_promote_list_rollback(
        self, client: TestClient, runner: CliRunner, clock: Clock
    ) -> None:
        start = clock.now - timedelta(days=60)
        store_examples(client, leads=300, start=start, seed=5)
        cutoff = (start + timedelta(hours=240)).strftime("%Y-%m-%dT%H:%M:%S")
        assert "trained learned-" in run(runner, "train", "--until", cutoff)
        promoted = run(runner, "promote", "1")
        assert "ndcg5_won" in promoted and "promoted over hand-" in promoted
        assert "active" in run(runner, "list")
        assert "the hand weights" in run(runner, "rollback")
        result = runner.invoke(cli, ["model", "rollback"])
        assert result.exit_code == 2 and "no learned model is active" in result.output
