"""Encoded sequences: the integer codes the models read, and the codes no state has.

:class:`EncodedSequences` is what :class:`~sklearn_seqlab.StateEncoder` returns and what the
classifiers take; the reserved codes (``PAD``, ``UNK``) and ``NO_CLASS`` are shared by the
encoder, the models, the torch modules and the metrics.
"""

import numbers

import numpy as np

PAD = 0
"""Code of the padding position; never the code of a state."""
UNK = 1
"""Code of every state outside the vocabulary (unknown or too rare)."""
N_RESERVED = 2
"""Number of reserved codes; the state ``states_[i]`` has code ``i + N_RESERVED``."""
NO_CLASS = -1
"""Class index of a target outside a model's ``classes_`` (an unknown state, or a position
that is not trained on); the loss and the counts skip it."""


def state_codes(codes):
    """The codes of the predicted feature in one encoded sequence (column 0 of 2-D codes)."""
    return codes if codes.ndim == 1 else codes[:, 0]


class EncodedSequences:
    """Integer-coded sequences together with the vocabulary that decodes them.

    This is what :class:`StateEncoder` returns. Carrying the vocabulary lets a downstream
    :class:`~sklearn_seqlab.NextStateClassifier` report states, not codes, as its
    ``classes_`` and predictions. It behaves as a 1-D sequence of code arrays: ``len``,
    iteration, integer indexing (one array) and slice, mask or index-array indexing (a new
    ``EncodedSequences``), so scikit-learn's splitters can subset it.

    Parameters
    ----------
    codes : list of ndarray of int64
        One array of codes per sequence, without padding: of shape (length,), or of shape
        (length, 1 + n_features) when each event has several features (column 0 holds the
        codes of the predicted feature, the others those of the extra features).
    states : ndarray of shape (n_states,)
        The vocabulary of the predicted feature: code ``c >= N_RESERVED`` stands for
        ``states[c - N_RESERVED]``.
    augmented : list of list of ndarray, default=None
        For each sequence, the codes of its augmented copies (see
        ``StateEncoder(augment=...)``), which classifiers add to their training data; None
        when there are none. Subsets keep the copies of the sequences they keep.
    feature_sizes : tuple of int, default=()
        Number of codes of each extra feature, reserved codes included.
    """

    def __init__(self, codes, states, augmented=None, feature_sizes=()):
        self.codes = list(codes)
        self.states = states
        self.augmented = None if augmented is None else list(augmented)
        self.feature_sizes = tuple(feature_sizes)

    def with_codes(self, codes, augmented=None):
        """New sequences with the same vocabulary and features (cut, extended, reordered)."""
        return EncodedSequences(codes, self.states, augmented, self.feature_sizes)

    def state_only(self):
        """The same sequences with the predicted feature alone (what count models read)."""
        if not self.feature_sizes:
            return self
        augmented = None
        if self.augmented is not None:
            augmented = [[state_codes(c) for c in copies] for copies in self.augmented]
        return EncodedSequences([state_codes(c) for c in self.codes], self.states, augmented)

    @property
    def shape(self):
        return (len(self.codes),)

    @property
    def lengths(self):
        """ndarray of shape (n_sequences,): the number of states in each sequence."""
        return np.fromiter((len(c) for c in self.codes), dtype=np.int64, count=len(self.codes))

    def __len__(self):
        return len(self.codes)

    def __iter__(self):
        return iter(self.codes)

    def __getitem__(self, key):
        if isinstance(key, tuple):  # scikit-learn indexes arrays as X[key, ...]
            key = key[0]
        if isinstance(key, numbers.Integral):
            return self.codes[key]
        if isinstance(key, slice):
            key = np.arange(len(self.codes))[key]
        key = np.asarray(key)
        if key.dtype == bool:
            key = np.flatnonzero(key)
        augmented = None if self.augmented is None else [self.augmented[i] for i in key]
        return self.with_codes([self.codes[i] for i in key], augmented)

    def __repr__(self):
        return f"EncodedSequences(n_sequences={len(self)}, n_states={len(self.states)})"


def decode_codes(sequences, states):
    """Turn trusted lists of codes back into states: ``UNK`` becomes None, padding is dropped.

    Parameters
    ----------
    sequences : list of list of int
        Codes of a vocabulary of ``states``; anything else is a ``ValueError`` naming it.
    states : ndarray of shape (n_states,)
        The vocabulary: code ``c >= N_RESERVED`` stands for ``states[c - N_RESERVED]``.

    Returns
    -------
    sequences : list of list
    """
    n_codes = len(states) + N_RESERVED
    names = [None] * N_RESERVED + states.tolist()
    out = []
    for i, seq in enumerate(sequences):
        row = []
        for code in seq:
            if not isinstance(code, numbers.Integral) or not 0 <= code < n_codes:
                raise ValueError(
                    f"X[{i}] holds {code!r}, which is not a code of this encoder "
                    f"(integers 0 to {n_codes - 1})."
                )
            if code != PAD:
                row.append(names[code])
        out.append(row)
    return out
