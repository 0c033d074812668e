"""`partnermatch bench NAME ...` runs a benchmark script of bench/ with its own options."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app


class TestBenchCommand:
    def test_options_go_to_the_benchmark_script(self) -> None:
        result = CliRunner().invoke(app, ["bench", "routing", "-h"])
        assert result.exit_code == 0

    def test_an_unknown_benchmark_is_refused_with_the_choices(self) -> None:
        result = CliRunner().invoke(app, ["bench", "everything"])
        assert result.exit_code == 2
        assert "unknown benchmark" in result.output and "opensearch" in result.output
