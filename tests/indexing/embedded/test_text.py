"""A query's terms and weights are exactly what the index's own tf-idf gives the same text,
whatever the text: the query side skips the sparse matrices, not the arithmetic."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from indexing.embedded.text import TextModel

WORDS = ["cloud", "Cloud", "the", "and", "Zürich", "Daten", "k8s", "AWS", "ŝ", "日本", "x" * 40]
CORPUS = ["cloud consulting in Zürich", "AWS and Kubernetes", "Daten und Sicherheit"] * 5

MODEL = TextModel()
MODEL.fit(MODEL.counts(CORPUS))

texts = st.lists(st.sampled_from(WORDS) | st.text(min_size=1, max_size=12), max_size=8).map(
    " ".join
)


@given(texts)
def test_a_query_is_weighed_as_the_index_weighs_its_text(text: str) -> None:
    expected = MODEL.weigh(MODEL.counts([text]))
    query = MODEL.query(text)

    if expected.nnz == 0:
        assert query is None
        return
    assert query is not None
    assert query.columns.tolist() == expected.indices.tolist()
    assert query.weights.dtype == np.float32
    assert query.weights.tobytes() == expected.data.tobytes()
