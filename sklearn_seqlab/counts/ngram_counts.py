"""The counts a variable-order Markov chain learns, for every position of a corpus at once.

:class:`~sklearn_seqlab.VariableOrderMarkovClassifier` counts, for every order ``k`` up to its
largest, how often each class follows each context of ``k`` states, and for Kneser-Ney in how
many distinct left neighbours' contexts it does. These are array operations over every
position: a context of ``k`` states is numbered by the number of its last ``k - 1`` states
and the state before them, so one sort per order finds them all.
"""

import numpy as np
from scipy import sparse

from ..encoding import NO_CLASS, UNK
from .markov import _START as START

_BEFORE_START = -1
"""Fills the window before a sequence's start marker: no context reaches it."""


def count_ngrams(codes, classes, offsets, n_classes, max_order, kneser_ney):
    """Count every context of 0 to ``max_order`` states and the class that follows it.

    Parameters
    ----------
    codes : list of ndarray
        Each sequence's state codes (``PAD`` and ``UNK`` included).
    classes : ndarray of shape (n_positions,)
        The class that follows each position (:func:`~sklearn_seqlab._targets.next_classes`),
        ``NO_CLASS`` for one that is not counted.
    offsets : ndarray of shape (n_sequences + 1,)
        Where each sequence's positions start in ``classes``.
    n_classes : int
        Number of classes.
    max_order : int
        Largest number of previous states a context holds.
    kneser_ney : bool
        Also count, below ``max_order``, the distinct states just before each context and
        class (Kneser-Ney's continuation counts).

    Returns
    -------
    contexts : list of dict
        ``contexts[k]`` maps each context of ``k`` states, a tuple of codes (``START`` first
        when it begins at a sequence's start), to its row, in order of first occurrence.
    counts : list of scipy.sparse.csr_matrix
        ``counts[k][i, j]``: how often class ``j`` followed the ``i``-th context.
    continuation : list of scipy.sparse.csr_matrix or None
        For Kneser-Ney, below ``max_order``: in how many distinct left neighbours' contexts
        class ``j`` followed the ``i``-th context; a context at a sequence's start has no
        left neighbour and keeps its counts. None for ``max_order`` and without Kneser-Ney.

    Notes
    -----
    The window of position ``t`` holds the last ``max_order`` states before it, preceded
    by ``START`` when the sequence starts within reach. A context is cut after its last
    ``UNK``: only the states after it are counted.
    """
    lengths = np.diff(offsets)
    # each position's place in its sequence: position p is followed by the state p + 1
    position = np.arange(len(classes)) - np.repeat(offsets[:-1], lengths)
    window = _windows(codes, position, max_order)
    # how many states each position may condition on: its window (the start marker
    # included), cut after the last UNK
    cut = np.minimum(position + 2, max_order)
    for back in range(max_order, 0, -1):  # the nearest UNK decides
        cut = np.where(window[:, max_order - back] == UNK, np.minimum(cut, back - 1), cut)
    counted = classes != NO_CLASS
    base = int(window.max(initial=0)) + 2  # every window value + 1 is a digit below it
    # numbers are built as number * base + digit in int64; the largest, a (context, class)
    # pair with a left neighbour, is below positions * classes * base
    if len(classes) * max(n_classes, 1) * base >= 2**63:
        raise ValueError(
            f"{len(classes)} positions of {n_classes} classes over {base - 2} codes are too "
            "many to count at once; fit on fewer sequences, or on fewer states "
            "(StateEncoder(max_states=...))."
        )
    context_id = np.zeros(len(classes), dtype=np.int64)  # the empty context
    contexts, counts, continuation = [], [], []
    for k in range(max_order + 1):
        if k:  # the context of k states: that of k - 1 and the state before it
            _, context_id = np.unique(
                context_id * base + window[:, max_order - k] + 1, return_inverse=True
            )
            context_id = context_id.ravel()
        rows = np.flatnonzero(counted & (cut >= k))
        index, row_of = _context_rows(window[:, max_order - k :], context_id, rows)
        contexts.append(index)
        key = row_of * n_classes + classes[rows]
        keys, first, count = np.unique(key, return_index=True, return_counts=True)
        counts.append(_matrix(keys, count, len(index), n_classes))
        if not kneser_ney or k == max_order:
            continuation.append(None)
            continue
        # the left neighbour exists unless the context begins at the start marker
        has_left = np.ones(len(rows), dtype=bool)
        if k:
            has_left = window[rows, max_order - k] != START
        before = window[rows[has_left], max_order - k - 1]
        neighbours = key[has_left] * base + before + 1
        with_left, n_left = np.unique(np.unique(neighbours) // base, return_counts=True)
        at_start = np.zeros(len(keys), dtype=bool)
        if k:
            at_start = window[rows[first], max_order - k] == START
        value = count.astype(np.float64)
        value[~at_start] = 0.0
        value[np.searchsorted(keys, with_left)] = n_left
        continuation.append(_matrix(keys[value > 0], value[value > 0], len(index), n_classes))
    return contexts, counts, continuation


def _windows(codes, position, max_order):
    """The last ``max_order`` states before each position's next state (the position's own
    code at column ``max_order - 1``), ``START`` just before a sequence, ``_BEFORE_START``
    before that; ``position`` is each position's place in its sequence."""
    flat = np.concatenate(codes) if len(codes) else np.zeros(0, dtype=np.int64)
    index = np.arange(len(flat))
    window = np.empty((len(flat), max_order), dtype=np.int64)
    for back in range(1, max_order + 1):
        earlier = position - back + 1  # the state ``back`` before the next one
        source = flat[np.maximum(index - back + 1, 0)]
        window[:, max_order - back] = np.where(
            earlier >= 0, source, np.where(earlier == -1, START, _BEFORE_START)
        )
    return window


def _context_rows(window, context_id, rows):
    """The contexts of the positions ``rows`` as tuples (the columns of ``window``), each
    to its row in order of first occurrence, and each position's row."""
    ids, first, inverse = np.unique(context_id[rows], return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    columns = window[rows[first[order]]].T.tolist()  # a list per column: faster than rows
    tuples = zip(*columns, strict=True) if columns else [()] * len(ids)
    return dict(zip(tuples, range(len(ids)), strict=True)), rank[inverse.ravel()]


def _matrix(keys, values, n_rows, n_classes):
    """The csr matrix of ``values`` at ``(key // n_classes, key % n_classes)``."""
    matrix = sparse.csr_matrix(
        (np.asarray(values, dtype=np.float64), (keys // n_classes, keys % n_classes)),
        shape=(n_rows, n_classes),
    )
    matrix.sort_indices()
    return matrix
