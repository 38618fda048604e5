"""Next-state metrics, and scorers that derive ``y`` from ``X`` as ``score`` does.

scikit-learn's string scorers (``scoring="accuracy"``) need a ``y``; with ``y=None`` the
targets are the last states of the sequences, so these scorers take ``(estimator, X,
y=None)`` and split the targets off themselves. Pass them as ``scoring=`` to
``cross_validate``, ``GridSearchCV`` or ``RandomizedSearchCV``, alone or in a dict::

    cross_validate(pipe, X, cv=5, scoring={"accuracy": accuracy_scorer,
                                           "top3": make_top_k_scorer(3),
                                           "perplexity": neg_perplexity_scorer})

Scorers are greater-is-better, so log-loss and perplexity are negated.

A true next state never seen in training (outside ``classes_``) is never skipped: it counts
as a miss for the accuracies, and for log-loss and perplexity it gets the model's
``unknown_proba_`` while a known state gets ``(1 - unknown_proba_) * p``, so the
probabilities scored form one distribution over the known states and "something new".
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._base import derive_targets, next_state_accuracy, predict_proba_checked
from ._validation import check_size
from .encoding import N_RESERVED, NO_CLASS


def _class_indices(y_true, classes):
    index = {s: i for i, s in enumerate(np.asarray(classes).tolist())}
    return np.array([index.get(t, NO_CLASS) for t in y_true], dtype=np.int64)


def _check_proba(proba, n):
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[0] != n:
        raise ValueError(f"proba must have shape (n_sequences={n}, n_classes), got {proba.shape}.")
    return proba


def top_k_accuracy(y_true, proba, classes, *, k=3):
    """Fraction of true next states among the ``k`` most probable ones.

    Parameters
    ----------
    y_true : array-like of shape (n_sequences,)
        True next states.
    proba : ndarray of shape (n_sequences, n_classes)
        Predicted probabilities, columns following ``classes``.
    classes : array-like of shape (n_classes,)
        The states of the columns.
    k : int, default=3
        How many of the most probable states count as a hit.

    Returns
    -------
    accuracy : float
        A state outside ``classes`` is a miss.
    """
    check_size(k, "k")
    truth = _class_indices(y_true, classes)
    proba = _check_proba(proba, len(truth))
    top = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    return float(np.mean((top == truth[:, None]).any(axis=1)))


def next_state_log_loss(y_true, proba, classes, *, unknown_proba):
    """Mean negative natural-log probability given to the true next state.

    Parameters
    ----------
    y_true : array-like of shape (n_sequences,)
        True next states.
    proba : ndarray of shape (n_sequences, n_classes)
        Predicted probabilities, columns following ``classes``.
    classes : array-like of shape (n_classes,)
        The states of the columns.
    unknown_proba : float
        Probability the model gives to a state outside ``classes``; known states are scaled
        by ``1 - unknown_proba``. In (0, 1).

    Returns
    -------
    log_loss : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seqlab.metrics import next_state_log_loss
    >>> round(next_state_log_loss(["a", "z"], np.array([[0.5, 0.5], [0.9, 0.1]]), ["a", "b"],
    ...                           unknown_proba=0.1), 3)
    1.551
    """
    if not 0 < unknown_proba < 1:
        raise ValueError(f"unknown_proba must lie in (0, 1), got {unknown_proba!r}.")
    truth = _class_indices(y_true, classes)
    proba = _check_proba(proba, len(truth))
    known = truth != NO_CLASS
    p = np.full(len(truth), unknown_proba)
    p[known] = (1 - unknown_proba) * proba[np.flatnonzero(known), truth[known]]
    # a probability that underflowed to 0 would make the mean infinite
    return float(-np.mean(np.log(np.maximum(p, np.finfo(np.float64).tiny))))


def perplexity(y_true, proba, classes, *, unknown_proba):
    """``exp`` of :func:`next_state_log_loss`: the effective number of equally likely states.

    Parameters are those of :func:`next_state_log_loss`.

    Returns
    -------
    perplexity : float
    """
    return float(np.exp(next_state_log_loss(y_true, proba, classes, unknown_proba=unknown_proba)))


def embedding_similarity(y_true, y_pred, embeddings, states):
    """Mean cosine similarity between the learned embeddings of predicted and true states.

    A secondary metric in the spirit of SeqLab's "semantic similarity": a wrong prediction
    that the model embeds near the true state scores higher than a distant one. It depends
    on the model's own embedding, so compare it only between fits of one model kind.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_sequences,)
        True and predicted states.
    embeddings : ndarray of shape (n_states, dim)
        One embedding per state of ``states``.
    states : array-like of shape (n_states,)
        The states of the embedding rows.

    Returns
    -------
    similarity : float
        In [-1, 1]; a state without an embedding (never seen) scores 0.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = embeddings / np.where(norms > 0, norms, 1.0)
    t = _class_indices(y_true, states)
    p = _class_indices(y_pred, states)
    both = (t != NO_CLASS) & (p != NO_CLASS)
    sims = np.zeros(len(t))
    sims[both] = np.einsum("ij,ij->i", unit[t[both]], unit[p[both]])
    return float(np.mean(sims))


# ---- scorers ---------------------------------------------------------------------------------


def _final(estimator):
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    check_is_fitted(final)
    return final


def _contexts(estimator, X, y):
    """``(final estimator, contexts, y_true)``, with X seen exactly as ``score`` sees it.

    A Pipeline's ``score`` transforms the whole sequences first and splits the target off
    the transformed data; so do the scorers. Splitting first would truncate (``max_length``)
    a different window, and would not read strings as ``split_strings`` says.
    """
    if isinstance(estimator, Pipeline):
        final = estimator[-1]
        check_is_fitted(final)
        X = estimator[:-1].transform(X)
    else:
        final = estimator
    contexts, y_true = derive_targets(X, y)
    return final, contexts, y_true


def _predicted(estimator, X, y):
    final, contexts, y_true = _contexts(estimator, X, y)
    return y_true, predict_proba_checked(final, contexts), final.classes_


def accuracy_scorer(estimator, X, y=None):
    """Next-state accuracy of a fitted estimator or pipeline; ``y=None`` takes last states."""
    y_true, proba, classes = _predicted(estimator, X, y)
    return next_state_accuracy(y_true, np.asarray(classes)[proba.argmax(axis=1)])


def _ranking_scorer(metric, k, name):
    """A scorer ``(estimator, X, y=None)`` of ``metric(y_true, proba, classes, k=k)``."""
    check_size(k, "k")

    def scorer(estimator, X, y=None):
        y_true, proba, classes = _predicted(estimator, X, y)
        return metric(y_true, proba, classes, k=k)

    scorer.__name__ = name
    return scorer


def make_top_k_scorer(k=3):
    """A scorer of top-``k`` next-state accuracy.

    Parameters
    ----------
    k : int, default=3
        How many of the most probable states count as a hit.

    Returns
    -------
    scorer : callable ``(estimator, X, y=None) -> float``
    """
    return _ranking_scorer(top_k_accuracy, k, f"top_{k}_accuracy_scorer")


def neg_log_loss_scorer(estimator, X, y=None):
    """Negated :func:`next_state_log_loss` (greater is better)."""
    y_true, proba, classes = _predicted(estimator, X, y)
    unknown = _final(estimator).unknown_proba_
    return -next_state_log_loss(y_true, proba, classes, unknown_proba=unknown)


def neg_perplexity_scorer(estimator, X, y=None):
    """Negated :func:`perplexity` (greater is better)."""
    y_true, proba, classes = _predicted(estimator, X, y)
    return -perplexity(y_true, proba, classes, unknown_proba=_final(estimator).unknown_proba_)


def embedding_similarity_scorer(estimator, X, y=None):
    """:func:`embedding_similarity` with the embedding a ``NextStateClassifier`` learned."""
    final = _final(estimator)
    if not hasattr(final, "net_"):
        raise TypeError(
            f"embedding_similarity_scorer needs a NextStateClassifier, which learns state "
            f"embeddings; {type(final).__name__} has none."
        )
    _, contexts, y_true = _contexts(estimator, X, y)
    y_pred = np.asarray(final.classes_)[predict_proba_checked(final, contexts).argmax(axis=1)]
    weight = final.net_.module_.embedding.weight.detach().cpu().numpy()
    # embedding rows are input codes; keep the rows of states that are also classes
    to_class = final._code_to_class
    codes = np.flatnonzero(to_class != NO_CLASS)
    codes = codes[codes >= N_RESERVED]
    states = np.asarray(final.classes_)[to_class[codes]]
    return embedding_similarity(y_true, y_pred, weight[codes], states)


SCORERS = {
    "accuracy": accuracy_scorer,
    "top_3_accuracy": make_top_k_scorer(3),
    "neg_log_loss": neg_log_loss_scorer,
    "neg_perplexity": neg_perplexity_scorer,
}
"""The main scorers by name, ready for ``cross_validate(..., scoring=SCORERS)``."""

__all__ = [
    "SCORERS",
    "accuracy_scorer",
    "embedding_similarity",
    "embedding_similarity_scorer",
    "make_top_k_scorer",
    "neg_log_loss_scorer",
    "neg_perplexity_scorer",
    "next_state_accuracy",
    "next_state_log_loss",
    "perplexity",
    "top_k_accuracy",
]


# ---- ranking metrics (session and recommendation style) --------------------------------------


def _true_ranks(y_true, proba, classes):
    """Rank (1 = most probable) of each true state, ties in the order of ``classes`` as in
    :func:`top_k_accuracy`; 0 for a state outside ``classes``."""
    truth = _class_indices(y_true, classes)
    proba = _check_proba(proba, len(truth))
    order = np.argsort(-proba, axis=1, kind="stable")
    ranks = np.zeros(len(truth), dtype=np.int64)
    known = np.flatnonzero(truth != NO_CLASS)
    ranks[known] = np.argmax(order[known] == truth[known, None], axis=1) + 1
    return ranks


def mrr_at_k(y_true, proba, classes, *, k=10):
    """Mean reciprocal rank of the true next state among the ``k`` most probable ones.

    A true state at rank ``r <= k`` (1 = the most probable) scores ``1 / r``; one ranked
    below ``k``, or outside ``classes``, scores 0. Ties are ranked in the order of
    ``classes``, as :func:`top_k_accuracy` ranks them.

    Parameters
    ----------
    y_true : array-like of shape (n_sequences,)
        True next states.
    proba : ndarray of shape (n_sequences, n_classes)
        Predicted probabilities, columns following ``classes``.
    classes : array-like of shape (n_classes,)
        The states of the columns.
    k : int, default=10
        Cut-off rank.

    Returns
    -------
    mrr : float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seqlab.metrics import mrr_at_k
    >>> proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
    >>> mrr_at_k(["b", "a"], proba, ["a", "b", "c"], k=3)  # ranks 2 and 3
    0.41666...
    >>> mrr_at_k(["b", "a"], proba, ["a", "b", "c"], k=2)  # rank 3 is past the cut-off
    0.25
    """
    check_size(k, "k")
    ranks = _true_ranks(y_true, proba, classes)
    hits = (ranks >= 1) & (ranks <= k)
    return float(np.mean(np.where(hits, 1.0 / np.maximum(ranks, 1), 0.0)))


def recall_at_k(y_true, proba, classes, *, k=10):
    """Fraction of true next states among the ``k`` most probable ones (hit rate at ``k``).

    With one true next state per sequence, recall at ``k`` is the hit rate, and equals
    :func:`top_k_accuracy`; session-based recommendation reports it under this name.

    Parameters
    ----------
    y_true : array-like of shape (n_sequences,)
        True next states.
    proba : ndarray of shape (n_sequences, n_classes)
        Predicted probabilities, columns following ``classes``.
    classes : array-like of shape (n_classes,)
        The states of the columns.
    k : int, default=10
        Cut-off rank.

    Returns
    -------
    recall : float
        In [0, 1]; a state outside ``classes`` is a miss.
    """
    return top_k_accuracy(y_true, proba, classes, k=k)


def make_mrr_scorer(k=10):
    """A scorer of :func:`mrr_at_k` ``(estimator, X, y=None)``; ``y=None`` takes last states.

    Parameters
    ----------
    k : int, default=10
        Cut-off rank.

    Returns
    -------
    scorer : callable ``(estimator, X, y=None) -> float``
    """
    return _ranking_scorer(mrr_at_k, k, f"mrr_at_{k}_scorer")


def make_recall_scorer(k=10):
    """A scorer of :func:`recall_at_k` ``(estimator, X, y=None)``; ``y=None`` takes last states.

    Parameters
    ----------
    k : int, default=10
        Cut-off rank.

    Returns
    -------
    scorer : callable ``(estimator, X, y=None) -> float``
    """
    return _ranking_scorer(recall_at_k, k, f"recall_at_{k}_scorer")


__all__ += ["make_mrr_scorer", "make_recall_scorer", "mrr_at_k", "recall_at_k"]
