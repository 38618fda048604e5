"""The n-gram counts of the variable-order chain, worked out by hand on three sequences."""

import numpy as np
import pytest

from sklearn_seqlab.counts.ngram_counts import count_ngrams
from sklearn_seqlab.encoding import NO_CLASS, UNK

A, B = 2, 3  # the codes of states a and b (classes 0 and 1), after the reserved codes
CODES = [np.array([A, B, A]), np.array([B, UNK, B]), np.array([A, B])]
# the class after each position: a b a | b, then an unknown state, then b a | a b
CLASSES = np.array([1, 0, 1, NO_CLASS, 1, 0, 1, 0])
OFFSETS = np.array([0, 3, 6, 8])


def _dense(matrix):
    return None if matrix is None else matrix.toarray().tolist()


@pytest.mark.parametrize("max_order", [2, 3])
def test_every_order_counts_the_contexts_up_to_the_start_and_the_last_unknown(max_order):
    contexts, counts, continuation = count_ngrams(CODES, CLASSES, OFFSETS, 2, max_order, True)
    assert contexts[0] == {(): 0}
    assert _dense(counts[0]) == [[3, 4]]
    # no context after the unknown state: the second sequence's b -> ? and ? -> b are not
    # counted at order 1
    assert contexts[1] == {(A,): 0, (B,): 1}
    assert _dense(counts[1]) == [[0, 3], [3, 0]]
    # code 0 marks the sequence start, in order of first occurrence
    assert contexts[2] == {(0, A): 0, (A, B): 1, (B, A): 2}
    assert _dense(counts[2]) == [[0, 2], [2, 0], [0, 1]]
    # Kneser-Ney's lower orders count the distinct states just before the context: at
    # order 0, a always follows b (1), and b follows a or the unknown state (2)
    assert _dense(continuation[0]) == [[1, 2]]
    # b after a: preceded by the start and by b; a after b: by a and by the unknown state
    assert _dense(continuation[1]) == [[0, 2], [2, 0]]
    if max_order == 2:
        assert continuation[2] is None  # the highest order smooths its counts
    else:
        # a context at the start has no left neighbour and keeps its count
        assert _dense(continuation[2]) == [[0, 2], [1, 0], [0, 1]]
        assert continuation[3] is None


def test_witten_bell_needs_no_continuation_counts():
    _, counts, continuation = count_ngrams(CODES, CLASSES, OFFSETS, 2, 2, False)
    assert continuation == [None, None, None]
    assert _dense(counts[1]) == [[0, 3], [3, 0]]


def test_no_counted_position_leaves_empty_tables():
    contexts, counts, _ = count_ngrams(CODES[:1], np.full(3, NO_CLASS), OFFSETS[:2], 2, 2, True)
    assert contexts == [{}, {}, {}]
    assert [m.shape for m in counts] == [(0, 2)] * 3


def test_counts_too_large_for_int64_numbers_are_refused():
    with pytest.raises(ValueError, match="too many to count at once"):
        count_ngrams(CODES, CLASSES, OFFSETS, 2**62, 2, True)
