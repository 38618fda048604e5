"""Is one model's accuracy really higher than another's? A paired test on the same contexts.

Two models scored on the same test contexts agree on most of them; only the contexts where
one is right and the other wrong say which is better. McNemar's test asks whether those
split more unevenly than a fair coin would. On Helpdesk's 1,993 test prefixes, for example,
a network and Kneser-Ney differ by 0.004 in accuracy, yet only one of them is right on just
23 prefixes, Kneser-Ney on 15 and the network on 8 (p = 0.21, ``benchmarks/README.md``): far
from a difference the data can establish.
"""

from typing import NamedTuple

import numpy as np
from scipy.stats import binomtest


class PairedAccuracyTest(NamedTuple):
    """The result of :func:`paired_accuracy_test`."""

    accuracy_a: float
    """Accuracy of the first model."""
    accuracy_b: float
    """Accuracy of the second model."""
    only_a: int
    """Contexts the first model predicts right and the second wrong."""
    only_b: int
    """Contexts the second model predicts right and the first wrong."""
    pvalue: float
    """Two-sided exact McNemar p-value: the chance of a split of the disagreements at least
    this uneven if both models were equally accurate (1.0 when they never disagree)."""


def paired_accuracy_test(y_true, y_pred_a, y_pred_b):
    """Compare the accuracy of two models on the same contexts (exact McNemar test).

    Parameters
    ----------
    y_true : array-like of shape (n_contexts,)
        True next states.
    y_pred_a, y_pred_b : array-like of shape (n_contexts,)
        The two models' predictions for the same contexts, in the same order. With
        cross-validation, concatenate the folds: each context is scored once.

    Returns
    -------
    result : PairedAccuracyTest
        Both accuracies, how often each model alone is right, and the two-sided p-value of
        the exact binomial test of ``only_a`` against ``only_a + only_b`` trials.

    Examples
    --------
    >>> from sklearn_seqlab.comparison import paired_accuracy_test
    >>> result = paired_accuracy_test(["C", "G", "F", "C"], ["C", "G", "F", "G"],
    ...                               ["C", "D", "Am", "G"])
    >>> result.only_a, result.only_b, round(result.pvalue, 2)
    (2, 0, 0.5)
    """
    truth, a, b = (list(v) for v in (y_true, y_pred_a, y_pred_b))
    if not len(truth) == len(a) == len(b):
        raise ValueError(
            f"y_true, y_pred_a and y_pred_b must be as long as each other, got {len(truth)}, "
            f"{len(a)} and {len(b)} states."
        )
    if not truth:
        raise ValueError("paired_accuracy_test needs at least one context, got none.")
    right_a = np.array([t == p for t, p in zip(truth, a, strict=True)], dtype=bool)
    right_b = np.array([t == p for t, p in zip(truth, b, strict=True)], dtype=bool)
    only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
    disagree = only_a + only_b
    pvalue = 1.0 if disagree == 0 else float(binomtest(only_a, disagree).pvalue)
    return PairedAccuracyTest(float(right_a.mean()), float(right_b.mean()), only_a, only_b, pvalue)
