"""Every parameter of every estimator is declared, and a bad value of each one is named."""

import math

import pytest

from sklearn_seqlab import (
    HybridClassifier,
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab._params import NO_CHECK, Integer, Options, Real
from sklearn_seqlab.augmentation import AugmenterChain, KeyTransposer, SubsequenceAugmenter
from sklearn_seqlab.chords import ChordNormalizer

X = [["C", "G", "Am", "F"], ["C", "F", "G", "C"]] * 3

ESTIMATORS = [
    StateEncoder(),
    MarkovClassifier(),
    VariableOrderMarkovClassifier(),
    NextStateClassifier(),
    HybridClassifier(),
    ChordNormalizer(),
    KeyTransposer(),
    SubsequenceAugmenter(),
    AugmenterChain([KeyTransposer()]),
]


def _use(estimator):
    """Call the public method that checks the parameters: fit, or an augmenter's call."""
    if callable(estimator):
        return estimator(X)
    return estimator.fit(X)


def _out_of_range(constraint):
    """A value of the type ``constraint`` takes that it refuses, or None if there is none."""
    if isinstance(constraint, Integer) and constraint.minimum is not None:
        return constraint.minimum - 1
    if isinstance(constraint, Real):
        return constraint.high + 1.0 if math.isfinite(constraint.high) else constraint.low - 1.0
    if isinstance(constraint, Options) and isinstance(constraint.values[0], str):
        return "not-an-option"
    return None


def _cases():
    for estimator in ESTIMATORS:
        for name, alternatives in estimator._parameter_constraints.items():
            if alternatives != NO_CHECK:
                yield pytest.param(estimator, name, id=f"{type(estimator).__name__}.{name}")


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_every_parameter_is_declared(estimator):
    assert set(estimator.get_params(deep=False)) == set(estimator._parameter_constraints)


@pytest.mark.parametrize("estimator, name", _cases())
def test_a_value_of_a_wrong_type_is_named(estimator, name):
    bad = estimator.__class__(**{**estimator.get_params(deep=False), name: object()})
    with pytest.raises((TypeError, ValueError), match=name):
        _use(bad)


def _out_of_range_cases():
    """A value out of range for each parameter that has one: a type with limits or options
    (a flag, a callable or a path has none)."""
    for case in _cases():
        estimator, name = case.values
        constraints = [c for c in estimator._parameter_constraints[name] if c is not None]
        for value in filter(lambda v: v is not None, map(_out_of_range, constraints)):
            # a value one alternative refuses may be another's (min_frequency: 0 is no share)
            if not any(c.holds(value) for c in constraints):
                yield pytest.param(estimator, name, value, id=f"{case.id}={value!r}")


@pytest.mark.parametrize("estimator, name, value", _out_of_range_cases())
def test_a_value_out_of_range_is_named(estimator, name, value):
    bad = estimator.__class__(**{**estimator.get_params(deep=False), name: value})
    with pytest.raises(ValueError, match=name):
        _use(bad)
