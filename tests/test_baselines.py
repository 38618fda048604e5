import joblib
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_seqlab.baselines import MarkovClassifier, VariableOrderMarkovClassifier
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.encoding import StateEncoder

ESTIMATORS = [MarkovClassifier, VariableOrderMarkovClassifier]


def periodic(n_sequences=30, period=("A", "B", "C"), seed=0):
    """Cyclic sequences with random phases and lengths."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_sequences):
        start, length = rng.integers(len(period)), rng.integers(3, 12)
        out.append([period[(start + i) % len(period)] for i in range(length)])
    return out


def second_order(n_sequences=200, seed=0):
    """Sequences over 0-3 whose next state is the sum of the previous two, modulo 4.

    The previous state alone says nothing: every state follows every state equally often.
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_sequences):
        seq = rng.integers(4, size=2).tolist()
        for _ in range(rng.integers(3, 10)):
            seq.append((seq[-1] + seq[-2]) % 4)
        out.append(seq)
    return out


@pytest.fixture(scope="module")
def chords():
    return make_markov_sequences(120, n_states=6, random_state=0)


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda c: c.__name__)
def fitted(request, chords):
    return request.param().fit(chords)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_periodic_sequence_predicted_perfectly(Estimator):
    X = periodic()
    clf = Estimator().fit(X)
    assert clf.score(periodic(seed=1)) == 1.0
    assert clf.predict([["A"], ["B", "C"], ["C", "A", "B", "C"]]).tolist() == ["B", "A", "A"]


def test_second_order_pattern_needs_second_order():
    train, test = second_order(seed=0), second_order(seed=1)
    first = MarkovClassifier().fit(train).score(test)
    second = VariableOrderMarkovClassifier(max_order=2).fit(train).score(test)
    assert second == 1.0
    assert first < 0.5


def test_variable_order_beats_first_order_on_second_order_chain():
    X = make_markov_sequences(600, n_states=6, order=2, concentration=0.05, random_state=0)
    train, test = X[:400], X[400:]
    first = MarkovClassifier().fit(train).score(test)
    second = VariableOrderMarkovClassifier(max_order=2).fit(train).score(test)
    assert second > first + 0.2


@pytest.mark.parametrize("method", ["kneser_ney", "witten_bell"])
@pytest.mark.parametrize("discount", ["auto", 0.5, 1.0])
def test_smoothing_variants_learn(method, discount):
    clf = VariableOrderMarkovClassifier(max_order=2, method=method, discount=discount)
    assert clf.fit(second_order(seed=0)).score(second_order(seed=1)) == 1.0
    assert (clf.discounts_ is None) == (method == "witten_bell")


def test_predict_proba_rows_and_columns(fitted, chords):
    proba = fitted.predict_proba(chords)
    assert proba.shape == (len(chords), len(fitted.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    # columns follow classes_: predict is the column of the largest probability
    np.testing.assert_array_equal(fitted.predict(chords), fitted.classes_[np.argmax(proba, axis=1)])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_with_y_restricts_classes(Estimator):
    X = [["a", "b"], ["b", "c"], ["c", "a"], ["a", "b", "c"]]
    y = ["c", "a", "b", "a"]
    clf = Estimator().fit(X, y)
    # states inside contexts are input, not classes, unless some y holds them
    assert clf.classes_.tolist() == ["a", "b", "c"]
    proba = clf.predict_proba([["b"], ["c", "a"]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)

    clf = Estimator().fit(X[:3], ["c", "a", "c"])
    assert clf.classes_.tolist() == ["a", "c"]
    assert clf.predict_proba([["b"], ["z"]]).shape == (2, 2)
    assert set(clf.predict([["a"], ["b"], ["c"]])) <= {"a", "c"}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_transitions_inside_contexts_are_learned(Estimator):
    # the only example of what follows "b" is inside a context, not a target
    clf = Estimator().fit([["a", "b", "c", "a"], ["c", "a"], ["a", "c"]])
    assert clf.predict([["b"]]).tolist() == ["c"]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unknown_state_uses_unknown(Estimator):
    clf = Estimator().fit(periodic())
    proba = clf.predict_proba([["A", "B", "Zz"], ["Zz"]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict([["Zz"], ["C", "Zz"]])) <= set(clf.classes_)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unknown_state_error(Estimator):
    clf = Estimator(handle_unknown="error").fit(periodic())
    with pytest.raises(ValueError, match="'Zz'"):
        clf.predict([["A", "Zz"]])
    with pytest.raises(ValueError, match="'Zz'"):
        clf.sample([["Zz"]])


def test_markov_unknown_last_state_backs_off_to_unigram():
    X = [["a", "b"], ["a", "b"], ["b", "b"], ["b", "a"]]
    clf = MarkovClassifier(alpha=0.0).fit(X)
    unigram = clf.unigram_counts_ / clf.unigram_counts_.sum()
    np.testing.assert_allclose(clf.predict_proba([["b", "Zz"]])[0], unigram)
    assert clf.transition_counts_.shape == (clf.n_codes_, 2)
    assert clf.transition_counts_.sum() == clf.unigram_counts_.sum() == 4


def test_markov_alpha_zero_unseen_row_falls_back_to_unigram():
    # "c" is a state of the vocabulary but never followed by anything
    clf = MarkovClassifier(alpha=0.0).fit([["a", "b"], ["b", "a"], ["a", "c"], ["b", "a"]])
    proba = clf.predict_proba([["c"], ["a"]])
    np.testing.assert_allclose(proba[0], clf.unigram_counts_ / clf.unigram_counts_.sum())
    np.testing.assert_allclose(proba[1], [0.0, 0.5, 0.5])


def test_unknown_state_cuts_the_context():
    # after "x y" comes "b", after "y" alone mostly "a": an unknown in place of "x" must
    # leave the prediction of "y" alone, not of the unseen context "? y"
    X = [["x", "y", "b"]] * 3 + [["z", "y", "a"]] * 2 + [["w", "y", "a"]] * 2
    clf = VariableOrderMarkovClassifier(max_order=2).fit(X)
    assert clf.predict([["x", "y"], ["q", "y"], ["y"]]).tolist() == ["b", "a", "a"]
    np.testing.assert_allclose(
        clf.predict_proba([["q", "y"]]), clf.predict_proba([["x", "q", "q", "y"]])
    )


def test_encoded_training_data_with_unknowns():
    X = make_markov_sequences(80, n_states=8, random_state=1)
    enc = StateEncoder(max_states=5).fit(X)
    for clf in (MarkovClassifier(), VariableOrderMarkovClassifier()):
        clf.fit(enc.transform(X))
        proba = clf.predict_proba(enc.transform(X))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert len(clf.classes_) == 5


def test_variable_order_attributes():
    clf = VariableOrderMarkovClassifier(max_order=2).fit([["a", "b", "a"], ["b", "a", "b"]])
    assert len(clf.contexts_) == len(clf.counts_) == 3
    assert clf.contexts_[0] == {(): 0}
    assert clf.discounts_.shape == (3, 3)
    a, b = 2, 3  # codes of the states, after the reserved ones
    # every position counts, not only the last: a->b twice and b->a twice
    assert clf.counts_[1][clf.contexts_[1][(a,)]].toarray().tolist() == [[0, 2]]
    assert clf.counts_[1][clf.contexts_[1][(b,)]].toarray().tolist() == [[2, 0]]
    assert clf.counts_[0].sum() == 4
    # a context that reaches the sequence start (code 0) is told apart from one that does not
    assert sorted(clf.contexts_[2]) == [(0, a), (0, b), (a, b), (b, a)]


@settings(max_examples=25, deadline=None)
@given(
    data=st.lists(st.lists(st.sampled_from("abcd"), min_size=2, max_size=8), min_size=2),
    max_order=st.integers(1, 4),
    method=st.sampled_from(["kneser_ney", "witten_bell"]),
    alpha=st.sampled_from([0.0, 0.1, 1.0]),
)
def test_proba_is_a_distribution(data, max_order, method, alpha):
    assume(len({seq[-1] for seq in data}) >= 2)  # a classifier needs 2 classes
    contexts = [seq[:-1] for seq in data] + [["e"], ["a", "e", "b"]]
    for clf in (
        MarkovClassifier(alpha=alpha),
        VariableOrderMarkovClassifier(max_order=max_order, method=method),
    ):
        proba = clf.fit(data).predict_proba(contexts)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert np.isfinite(proba).all() and (proba >= 0).all()


@pytest.fixture(params=ESTIMATORS, ids=lambda c: c.__name__)
def pipe(request):
    return Pipeline([("enc", StateEncoder()), ("clf", request.param())])


def test_pipeline_predicts_states(pipe, chords):
    pipe.fit(chords)
    assert pipe.classes_.tolist() == sorted({s for seq in chords for s in seq})
    pred = pipe.predict([seq[:-1] for seq in chords[:10]])
    assert set(pred) <= set(pipe.classes_)
    assert pipe.predict_proba(chords[:5]).shape == (5, len(pipe.classes_))


def test_pipeline_cross_val_score_without_y(pipe, chords):
    scores = cross_val_score(pipe, chords, cv=3)
    assert scores.shape == (3,) and ((scores > 0) & (scores <= 1)).all()


@pytest.mark.parametrize(
    "Estimator, grid",
    [
        (MarkovClassifier, {"clf__alpha": [0.0, 1.0]}),
        (VariableOrderMarkovClassifier, {"clf__max_order": [1, 2]}),
    ],
)
def test_pipeline_grid_search(Estimator, grid, chords):
    pipe = Pipeline([("enc", StateEncoder()), ("clf", Estimator())])
    search = GridSearchCV(pipe, grid, cv=3).fit(chords)
    assert search.best_params_.keys() == grid.keys()
    assert set(search.predict(chords[:5])) <= set(search.classes_)


def test_pipeline_pickle_round_trip(pipe, chords, tmp_path):
    pipe.fit(chords)
    joblib.dump(pipe, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(chords), pipe.predict_proba(chords))


def test_clone(fitted, chords):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "classes_")
    np.testing.assert_array_equal(
        copy.fit(chords).predict_proba(chords), fitted.predict_proba(chords)
    )


def test_sample(fitted, chords):
    contexts = [seq[:3] for seq in chords[:7]]
    draws = fitted.sample(contexts, n_steps=4, random_state=0)
    assert len(draws) == 7 and all(len(d) == 4 for d in draws)
    assert {s for d in draws for s in d} <= set(fitted.classes_)
    assert fitted.sample(contexts, n_steps=4, random_state=0) == draws
    assert fitted.sample(contexts, n_steps=4, random_state=1) != draws
    assert [len(d) for d in fitted.sample(contexts)] == [1] * 7


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_follows_the_chain(Estimator):
    clf = Estimator().fit(periodic())
    assert clf.sample([["A"], ["B", "C"]], n_steps=5, random_state=0) == [
        ["B", "C", "A", "B", "C"],
        ["A", "B", "C", "A", "B"],
    ]


def test_sample_matches_predict_proba():
    clf = MarkovClassifier(alpha=0.0).fit([["a", "b"], ["a", "c"], ["a", "c"], ["b", "a"]])
    draws = clf.sample([["a"]] * 3000, random_state=0)
    share = np.mean([d[0] == "c" for d in draws])
    assert share == pytest.approx(2 / 3, abs=0.03)


@pytest.mark.parametrize(
    "clf, name",
    [
        (MarkovClassifier(alpha=-0.5), "alpha"),
        (MarkovClassifier(alpha=float("inf")), "alpha"),
        (MarkovClassifier(handle_unknown="ignore"), "handle_unknown"),
        (VariableOrderMarkovClassifier(max_order=0), "max_order"),
        (VariableOrderMarkovClassifier(method="kn"), "method"),
        (VariableOrderMarkovClassifier(discount=1.5), "discount"),
        (VariableOrderMarkovClassifier(discount=0), "discount"),
        (VariableOrderMarkovClassifier(discount="modified"), "discount"),
    ],
)
def test_bad_parameters_raise_value_error(clf, name, chords):
    with pytest.raises(ValueError, match=name):
        clf.fit(chords)


@pytest.mark.parametrize(
    "clf, name",
    [
        (MarkovClassifier(alpha="1"), "alpha"),
        (VariableOrderMarkovClassifier(max_order=2.0), "max_order"),
        (VariableOrderMarkovClassifier(discount=None), "discount"),
    ],
)
def test_bad_parameter_types_raise_type_error(clf, name, chords):
    with pytest.raises(TypeError, match=name):
        clf.fit(chords)


@pytest.mark.parametrize("n_steps, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError)])
def test_sample_bad_n_steps(fitted, chords, n_steps, error):
    with pytest.raises(error, match="n_steps"):
        fitted.sample(chords[:2], n_steps=n_steps)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_before_fit(Estimator):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Estimator().sample([["a"]])


# --- the cache of the context's own states ------------------------------------------------------


def _returning(n, seed):
    """Each sequence comes back to a state of its own after every other state."""
    rng = np.random.RandomState(seed)
    states = [f"s{i}" for i in range(20)]
    X = []
    for _ in range(n):
        home = states[rng.randint(20)]
        seq = [home]
        for _ in range(4):
            seq += [states[rng.randint(20)], home]
        X.append(seq)
    return X


def test_context_cache_weighs_recent_states_more():
    from sklearn_seqlab import StateEncoder
    from sklearn_seqlab.counts.cache import context_cache

    X = [["a", "b", "a", "c"], ["a", "b", "c", "d"]]
    clf = VariableOrderMarkovClassifier().fit(X)
    contexts = StateEncoder().fit(X).transform([["a", "b", "a"], ["zz"]])
    cache = context_cache(contexts, clf._code_to_class, len(clf.classes_), 0.5)
    # "a b a": a at distances 0 and 2 (1 + 0.25), b at distance 1 (0.5)
    expected = np.array([1.25, 0.5, 0.0, 0.0]) / 1.75
    np.testing.assert_allclose(cache[0], expected)
    assert not cache[1].any()  # an unknown state is no class: the cache is empty


def test_follower_cache_counts_what_followed_the_last_states_before():
    from sklearn_seqlab.counts.cache import follower_cache

    X = [["a", "b", "a", "c", "a"], ["a", "b", "c", "d"]]
    clf = VariableOrderMarkovClassifier().fit(X)
    encoder = StateEncoder().fit(X)
    contexts = encoder.transform([["a", "b", "a", "c", "a"], ["a", "zz", "a", "zz"], ["a"]])
    args = (clf._code_to_class, len(clf.classes_), 0.5)
    after_one = follower_cache(contexts, *args, 1)
    # "a" occurred at 0 (then b, 3 positions before the last) and at 2 (then c, 1 before)
    np.testing.assert_allclose(after_one[0], np.array([0.0, 0.125, 0.5, 0.0]) / 0.625)
    after_two = follower_cache(contexts, *args, 2)
    assert not after_two[0].any()  # "c a" never occurred before
    # an unknown state matches nothing, not even another unknown state
    assert not after_one[1].any() and not after_two[1].any()
    assert not after_one[2].any()  # nothing before the last state


def test_cache_order_predicts_the_progression_a_sequence_repeats():
    # the corpus says "d" after "a b"; this sequence has played "a b c" and is at "a b" again
    X = [["a", "b", "d"]] * 20 + [["a", "b", "c", "a"]] * 4
    context = [["a", "b", "c", "a", "b"]]
    states = VariableOrderMarkovClassifier(max_order=2, cache_weight=0.3).fit(X)
    ngrams = clone(states).set_params(cache_order=3).fit(X)
    assert states.predict(context)[0] == "d"
    assert ngrams.predict(context)[0] == "c"
    np.testing.assert_allclose(ngrams.predict_proba(context).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="cache_order"):
        clone(ngrams).set_params(cache_order=0).fit(X)


def test_a_model_pickled_before_cache_order_existed_loads_with_the_cache_of_states(tmp_path):
    X = _returning(50, 0)
    model = VariableOrderMarkovClassifier(max_order=2, cache_weight=0.3).fit(X)
    del model.cache_order  # as a pickle of an earlier version holds it
    joblib.dump(model, tmp_path / "old.joblib")
    loaded = joblib.load(tmp_path / "old.joblib")
    assert loaded.cache_order == 1
    fresh = VariableOrderMarkovClassifier(max_order=2, cache_weight=0.3).fit(X)
    np.testing.assert_array_equal(loaded.predict_proba(X[:5]), fresh.predict_proba(X[:5]))


def test_cache_weight_mixes_the_cache_and_keeps_a_distribution():
    X = _returning(200, 0)
    plain = VariableOrderMarkovClassifier(max_order=1).fit(X)
    cached = VariableOrderMarkovClassifier(max_order=1, cache_weight=0.3).fit(X)
    test = [seq[:-1] for seq in _returning(100, 1)]
    targets = [seq[-1] for seq in _returning(100, 1)]
    p_plain, p_cached = plain.predict_proba(test), cached.predict_proba(test)
    np.testing.assert_allclose(p_cached.sum(axis=1), 1.0)
    assert (p_cached.argmax(axis=1) != p_plain.argmax(axis=1)).any()
    # the state a sequence keeps returning to is what the cache knows and the counts cannot
    assert cached.score(test, targets) > plain.score(test, targets) + 0.3
    # no cache: the model is the plain one, exactly
    off = VariableOrderMarkovClassifier(max_order=1, cache_weight=0.0).fit(X)
    np.testing.assert_array_equal(off.predict_proba(test), p_plain)


def _loops(n, random_state, states=200):
    """Each sequence plays a loop of 3 states of its own, drawn from many, over and over: the
    counts of the corpus rarely saw its states together; that it repeats is the same in all."""
    rng = np.random.RandomState(random_state)
    loops = [rng.choice(states, 3, replace=False) for _ in range(n)]
    return [[f"s{s}" for s in np.tile(loop, 3)[: rng.randint(5, 9)]] for loop in loops]


def test_first_occurrences_number_the_distinct_states_in_order():
    from sklearn_seqlab.counts.repetition import first_occurrences

    pattern, distinct = first_occurrences(np.array([5, 9, 5, 7, 9]))
    assert pattern.tolist() == [0, 1, 0, 2, 1]
    assert distinct.tolist() == [5, 9, 7]


def test_the_repetition_model_predicts_the_loop_a_sequence_repeats():
    X, test = _loops(300, 0), _loops(100, 1)
    contexts, targets = [seq[:-1] for seq in test], [seq[-1] for seq in test]
    counts = VariableOrderMarkovClassifier(max_order=2).fit(X)
    repeats = clone(counts).set_params(repetition_weight=0.5).fit(X)
    # the states of each loop are new to the corpus's counts; that a loop comes back is not
    assert repeats.score(contexts, targets) > counts.score(contexts, targets) + 0.5
    np.testing.assert_allclose(repeats.predict_proba(contexts).sum(axis=1), 1.0)
    assert isinstance(repeats.repetition_model_, VariableOrderMarkovClassifier)
    assert counts.repetition_model_ is None
    with pytest.raises(ValueError, match="repetition_weight"):
        clone(repeats).set_params(repetition_weight=1.0).fit(X)
    # a weight set after fit needs the model that only fit makes
    with pytest.raises(NotFittedError, match="fit it again after setting repetition_weight"):
        counts.set_params(repetition_weight=0.3).predict(contexts)


def test_a_new_state_is_shared_as_the_counts_share_it():
    from sklearn_seqlab.counts.repetition import repetition_proba

    # every sequence of the corpus is new at each step: the repetition model says "new"
    X = [["a", "b", "c", "d"], ["b", "c", "d", "a"], ["c", "d", "a", "b"]] * 5
    model = VariableOrderMarkovClassifier(max_order=1, repetition_weight=0.5).fit(X)
    contexts = model._encode([["a", "b"]])
    counts = model._counts_proba(contexts)
    repeats = repetition_proba(model.repetition_model_, contexts, counts, model._code_to_class)
    np.testing.assert_allclose(repeats.sum(axis=1), 1.0)
    inside = np.isin(model.classes_, ["a", "b"])
    assert repeats[0, inside].sum() < 0.1  # a repeat is unlikely
    # the rest is the counts' prediction among the states not in the context
    expected = counts[0, ~inside] / counts[0, ~inside].sum()
    np.testing.assert_allclose(repeats[0, ~inside] / repeats[0, ~inside].sum(), expected)


def test_a_corpus_of_one_repeated_state_still_fits_a_repetition_model():
    X = [["a", "a", "a"], ["b", "b"], ["a", "a"]]
    model = VariableOrderMarkovClassifier(repetition_weight=0.3).fit(X)
    np.testing.assert_allclose(model.predict_proba([["a"], ["b", "b"]]).sum(axis=1), 1.0)
    assert model.predict([["b", "b"]])[0] == "b"


def test_a_model_pickled_before_the_repetition_model_existed_predicts_as_before(tmp_path):
    X = _returning(50, 0)
    model = VariableOrderMarkovClassifier(max_order=2, cache_weight=0.3).fit(X)
    expected = model.predict_proba(X[:5])
    del model.repetition_weight, model.repetition_order, model.repetition_model_
    joblib.dump(model, tmp_path / "old.joblib")
    loaded = joblib.load(tmp_path / "old.joblib")
    assert loaded.repetition_weight == 0.0
    np.testing.assert_array_equal(loaded.predict_proba(X[:5]), expected)


@pytest.mark.parametrize(
    "params", [{}, {"method": "witten_bell"}, {"discount": 0.5}, {"cache_weight": 0.2}]
)
def test_a_lower_order_copy_is_the_model_fitted_at_that_order(params):
    X = make_markov_sequences(80, n_states=12, max_length=20, random_state=0)
    # states the training data never saw cut the contexts
    test = make_markov_sequences(30, n_states=16, max_length=20, random_state=1)
    highest = VariableOrderMarkovClassifier(max_order=4, **params).fit(X)
    for order in (1, 2, 3, 4):
        copy = highest._with_lower_order(order)
        alone = VariableOrderMarkovClassifier(max_order=order, **params).fit(X)
        assert copy.max_order == order
        np.testing.assert_array_equal(copy.predict_proba(test), alone.predict_proba(test))
        if alone.discounts_ is not None:
            np.testing.assert_array_equal(copy.discounts_, alone.discounts_)
    assert highest.max_order == 4 and len(highest._tables) == 5  # the model copied is intact
    with pytest.raises(ValueError, match=r"order must be in \[1, 4\], got 5"):
        highest._with_lower_order(5)
