"""Every bad input gets a clear error that names the problem, and nothing is lost.

Each case runs against every estimator (and the encoder where it applies), asserts the
exception type and message, and checks that a fitted estimator still predicts afterwards.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)

X = [["C", "G", "Am", "F", "C"], ["Am", "F", "C", "G"], ["G", "C", "F"], ["F", "G", "C"]] * 5
TINY = dict(embedding_dim=4, hidden_dim=4, max_epochs=1, patience=None, validation_fraction=None)

CLASSIFIERS = {
    "markov": lambda **kw: MarkovClassifier(**kw),
    "variable-order": lambda **kw: VariableOrderMarkovClassifier(**kw),
    "lstm": lambda **kw: NextStateClassifier(**{**TINY, "random_state": 0, **kw}),
    "attention": lambda **kw: NextStateClassifier("attention", **{**TINY, "random_state": 0, **kw}),
    "transformer": lambda **kw: NextStateClassifier(
        "transformer", **{**TINY, "nhead": 2, "random_state": 0, **kw}
    ),
}
ALL = {"encoder": lambda **kw: StateEncoder(**kw), **CLASSIFIERS}


@pytest.fixture(scope="module", params=list(CLASSIFIERS))
def fitted(request):
    return CLASSIFIERS[request.param]().fit(X)


def _still_works(model):
    if isinstance(model, StateEncoder):
        assert len(model.transform(X)) == len(X)
    else:
        assert model.predict(X[:2]).shape == (2,)


# ---- fit ---------------------------------------------------------------------------------------

BAD_X = [
    ("empty X", [], ValueError, "no sequences"),
    ("a single string", "C G Am", ValueError, "single string"),
    ("a flat list of strings", ["C", "G", "Am"], ValueError, "not a sequence of states"),
    ("a flat numeric array", np.arange(5), ValueError, "Reshape your data"),
    ("a 3-D array (one-hot)", np.zeros((3, 4, 2)), ValueError, "shape \\(3, 4, 2\\)"),
    ("None states", [["C", None, "G"]] * 3, ValueError, "missing"),
    ("NaN states", [[1.0, float("nan"), 2.0]] * 3, ValueError, "missing"),
    ("mixed types", [[1, "1", 2]] * 3, TypeError, "mixed types"),
    ("unhashable states", [[["C"], ["G"]]] * 3, TypeError, "not hashable"),
    ("a non-iterable", 42, TypeError, "iterable of sequences"),
    # a set's order depends on PYTHONHASHSEED, so the predictions would too
    ("a set as a sequence", [{"C", "G", "Am"}] * 3, TypeError, "set.*no order"),
    ("a frozenset as a sequence", [frozenset("CGA")] * 3, TypeError, "frozenset.*no order"),
    ("a mapping as a sequence", [{"C": 1, "G": 2}] * 3, ValueError, "dict.*not a sequence"),
    ("a set of sequences", {("C", "G"), ("G", "C")}, TypeError, "set.*no order"),
]


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("case, bad, error, match", BAD_X, ids=[c[0] for c in BAD_X])
def test_bad_X_in_fit(name, case, bad, error, match):
    with pytest.raises(error, match=match):
        ALL[name]().fit(bad)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_sequences_too_short_to_derive_y(name):
    with pytest.raises(ValueError, match="at least 2 states.*X\\[1\\] has 1"):
        CLASSIFIERS[name]().fit([["C", "G"], ["C"]])
    with pytest.raises(ValueError, match="X\\[0\\] has 0"):
        CLASSIFIERS[name]().fit([[], ["C", "G"]])


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_y_as_a_set_is_refused(name):
    with pytest.raises(TypeError, match="y is a set.*no order"):
        CLASSIFIERS[name]().fit([["C"], ["G"], ["F"]], {"G", "C", "F"})


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_y_of_the_wrong_length(name):
    with pytest.raises(ValueError, match="y has 2 entries but X has 3"):
        CLASSIFIERS[name]().fit([["C"], ["G"], ["F"]], ["G", "C"])


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_a_vocabulary_of_one_state(name):
    with pytest.raises(ValueError, match="Only 1 class.*'C'"):
        CLASSIFIERS[name]().fit([["C", "C", "C"]] * 4)


HYPER = {
    "encoder": [({"max_states": -1}, "max_states"), ({"handle_unknown": "x"}, "handle_unknown")],
    "markov": [({"alpha": -1.0}, "alpha"), ({"handle_unknown": "x"}, "handle_unknown")],
    "variable-order": [({"max_order": 0}, "max_order"), ({"method": "x"}, "method")],
    "lstm": [
        ({"hidden_dim": -8}, "hidden_dim"),
        ({"lr": 0.0}, "lr"),
        ({"lr": -1.0}, "lr"),
        ({"validation_fraction": 0.0, "patience": 1}, "validation_fraction"),
        ({"validation_fraction": 1.0, "patience": 1}, "validation_fraction"),
        ({"module": "gru"}, "module"),
        ({"num_layers": 0}, "num_layers"),
    ],
    "transformer": [
        ({"nhead": 0}, "nhead"),
        ({"nhead": 3}, "multiple of nhead=3"),
        ({"dim_feedforward": 0}, "dim_feedforward"),
    ],
}


@pytest.mark.parametrize(
    "name, params, match",
    [(name, p, m) for name, cases in HYPER.items() for p, m in cases],
)
def test_hyper_parameters_out_of_range(name, params, match):
    with pytest.raises(ValueError, match=match):
        ALL[name](**params).fit(X)


# ---- predict, transform ------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
def test_calling_before_fit(name):
    model = ALL[name]()
    method = model.transform if isinstance(model, StateEncoder) else model.predict
    with pytest.raises(NotFittedError):
        method(X)


# States of mixed types only fail where a vocabulary is sorted (fit); at predict time they
# are unknown states like any other.
BAD_X_PREDICT = [c for c in BAD_X if c[0] != "mixed types"]


@pytest.mark.parametrize(
    "case, bad, error, match", BAD_X_PREDICT, ids=[c[0] for c in BAD_X_PREDICT]
)
def test_bad_X_in_predict_keeps_the_model(fitted, case, bad, error, match):
    with pytest.raises(error, match=match):
        fitted.predict(bad)
    _still_works(fitted)


def test_empty_context_in_predict(fitted):
    with pytest.raises(ValueError, match="X\\[1\\] is empty"):
        fitted.predict([["C"], []])
    _still_works(fitted)


@pytest.mark.parametrize("name", list(ALL))
def test_unknown_states_under_handle_unknown_error(name):
    model = ALL[name](handle_unknown="error").fit(X)
    method = model.transform if isinstance(model, StateEncoder) else model.predict
    with pytest.raises(ValueError, match="previously unseen state.*'Bb'"):
        method([["C", "Bb"]])
    _still_works(model)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_unknown_states_are_predicted_from_by_default(name):
    model = CLASSIFIERS[name]().fit(X)
    assert model.predict([["Bb", "Eb"], ["C", "Bb"]]).shape == (2,)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_sequences_far_longer_than_seen(name):
    model = CLASSIFIERS[name]().fit(X)
    long = ["C", "G", "Am", "F"] * 500
    assert model.predict([long, ["C"]]).shape == (2,)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_input_of_another_encoder_with_a_vocabulary_of_the_same_size(name):
    enc_a = StateEncoder().fit([["a", "b", "c"]])
    enc_b = StateEncoder().fit([["x", "y", "z"]])
    model = CLASSIFIERS[name]().fit(enc_a.transform([["a", "b", "c", "a"]] * 6))
    with pytest.raises(ValueError, match="another vocabulary.*same StateEncoder"):
        model.predict(enc_b.transform([["x", "y"]]))
    # the same vocabulary from a refitted encoder is fine
    refit = StateEncoder().fit([["c", "a", "b"]])
    assert model.predict(refit.transform([["a", "b"]])).shape == (1,)


def test_encoder_max_length_keeps_the_most_recent_states():
    codes = StateEncoder(max_length=3).fit(X).transform([["C", "G", "Am", "F"] * 500])[0]
    assert len(codes) == 3


def test_partial_fit_with_a_new_state_keeps_the_model():
    model = CLASSIFIERS["lstm"]()
    model.partial_fit(X)
    before = model.predict_proba(X)
    with pytest.raises(ValueError, match="cannot learn new states.*'Bb'"):
        model.partial_fit([["C", "Bb", "G"]])
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_a_failed_fit_leaves_the_previous_model(fitted):
    before = fitted.predict_proba(X)
    with pytest.raises(ValueError):
        fitted.fit([])
    np.testing.assert_array_equal(fitted.predict_proba(X), before)


FAILING_REFITS = {
    "too few sequences to split": (dict(validation_fraction=0.1, patience=1), 3, ValueError),
    "validation_fraction=0.99": (dict(validation_fraction=0.99, patience=1), None, ValueError),
    "a callback that is no callback": (dict(callbacks=[object()]), None, TypeError),
    "an unknown device": (dict(device="bogus"), None, ValueError),
    "a device this machine lacks": (dict(device="cuda:99"), None, ValueError),
}


@pytest.mark.parametrize("case", list(FAILING_REFITS))
def test_a_failed_refit_keeps_every_fitted_attribute(case):
    params, n_sequences, error = FAILING_REFITS[case]
    model = CLASSIFIERS["lstm"]().fit(X)
    before = dict(vars(model))
    proba = model.predict_proba(X)
    data = [["x", "y", "z"], ["y", "z", "x"], ["z", "x", "y"]] if n_sequences else X
    with pytest.raises(error):
        model.set_params(**params).fit(data)
    assert vars(model).keys() == before.keys()
    assert all(vars(model)[key] is value for key, value in before.items() if key.endswith("_"))
    np.testing.assert_array_equal(model.predict_proba(X), proba)
    # and the estimator is usable again once the parameter is put right
    model.set_params(**CLASSIFIERS["lstm"]().get_params()).fit(X)
    assert model.predict(X[:2]).shape == (2,)


@pytest.mark.parametrize("device", ["bogus", "cuda:99", 3, "meta"])
def test_device_is_checked_at_fit(device):
    with pytest.raises((ValueError, TypeError), match="device"):
        CLASSIFIERS["lstm"](device=device).fit(X)


def test_a_failed_first_partial_fit_leaves_no_fitted_attribute():
    model = CLASSIFIERS["lstm"](validation_fraction=0.99, patience=1)
    with pytest.raises(ValueError, match="validation_fraction"):
        model.partial_fit(X)
    assert not [key for key in vars(model) if key.endswith("_") or key.startswith("_")]


# ---- property-based ----------------------------------------------------------------------------

STATES = st.one_of(
    st.text(max_size=3),
    st.integers(-3, 3),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
    st.booleans(),
)
SEQUENCES = st.lists(st.lists(STATES, max_size=6), max_size=8)
# What fit and predict may raise on arbitrary input: documented errors, nothing from deep inside
DOCUMENTED = (ValueError, TypeError)


def _fit_predict(model, data):
    try:
        model.fit(data)
    except DOCUMENTED as exc:
        assert str(exc)  # a message, not a bare exception
        return
    proba = model.predict_proba([seq or ["x"] for seq in data])
    assert np.allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("name", ["markov", "variable-order"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=SEQUENCES)
def test_count_models_work_or_raise_documented_errors(name, data):
    _fit_predict(CLASSIFIERS[name](), data)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=SEQUENCES)
def test_neural_model_works_or_raises_documented_errors(data):
    _fit_predict(CLASSIFIERS["lstm"](), data)


@settings(max_examples=60, deadline=None)
@given(data=SEQUENCES)
def test_encoder_round_trips_or_raises_documented_errors(data):
    try:
        encoder = StateEncoder().fit(data)
    except DOCUMENTED:
        return
    assert encoder.inverse_transform(encoder.transform(data)) == data


def test_partial_fit_with_unknown_classes_leaves_no_half_fitted_model():
    model = CLASSIFIERS["lstm"]()
    with pytest.raises(ValueError, match="classes holds states.*'Bb'"):
        model.partial_fit(X, classes=["C", "Bb"])
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert model.partial_fit(X).predict(X[:2]).shape == (2,)
