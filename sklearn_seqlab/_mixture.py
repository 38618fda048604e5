"""The statistics of choosing a mixture on a validation split.

:class:`~sklearn_seqlab.hybrid.HybridClassifier` scores every weight of ``MIX_GRID`` on the
next states of held-out sequences, and keeps a mixture only when its gain over the count model
alone is larger than chance; these helpers compute the scores and the test.
"""

import numpy as np

MIX_GRID = np.linspace(0.0, 1.0, 21)
"""The network weights tried; the one with the best validation log-likelihood is kept."""


def group_index(groups):
    """The index of each label's group among the distinct labels."""
    index = {}
    return np.array([index.setdefault(label, len(index)) for label in groups.tolist()])


def target_proba(proba, targets):
    """The probability of each known target (``targets >= 0``; -1 is a state never seen)."""
    known = targets >= 0
    return proba[np.flatnonzero(known), targets[known]]


def hits(proba, targets):
    """Whether the most probable state of ``proba`` is each known target (``>= 0``)."""
    known = targets >= 0
    return proba[known].argmax(axis=1) == targets[known]


def n_right(proba, targets):
    """How many of the known ``targets`` (``>= 0``) the most probable state of ``proba`` is."""
    return int(np.sum(hits(proba, targets)))


def smoothed(values):
    """Each value averaged with its two neighbours' (an end with itself twice): how often a
    weight of ``MIX_GRID`` is right, freed of the luck of a single weight."""
    return np.convolve(np.pad(values, 1, mode="edge"), np.ones(3) / 3.0, mode="valid")


def more_accurate(right, other):
    """Whether a model that predicts ``right`` next states right beats one with ``other``:
    strictly, so that a tie keeps what was there."""
    return right > other


def log_proba(proba):
    """The log of probabilities, a zero taken as 1e-300: a miss costs much, not everything."""
    return np.log(np.maximum(proba, 1e-300))


def mixture_log_proba(p_net, p_count):
    """Log-probability of each target (columns) under each weight of ``MIX_GRID`` (rows)."""
    return log_proba(
        MIX_GRID[:, None] * p_net[None, :] + (1.0 - MIX_GRID[:, None]) * p_count[None, :]
    )


def significant_gain(gain, sequence, n_standard_errors):
    """Whether the mean gain per prefix exceeds ``n_standard_errors`` standard errors.

    The prefixes of one sequence share their context, so they are not independent: the
    error is that of a ratio estimate over sequences (each one's summed gain and its number
    of prefixes). With fewer than two sequences no error can be taken: a gain then counts
    only when ``n_standard_errors`` is 0.
    """
    total = np.bincount(sequence, weights=gain)
    size = np.bincount(sequence)
    total, size = total[size > 0], size[size > 0]
    mean = total.sum() / size.sum()
    if len(total) < 2:
        return mean > 0.0 and n_standard_errors == 0.0
    residual = total - size * mean
    error = np.sqrt(len(total) / (len(total) - 1) * np.sum(residual**2)) / size.sum()
    return mean > n_standard_errors * error
