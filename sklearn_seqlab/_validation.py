"""Checks that turn what a user passes as sequences into plain Python lists.

One sample is one sequence. Every public estimator goes through these helpers, so that
a bad input gets the same clear message wherever it is passed.
"""

import math
import numbers
from collections.abc import Hashable, Iterable, Mapping
from collections.abc import Set as AbstractSet

import numpy as np
import scipy.sparse
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from ._params import Integer, Options, Real, check_value


def check_sequences(X, *, split_strings=False, min_length=0, name="X"):
    """Return ``X`` as a list of lists of hashable states.

    Parameters
    ----------
    X : iterable of sequences
        Lists or tuples of states, a pandas Series of lists, a 1-D object array of lists, or a
        2-D array whose rows are sequences.
    split_strings : bool, default=False
        Whether a string stands for a sequence of whitespace-separated states.
    min_length : int, default=0
        Smallest number of states a sequence may hold.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    sequences : list of list
        One list of states per sequence. The caller's data is never modified.

    Raises
    ------
    TypeError
        If ``X`` is not iterable, holds unhashable states, or ``X`` or one of its sequences
        is a set (whose order, and so every prediction, would depend on the hash seed).
    ValueError
        If ``X`` is empty, holds missing states (None or NaN), or a sequence is shorter than
        ``min_length``.
    """
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"{name} must be an iterable of sequences, got a single string {X[:40]!r}. "
            f"Wrap it in a list, e.g. [{X[:20]!r}.split()], or pass a list of such strings "
            "with split_strings=True."
        )
    if scipy.sparse.issparse(X):
        raise TypeError(
            f"Sparse input is not supported: {name} must hold sequences of states, not a "
            "sparse matrix."
        )
    if hasattr(X, "__array__") and not isinstance(X, Iterable):
        X = np.asarray(X)
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:  # a DataFrame: rows are sequences
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.ndim == 2:
            if X.shape[1] == 0:
                raise ValueError(
                    f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required: every "
                    f"sequence in {name} is empty."
                )
            X = X.tolist()
        elif X.ndim != 1:
            raise ValueError(
                f"{name} must be 1-D (one sequence per element) or 2-D (one sequence per row), "
                f"got an array of shape {X.shape}."
            )
    elif not isinstance(X, Iterable):
        raise TypeError(f"{name} must be an iterable of sequences, got {type(X).__name__}.")
    else:
        _check_ordered(X, name)

    sequences = []
    for i, seq in enumerate(X):
        sequences.append(_check_one_sequence(seq, i, split_strings, name))
    if not sequences:
        raise ValueError(f"{name} holds no sequences; at least one is required.")
    for i, seq in enumerate(sequences):
        if len(seq) < min_length:
            raise ValueError(
                f"{name}[{i}] has {len(seq)} state(s), but at least {min_length} are "
                "needed here. Remove such sequences first."
            )
    return sequences


def _check_one_sequence(seq, i, split_strings, name):
    if type(seq) is list or type(seq) is tuple:
        # the usual input, which passes every test below: spared the probing
        seq = list(seq)
        _check_states(seq, i, name)
        return seq
    if isinstance(seq, (str, bytes)):
        if split_strings:
            return seq.split()
        raise ValueError(
            f"{name}[{i}] is a string ({seq[:40]!r}), not a sequence of states. Pass a list "
            "of sequences such as [['C', 'G', 'Am']]; a flat list of states is one sequence "
            "and must be wrapped in a list. Use split_strings=True to split strings on "
            "whitespace."
        )
    if isinstance(seq, np.ndarray):
        if seq.ndim != 1:
            raise ValueError(f"{name}[{i}] must be 1-D, got an array of shape {seq.shape}.")
        seq = seq.tolist()
    elif hasattr(seq, "iloc"):
        seq = seq.tolist()
    elif isinstance(seq, Mapping) or not isinstance(seq, Iterable):
        raise ValueError(
            f"{name}[{i}] is a {type(seq).__name__}, not a sequence of states. {name} must "
            "hold one sequence per sample; a flat list of states is one sequence: Reshape your "
            "data as [X]."
        )
    else:
        _check_ordered(seq, f"{name}[{i}]")
    seq = list(seq)
    _check_states(seq, i, name)
    return seq


def _check_states(seq, i, name):
    """Raise on a missing, infinite, complex or unhashable state of ``seq``.

    Checked once per type of state rather than once per state, which is what makes
    validating large inputs cheap; any doubt goes to the state-by-state check, whose
    error names the first bad state.
    """
    kinds = set(map(type, seq))
    if kinds <= {str}:
        return
    if all(issubclass(kind, numbers.Real) for kind in kinds):
        try:
            if all(map(math.isfinite, seq)):
                return
        except (TypeError, OverflowError):
            pass  # the state-by-state check raises what it raised before
    elif all(_is_plain(kind) for kind in kinds):
        return
    _check_states_one_by_one(seq, i, name)


def _is_plain(kind):
    """Whether every value of type ``kind`` is a valid state: hashable, neither missing nor
    a number whose value must be checked."""
    return (
        kind is not type(None)
        and issubclass(kind, Hashable)
        and not issubclass(kind, numbers.Complex)
    )


def _check_states_one_by_one(seq, i, name):
    for state in seq:
        if state is None or (isinstance(state, numbers.Real) and not math.isfinite(state)):
            raise ValueError(
                f"{name}[{i}] holds a missing or infinite state ({state!r}); remove or replace it."
            )
        if isinstance(state, numbers.Complex) and not isinstance(state, numbers.Real):
            raise ValueError(f"Complex data not supported: {name}[{i}] holds {state!r}.")
        if not isinstance(state, Hashable):
            raise TypeError(
                f"{name}[{i}] holds a state of type {type(state).__name__}, which is not "
                "hashable; states must be hashable (strings, numbers, tuples)."
            )


def _check_ordered(values, name):
    """Refuse sets: their iteration order depends on ``PYTHONHASHSEED``, so a sequence read
    from one, and every prediction made from it, would change from one run to the next."""
    if isinstance(values, AbstractSet):
        raise TypeError(
            f"{name} is a {type(values).__name__}, which has no order; sequences (and the "
            "list of sequences) must be ordered, e.g. lists or tuples."
        )


def sorted_states(states):
    """Sort distinct states, with a clear error when they cannot be ordered.

    Parameters
    ----------
    states : iterable of hashable
        Distinct states.

    Returns
    -------
    states : ndarray of shape (n_states,)
        Sorted states; numeric when every state is a number, else of object dtype.
    """
    states = list(states)
    kinds = {_kind(s) for s in states}
    if len(kinds) > 1:
        raise TypeError(
            "States of mixed types cannot be ordered: found "
            f"{', '.join(sorted(kinds))}. Convert all states to one type (e.g. str)."
        )
    try:
        states = sorted(states)
    except TypeError as exc:
        raise TypeError(f"States cannot be ordered: {exc}. Use states of one type.") from None
    return as_state_array(states)


def _kind(state):
    if isinstance(state, (bool, np.bool_)):
        return "bool"
    if isinstance(state, numbers.Number):
        return "number"
    return type(state).__name__


def as_state_array(states):
    """Return a 1-D array of states without letting NumPy split tuple states."""
    states = list(states)
    if states and all(isinstance(s, numbers.Number) and not isinstance(s, bool) for s in states):
        return np.asarray(states)
    out = np.empty(len(states), dtype=object)
    out[:] = states
    return out


def check_targets(y, n_sequences):
    """Return ``y`` as a list of states of length ``n_sequences``.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D, differs in length from ``X``, or holds missing states.
    """
    if isinstance(y, (str, bytes)):
        raise TypeError("y must be an array-like of states, got a single string.")
    if hasattr(y, "__array__") and not isinstance(y, Iterable):
        y = np.asarray(y)
    if hasattr(y, "iloc"):
        if getattr(y, "ndim", 1) != 1:
            raise ValueError("y must be 1-D: one next state per sequence.")
        y = y.tolist()
    elif isinstance(y, np.ndarray):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # a column vector, as scikit-learn accepts it
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D: one next state per sequence; got shape {y.shape}.")
        y = y.tolist()
    else:
        _check_ordered(y, "y")
        y = list(y)
    if len(y) != n_sequences:
        raise ValueError(f"y has {len(y)} entries but X has {n_sequences} sequences.")
    _check_one_sequence(y, 0, False, "y")
    if all(isinstance(s, numbers.Real) for s in y) and type_of_target(y) == "continuous":
        raise ValueError(
            "Unknown label type: y is continuous (non-integer floats); y must hold states. "
            "Convert them to integers or strings if they are categories."
        )
    return y


def check_option(value, name, options):
    """Raise a ValueError naming ``name`` unless ``value`` is one of ``options``."""
    check_value(value, name, [Options(*options)])


def check_size(value, name, *, minimum=1, allow_none=False):
    """Raise unless ``value`` is an integer >= ``minimum`` (or None when allowed)."""
    check_value(value, name, [Integer(minimum)] + ([None] if allow_none else []))


def check_fraction(value, name, *, low=0.0, high=1.0, allow_none=False, closed="neither"):
    """Raise unless ``value`` is a real number inside (``low``, ``high``)."""
    check_value(value, name, [Real(low, high, closed)] + ([None] if allow_none else []))
