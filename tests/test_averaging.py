"""Weight averaging (``NextStateClassifier(average_weights=True)``)."""

import pickle

import pytest
import torch

from sklearn_seqlab import NextStateClassifier
from sklearn_seqlab.data import make_markov_sequences

X = make_markov_sequences(120, n_states=6, order=1, min_length=4, max_length=10, random_state=0)
SMALL = dict(embedding_dim=8, hidden_dim=8, random_state=0, patience=None)


def _weights(clf):
    return {k: v.clone() for k, v in clf.net_.module_.state_dict().items()}


@pytest.mark.parametrize("validation_fraction", [None, 0.2])
def test_the_model_is_the_mean_of_the_weights_after_each_epoch(validation_fraction):
    """Training goes on from the optimiser's weights, so the epochs of an averaged fit are
    those of fits without averaging, of 1, 2 and 3 epochs; the model is their mean, the
    later epochs weighing more."""
    params = dict(SMALL, validation_fraction=validation_fraction)
    averaged = NextStateClassifier(**params, max_epochs=3).fit(X)
    runs = [
        NextStateClassifier(**params, max_epochs=k, average_weights=False).fit(X) for k in (1, 2, 3)
    ]
    # epoch k weighs k
    expected = {
        k: sum(i * _weights(run)[k] for i, run in enumerate(runs, start=1)) / 6
        for k in _weights(averaged)
    }
    for key, value in _weights(averaged).items():
        torch.testing.assert_close(value, expected[key])
    # the training losses are those of the plain fit; only what is evaluated differs
    assert averaged.history_[:, "train_loss"] == runs[-1].history_[:, "train_loss"]
    if validation_fraction is not None:
        # the first epoch's mean is that epoch's weights; later, the mean is validated
        assert averaged.history_[0, "valid_loss"] == runs[0].history_[0, "valid_loss"]
        assert averaged.history_[2, "valid_loss"] != runs[2].history_[2, "valid_loss"]


def test_early_stopping_keeps_the_best_mean():
    """Early stopping watches the mean's validation loss and keeps the best mean."""
    clf = NextStateClassifier(**dict(SMALL, patience=1), max_epochs=30, lr=0.05).fit(X)
    losses = clf.history_[:, "valid_loss"]
    assert len(losses) < 30 and losses.index(min(losses)) < len(losses) - 1
    _, valid = clf._split(*clf._fit_vocabulary(X, None))
    total, count = 0.0, 0
    with torch.no_grad():
        for tokens, targets in clf.net_.get_iterator(valid, training=False):
            y_pred = clf.net_.evaluation_step((tokens, targets))
            total += clf.net_.get_loss(y_pred, targets, training=False).item() * len(tokens)
            count += len(tokens)
    assert total / count == pytest.approx(min(losses), rel=1e-5)


def test_transformer_counts_positions_without_averaging_them():
    params = dict(SMALL, module="transformer", max_epochs=3, validation_fraction=None)
    averaged = NextStateClassifier(**params).fit(X)
    plain = NextStateClassifier(**params, average_weights=False).fit(X)
    module, reference = averaged.net_.module_, plain.net_.module_
    assert module.positions_trained == reference.positions_trained == max(map(len, X)) - 1


def test_each_partial_fit_call_averages_its_own_epoch():
    averaged = NextStateClassifier(**SMALL, validation_fraction=None)
    plain = NextStateClassifier(**SMALL, validation_fraction=None, average_weights=False)
    for _ in range(2):
        averaged.partial_fit(X)
        plain.partial_fit(X)
    for key, value in _weights(averaged).items():
        torch.testing.assert_close(value, _weights(plain)[key])


def test_a_model_pickled_before_the_parameter_existed_was_not_averaged():
    clf = NextStateClassifier(**SMALL, max_epochs=1, validation_fraction=None).fit(X)
    del clf.average_weights  # as a pickle of an earlier version holds it
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.get_params()["average_weights"] is False
    assert (loaded.predict_proba(X) == clf.predict_proba(X)).all()
