"""predict_top_k for every classifier, and NextStateClassifier.sample."""

import copy

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab.datasets import make_markov_sequences

X = make_markov_sequences(150, n_states=6, order=2, min_length=3, max_length=10, random_state=0)
CYCLE = [["C", "G", "Am", "F"] * 3] * 20
TINY = dict(embedding_dim=8, hidden_dim=16, max_epochs=2, random_state=0)

CLASSIFIERS = {
    "markov": lambda: MarkovClassifier(),
    "variable-order": lambda: VariableOrderMarkovClassifier(),
    "lstm": lambda: NextStateClassifier(**TINY),
    "attention-pipeline": lambda: Pipeline(
        [("enc", StateEncoder()), ("clf", NextStateClassifier("attention", **TINY))]
    ),
}


@pytest.fixture(scope="module")
def cycle_model():
    """Learns the cycle C G Am F perfectly (all sequences alike: no validation split)."""
    clf = NextStateClassifier(
        hidden_dim=16, lr=0.05, validation_fraction=None, patience=None, random_state=0
    )
    return clf.fit(CYCLE)


@pytest.fixture(scope="module")
def markov_lstm():
    return NextStateClassifier(**TINY).fit(X)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_predict_top_k_agrees_with_predict_proba(name):
    model = CLASSIFIERS[name]().fit(X)
    clf = model[-1] if isinstance(model, Pipeline) else model
    contexts = [s[:-1] for s in X[:40]]
    # a pipeline has no predict_top_k of its own: the classifier reads encoded input
    encoded = model[0].transform(contexts) if isinstance(model, Pipeline) else contexts
    states, proba = clf.predict_top_k(encoded, k=3)
    full = clf.predict_proba(encoded)
    assert states.shape == proba.shape == (40, 3)
    np.testing.assert_array_equal(states[:, 0], clf.predict(encoded))
    assert np.all(np.diff(proba, axis=1) <= 0)
    index = {s: i for i, s in enumerate(clf.classes_.tolist())}
    columns = np.vectorize(index.get)(states)
    np.testing.assert_array_equal(proba, np.take_along_axis(full, columns, axis=1))
    # nothing outside the top k is more probable than the k-th
    assert np.all(np.sort(full, axis=1)[:, -3] == proba[:, 2])
    every, _ = clf.predict_top_k(encoded, k=len(clf.classes_))
    assert all(sorted(row) == sorted(clf.classes_.tolist()) for row in every.tolist())


def test_predict_top_k_errors():
    clf = MarkovClassifier().fit(X)
    with pytest.raises(ValueError, match="k=7 is more than the 6 classes"):
        clf.predict_top_k(X, k=7)
    with pytest.raises(ValueError, match="k must be >= 1"):
        clf.predict_top_k(X, k=0)
    with pytest.raises(TypeError, match="k must be an integer"):
        clf.predict_top_k(X, k=2.0)
    with pytest.raises(NotFittedError):
        MarkovClassifier().predict_top_k(X)


def test_sample_is_reproducible_and_shaped(markov_lstm):
    first = markov_lstm.sample(5, 7, random_state=3)
    assert first == markov_lstm.sample(5, 7, random_state=3)
    assert first != markov_lstm.sample(5, 7, random_state=4)
    assert len(first) == 5 and all(len(s) == 7 for s in first)
    assert {s for seq in first for s in seq} <= set(markov_lstm.classes_.tolist())
    rng = np.random.RandomState(3)
    assert markov_lstm.sample(5, 7, random_state=rng) == first


def test_sample_continues_a_learned_cycle(cycle_model):
    # a prefix as the training sequences start: a network that reads where each state first
    # occurred may, rightly, take a sequence that starts on Am for another one
    drawn = cycle_model.sample(3, 6, prefix=["C", "G", "Am"], temperature=0.1, random_state=0)
    assert drawn == [["F", "C", "G", "Am", "F", "C"]] * 3


def test_cold_sample_is_the_greedy_continuation(markov_lstm):
    prefix = X[0][:3]
    greedy, context = [], list(prefix)
    for _ in range(5):
        context.append(markov_lstm.predict([context])[0])
        greedy.append(context[-1])
    # cold enough for near ties: states of 0.17173 and 0.1717 both drew at 1e-4
    drawn = markov_lstm.sample(4, 5, prefix=prefix, temperature=1e-6, random_state=0)
    assert drawn == [greedy] * 4


def test_first_draws_follow_the_predicted_distribution(markov_lstm):
    prefix = X[1][:4]
    proba = markov_lstm.predict_proba([prefix])[0]
    drawn = markov_lstm.sample(4000, 1, prefix=prefix, random_state=0)
    counts = {s: 0 for s in markov_lstm.classes_.tolist()}
    for (s,) in drawn:
        counts[s] += 1
    freq = np.array([counts[s] for s in markov_lstm.classes_.tolist()]) / 4000
    np.testing.assert_allclose(freq, proba, atol=0.03)
    # a high temperature flattens the distribution towards uniform
    hot = markov_lstm.sample(4000, 1, prefix=prefix, temperature=1e3, random_state=0)
    hot_counts = np.unique([s for (s,) in hot], return_counts=True)[1] / 4000
    np.testing.assert_allclose(hot_counts, 1 / len(proba), atol=0.03)


def test_first_state_without_prefix_follows_training_frequencies(markov_lstm):
    enc = markov_lstm.encoder_
    drawn = markov_lstm.sample(4000, 1, random_state=0)
    freq = np.array([sum(s == state for (s,) in drawn) for state in enc.states_]) / 4000
    np.testing.assert_allclose(freq, enc.state_counts_ / enc.state_counts_.sum(), atol=0.03)


def test_sample_with_unknown_states_and_in_a_pipeline():
    pipe = Pipeline([("enc", StateEncoder()), ("clf", NextStateClassifier(**TINY))]).fit(X)
    clf = pipe[-1]
    drawn = clf.sample(2, 3, prefix=[X[0][0], "never-seen"], random_state=0)
    assert len(drawn) == 2 and all(len(s) == 3 for s in drawn)
    with pytest.raises(ValueError, match="pass a prefix"):
        clf.sample(2, 3)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_sequences=0, length=2), ValueError, "n_sequences must be >= 1"),
        (dict(n_sequences=2, length=0), ValueError, "length must be >= 1"),
        (dict(n_sequences=2, length=2, temperature=0), ValueError, "temperature"),
        (dict(n_sequences=2, length=2, prefix="C G"), TypeError, "one sequence of states"),
        (dict(n_sequences=2, length=2, prefix=[]), ValueError, "prefix is empty"),
    ],
)
def test_sample_errors(markov_lstm, kwargs, error, match):
    with pytest.raises(error, match=match):
        markov_lstm.sample(**kwargs)


def test_sample_needs_a_fitted_model():
    with pytest.raises(NotFittedError):
        NextStateClassifier().sample(2, 2)


def test_sample_refuses_models_reading_extra_features(markov_lstm):
    clf = copy.deepcopy(markov_lstm)
    clf.feature_sizes_ = (5,)  # what fit records for StateEncoder(target=...) input
    with pytest.raises(TypeError, match="extra features"):
        clf.sample(2, 2, prefix=X[0][:2])
