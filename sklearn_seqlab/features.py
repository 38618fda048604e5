"""Events with several features: split them into one sequence per feature, and code them.

A multi-feature event is a tuple (features by position) or a mapping (features by name), for
example ``("C:maj", "e")``, a chord with its melody note. :class:`~sklearn_seqlab.StateEncoder`
with ``target=`` predicts one feature and passes the others to the networks as extra inputs;
``state_features=`` derives extra features from the predicted state itself (a chord's root,
quality and bass), through the same path.
"""

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from ._validation import as_state_array, check_sequences, sorted_states

_PAD, _UNK, _N_RESERVED = 0, 1, 2  # as in encoding.py, which imports this module


def split_events(X, target):
    """Split sequences of events into the target feature's sequences and the others'.

    Parameters
    ----------
    X : iterable of sequences of tuples or mappings
        Every event has the same features.
    target : int or hashable
        Position (tuples) or key (mappings) of the predicted feature.

    Returns
    -------
    names : list
        Names (positions or keys) of the other features, in event order.
    target_sequences : list of list
        The predicted feature, one list per sequence.
    other_sequences : list of list of list
        For each other feature, one list of values per sequence.

    Raises
    ------
    TypeError
        If an event is neither a tuple nor a mapping.
    ValueError
        If events differ in their features, or ``target`` is not one of them.
    """
    if isinstance(X, (str, bytes, Mapping)) or not isinstance(X, Iterable):
        check_sequences(X)  # raises its own clear error for these
        raise TypeError(f"X must be an iterable of sequences of events, got {type(X).__name__}.")
    names, parsed = None, []
    for i, seq in enumerate(X):
        if isinstance(seq, (str, bytes, Mapping)) or not isinstance(seq, Iterable):
            raise ValueError(
                f"X[{i}] is a {type(seq).__name__}, not a sequence of events; X holds one "
                "sequence of events per sample."
            )
        events = []
        for j, event in enumerate(seq):
            keys, values = _fields(event, i, j, target)
            if names is None:
                if target not in keys:
                    raise ValueError(
                        f"target={target!r} is not a feature of the events; X[{i}][{j}] has "
                        f"features {keys}."
                    )
                names = keys
            elif keys != names:
                raise ValueError(
                    f"X[{i}][{j}] has features {keys}, but earlier events have {names}; every "
                    "event needs the same features."
                )
            events.append(values)
        parsed.append(events)
    if names is None:
        raise ValueError("X holds no events; at least one is required.")
    columns = [
        check_sequences([[e[k] for e in events] for events in parsed], name=f"X feature {name!r}")
        for k, name in enumerate(names)
    ]
    position = names.index(target)
    others = [n for n in names if n != target]
    return others, columns[position], [c for k, c in enumerate(columns) if k != position]


def _fields(event, i, j, target):
    if isinstance(event, Mapping):
        return list(event.keys()), list(event.values())
    if isinstance(event, (tuple, list)):
        return list(range(len(event))), list(event)
    raise TypeError(
        f"X[{i}][{j}] is a {type(event).__name__}, not an event: with target={target!r} "
        "every event is a tuple or a mapping of features."
    )


class FeatureVocabulary:
    """The codes of one extra feature: ``PAD`` 0, ``UNK`` 1, then the values sorted.

    Parameters
    ----------
    values : ndarray
        The distinct values, sorted (see :meth:`learn`).
    """

    def __init__(self, values):
        self.values = values
        self.index = {v: k + _N_RESERVED for k, v in enumerate(values.tolist())}

    @classmethod
    def learn(cls, sequences):
        """The vocabulary of the values in ``sequences`` (a list of lists)."""
        counts = Counter(v for seq in sequences for v in seq)
        return cls(as_state_array(sorted_states(counts).tolist()))

    def __len__(self):
        return len(self.values) + _N_RESERVED

    def __eq__(self, other):  # derived from the values alone
        return (
            isinstance(other, FeatureVocabulary) and self.values.tolist() == other.values.tolist()
        )

    __hash__ = None

    def encode(self, seq):
        """Codes of one sequence of values; a value not seen in ``fit`` is ``UNK``."""
        return np.fromiter((self.index.get(v, _UNK) for v in seq), dtype=np.int64, count=len(seq))


def derive_features(sequences, state_features):
    """Apply ``state_features`` to every state: one list of sequences per derived feature.

    Raises
    ------
    ValueError
        If ``state_features`` does not give tuples of one fixed length.
    """
    cache, width = {}, None
    for seq in sequences:
        for state in seq:
            if state in cache:
                continue
            derived = state_features(state)
            if not isinstance(derived, tuple) or (width is not None and len(derived) != width):
                raise ValueError(
                    f"state_features must return a tuple of the same length for every state; "
                    f"got {derived!r} for {state!r}."
                )
            width = len(derived)
            cache[state] = derived
    width = width or 0
    return [[[cache[s][d] for s in seq] for seq in sequences] for d in range(width)]
