"""The repetition structure of a sequence: which of its earlier states comes back next.

A song's chords change with its key, but the shape of its form does not: ``C G Am F C G``
and ``D A Bm G D A`` both read ``0 1 2 3 0 1``, each state replaced by its place among the
sequence's distinct states in the order they first occur. A count model of these indices,
learned on the whole corpus, says how likely the next state is a repeat of each earlier
state, or a new one; it learns from every song what the cache of
:mod:`sklearn_seqlab.counts.cache` assumes with one fixed weight. A new state's probability
is shared among the states not yet in the context as the count model shares it.
:class:`~sklearn_seqlab.VariableOrderMarkovClassifier` mixes this prediction into its own
(``repetition_weight``).
"""

import numpy as np

from ..encoded import N_RESERVED, EncodedSequences, state_codes
from ..encoding import NO_CLASS, UNK


def first_occurrences(codes):
    """Each state's index among the distinct states of ``codes`` in order of first
    occurrence (``5 9 5 7`` -> ``0 1 0 2``), and those distinct states."""
    seen = {}
    pattern = np.fromiter(
        (seen.setdefault(code, len(seen)) for code in codes.tolist()), np.int64, len(codes)
    )
    return pattern, np.fromiter(seen, np.int64, len(seen))


def repetition_sequences(contexts, targets, code_to_class):
    """The first-occurrence indices of each training sequence, its target included.

    Parameters
    ----------
    contexts : EncodedSequences
        The training contexts (the codes of their predicted feature are read).
    targets : ndarray of shape (n_sequences,)
        The class that follows each context, ``NO_CLASS`` for a state outside the classes.
    code_to_class : ndarray of shape (n_codes,)
        The class of each input code.

    Returns
    -------
    EncodedSequences
        The indices of each sequence of at least two states (its target included when it
        is a class), coded as states ``0, 1, ...``: a count model fitted on them with
        ``y=None`` learns which index comes next.
    """
    class_code = {int(c): code for code, c in enumerate(code_to_class.tolist()) if c != NO_CLASS}
    patterns = []
    for codes, target in zip(contexts.codes, targets.tolist(), strict=True):
        codes = state_codes(codes)
        if target != NO_CLASS:
            # a class with no input code never occurs in a context: a new state
            codes = np.append(codes, class_code.get(target, -1))
        if len(codes) >= 2:
            patterns.append(first_occurrences(codes)[0] + N_RESERVED)
    longest = max((int(p.max()) - N_RESERVED + 1 for p in patterns), default=0)
    # at least two indices, so that the count model has two classes to choose from
    return EncodedSequences(patterns, np.arange(max(longest, 2), dtype=np.int64))


def repetition_proba(model, contexts, proba, code_to_class):
    """The next state's probabilities from the repetition ``model``.

    Parameters
    ----------
    model : VariableOrderMarkovClassifier
        Fitted on :func:`repetition_sequences`.
    contexts : EncodedSequences
        The contexts to predict after.
    proba : ndarray of shape (n_contexts, n_classes)
        The count model's own probabilities, which share a new state's probability among
        the classes not in the context.
    code_to_class : ndarray of shape (n_codes,)
        The class of each input code.

    Returns
    -------
    ndarray of shape (n_contexts, n_classes)
        Rows sum to 1: a repeat of the ``k``-th distinct state of the context gets the
        model's probability of index ``k`` (renormalised over the indices that can come
        next: those of the context and one new one); an unknown state cannot be predicted,
        and its share goes to the others.
    """
    return spread_repetition(repetition_shares(model, contexts, code_to_class), proba)


def repetition_shares(model, contexts, code_to_class):
    """What the repetition ``model`` gives each context's states, and a new one.

    The part of :func:`repetition_proba` that does not depend on the count model's
    probabilities, so that count models of several orders with the same repetition model
    compute it once (:mod:`sklearn_seqlab._mixture_choice`).

    Returns
    -------
    tuple of ndarray
        ``(rows, classes, shares, new_share)``: each context state's row, class and
        probability (one entry per distinct state among the classes), and each row's
        probability of a new state.
    """
    n_indices = len(model.classes_)  # classes 0, 1, ...: every index seen in training
    patterns, distinct = [], []
    for codes in contexts.codes:
        pattern, states = first_occurrences(state_codes(codes))
        # an index beyond those seen in training is unknown to the model
        patterns.append(np.where(pattern < n_indices, pattern + N_RESERVED, UNK))
        distinct.append(states)
    index_proba = model._predict_proba(EncodedSequences(patterns, model.classes_))
    # every row at once: row ``i``'s ``k``-th distinct state gets index ``k``'s probability
    # (none beyond the indices seen in training), and a new state index ``len(states)``'s
    sizes = np.array([len(states) for states in distinct], dtype=np.int64)
    rows = np.repeat(np.arange(len(distinct)), sizes)
    ranks = np.arange(len(rows)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    states = np.concatenate(distinct) if len(rows) else np.zeros(0, dtype=np.int64)
    classes = code_to_class[states]
    shares = np.where(ranks < n_indices, index_proba[rows, np.minimum(ranks, n_indices - 1)], 0.0)
    new_share = np.where(
        sizes < n_indices,
        index_proba[np.arange(len(sizes)), np.minimum(sizes, n_indices - 1)],
        0.0,
    )
    inside = classes != NO_CLASS  # an unknown state cannot be predicted
    return rows[inside], classes[inside], shares[inside], new_share


def spread_repetition(shares, proba):
    """:func:`repetition_proba` from its :func:`repetition_shares`: a new state's share is
    spread over the classes not in the context as the count model's ``proba`` spreads it."""
    rows, classes, shares, new_share = shares
    new = proba.copy()
    new[rows, classes] = 0.0
    left = new.sum(axis=1)
    out = new * np.divide(new_share, left, out=np.zeros_like(left), where=left > 0)[:, None]
    np.add.at(out, (rows, classes), shares)
    total = out.sum(axis=1)
    kept = total > 0
    out[kept] /= total[kept, None]
    out[~kept] = proba[~kept]
    return out


def mix_repetition(proba, repeats, weight):
    """``(1 - weight) * proba + weight * repeats``: the repetition model's prediction
    (:func:`repetition_proba`) mixed into a count model's."""
    return (1.0 - weight) * proba + weight * repeats
