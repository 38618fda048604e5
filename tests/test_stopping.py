"""Early stopping on the validation loss or on the validation accuracy (``scoring``)."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.history import History

from sklearn_seqlab import NextStateClassifier
from sklearn_seqlab.datasets import make_markov_sequences
from sklearn_seqlab.encoding import NO_CLASS
from sklearn_seqlab.neural.stopping import ValidAccuracy

X = make_markov_sequences(150, n_states=8, order=2, min_length=4, max_length=12, random_state=0)
SMALL = dict(embedding_dim=8, hidden_dim=8, lr=0.03, max_epochs=25, random_state=0)


def _validation_accuracy(clf):
    """The accuracy of ``clf``'s network over every position of its validation split."""
    _, valid = clf._split(*clf._fit_vocabulary(X, None))
    correct = total = 0
    with torch.no_grad():
        for tokens, targets in clf.net_.get_iterator(valid, training=False):
            logits = clf.net_.evaluation_step((tokens, targets))
            scored = targets != NO_CLASS
            correct += int(((logits.argmax(dim=-1) == targets) & scored).sum())
            total += int(scored.sum())
    return correct / total


def test_accuracy_is_recorded_and_stopping_waits_for_both_scores():
    by_loss = NextStateClassifier(**SMALL, patience=2, scoring="loss").fit(X)
    by_accuracy = NextStateClassifier(**SMALL, patience=2, scoring="accuracy").fit(X)
    history = by_accuracy.history_
    # the same seed trains the same way until one of them stops: the loss stops first
    assert len(history) >= len(by_loss.history_)
    np.testing.assert_allclose(
        history[: len(by_loss.history_), "valid_loss"], by_loss.history_[:, "valid_loss"]
    )
    accuracy, loss_best = history[:, "valid_acc"], history[:, "valid_loss_best"]
    assert all(0.0 <= a <= 1.0 for a in accuracy)
    best = [a > max(accuracy[:i], default=-1.0) for i, a in enumerate(accuracy)]
    assert history[:, "valid_acc_best"] == best
    improved = [a or b for a, b in zip(best, loss_best, strict=True)]
    assert history[:, "valid_progress"] == list(np.cumsum(improved))
    if len(history) < SMALL["max_epochs"]:  # it stopped: neither improved for 2 epochs
        assert not any(improved[-2:])


def test_accuracy_recorded_is_that_of_the_validation_split():
    clf = NextStateClassifier(
        **{**SMALL, "max_epochs": 3}, patience=5, scoring="accuracy", average_weights=False
    ).fit(X)
    # all 3 epochs ran, and the last made progress or the best weights were put back
    last_best = int(np.flatnonzero(clf.history_[:, "valid_progress_best"])[-1])
    assert _validation_accuracy(clf) == pytest.approx(clf.history_[last_best, "valid_acc"])


def test_loss_scoring_records_no_accuracy():
    clf = NextStateClassifier(**{**SMALL, "max_epochs": 2}, patience=1, scoring="loss").fit(X)
    assert "valid_acc" not in clf.history_[-1]


def test_a_checkpoint_keeps_the_epoch_of_the_last_progress(tmp_path):
    params = dict(SMALL, patience=2, scoring="accuracy", checkpoint_dir=tmp_path)
    first = NextStateClassifier(**params).fit(X)
    again = NextStateClassifier(**params).fit(X)  # loaded from the finished checkpoint
    assert again.checkpoint_path_ == first.checkpoint_path_
    np.testing.assert_allclose(again.predict_proba(X[:10]), first.predict_proba(X[:10]))


def test_stopping_on_the_loss_finds_the_checkpoints_of_before_scoring_existed(tmp_path):
    # the network of before the repetition slots and the relative chords, too
    params = dict(
        SMALL, max_epochs=1, checkpoint_dir=tmp_path, repetition_slots=0, relative_chords=False
    )
    loss = NextStateClassifier(**params, scoring="loss").fit(X)
    # the name the same fit got at f8753bc, before the parameter existed
    assert Path(loss.checkpoint_path_).name == "a063d6ce6772854a"
    accuracy = NextStateClassifier(**params, scoring="accuracy").fit(X)
    assert accuracy.checkpoint_path_ != loss.checkpoint_path_


def test_a_bad_scoring_is_named():
    with pytest.raises(ValueError, match="scoring"):
        NextStateClassifier(scoring="auc").fit(X)


class ReadsTheScore(Callback):
    """A callback of the user's that reads the score of each epoch."""

    def initialize(self):
        self.read_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.read_.append((net.history[-1, "valid_acc"], net.history[-1, "valid_progress"]))


def test_the_users_callbacks_can_read_the_score():
    clf = NextStateClassifier(
        **{**SMALL, "max_epochs": 2}, patience=2, callbacks=[("reader", ReadsTheScore())]
    ).fit(X)
    reader = dict(clf.net_.callbacks_)["reader"]
    assert reader.read_ == list(
        zip(clf.history_[:, "valid_acc"], clf.history_[:, "valid_progress"], strict=True)
    )


def test_progress_is_read_from_the_history_not_from_skorchs_flags():
    """After a checkpoint resumes a fit, skorch's scorer calls its first epoch the best."""
    history = History()
    scorer = ValidAccuracy()
    net = SimpleNamespace(history=history)
    epochs = [(0.5, 2.0), (0.6, 1.9), (0.55, 2.1)]  # (accuracy, loss): the third is worse
    for accuracy, loss in epochs:
        history.new_epoch()
        history.record("valid_loss", loss)
        history.record("valid_loss_best", True)  # as a resumed session's first epoch says
        scorer.correct_, scorer.total_ = int(accuracy * 100), 100
        scorer.on_epoch_end(net)
    assert history[:, "valid_progress"] == [1, 2, 2]
    assert history[:, "valid_progress_best"] == [True, True, False]
