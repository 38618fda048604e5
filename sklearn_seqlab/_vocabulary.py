"""What a :class:`~sklearn_seqlab.StateEncoder` learns its vocabulary from, and which states
it keeps."""

import numbers

import numpy as np

from ._validation import check_sequences, sorted_states


def augmented_copies(augment, sequences):
    """The augmenter's copies of each trusted sequence, checked (empty lists without one).

    Parameters
    ----------
    augment : callable or None
        ``StateEncoder(augment=...)``: called on the list of sequences, it returns one list
        of new sequences per sequence.
    sequences : list of list
        The training sequences.

    Returns
    -------
    copies : list of list of list
        For each sequence, its copies as trusted lists.
    """
    if augment is None:
        return [[] for _ in sequences]
    copies = augment([list(s) for s in sequences])
    copies = None if copies is None else list(copies)
    if copies is None or len(copies) != len(sequences):
        raise ValueError(
            f"augment must return one list of copies per sequence: got "
            f"{'None' if copies is None else len(copies)} for {len(sequences)} sequences."
        )
    return [check_sequences(c, name="augmented copies") if len(c) else [] for c in copies]


def choose_states(counts, min_frequency, max_states):
    """The states seen, sorted, their counts, and which of them the vocabulary keeps.

    Parameters
    ----------
    counts : collections.Counter
        How often each state occurs in the training sequences (copies included).
    min_frequency : int, float or None
        States seen fewer times than this (a count, or a fraction of all states when a float
        in (0, 1)) are left out.
    max_states : int or None
        Keep at most this many states, the most frequent ones (ties go to the state that
        sorts first).

    Returns
    -------
    states : ndarray of shape (n_seen,)
        Every state seen, sorted.
    freq : ndarray of int64 of shape (n_seen,)
        The count of each.
    keep : ndarray of bool of shape (n_seen,)
        Whether each state is in the vocabulary.
    """
    if not counts:
        raise ValueError("X holds only empty sequences; there are no states to learn.")
    states = sorted_states(counts)
    freq = np.array([counts[s] for s in states], dtype=np.int64)

    keep = np.ones(len(states), dtype=bool)
    if min_frequency is not None:
        threshold = min_frequency
        if isinstance(threshold, numbers.Real) and not isinstance(threshold, numbers.Integral):
            threshold = threshold * freq.sum()
        keep &= freq >= threshold
    if max_states is not None and keep.sum() > max_states:
        # stable sort on descending count: ties go to the state that sorts first
        order = np.argsort(-np.where(keep, freq, -1), kind="stable")
        keep = np.zeros_like(keep)
        keep[order[:max_states]] = True
    if not keep.any():
        raise ValueError(
            "min_frequency and max_states leave no state in the vocabulary; lower min_frequency."
        )
    return states, freq, keep
