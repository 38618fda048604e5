"""Synthetic sequence generators, seeded by ``random_state``."""

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_fraction, check_size


def make_markov_sequences(
    n_sequences=1000,
    *,
    n_states=10,
    order=1,
    min_length=5,
    max_length=20,
    concentration=0.1,
    return_transitions=False,
    random_state=None,
):
    """Draw sequences from a random k-th-order Markov chain.

    Each context of ``order`` states gets its own next-state distribution, drawn from a
    symmetric Dirichlet; a small ``concentration`` makes the chain nearly deterministic. The
    first ``order`` states of a sequence are uniform.

    Parameters
    ----------
    n_sequences : int, default=1000
        Number of sequences.
    n_states : int, default=10
        Number of distinct states, named ``"s00"``, ``"s01"``, ...
    order : int, default=1
        How many previous states the next one depends on.
    min_length, max_length : int, default=5, 20
        Sequence lengths are uniform in ``[min_length, max_length]``.
    concentration : float, default=0.1
        Dirichlet concentration of each next-state distribution.
    return_transitions : bool, default=False
        Whether to also return the chain.
    random_state : int, RandomState instance or None, default=None
        Seed of the chain and of the draws.

    Returns
    -------
    sequences : list of list of str
        The sequences.
    transitions : ndarray of shape (n_states,) * (order + 1)
        ``transitions[a, b, ..., :]`` is the next-state distribution after ``a, b, ...``;
        returned when ``return_transitions`` is True.
    states : ndarray of shape (n_states,)
        The state names, in the order of the transition axes; returned with ``transitions``.

    Examples
    --------
    >>> from sklearn_seqlab.datasets import make_markov_sequences
    >>> X = make_markov_sequences(3, n_states=4, min_length=3, max_length=3, random_state=0)
    >>> len(X), len(X[0])
    (3, 3)
    """
    check_size(n_sequences, "n_sequences")
    check_size(n_states, "n_states", minimum=2)
    check_size(order, "order")
    check_size(min_length, "min_length", minimum=order + 1)
    check_size(max_length, "max_length", minimum=min_length)
    check_fraction(concentration, "concentration", high=np.inf)
    rng = check_random_state(random_state)
    width = len(str(n_states - 1))
    states = np.array([f"s{i:0{width}d}" for i in range(n_states)], dtype=object)
    transitions = rng.dirichlet(np.full(n_states, concentration), size=(n_states,) * order)
    cumulative = np.cumsum(transitions, axis=-1)

    lengths = rng.randint(min_length, max_length + 1, size=n_sequences)
    sequences = []
    for length in lengths:
        seq = list(rng.randint(n_states, size=order))
        draws = rng.random_sample(length - order)
        for u in draws:
            cdf = cumulative[tuple(seq[-order:])]
            seq.append(min(int(np.searchsorted(cdf, u, side="right")), n_states - 1))
        sequences.append(states[seq].tolist())
    if return_transitions:
        return sequences, transitions, states
    return sequences
