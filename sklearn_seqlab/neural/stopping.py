"""Early stopping on the validation loss or on the validation accuracy.

The validation loss of a network trained on a small corpus turns up after a few epochs,
while its accuracy goes on rising: the network grows overconfident on the states it gets
wrong before it stops getting better at ranking the right one first. Stopping on accuracy
trains it longer; a temperature fitted afterwards undoes the overconfidence
(:mod:`sklearn_seqlab.neural.calibration`).
"""

from skorch.callbacks import Callback, EarlyStopping

from ..encoding import NO_CLASS

SCORING_KEYS = {"loss": ("valid_loss", True), "accuracy": ("valid_progress", False)}
"""For each ``scoring`` of :class:`~sklearn_seqlab.NextStateClassifier`, the history key
early stopping watches and whether lower is better."""


class ValidAccuracy(Callback):
    """Record in the history the accuracy over every validated position (``valid_acc``),
    and how many epochs so far improved on the best accuracy or the best loss
    (``valid_progress``).

    Accuracy moves in steps, and on a small split it can stall for epochs while the loss
    still falls, so early stopping watches progress on either: it stops once neither has
    improved for ``patience`` epochs, and keeps the last epoch that improved one of them.
    The logits of the validation batches are read as skorch passes them to
    ``on_batch_end``, so it costs no extra pass over the data. Positions without a target
    (padding) are left out.
    """

    def on_epoch_begin(self, net, **kwargs):
        self.correct_, self.total_ = 0, 0

    def on_batch_end(self, net, batch=None, training=None, y_pred=None, **kwargs):
        if training or y_pred is None:
            return
        targets = batch[1].to(y_pred.device)
        scored = targets != NO_CLASS
        hits = (y_pred.argmax(dim=-1) == targets) & scored
        self.correct_ += int(hits.sum())
        self.total_ += int(scored.sum())

    def on_epoch_end(self, net, **kwargs):
        if not self.total_:  # no validation this epoch
            return
        history = net.history
        history.record("valid_acc", self.correct_ / self.total_)
        best_accuracy = is_best(history, "valid_acc", lower_is_better=False)
        # from the history, not skorch's valid_loss_best: after a checkpoint resumes a fit,
        # skorch's scorer starts afresh and calls its first epoch the best
        improved = best_accuracy or is_best(history, "valid_loss", lower_is_better=True)
        earlier = [row["valid_progress"] for row in history[:-1] if "valid_progress" in row]
        history.record("valid_acc_best", best_accuracy)
        history.record("valid_progress", (earlier[-1] if earlier else 0) + int(improved))
        history.record("valid_progress_best", improved)


def is_best(history, key, lower_is_better):
    """Whether the last epoch's ``key`` beats that of every earlier epoch in ``history``."""
    earlier = [row[key] for row in history[:-1] if key in row]
    value = history[-1, key]
    if not earlier:
        return True
    # a Python bool: the history is written to JSON
    return bool(value < min(earlier) if lower_is_better else value > max(earlier))


def stopping_callbacks(scoring, patience, load_best):
    """The callbacks that watch ``scoring`` ("loss" or "accuracy") and stop after
    ``patience`` epochs without improvement, as (name, callback) pairs."""
    monitor, lower_is_better = SCORING_KEYS[scoring]
    stopper = EarlyStopping(
        monitor=monitor,
        patience=patience,
        lower_is_better=lower_is_better,
        threshold=0.0 if scoring == "accuracy" else 1e-4,  # any further epoch of progress
        load_best=load_best,
    )
    scorer = [("valid_acc", ValidAccuracy())] if scoring == "accuracy" else []
    return [*scorer, ("early_stopping", stopper)]
