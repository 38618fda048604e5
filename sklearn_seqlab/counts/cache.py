"""A cache of the context's own states: what a sequence did, it tends to do again.

Chord progressions return to chords they have just played, and processes repeat their
activities, so the states of the context itself predict the next one beyond what the counts
of the whole corpus say: the cache language model of Kuhn and De Mori (1990). The cache is a
distribution over the classes, each state of the context weighted by how recent it is; a
count model mixes it with its own prediction (``VariableOrderMarkovClassifier(cache_weight=)``).

Songs also repeat their progressions: after ``F G`` a song that has played ``F G C`` before
is likely to play ``C`` again. An n-gram cache (``cache_order=n``) adds, for each length
``m`` from 1 to ``n - 1``, the states that followed the context's last ``m`` states where
they occurred earlier in it, as n-gram caches in language modelling do (Jelinek et al.,
1991; Goodman, 2001).
"""

import numpy as np

from ..encoded import N_RESERVED
from ..encoding import NO_CLASS, state_codes


def context_cache(contexts, code_to_class, n_classes, decay):
    """The recency-weighted share of each class among the states of each context.

    Parameters
    ----------
    contexts : EncodedSequences
        The contexts; only the codes of their predicted feature are read.
    code_to_class : ndarray of shape (n_codes,)
        The class of each input code, ``NO_CLASS`` for codes that are no class (padding,
        unknown states, states never followed by anything).
    n_classes : int
        Number of classes.
    decay : float in (0, 1]
        The weight of a state ``d`` positions before the last is ``decay ** d``; 1 weighs
        every state alike.

    Returns
    -------
    cache : ndarray of shape (n_contexts, n_classes)
        Rows sum to 1, or are all zero for a context with no state among the classes.
    """
    cache = np.zeros((len(contexts), n_classes))
    for i, codes in enumerate(contexts.codes):
        classes = code_to_class[state_codes(codes)]
        _add_weights(cache[i], classes, decay ** np.arange(len(classes) - 1, -1, -1.0))
    return _normalised(cache)


def follower_cache(contexts, code_to_class, n_classes, decay, length):
    """What followed the last ``length`` states of each context where they occurred before.

    Parameters
    ----------
    contexts : EncodedSequences
        The contexts; only the codes of their predicted feature are read.
    code_to_class : ndarray of shape (n_codes,)
        The class of each input code, ``NO_CLASS`` for codes that are no class.
    n_classes : int
        Number of classes.
    decay : float in (0, 1]
        A follower ``d`` positions before the context's last state weighs ``decay ** d``,
        so the latest repetition counts most.
    length : int >= 1
        Number of last states matched.

    Returns
    -------
    cache : ndarray of shape (n_contexts, n_classes)
        Rows sum to 1, or are all zero where the last ``length`` states never occurred
        before in the context (or hold an unknown state, which matches nothing).
    """
    cache = np.zeros((len(contexts), n_classes))
    for i, codes in enumerate(contexts.codes):
        codes = state_codes(codes)
        n = len(codes) - length  # the earlier windows start at 0 .. n - 1
        if n < 1 or np.any(codes[n:] < N_RESERVED):
            continue
        same = np.ones(n, dtype=bool)
        for j in range(length):
            same &= codes[j : n + j] == codes[n + j]
        followers = code_to_class[codes[length:][same]]
        _add_weights(cache[i], followers, decay ** (n - 1.0 - np.flatnonzero(same)))
    return _normalised(cache)


def _add_weights(row, classes, weights):
    """Add each weight to its class's cell of ``row``, skipping ``NO_CLASS``."""
    known = classes != NO_CLASS
    np.add.at(row, classes[known], weights[known])


def _normalised(cache):
    """``cache`` with each row divided by its sum (all-zero rows stay zero)."""
    totals = cache.sum(axis=1, keepdims=True)
    np.divide(cache, totals, out=cache, where=totals > 0)
    return cache


def sequence_caches(contexts, code_to_class, n_classes, decay, order):
    """The caches of an n-gram cache of ``order``: the states of each context
    (:func:`context_cache`), then the followers of its last 1, ..., ``order - 1`` states
    (:func:`follower_cache`), to be mixed in that order (:func:`mix_caches`)."""
    caches = [context_cache(contexts, code_to_class, n_classes, decay)]
    for length in range(1, order):
        caches.append(follower_cache(contexts, code_to_class, n_classes, decay, length))
    return caches


def mix_caches(proba, caches, weight):
    """Mix each cache into ``proba`` in turn with ``weight`` (:func:`mix_cache`).

    The longer matches come last, so they weigh most where they exist; a context whose last
    states never occurred before keeps the shorter caches' prediction.
    """
    for cache in caches:
        proba = mix_cache(proba, cache, weight)
    return proba


def mix_cache(proba, cache, weight):
    """``(1 - weight) * proba + weight * cache``, keeping ``proba`` where the cache is empty."""
    if weight == 0.0:
        return proba
    empty = ~cache.any(axis=1)
    mixed = (1.0 - weight) * proba + weight * cache
    mixed[empty] = proba[empty]
    return mixed
