"""Training that cannot be lost: non-finite losses, Ctrl-C, killed processes, reproducibility."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import Callback, LRScheduler

from sklearn_seqlab import NextStateClassifier
from sklearn_seqlab.datasets import make_markov_sequences

X = make_markov_sequences(120, n_states=6, order=1, min_length=4, max_length=10, random_state=0)
SMALL = dict(embedding_dim=8, hidden_dim=8, random_state=0)


class PoisonWeights(Callback):
    """Set the weights to NaN at the start of an epoch, as a diverging run would."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                net.module_.embedding.weight.fill_(float("nan"))


class Interrupt(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt


def test_non_finite_loss_stops_with_advice_and_keeps_good_weights():
    clf = NextStateClassifier(**SMALL, max_epochs=5, callbacks=[PoisonWeights(epoch=3)])
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        clf.fit(X)
    proba = clf.predict_proba(X[:5])
    assert np.isfinite(proba).all()
    # the weights kept are those of the last completed epoch (epoch 2)
    assert len(clf.history_) == 3 and np.isfinite(clf.history_[1, "train_loss"])


def test_interrupted_fit_leaves_a_usable_estimator():
    clf = NextStateClassifier(**SMALL, max_epochs=10, callbacks=[Interrupt()]).fit(X)
    assert len(clf.history_) == 2
    assert clf.predict(X[:3]).shape == (3,)


KILLED_FIT = textwrap.dedent(
    """
    import os, sys
    from sklearn_seqlab import NextStateClassifier
    from sklearn_seqlab.datasets import make_markov_sequences
    from sklearn_seqlab.training import FiniteLossGuard

    # no callback of the user's: those take part in the checkpoint's name
    def kill(self, net, **kwargs):
        if len(net.history) == 3 and len(net.history[-1]["batches"]) == 1:
            os._exit(3)  # the process dies mid-epoch, as with kill -9
    FiniteLossGuard.on_batch_end = kill

    X = make_markov_sequences(
        120, n_states=6, order=1, min_length=4, max_length=10, random_state=0)
    NextStateClassifier(embedding_dim=8, hidden_dim=8, random_state=0, max_epochs=6,
                        batch_size=16, checkpoint_dir=sys.argv[1]).fit(X)
    """
)


def test_killed_fit_resumes_from_its_checkpoint(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", KILLED_FIT, str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 3, run.stderr
    (saved,) = tmp_path.iterdir()
    before = json.loads((saved / "history.json").read_text())
    assert len(before) == 2  # epochs 1 and 2 were saved; epoch 3 died mid-way

    params = dict(SMALL, max_epochs=6, batch_size=16, checkpoint_dir=tmp_path)
    clf = NextStateClassifier(**params).fit(X)
    assert clf.checkpoint_path_ == str(saved)
    assert len(clf.history_) == 6
    assert clf.history_[:2, "train_loss"] == [e["train_loss"] for e in before]
    # the mean over epochs went on from the two saved: it holds all six
    assert dict(clf.net_.callbacks_)["weight_averaging"].count_ == 6

    # the fit is complete now: fitting again loads it instead of training
    again = NextStateClassifier(**params).fit(X)
    assert len(again.history_) == 6
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def _checkpoint_files(directory):
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def test_partial_fit_after_fit_leaves_that_fit_s_checkpoint_alone(tmp_path):
    clf = NextStateClassifier(**SMALL, max_epochs=2, checkpoint_dir=tmp_path).fit(X)
    proba = clf.predict_proba(X)
    saved = _checkpoint_files(tmp_path)
    clf.partial_fit(X)
    clf.partial_fit(X)
    assert _checkpoint_files(tmp_path) == saved
    assert clf.checkpoint_path_ is None  # the model no longer matches a checkpoint
    # a later fit with the same parameters and data loads the fit's own weights
    np.testing.assert_array_equal(clone(clf).fit(X).predict_proba(X), proba)


def test_callbacks_take_part_in_the_checkpoint_name(tmp_path):
    scheduled = NextStateClassifier(
        **SMALL,
        max_epochs=3,
        checkpoint_dir=tmp_path,
        callbacks=[LRScheduler(policy="StepLR", step_size=1, gamma=0.01)],
    ).fit(X)
    plain = NextStateClassifier(**SMALL, max_epochs=3, checkpoint_dir=tmp_path).fit(X)
    assert plain.checkpoint_path_ != scheduled.checkpoint_path_
    fresh = NextStateClassifier(**SMALL, max_epochs=3).fit(X)
    np.testing.assert_array_equal(plain.predict_proba(X), fresh.predict_proba(X))
    assert not np.array_equal(plain.predict_proba(X), scheduled.predict_proba(X))
    # the same callback settings find the same checkpoint
    again = NextStateClassifier(
        **SMALL,
        max_epochs=3,
        checkpoint_dir=tmp_path,
        callbacks=[LRScheduler(policy="StepLR", step_size=1, gamma=0.01)],
    ).fit(X)
    assert again.checkpoint_path_ == scheduled.checkpoint_path_


SEEDED_FIT = textwrap.dedent(
    """
    import sys
    import torch
    from sklearn_seqlab import NextStateClassifier

    torch.set_num_threads(1)  # as here: other thread counts sum in another order
    from sklearn_seqlab.datasets import make_markov_sequences

    X = make_markov_sequences(
        120, n_states=6, order=1, min_length=4, max_length=10, random_state=0)
    clf = NextStateClassifier(embedding_dim=8, hidden_dim=8, random_state=0, max_epochs=3)
    sys.stdout.write(clf.fit(X).predict_proba(X).tobytes().hex())
    """
)


def test_same_seed_same_predictions_across_processes():
    run = subprocess.run([sys.executable, "-c", SEEDED_FIT], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        here = NextStateClassifier(**SMALL, max_epochs=3).fit(X).predict_proba(X)
    finally:
        torch.set_num_threads(threads)
    assert here.tobytes().hex() == run.stdout
