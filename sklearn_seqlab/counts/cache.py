"""A cache of the context's own states: what a sequence did, it tends to do again.

Chord progressions return to chords they have just played, and processes repeat their
activities, so the states of the context itself predict the next one beyond what the counts
of the whole corpus say: the cache language model of Kuhn and De Mori (1990). The cache is a
distribution over the classes, each state of the context weighted by how recent it is; a
count model mixes it with its own prediction (``VariableOrderMarkovClassifier(cache_weight=)``).
"""

import numpy as np

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
        weights = decay ** np.arange(len(classes) - 1, -1, -1, dtype=np.float64)
        known = classes != NO_CLASS
        np.add.at(cache[i], classes[known], weights[known])
    totals = cache.sum(axis=1, keepdims=True)
    np.divide(cache, totals, out=cache, where=totals > 0)
    return cache


def mix_cache(proba, cache, weight):
    """``(1 - weight) * proba + weight * cache``, keeping ``proba`` where the cache is empty."""
    if weight == 0.0:
        return proba
    empty = ~cache.any(axis=1)
    mixed = (1.0 - weight) * proba + weight * cache
    mixed[empty] = proba[empty]
    return mixed
