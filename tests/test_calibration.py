"""Temperature scaling of a network stopped on accuracy (``temperature_``)."""

import pickle

import numpy as np
import pytest
import torch
from test_training import PoisonWeights

from sklearn_seqlab import NextStateClassifier, load_model, save_model
from sklearn_seqlab._base import NonFiniteLossError
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.encoding import NO_CLASS

X = make_markov_sequences(150, n_states=8, order=2, min_length=4, max_length=12, random_state=0)
# trained all 25 epochs at a high rate: overconfident on its validation split
PARAMS = dict(embedding_dim=16, hidden_dim=32, lr=0.03, max_epochs=25, patience=None)


@pytest.fixture(scope="module")
def calibrated():
    return NextStateClassifier(**PARAMS, random_state=0).fit(X)


def _validation_log_loss(clf, temperature):
    """Mean log-loss over every scored position of ``clf``'s validation split."""
    _, valid = clf._split(*clf._fit_vocabulary(X, None))
    total, count = 0.0, 0
    with torch.no_grad():
        for tokens, targets in clf.net_.get_iterator(valid, training=False):
            logits = clf.net_.evaluation_step((tokens, targets)).double()
            scored = targets != NO_CLASS
            log_proba = torch.log_softmax(logits[scored] / temperature, dim=-1)
            total -= log_proba.gather(1, targets[scored][:, None]).sum().item()
            count += int(scored.sum())
    return total / count


def test_the_temperature_is_the_best_one_on_the_validation_split(calibrated):
    temperature = calibrated.temperature_
    assert 1.0 < temperature <= 8.0  # it was overconfident
    best = _validation_log_loss(calibrated, temperature)
    for other in (1.0, temperature * 1.05, temperature / 1.05):
        assert best < _validation_log_loss(calibrated, other)


def test_probabilities_are_softened_and_the_ranking_kept(calibrated):
    proba = calibrated.predict_proba(X[:30])
    sharp_model = pickle.loads(pickle.dumps(calibrated))
    sharp_model.temperature_ = 1.0
    sharp = sharp_model.predict_proba(X[:30])
    np.testing.assert_array_equal(proba.argmax(axis=1), sharp.argmax(axis=1))
    assert proba.max(axis=1).mean() < sharp.max(axis=1).mean()
    # the softmax of logits / T is p ** (1 / T), renormalised
    softened = sharp ** (1.0 / calibrated.temperature_)
    np.testing.assert_allclose(proba, softened / softened.sum(axis=1, keepdims=True), rtol=1e-6)


def test_no_temperature_without_a_split_or_when_stopping_on_the_loss():
    for params in ({"validation_fraction": None}, {"scoring": "loss"}):
        clf = NextStateClassifier(**{**PARAMS, "max_epochs": 2, **params}, random_state=0)
        assert clf.fit(X).temperature_ == 1.0


def test_partial_fit_fits_the_temperature_again(calibrated):
    clf = pickle.loads(pickle.dumps(calibrated))
    before = clf.temperature_
    clf.set_params(lr=0.1).partial_fit(X)
    assert clf.temperature_ != before  # fitted again, for the new weights
    best = _validation_log_loss(clf, clf.temperature_)
    for other in (before, clf.temperature_ * 1.05, clf.temperature_ / 1.05):
        assert best < _validation_log_loss(clf, other)


def test_pickles_from_before_it_existed_load_without_one_and_files_keep_it(calibrated, tmp_path):
    state = dict(calibrated.__getstate__())
    del state["temperature_"]
    old = NextStateClassifier.__new__(NextStateClassifier)
    old.__setstate__(state)
    assert old.temperature_ == 1.0
    save_model(calibrated, tmp_path / "model.json")
    np.testing.assert_allclose(
        load_model(tmp_path / "model.json").predict_proba(X[:5]), calibrated.predict_proba(X[:5])
    )


def test_a_bad_temperature_in_a_model_file_is_named(calibrated, tmp_path):
    calibrated = pickle.loads(pickle.dumps(calibrated))
    calibrated.temperature_ = -1.0
    save_model(calibrated, tmp_path / "model.json")
    with pytest.raises(ValueError, match="temperature_"):
        load_model(tmp_path / "model.json")


def test_a_fit_stopped_by_a_non_finite_loss_calibrates_the_weights_it_keeps():
    clf = NextStateClassifier(**PARAMS, random_state=0, callbacks=[PoisonWeights(epoch=4)])
    with pytest.raises(NonFiniteLossError):
        clf.fit(X)
    assert len(clf.history_) == 4 and clf.temperature_ != 1.0  # 3 epochs kept
    best = _validation_log_loss(clf, clf.temperature_)
    for other in (1.0, clf.temperature_ * 1.05, clf.temperature_ / 1.05):
        assert best < _validation_log_loss(clf, other)
