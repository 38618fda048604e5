"""The validation split of whole training sequences, which never lets a copy cross sides.

Early stopping (:class:`~sklearn_seqlab.NextStateClassifier`) and the mixture weights of
:class:`~sklearn_seqlab.HybridClassifier` are chosen on sequences held out of the training
data. Real data repeat sequences (a chorus, a standard cadence), and augmentation makes
copies of them (a progression in another key), so a split by position would put the same
sequence on both sides and measure memory, not generalisation. Here sequences are grouped
first: identical sequences form one group, and so do a sequence and every sequence equal to
one of its augmented copies. Whole groups then go to one side, chosen by a seeded hash of
their content, so that a sequence keeps its side across ``partial_fit`` calls. Groups are held
out while they fit in the validation share, so a group larger than that share (the commonest
path of a process log) always stays in training.
"""

import zlib

import numpy as np

from .encoding import state_codes


def holdout_split(contexts, targets, fraction, salt):
    """Split sequences into training and validation rows, by groups of equal content.

    Parameters
    ----------
    contexts : EncodedSequences
        Training contexts, with the codes of their augmented copies in ``augmented`` (full
        sequences) or None.
    targets : ndarray of shape (n_sequences,)
        The code of the state that follows each context, as an augmented copy (a full
        sequence of codes) would hold it.
    fraction : float
        Share of the sequences to hold out, in (0, 1).
    salt : int
        Seed of the hash that orders the groups.

    Returns
    -------
    train_rows, valid_rows : ndarray of int
        Sorted row indices of the two sides; neither is empty.

    Raises
    ------
    ValueError
        If a side would be empty.
    """
    n = len(contexts)
    n_valid = int(round(n * fraction))
    if n_valid < 1 or n_valid >= n:
        raise ValueError(
            f"validation_fraction={fraction} of {n} sequence(s) leaves no sequence for "
            "validation or none for training; pass more sequences or set "
            "validation_fraction=None (and patience=None)."
        )
    full = [
        np.append(state_codes(c), t).tobytes() for c, t in zip(contexts.codes, targets, strict=True)
    ]
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = {}
    for i, key in enumerate(full):
        parent[root(i)] = root(first.setdefault(key, i))
    if contexts.augmented is not None:
        for i, copies in enumerate(contexts.augmented):
            for copy in copies:
                j = first.get(state_codes(np.asarray(copy, dtype=np.int64)).tobytes())
                if j is not None:
                    parent[root(i)] = root(j)

    groups = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    # a group's hash depends on its content only, not on where its rows are
    order = sorted(
        groups.values(), key=lambda rows: (zlib.crc32(min(full[r] for r in rows), salt), rows[0])
    )
    # groups go to validation while they fit: a large group (the commonest path of a process,
    # a standard cadence) stays in training, where leaving it out would cost the most
    valid = []
    for rows in order:
        if len(valid) + len(rows) <= n_valid:
            valid.extend(rows)
    if not valid:  # every group is larger than the share: hold out the smallest one
        valid = min(order, key=len)
    valid = np.sort(np.asarray(valid, dtype=np.int64))
    train = np.setdiff1d(np.arange(n), valid)
    if len(train) == 0:
        raise ValueError(
            f"validation_fraction={fraction}: all {n} training sequences are copies of one "
            "another, so none is left for training once one is held out; pass more distinct "
            "sequences or set validation_fraction=None (and patience=None)."
        )
    return train, valid
