"""Tests of the synthetic generators (``datasets.py``)."""

import re
from collections import Counter, defaultdict

import numpy as np
import pytest

from sklearn_seqlab.datasets import make_chord_progressions

# --- make_chord_progressions ---------------------------------------------------------------------


def test_make_chord_progressions_is_deterministic():
    X = make_chord_progressions(50, random_state=3)
    assert make_chord_progressions(50, random_state=3) == X
    assert make_chord_progressions(50, random_state=np.random.RandomState(3)) == X
    assert make_chord_progressions(50, random_state=4) != X


def test_make_chord_progressions_uses_the_given_random_state():
    rng = np.random.RandomState(0)
    assert make_chord_progressions(5, random_state=rng) != make_chord_progressions(
        5, random_state=rng
    )


@pytest.mark.parametrize("min_length, max_length", [(8, 32), (1, 1), (5, 6), (40, 60)])
def test_make_chord_progressions_lengths(min_length, max_length):
    X = make_chord_progressions(200, min_length=min_length, max_length=max_length, random_state=0)
    assert len(X) == 200
    lengths = {len(seq) for seq in X}
    assert min(lengths) >= min_length and max(lengths) <= max_length
    assert len(lengths) == max_length - min_length + 1  # every length is drawn


def test_make_chord_progressions_vocabulary():
    X = make_chord_progressions(500, random_state=0)
    counts = Counter(chord for seq in X for chord in seq)
    assert len(counts) > 20
    assert all(re.fullmatch(r"[A-G][#b]?(|m|7|m7|maj7|dim)", chord) for chord in counts)
    assert {"C", "G", "Am", "F", "G7", "Dm"} <= set(counts)
    roots = {re.match("[A-G][#b]?", chord).group() for chord in counts}
    assert len(roots) > 12  # every key, with enharmonic spellings such as F# and Gb


def test_make_chord_progressions_repeats_sections():
    X = make_chord_progressions(300, min_length=20, max_length=20, random_state=0)

    def has_repeat(seq, n=4):
        grams = [tuple(seq[i : i + n]) for i in range(len(seq) - n + 1)]
        return len(set(grams)) < len(grams)

    assert np.mean([has_repeat(seq) for seq in X]) > 0.9


def _fit_counts(sequences, order):
    """Next-state counts after every context of 0 to ``order`` states."""
    tables = [defaultdict(Counter) for _ in range(order + 1)]
    for seq in sequences:
        for t, state in enumerate(seq):
            for k in range(min(order, t) + 1):
                tables[k][tuple(seq[t - k : t])][state] += 1
    return tables


def _accuracy(tables, sequences):
    """Accuracy of the argmax of the longest seen context, on every position after the first."""
    hits = total = 0
    for seq in sequences:
        for t in range(1, len(seq)):
            for k in range(min(len(tables) - 1, t), -1, -1):
                counts = tables[k].get(tuple(seq[t - k : t]))
                if counts:
                    break
            hits += counts.most_common(1)[0][0] == seq[t]
            total += 1
    return hits / total


def test_make_chord_progressions_needs_more_than_first_order():
    X = make_chord_progressions(1500, random_state=0)
    train, test = X[:1000], X[1000:]
    first = _accuracy(_fit_counts(train, 1), test)
    third = _accuracy(_fit_counts(train, 3), test)
    assert 0.1 < first < third - 0.05 < 0.9


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_sequences": 0}, ValueError, "n_sequences must be >= 1"),
        ({"n_sequences": 2.0}, TypeError, "n_sequences must be an integer"),
        ({"min_length": 0}, ValueError, "min_length must be >= 1"),
        ({"min_length": 10, "max_length": 9}, ValueError, "max_length must be >= 10"),
        ({"max_length": "32"}, TypeError, "max_length must be an integer"),
    ],
)
def test_make_chord_progressions_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_chord_progressions(**kwargs)
