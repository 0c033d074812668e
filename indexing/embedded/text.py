"""Free text: hashed TF-IDF over name, description, skills, industries and products.

Terms are hashed (scikit-learn's HashingVectorizer), so there is no vocabulary to refit and a
partner written after the build is searchable at once; idf weights are fitted at build time
and a term never seen then gets the largest idf. Documents are L2-normalised, so the score of
a query is a cosine similarity in 0-1. A query matches a partner only if every query term
occurs in the partner's text (stop words ignored).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

N_FEATURES = 2**20


def _vectorizer() -> HashingVectorizer:
    return HashingVectorizer(
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        stop_words="english",
        dtype=np.float32,
    )


def _normalise(data: np.ndarray, indptr: np.ndarray) -> None:
    """Divide each row's weights (CSR `data` and `indptr`) by the row's L2 norm, in place."""
    lengths = np.diff(indptr)
    norms = np.sqrt(np.add.reduceat(data**2, indptr[:-1][lengths > 0]))
    data /= np.repeat(norms, lengths[lengths > 0]).astype(np.float32)


def _column(term: str) -> int:
    """The column FeatureHasher gives a term: signed 32-bit MurmurHash3 (seed 0) of its UTF-8,
    absolute value modulo N_FEATURES (with its own rule for the one value abs() overflows)."""
    hashed = murmurhash3_32(term, seed=0)
    if hashed == -(2**31):
        return (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES
    return abs(hashed) % N_FEATURES


@cache
def _analyzer() -> Callable[[str], list[str]]:
    """The terms a text is indexed under: lower-cased tokens, English stop words dropped.

    The same analysis as `HashingVectorizer`'s analyzer, without its per-document Python
    layers (decode, n-grams): the build analyses a million descriptions, and those layers
    were a third of the time. Built once per process (a query paid for building it)."""
    vectorizer = _vectorizer()
    lower, tokenize = vectorizer.build_preprocessor(), vectorizer.build_tokenizer()
    stop = vectorizer.get_stop_words() or frozenset()
    return lambda text: [term for term in tokenize(lower(text)) if term not in stop]


@dataclass(frozen=True)
class TextQuery:
    """Hashed term columns of a query and their weights (L2-normalised tf-idf)."""

    columns: np.ndarray  # int64, unique
    weights: np.ndarray  # float32, same order


class TextModel:
    """Turns texts into term counts, and counts into tf-idf weights with fitted idf."""

    def __init__(self) -> None:
        self.idf: np.ndarray | None = None

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Term counts (float32), one row per text: the terms of `_analyzer`, hashed."""
        if not texts:
            return sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
        hasher = FeatureHasher(
            n_features=N_FEATURES, input_type="string", dtype=np.float32, alternate_sign=False
        )
        analyze = _analyzer()
        return hasher.transform(analyze(text) for text in texts).tocsr()

    def fit(self, counts: sp.csr_matrix) -> None:
        """Smooth idf, as scikit-learn's TfidfTransformer: ln((1 + n) / (1 + df)) + 1."""
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=N_FEATURES)
        seen = np.flatnonzero(df)  # the logarithm only where a term occurs: 5x faster
        idf = np.full(N_FEATURES, np.log(1.0 + n) + 1.0, dtype=np.float32)
        idf[seen] = np.log((1.0 + n) / (1.0 + df[seen])) + 1.0
        self.idf = idf

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """L2-normalised tf-idf rows (float32)."""
        assert self.idf is not None, "fit() before weigh()"
        weighted = counts.copy()
        weighted.data *= self.idf[weighted.indices]
        _normalise(weighted.data, weighted.indptr)
        return weighted

    def query(self, text: str) -> TextQuery | None:
        """The query's terms; None when it has none (empty or only stop words). The columns
        and weights of `weigh(counts([text]))`, bit for bit, without building sparse matrices
        for one short text (60 us -> 13 us)."""
        assert self.idf is not None, "fit() before query()"
        counts = Counter(_column(term) for term in _analyzer()(text))
        if not counts:
            return None
        columns = np.array(sorted(counts), dtype=np.int64)
        weights = np.array([counts[c] for c in columns], dtype=np.float32) * self.idf[columns]
        _normalise(weights, np.array([0, len(weights)]))
        return TextQuery(columns=columns, weights=weights)

    def terms(self, text: str) -> list[str]:
        """The terms a text is indexed under (lower-cased, stop words dropped)."""
        return _analyzer()(text)
