"""Checks of fitted attributes that ``load_model`` set from a file.

Each class's ``_restore_derived`` calls these before it rebuilds what derives from its
fitted attributes: a file's values must fit the parameters and each other, or the file is
refused with a message that names the attribute. The file format's own checks (types,
finite floats, well-formed sparse matrices) ran already.
"""

import numbers

import numpy as np
from scipy import sparse


def check_array(value, name, shape, kinds, *, nonnegative=False):
    """An ndarray of ``shape`` (None: any size there) whose dtype kind is in ``kinds``."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in kinds:
        raise ValueError(f"{name} must be an array of kind {kinds!r}, got {_describe(value)}.")
    expected = tuple(n if n is not None else value.shape[i] for i, n in enumerate(shape))
    if value.shape != expected:
        raise ValueError(f"{name} has shape {value.shape}; the model needs shape {expected}.")
    if nonnegative and (value < 0).any():
        raise ValueError(f"{name} holds negative values.")
    return value


def check_matrix(value, name, shape, *, at_most=None):
    """A sparse matrix of counts or probabilities: ``shape``, no negative value."""
    if not sparse.issparse(value):
        raise ValueError(f"{name} must be a sparse matrix, got {_describe(value)}.")
    if value.shape != shape:
        raise ValueError(f"{name} has shape {value.shape}; the model needs shape {shape}.")
    check_array(value.data, name, (None,), "f", nonnegative=True)
    if at_most is not None and (value.data > at_most).any():
        raise ValueError(f"{name} holds values above {at_most}.")
    return value


def check_vocabulary(value, name, minimum=0):
    """A 1-D array of at least ``minimum`` distinct states."""
    check_array(value, name, (None,), "biufO")
    if len(value) < minimum:
        raise ValueError(f"{name} must hold at least {minimum} state(s).")
    if len(set(value.tolist())) < len(value):
        raise ValueError(f"{name} holds a state twice.")
    return value


def check_integer(value, name, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return value


def check_real(value, name, low, high, *, closed=True):
    """A float in [low, high], or in (low, high) if not ``closed``."""
    inside = low <= value <= high if closed else low < value < high
    if not isinstance(value, float) or not inside:
        bounds = f"[{low}, {high}]" if closed else f"({low}, {high})"
        raise ValueError(f"{name} must be a float in {bounds}, got {value!r}.")
    return value


def check_instance(value, name, classes):
    if not isinstance(value, classes):
        raise ValueError(f"{name} must be of type {classes}, got {_describe(value)}.")
    return value


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"a {type(value).__name__}"
