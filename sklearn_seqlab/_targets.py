"""The next state at every position: what every model of the package learns to predict.

A context of states ``s[0], ..., s[n-1]`` followed by its target gives ``n`` examples: the
prefix ending at position ``i`` is followed by ``s[i + 1]``, and the whole context by the
target. The count models count these examples, the networks' loss reads them (with
``train_on="last"`` a mask keeps the last position alone), and the unknown-state estimate
and the hybrid's mixture weight are taken over them. One definition keeps the models
comparable.
"""

import numpy as np

from .encoding import NO_CLASS, state_codes


def check_has_target(lengths, name="X"):
    """Raise unless every sequence has a state left to be the context of its last one.

    Parameters
    ----------
    lengths : array-like of int
        The number of states of each sequence.
    name : str, default="X"
        Name used in the error message.
    """
    short = np.flatnonzero(np.asarray(lengths) < 2)
    if short.size:
        i = short[0]
        raise ValueError(
            f"With y=None the target of each sequence is its last state, so each needs at "
            f"least 2 states; {name}[{i}] has {lengths[i]}. Remove such sequences or pass y."
        )


def split_last(sequences, name="X"):
    """Split trusted lists of states into contexts (all but the last) and targets (the last).

    Raises
    ------
    ValueError
        If a sequence holds fewer than 2 states, so no context is left.
    """
    check_has_target([len(seq) for seq in sequences], name)
    return [seq[:-1] for seq in sequences], [seq[-1] for seq in sequences]


def split_last_codes(encoded):
    """Split :class:`EncodedSequences` into contexts and the codes of their last states.

    Returns
    -------
    contexts : EncodedSequences
        The sequences without their last events; augmented copies are kept as they are
        (whole sequences).
    last : ndarray of shape (n_sequences,)
        The code of each sequence's last state (of the predicted feature).
    """
    check_has_target(encoded.lengths)
    last = np.fromiter((state_codes(c)[-1] for c in encoded.codes), np.int64, len(encoded))
    return encoded.with_codes([c[:-1] for c in encoded.codes], encoded.augmented), last


def next_classes(contexts, targets, code_to_class):
    """The class of the state that follows every position of every context.

    Parameters
    ----------
    contexts : EncodedSequences
        Non-empty contexts.
    targets : ndarray of shape (n_sequences,)
        The class that follows each whole context (``NO_CLASS`` for a state outside the
        classes).
    code_to_class : ndarray of shape (n_codes,)
        The class of each input code, ``NO_CLASS`` for codes that are no class.

    Returns
    -------
    classes : ndarray of shape (n_positions,)
        Positions of all contexts one after another: ``classes[offsets[i] + t]`` follows
        ``contexts[i][: t + 1]``.
    offsets : ndarray of shape (n_sequences + 1,)
        Where each context's positions start, and the total at the end.
    """
    offsets = np.zeros(len(contexts) + 1, dtype=np.int64)
    np.cumsum(contexts.lengths, out=offsets[1:])
    if not len(contexts):
        return np.empty(0, dtype=np.int64), offsets
    codes = np.concatenate([state_codes(c) for c in contexts.codes])
    classes = np.empty(len(codes), dtype=np.int64)
    # each state is followed by the next one of its context; the last one by the target
    classes[:-1] = code_to_class[codes[1:]]
    classes[offsets[1:] - 1] = targets
    return classes, offsets


def last_only(classes, offsets):
    """``classes`` with every position but the last of each context masked as NO_CLASS."""
    masked = np.full_like(classes, NO_CLASS)
    masked[offsets[1:] - 1] = classes[offsets[1:] - 1]
    return masked


def per_context(values, offsets):
    """Cut the flat per-position ``values`` back into one array per context."""
    return np.split(values, offsets[1:-1])
