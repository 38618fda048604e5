"""MRR@k and recall@k: known answers, agreement with top-k accuracy, scorers with y=None."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline

from sklearn_seqlab import MarkovClassifier, StateEncoder, VariableOrderMarkovClassifier
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.metrics import (
    make_mrr_scorer,
    make_recall_scorer,
    mrr_at_k,
    recall_at_k,
    top_k_accuracy,
)

X = make_markov_sequences(200, n_states=8, order=2, min_length=3, max_length=10, random_state=0)
PROBA = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.4, 0.4, 0.2], [0.2, 0.3, 0.5]])
CLASSES = ["a", "b", "c"]


def test_known_answers():
    # ranks: "a" 1, "a" 3, "b" 2 (tie with "a", which comes first), "new" never ranked
    y = ["a", "a", "b", "new"]
    assert mrr_at_k(y, PROBA, CLASSES, k=3) == pytest.approx((1 + 1 / 3 + 1 / 2 + 0) / 4)
    assert mrr_at_k(y, PROBA, CLASSES, k=2) == pytest.approx((1 + 0 + 1 / 2 + 0) / 4)
    assert mrr_at_k(y, PROBA, CLASSES, k=1) == pytest.approx(1 / 4)
    assert recall_at_k(y, PROBA, CLASSES, k=1) == pytest.approx(1 / 4)
    assert recall_at_k(y, PROBA, CLASSES, k=2) == pytest.approx(2 / 4)
    assert recall_at_k(y, PROBA, CLASSES, k=3) == pytest.approx(3 / 4)
    # a cut-off past the number of classes changes nothing
    assert recall_at_k(y, PROBA, CLASSES, k=50) == recall_at_k(y, PROBA, CLASSES, k=3)


def test_recall_equals_top_k_accuracy_and_mrr_is_bounded_by_it():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(12), size=300)
    proba[:50, :6] = proba[:50, :1]  # ties
    classes = [f"s{i}" for i in range(12)]
    y = rng.choice(classes + ["unseen"], size=300).tolist()
    for k in (1, 3, 5, 12):
        recall = recall_at_k(y, proba, classes, k=k)
        assert recall == top_k_accuracy(y, proba, classes, k=k)
        # every hit scores between 1/k and 1
        assert recall / k <= mrr_at_k(y, proba, classes, k=k) <= recall
    assert mrr_at_k(y, proba, classes, k=1) == recall_at_k(y, proba, classes, k=1)


def test_errors():
    with pytest.raises(ValueError, match="k must be >= 1"):
        mrr_at_k(["a"], PROBA[:1], CLASSES, k=0)
    with pytest.raises(TypeError, match="k must be an integer"):
        make_recall_scorer(k=2.5)
    with pytest.raises(ValueError, match="proba must have shape"):
        recall_at_k(["a", "b"], PROBA[:1], CLASSES)


def test_scorers_derive_y_and_run_in_a_search():
    pipe = Pipeline([("enc", StateEncoder()), ("clf", MarkovClassifier())]).fit(X)
    contexts, targets = [s[:-1] for s in X], [s[-1] for s in X]
    mrr, recall = make_mrr_scorer(5), make_recall_scorer(5)
    proba = pipe.predict_proba(contexts)
    assert mrr(pipe, X) == mrr(pipe, contexts, targets)
    assert mrr(pipe, X) == pytest.approx(mrr_at_k(targets, proba, pipe.classes_, k=5))
    assert recall(pipe, X) == pytest.approx(recall_at_k(targets, proba, pipe.classes_, k=5))
    assert mrr.__name__ == "mrr_at_5_scorer"

    search = Pipeline([("enc", StateEncoder()), ("clf", VariableOrderMarkovClassifier())])
    result = cross_validate(search, X, cv=3, scoring={"mrr@5": mrr, "recall@5": recall})
    assert np.all((0 < result["test_mrr@5"]) & (result["test_mrr@5"] <= result["test_recall@5"]))
    grid = GridSearchCV(search, {"clf__max_order": [1, 2]}, cv=3, scoring=mrr).fit(X)
    assert grid.best_params_["clf__max_order"] in (1, 2)
