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

Sequences of one song, or phrases that repeat a song's loops with a chord changed, resemble
each other without being equal, so content alone cannot keep them together. The user's
``groups`` (one label per sequence, passed to ``fit``) can: with them, whole groups are held
out instead, taken in the order of a seeded hash of their labels while they fit in the
validation share, and validation looks like the test data of a split by group (new songs).

:class:`WholeSequenceSplit` is this split as skorch's ``train_split``: a net is built with it
once, and each ``fit``/``partial_fit`` call hands it the call's :class:`UnsplitSequences`.
"""

import zlib

import numpy as np
import pandas as pd
from torch.utils.data import Dataset

from .encoding import state_codes


def holdout_split(contexts, targets, fraction, salt, groups=None):
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
    groups : ndarray of shape (n_sequences,) or None
        A label per sequence, from :func:`check_groups`: sequences of one label stay on one
        side, and content is then not looked at. None groups by content.

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
    if groups is not None:
        return _holdout_groups(groups, n_valid, salt)
    copies, order = _content_groups(contexts, targets, salt)
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


def _content_groups(contexts, targets, salt):
    """The rows of each content (identical sequences, in order), and the groups of rows that
    must stay on one side (identical sequences, and a sequence with those equal to one of its
    augmented copies), in the order of a seeded hash of their content."""
    n = len(contexts)
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
    return copies, order


def _holdout_groups(groups, n_valid, salt):
    """Hold out whole groups of the user's labels, in the order of a seeded hash of each
    label, while they fit in ``n_valid`` rows; when none fits, the smallest group, whatever
    its share."""
    rows_of, order = _labels_in_hash_order(groups, salt)
    valid = []
    for label in order:
        if len(valid) + len(rows_of[label]) <= n_valid:
            valid.extend(rows_of[label])
    if not valid:  # every group is larger than the share
        valid = min((rows_of[label] for label in order), key=len)
    valid = np.sort(np.asarray(valid, dtype=np.int64))
    return np.setdiff1d(np.arange(len(groups)), valid), valid


def _labels_in_hash_order(groups, salt):
    """The rows of each label of ``groups``, and the labels in the order of a seeded hash of
    each (its type and text, not its rows, so that a group keeps its side whatever the order
    of the rows)."""
    rows_of = {}
    for i, label in enumerate(groups.tolist()):
        rows_of.setdefault(label, []).append(i)
    if len(rows_of) < 2:
        raise ValueError(
            f"groups holds a single group ({groups[0]!r}), so holding one out leaves nothing "
            "to train on; pass at least 2 groups, or groups=None."
        )
    order = sorted(
        rows_of, key=lambda label: (zlib.crc32(group_key(label), salt), group_key(label))
    )
    return rows_of, order


def holdout_folds(contexts, targets, n_folds, salt, groups=None):
    """Split sequences into up to ``n_folds`` validation folds that hold out each sequence
    at most once.

    The rules are :func:`holdout_split`'s for a share of ``1 / n_folds``. A common path, whose
    identical copies are more than a tenth of a fold and enough to give each fold a share of
    them, spreads its copies over the folds in their order: new data repeat it. Any other
    group (identical sequences, a sequence and those equal to one of its augmented copies, or
    a label of ``groups``) is held out whole, in one fold, if it is no larger than a fold.
    In the order of a seeded hash of its content (or label), each goes to the fold that holds
    the fewest sequences so far. A group larger than a fold, and the rest of a common path's
    group, stays in training in every fold, so that no fold trains on a small remainder.

    Unlike ``n_folds`` calls of :func:`holdout_split` with other salts, no sequence is held
    out twice, and all but those of the larger groups are held out once: on five such calls
    30% of McGill's training phrases were never held out (``benchmarks/README.md``,
    twenty-first round).

    Parameters
    ----------
    contexts, targets, salt, groups
        As for :func:`holdout_split`.
    n_folds : int
        Number of folds, at least 2.

    Returns
    -------
    list of (train_rows, valid_rows)
        Sorted row indices of each fold's two sides, for each fold that has sequences on
        both: fewer than ``n_folds`` pairs when fewer groups are small enough to hold out.
    """
    n = len(contexts)
    share = max(1, int(round(n / n_folds)))
    valid = [[] for _ in range(n_folds)]
    if groups is not None:
        rows_of, order = _labels_in_hash_order(groups, salt)
        units = [rows_of[label] for label in order if len(rows_of[label]) <= share]
    else:
        copies, order = _content_groups(contexts, targets, salt)
        largest = max(1, share // 10)
        spread = set()
        for same in copies.values():
            if len(same) > largest and round(len(same) / n_folds) >= 1:
                spread.update(same)
                for fold, chunk in enumerate(np.array_split(same, n_folds)):
                    valid[fold].extend(chunk.tolist())
        units = [rows for rows in order if len(rows) <= share and spread.isdisjoint(rows)]
    for rows in units:
        fold = min(range(n_folds), key=lambda f: len(valid[f]))
        valid[fold].extend(rows)
    folds = []
    for rows in valid:
        rows = np.sort(np.asarray(rows, dtype=np.int64))
        train = np.setdiff1d(np.arange(n), rows)
        if len(rows) and len(train):
            folds.append((train, rows))
    return folds


def check_groups(groups, n_sequences):
    """The group labels passed to ``fit``, as an array; None stays None.

    Parameters
    ----------
    groups : array-like of shape (n_sequences,) or None
        One hashable label per training sequence (a song, a case, a session). Labels equal
        in Python (``1``, ``1.0``, ``True``) are one group.
    n_sequences : int
        Number of training sequences.

    Returns
    -------
    groups : ndarray of shape (n_sequences,), dtype object, or None

    Raises
    ------
    TypeError
        If ``groups`` is a string or a scalar, is not one-dimensional, or holds an
        unhashable label.
    ValueError
        If ``groups`` has another length than the sequences, or a missing label.
    """
    if groups is None:
        return None
    if isinstance(groups, (str, bytes)) or not hasattr(groups, "__len__"):
        raise TypeError(
            "groups must be an array-like with one label per sequence, not a "
            f"{type(groups).__name__}."
        )
    # an array or a frame knows its dimensions; a nested list is found below, label by label
    if getattr(groups, "ndim", 1) != 1:
        raise TypeError(
            f"groups must be one-dimensional, one label per sequence; got shape {np.shape(groups)}."
        )
    labels = list(groups)
    if len(labels) != n_sequences:
        raise ValueError(
            f"groups has {len(labels)} labels for {n_sequences} sequences; pass one label per "
            "sequence of X."
        )
    # numpy scalars as Python values, so that a label is the same group in any container
    labels = [label.item() if isinstance(label, np.generic) else label for label in labels]
    for i, label in enumerate(labels):
        if _is_missing(label):
            raise ValueError(f"groups[{i}] is missing ({label!r}); every sequence needs a group.")
        try:
            hash(label)
        except TypeError:
            raise TypeError(
                f"groups[{i}] is a {type(label).__name__}, which cannot be a group label; use "
                "strings or numbers."
            ) from None
    out = np.empty(len(labels), dtype=object)
    out[:] = labels
    return out


def group_key(label):
    """The bytes that stand for a group label, its type's name and its text: ``1`` and
    ``"1"`` are different groups, in whatever container they came."""
    return f"{type(label).__name__}:{label}".encode()


def _is_missing(label):
    """Whether a label is a missing value (None, NaN, ``pd.NA``, ``pd.NaT``)."""
    return (
        label is None
        or label is pd.NA
        or label is pd.NaT
        or (isinstance(label, float) and label != label)
    )


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
    groups : ndarray of shape (n_sequences,) or None
        The group of each sequence (see :func:`holdout_split`), or None.
    make_dataset : callable
        ``make_dataset(rows, with_copies)`` returns the dataset the net trains or validates
        on: the sequences ``rows``, followed by their augmented copies if ``with_copies``.
    """

    def __init__(self, contexts, targets, salt, make_dataset, groups=None):
        self.contexts = contexts
        self.targets = targets
        self.salt = salt
        self.groups = groups
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
        if self.fraction is None:
            return dataset.make_dataset(np.arange(len(dataset)), with_copies=True), None
        rows, valid_rows = self._rows(dataset)
        train = dataset.make_dataset(rows, with_copies=True)
        return train, dataset.make_dataset(valid_rows, with_copies=False)

    def validation_set(self, dataset):
        """The validation side of the split of ``dataset`` alone, without building the
        training side and its copies; None when ``fraction`` is None."""
        if self.fraction is None:
            return None
        return dataset.make_dataset(self._rows(dataset)[1], with_copies=False)

    def _rows(self, dataset):
        return holdout_split(
            dataset.contexts, dataset.targets, self.fraction, dataset.salt, dataset.groups
        )
