"""Scoring tests promote models in this process: each test starts from its store's own state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scoring.service import forget_active_ranker


@pytest.fixture(autouse=True)
def _forget_the_active_model() -> Iterator[None]:
    forget_active_ranker()
    yield
    forget_active_ranker()
