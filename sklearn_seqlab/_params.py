"""Declared parameter constraints, and the one checker that reads them.

Each estimator lists what each of its parameters may be in ``_parameter_constraints``, a
dict from the parameter's name to a list of alternatives, as scikit-learn's estimators do.
scikit-learn's own checker is private API, so this module is a small one of ours. An
alternative is a constraint object below, or None (the parameter may be None).
``NO_CHECK`` marks a parameter that only the data can check (a feature name, say).

A parameter with one constraint keeps that constraint's own message; a parameter with
several gets one message listing them. A value of a type no alternative takes raises a
TypeError, a value of the right type out of range a ValueError (an option that is not among
the allowed ones always raises a ValueError).
"""

import math
import numbers

import numpy as np

NO_CHECK = "no_check"


class Integer:
    """An integer (not a bool) >= ``minimum``; no lower bound when ``minimum`` is None."""

    def __init__(self, minimum=1):
        self.minimum = minimum

    def takes_type(self, value):
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    def holds(self, value):
        return self.takes_type(value) and (self.minimum is None or value >= self.minimum)

    def describe(self):
        return "an integer" if self.minimum is None else f"an integer >= {self.minimum}"

    def error(self, name, value):
        if not self.takes_type(value):
            return TypeError(f"{name} must be an integer, got {value!r}.")
        return ValueError(f"{name} must be >= {self.minimum}, got {value!r}.")


class Real:
    """A finite real number (not a bool) between ``low`` and ``high``.

    ``closed`` says which ends are allowed: "neither", "left", "right" or "both".
    """

    def __init__(self, low=0.0, high=1.0, closed="neither"):
        self.low, self.high, self.closed = low, high, closed

    def takes_type(self, value):
        return isinstance(value, numbers.Real) and not isinstance(value, bool)

    def holds(self, value):
        if not self.takes_type(value) or not math.isfinite(value):
            return False
        low_ok = value >= self.low if self.closed in ("left", "both") else value > self.low
        high_ok = value <= self.high if self.closed in ("right", "both") else value < self.high
        return low_ok and high_ok

    def interval(self):
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        return f"{left}{float(self.low)}, {float(self.high)}{right}"

    def describe(self):
        return f"a number in {self.interval()}"

    def error(self, name, value):
        if not self.takes_type(value):
            return TypeError(f"{name} must be a number, got {value!r}.")
        return ValueError(f"{name} must lie in {self.interval()}, got {value!r}.")


class Options:
    """One of the given values (compared by type and value, so 1 is not True).

    ``registry``, a mapping, gives the values instead: its keys at the time of the check,
    so that an entry added later (a module registered in ``MODULES``) is allowed.
    """

    def __init__(self, *values, registry=None):
        self._values, self.registry = values, registry

    @property
    def values(self):
        return self._values if self.registry is None else tuple(self.registry)

    def takes_type(self, value):
        return any(type(value) is type(v) for v in self.values)

    def holds(self, value):
        return any(value is v or (type(value) is type(v) and value == v) for v in self.values)

    def describe(self):
        return repr(self.values[0]) if len(self.values) == 1 else f"one of {list(self.values)}"

    def error(self, name, value):
        return ValueError(f"{name} must be one of {list(self.values)}, got {value!r}.")


class Instance:
    """A value that passes ``test``: a class, a tuple of classes, or a predicate.

    ``description`` completes "<name> must be ..." in the message.
    """

    def __init__(self, test, description):
        self.test, self.description = test, description

    def takes_type(self, value):
        return self.holds(value)

    def holds(self, value):
        if isinstance(self.test, (type, tuple)):
            return isinstance(value, self.test)
        return bool(self.test(value))

    def describe(self):
        return self.description

    def error(self, name, value):
        return TypeError(f"{name} must be {self.description}, got {type(value).__name__}.")


def is_callable(value):
    return callable(value)


RANDOM_STATE = [
    Integer(0),
    Instance(np.random.RandomState, "a numpy RandomState"),
    None,
]
"""The constraints of a ``random_state``: a seed, a ``RandomState`` or None."""


def check_params(estimator):
    """Check every parameter of ``estimator`` against its ``_parameter_constraints``.

    Raises
    ------
    TypeError
        If a value is of a type no alternative takes; the message names the parameter.
    ValueError
        If a value of a right type is out of range, or not among the options.
    """
    for name, alternatives in estimator._parameter_constraints.items():
        if alternatives == NO_CHECK:
            continue
        check_value(getattr(estimator, name), name, alternatives)


def check_value(value, name, alternatives):
    """Raise unless ``value`` satisfies one of ``alternatives`` (see the module's doc)."""
    if value is None and None in alternatives:
        return
    constraints = [c for c in alternatives if c is not None]
    if any(c.holds(value) for c in constraints):
        return
    if len(constraints) == 1:
        raise constraints[0].error(name, value)
    kinds = [c.describe() for c in constraints] + (["None"] if None in alternatives else [])
    error = ValueError if any(c.takes_type(value) for c in constraints) else TypeError
    raise error(f"{name} must be {' or '.join(kinds)}, got {value!r}.")
