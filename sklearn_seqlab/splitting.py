"""The validation split of whole training sequences, which never lets a rare copy cross sides.

Early stopping (:class:`~sklearn_seqlab.NextStateClassifier`) and the mixture weights of
:class:`~sklearn_seqlab.HybridClassifier` are chosen on sequences held out of the training
data. Real data repeat sequences (a chorus, a standard cadence), and augmentation makes
copies of them (a progression in another key), so a split by position would put the same
sequence on both sides and measure memory, not generalisation. Here sequences are grouped
first: identical sequences form one group, and so do a sequence and every sequence equal to
one of its augmented copies. Whole groups then go to one side, in the order of a seeded hash
of their content, so that a sequence keeps its side across ``partial_fit`` calls. A held-out
group is a path the networks never train on, so a group is held out whole only while it fits
in the validation share and takes at most a tenth of it.

A path more common than that stays in training, and also gives validation its share of its
identical copies, the last ones: new data repeat the common paths (on Helpdesk, one path is
964 of 1,690 cases), and validation data must look like new data. Without those copies the
validation data of a process log held only its rare paths, long and looping, on which
Kneser-Ney's accuracy was 0.44-0.51 against 0.72 on new cases. The hybrid chose its mixture
for data unlike the data it is used on, and early stopping stopped networks on a few process
activities after 3-5 epochs, 0.08 below Kneser-Ney (``benchmarks/README.md``). Holding out a
common path whole had cost a network 0.01-0.03 of accuracy. Chord corpora hold no sequence
copied that often, and their splits are as before.

:class:`WholeSequenceSplit` is this split as skorch's ``train_split``: a net is built with it
once, and each ``fit``/``partial_fit`` call hands it the call's :class:`UnsplitSequences`.
"""

import zlib

import numpy as np
from torch.utils.data import Dataset

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
        Seed of the hash that orders the groups. A sequence copied more often than a tenth
        of the validation share gives that share of its copies, the last ones, to
        validation; other identical sequences stay on one side.

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
    # a sequence's content is all of its events: with extra features (codes of shape (T, F))
    # two cases with the same states but other features are different sequences, so a
    # common path of states does not pull every case that follows it into one group
    full = [
        np.append(np.ravel(c), t).tobytes() for c, t in zip(contexts.codes, targets, strict=True)
    ]
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    copies = {}  # the rows of each content: identical sequences, in order
    for i, key in enumerate(full):
        same = copies.setdefault(key, [])
        same.append(i)
        parent[root(i)] = root(same[0])
    if contexts.augmented is not None:
        for i, augmented in enumerate(contexts.augmented):
            for copy in augmented:
                same = copies.get(state_codes(np.asarray(copy, dtype=np.int64)).tobytes())
                if same is not None:
                    parent[root(i)] = root(same[0])

    groups = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    # a group's hash depends on its content only, not on where its rows are
    order = sorted(
        groups.values(), key=lambda rows: (zlib.crc32(min(full[r] for r in rows), salt), rows[0])
    )
    # a group goes to validation if it is small and still fits: a common path (a process's
    # main variants, a standard cadence) stays in training, where leaving it out would cost
    # the most, and no single path takes more than a tenth of the validation share. A
    # common path gives validation its share of its identical copies instead, the last ones
    # (in a log ordered by time, the latest cases); its augmented copies are in training
    # with its other copies anyway
    largest = max(1, n_valid // 10)
    valid = []
    for same in copies.values():
        n_held_out = int(round(len(same) * fraction))
        if len(same) > largest and n_held_out:
            valid.extend(same[-n_held_out:])
    for rows in order:
        if len(rows) <= largest and len(valid) + len(rows) <= n_valid:
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


class UnsplitSequences(Dataset):
    """The training data of one call, whole sequences, as the net receives it before the split.

    Parameters
    ----------
    contexts : EncodedSequences
        Training contexts, with the codes of their augmented copies or None.
    targets : ndarray of shape (n_sequences,)
        The code of the state that follows each context, as an augmented copy holds it:
        what :func:`holdout_split` groups sequences by.
    salt : int
        Seed of the split, fixed per fit so that a sequence keeps its side across calls.
    make_dataset : callable
        ``make_dataset(rows, with_copies)`` returns the dataset the net trains or validates
        on: the sequences ``rows``, followed by their augmented copies if ``with_copies``.
    """

    def __init__(self, contexts, targets, salt, make_dataset):
        self.contexts = contexts
        self.targets = targets
        self.salt = salt
        self.make_dataset = make_dataset

    def __len__(self):
        return len(self.contexts)

    def __getitem__(self, i):
        raise TypeError("UnsplitSequences is split by WholeSequenceSplit before it is read.")


class WholeSequenceSplit:
    """skorch ``train_split``: hold out whole sequences, keep copies on their sequence's side.

    Only the training side's augmented copies are trained on; the validation side holds none.

    Parameters
    ----------
    fraction : float or None
        Share of the sequences to hold out, in (0, 1); None trains on every sequence and
        validates on none.
    """

    def __init__(self, fraction):
        self.fraction = fraction

    def __call__(self, dataset, y=None, **fit_params):
        """Split an :class:`UnsplitSequences` into training and validation datasets.

        Returns
        -------
        train, valid : Dataset, Dataset or None
            ``valid`` is None when ``fraction`` is None.
        """
        rows = np.arange(len(dataset))
        if self.fraction is None:
            return dataset.make_dataset(rows, with_copies=True), None
        rows, valid_rows = holdout_split(
            dataset.contexts, dataset.targets, self.fraction, dataset.salt
        )
        train = dataset.make_dataset(rows, with_copies=True)
        return train, dataset.make_dataset(valid_rows, with_copies=False)
