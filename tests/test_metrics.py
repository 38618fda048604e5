import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score, cross_validate
from sklearn.pipeline import Pipeline

from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.metrics import (
    SCORERS,
    accuracy_scorer,
    embedding_similarity,
    embedding_similarity_scorer,
    make_top_k_scorer,
    neg_log_loss_scorer,
    neg_perplexity_scorer,
    next_state_log_loss,
    perplexity,
    top_k_accuracy,
)

X = make_markov_sequences(200, n_states=6, order=2, min_length=3, max_length=10, random_state=0)


@pytest.fixture(scope="module")
def markov():
    return Pipeline([("enc", StateEncoder()), ("clf", MarkovClassifier())]).fit(X)


def test_top_k_and_unseen_states():
    proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.4, 0.4, 0.2]])
    classes = ["a", "b", "c"]
    assert top_k_accuracy(["a", "a", "new"], proba, classes, k=1) == pytest.approx(1 / 3)
    assert top_k_accuracy(["b", "a", "c"], proba, classes, k=2) == pytest.approx(1 / 3)
    assert top_k_accuracy(["b", "a", "c"], proba, classes, k=3) == 1.0


def test_log_loss_and_perplexity_give_unseen_states_the_unknown_probability():
    proba = np.array([[0.5, 0.5], [0.9, 0.1]])
    loss = next_state_log_loss(["a", "z"], proba, ["a", "b"], unknown_proba=0.1)
    assert loss == pytest.approx(-np.mean(np.log([0.9 * 0.5, 0.1])))
    assert perplexity(["a", "z"], proba, ["a", "b"], unknown_proba=0.1) == pytest.approx(
        np.exp(loss)
    )
    # a uniform model over 4 states, never surprised, has perplexity 4 / (1 - u)
    uniform = np.full((3, 4), 0.25)
    assert perplexity(list("abc"), uniform, list("abcd"), unknown_proba=0.5) == pytest.approx(8)
    with pytest.raises(ValueError, match="unknown_proba"):
        next_state_log_loss(["a"], proba[:1], ["a", "b"], unknown_proba=0)


def test_embedding_similarity():
    emb = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    sim = embedding_similarity(["x", "x", "new"], ["x", "y", "x"], emb, ["x", "y", "z"])
    assert sim == pytest.approx((1 + 0 + 0) / 3)


def test_scorers_derive_y_like_score(markov):
    assert accuracy_scorer(markov, X) == pytest.approx(markov.score(X))
    contexts, targets = [s[:-1] for s in X], [s[-1] for s in X]
    assert accuracy_scorer(markov, contexts, targets) == pytest.approx(markov.score(X))
    top1 = make_top_k_scorer(1)(markov, X)
    assert top1 == pytest.approx(markov.score(X))
    assert make_top_k_scorer(3)(markov, X) >= top1
    assert neg_perplexity_scorer(markov, X) == pytest.approx(
        -np.exp(-neg_log_loss_scorer(markov, X))
    )


def test_unknown_proba_is_positive_and_reflects_rare_states():
    common = MarkovClassifier().fit([["a", "b", "a", "b"]] * 10)
    rare = MarkovClassifier().fit([["a", "b", "a", "b"]] * 10 + [["a", "q"], ["r", "s"]])
    assert 0 < common.unknown_proba_ < rare.unknown_proba_ < 1
    # a never-seen true state is scored, not skipped: perplexity stays finite
    assert np.isfinite(neg_perplexity_scorer(common, [["a", "zzz"]]))


@pytest.mark.parametrize(
    "encoder, data",
    [
        (StateEncoder(max_length=2), X),
        (StateEncoder(split_strings=True), [" ".join(s) for s in X]),
        (StateEncoder(max_length=3, split_strings=True), [" ".join(s) for s in X]),
    ],
    ids=["max_length", "split_strings", "both"],
)
def test_scorers_see_the_data_as_the_pipeline_does(encoder, data):
    pipe = Pipeline([("enc", encoder), ("clf", VariableOrderMarkovClassifier())]).fit(data)
    assert accuracy_scorer(pipe, data) == pytest.approx(pipe.score(data))
    assert make_top_k_scorer(1)(pipe, data) == pytest.approx(pipe.score(data))
    assert np.isfinite(neg_log_loss_scorer(pipe, data))
    result = cross_validate(pipe, data, cv=3, scoring=SCORERS, error_score="raise")
    assert all(np.isfinite(result[f"test_{name}"]).all() for name in SCORERS)


def test_embedding_similarity_scorer_through_an_encoder():
    clf = NextStateClassifier(embedding_dim=8, hidden_dim=8, max_epochs=1, random_state=0)
    data = [" ".join(s) for s in X]
    pipe = Pipeline([("enc", StateEncoder(split_strings=True)), ("clf", clf)]).fit(data)
    assert -1 <= embedding_similarity_scorer(pipe, data) <= 1


def test_unknown_proba_stays_below_one_when_every_next_state_is_new():
    # every next state occurs once: the Good-Turing estimate alone would be exactly 1
    clf = MarkovClassifier().fit([["a", "b"], ["c", "d"], ["e", "f"]])
    assert 0 < clf.unknown_proba_ < 1
    assert np.isfinite(neg_log_loss_scorer(clf, [["a", "b"], ["c", "z"]]))
    assert np.isfinite(neg_perplexity_scorer(clf, [["a", "b"], ["c", "z"]]))


def test_scorers_in_cross_validate_and_search(markov):
    pipe = Pipeline([("enc", StateEncoder()), ("clf", VariableOrderMarkovClassifier())])
    result = cross_validate(pipe, X, cv=3, scoring=SCORERS)
    for name in SCORERS:
        assert result[f"test_{name}"].shape == (3,)
    assert np.all(result["test_neg_perplexity"] < -1)
    search = GridSearchCV(
        pipe, {"clf__max_order": [1, 2]}, cv=3, scoring=neg_perplexity_scorer
    ).fit(X)
    assert search.best_params_["clf__max_order"] in (1, 2)


def test_group_k_fold_keeps_groups_apart():
    groups = np.repeat(np.arange(20), 10)
    pipe = Pipeline([("enc", StateEncoder()), ("clf", MarkovClassifier())])
    scores = cross_val_score(pipe, X, groups=groups, cv=GroupKFold(4))
    assert scores.shape == (4,)


def test_embedding_similarity_scorer():
    clf = NextStateClassifier(embedding_dim=8, hidden_dim=8, max_epochs=2, random_state=0)
    clf.fit(X)
    assert -1 <= embedding_similarity_scorer(clf, X) <= 1
    with pytest.raises(TypeError, match="NextStateClassifier"):
        embedding_similarity_scorer(MarkovClassifier().fit(X), X)
