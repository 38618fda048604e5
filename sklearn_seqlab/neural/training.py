"""skorch callbacks that keep a long training run from being lost.

- :class:`FiniteLossGuard` stops at the first NaN or infinite loss and puts back the weights
  of the last completed epoch.
- :class:`ResumableCheckpoint` saves the state after every epoch (and the best weights), and
  :class:`LoadCheckpoint` loads it when training begins, so that a fit killed mid-epoch
  resumes where it stopped.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback, Checkpoint

from .._base import NonFiniteLossError
from ..splitting import group_key
from .stopping import is_best


class FiniteLossGuard(Callback):
    """Raise :class:`NonFiniteLossError` when a batch loss is not finite, keeping good weights.

    The weights at the end of the last completed epoch (or the initial weights) are copied
    back into the module before raising, so the estimator stays usable.
    """

    def on_train_begin(self, net, **kwargs):
        self._keep(net)

    def on_epoch_end(self, net, **kwargs):
        self._keep(net)

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if loss is not None and not torch.isfinite(loss).all():
            net.module_.load_state_dict(self.good_weights_)
            epoch = len(net.history)
            raise NonFiniteLossError(
                f"The {'training' if training else 'validation'} loss became "
                f"{loss.item()} in epoch {epoch}; training stopped and the weights of the last "
                f"completed epoch were kept. Try a smaller learning rate (lr={net.lr})."
            )

    def _keep(self, net):
        self.good_weights_ = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}


class ResumableCheckpoint(Callback):
    """Save weights, optimizer state and history after every epoch, and the best weights.

    Files are written under temporary names and then renamed, so a process killed while
    saving leaves the previous epoch's checkpoint intact. When training ends (all epochs,
    early stopping or Ctrl-C), the best weights saved are put back, and a fit that finished
    (all ``max_epochs`` epochs, or stopped early) is marked complete, unlike a killed or
    interrupted one. :class:`LoadCheckpoint` resumes from it.

    Parameters
    ----------
    dirname : str or path-like
        Directory of this fit's checkpoint.
    early_stopping : skorch.callbacks.EarlyStopping, default=None
        The net's early stopping, whose stop ends the fit (an interruption does not).
    averaging : WeightAveraging, default=None
        The net's weight averaging, whose running mean is saved and restored with the rest.
    """

    LAST = {"f_params": "params.pt", "f_optimizer": "optimizer.pt", "f_history": "history.json"}
    BEST = "best_params.pt"
    AVERAGING = "averaging.pt"
    DONE = "complete"

    def __init__(self, dirname, early_stopping=None, averaging=None):
        self.dirname = dirname
        self.early_stopping = early_stopping
        self.averaging = averaging

    def on_epoch_end(self, net, **kwargs):
        if self.dirname is None:  # detached: see stop_checkpointing
            return
        directory = Path(self.dirname)
        if self._is_best(net.history):
            _save_atomically(directory, net.save_params, f_params=self.BEST)
        _save_atomically(directory, net.save_params, **self.LAST)
        if self.averaging is not None:
            state = self.averaging.state()
            _save_atomically(directory, lambda f: torch.save(state, f), f=self.AVERAGING)

    def _is_best(self, history):
        """Whether the last epoch is the best of every session of this fit, read from the
        history: skorch's own flags start afresh when a fit resumes."""
        stopper = self.early_stopping
        if stopper is None or stopper.monitor == "valid_loss":
            return "valid_loss" in history[-1] and is_best(history, "valid_loss", True)
        return bool(history[-1].get(f"{stopper.monitor}_best", False))

    def on_train_end(self, net, **kwargs):
        if self.dirname is None:
            return
        directory = Path(self.dirname)
        # the history spans every session of this fit, so the best file is the global best
        if (directory / self.BEST).exists():
            net.load_params(f_params=directory / self.BEST)
        stopper = self.early_stopping
        stopped = stopper is not None and stopper.misses_ >= stopper.patience
        if stopped or len(net.history) >= net.max_epochs:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / self.DONE).touch()

    def saved_epochs(self):
        """Epochs saved so far (0 when there is no checkpoint)."""
        history = Path(self.dirname) / self.LAST["f_history"]
        return len(json.loads(history.read_text())) if history.exists() else 0

    def epochs_left(self, max_epochs):
        """Epochs still to train of a fit of ``max_epochs`` epochs: 0 once it is complete.

        skorch takes the number of epochs before any callback runs, so the estimator asks.
        """
        done = self.saved_epochs()
        if done and (Path(self.dirname) / self.DONE).exists():
            return 0
        return max(max_epochs - done, 0)

    def restore(self, net):
        """Load the last state saved into ``net``, if any epoch was saved."""
        if self.dirname is not None and self.saved_epochs():
            directory = Path(self.dirname)
            net.load_params(**{k: directory / v for k, v in self.LAST.items()})
            if self.averaging is not None and (directory / self.AVERAGING).exists():
                self.averaging.load_state(torch.load(directory / self.AVERAGING, weights_only=True))


class LoadCheckpoint(Callback):
    """Resume from a :class:`ResumableCheckpoint` when training begins, as skorch's
    ``LoadInitState`` does, once per built net.

    It must come before the other callbacks: they then start from the restored history, as
    ``LRScheduler`` does to continue its schedule, and from the restored weights, as
    :class:`FiniteLossGuard` does to keep them.

    Parameters
    ----------
    checkpoint : ResumableCheckpoint
        The checkpoint to load.
    """

    def __init__(self, checkpoint):
        self.checkpoint = checkpoint

    def initialize(self):
        self.did_load_ = False
        return self

    def on_train_begin(self, net, **kwargs):
        if not self.did_load_:
            self.did_load_ = True
            self.checkpoint.restore(net)


def _save_atomically(directory, save, **files):
    """``save(**paths)`` under temporary names in ``directory``, then each file renamed to its
    name in ``files``: a process killed while saving leaves the previous files intact."""
    directory.mkdir(parents=True, exist_ok=True)
    temporary = {k: directory / f".{v}.tmp" for k, v in files.items()}
    save(**temporary)
    for key, tmp in temporary.items():
        os.replace(tmp, directory / files[key])


def fit_fingerprint(params, contexts, targets, classes, groups=None):
    """A short hash of a fit's parameters and data: the name of its checkpoint directory.

    Fits that differ in parameters, callbacks or data (the fits of a search, the folds of a
    cross-validation) get different directories, so running them in parallel is safe, while
    calling ``fit`` again with the same parameters and data finds the same checkpoint. The
    ``groups`` passed to ``fit`` change the validation split, so they name it too; without
    them the name is what it was before ``fit`` took groups.
    """
    digest = hashlib.sha256()
    skip = {"callbacks", "checkpoint_dir", "verbose", "device"}
    digest.update(repr(sorted((k, v) for k, v in params.items() if k not in skip)).encode())
    # callbacks change training (a learning-rate schedule, say), so they name the directory
    digest.update(repr(_callbacks_key(params.get("callbacks"))).encode())
    digest.update(repr(classes.tolist()).encode())
    digest.update(np.fromiter(map(len, contexts.codes), dtype=np.int64).tobytes())
    for codes in contexts.codes:
        digest.update(codes.tobytes())
    digest.update(np.asarray(targets, dtype=np.int64).tobytes())
    if groups is not None:  # by each label's type and text, whatever their container
        digest.update(b"groups")
        for label in groups.tolist():
            digest.update(group_key(label) + b"\0")
    return digest.hexdigest()[:16]


def _callbacks_key(callbacks):
    """The callbacks as plain text: name, class and parameters of each.

    A callback without ``get_params``, or a parameter whose text holds an address (a lambda),
    gives text that differs between sessions: such fits never share a checkpoint, which is
    the safe side.
    """
    key = []
    for entry in callbacks or []:
        name, cb = entry if isinstance(entry, tuple) else (None, entry)
        kind = f"{type(cb).__module__}.{type(cb).__qualname__}"
        params = sorted(cb.get_params().items()) if hasattr(cb, "get_params") else repr(cb)
        key.append((name, kind, params))
    return key


def stop_checkpointing(net):
    """Detach ``net`` from its :class:`ResumableCheckpoint`: later epochs write nothing.

    ``partial_fit`` trains a model that no checkpoint stands for; writing its epochs into the
    directory of the ``fit`` it started from would hand them to a later ``fit`` with the same
    parameters and data.
    """
    for _, cb in net.callbacks_:
        if isinstance(cb, ResumableCheckpoint):
            cb.dirname = None


def fresh_checkpoint_dir(callback):
    """Give a user's ``Checkpoint`` a directory of its own for this fit, for parallel fits."""
    cb = callback[1] if isinstance(callback, tuple) else callback
    if isinstance(cb, Checkpoint) and cb.dirname is not None:
        base = str(cb.dirname) or "."
        os.makedirs(base, exist_ok=True)
        cb.dirname = tempfile.mkdtemp(prefix="fit-", dir=base)
    return callback


def check_callbacks(callbacks):
    """Raise a TypeError unless every entry is a skorch callback or a (name, callback) pair."""
    for i, entry in enumerate(callbacks or []):
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str):
            entry = entry[1]
        if not isinstance(entry, Callback):
            raise TypeError(
                f"callbacks[{i}] is a {type(entry).__name__}, not a skorch callback (an instance "
                "of skorch.callbacks.Callback) or a (name, callback) pair."
            )


def check_device(device):
    """Raise unless ``device`` names a torch device that works on this machine.

    Raises
    ------
    TypeError
        If ``device`` is not a string or a ``torch.device``.
    ValueError
        If torch does not know the device, or this machine cannot use it (no CUDA, no such
        GPU); the message names ``device``.
    """
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"device must be a string such as 'cpu' or 'cuda', got {type(device).__name__} "
            f"{device!r}."
        )
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"device={device!r} is not a torch device; use e.g. 'cpu', 'cuda' or 'cuda:0'."
        ) from None
    if parsed.type == "meta":
        raise ValueError("device='meta' holds no data, so a model cannot be trained on it.")
    try:  # the one reliable test: can a tensor live there?
        torch.empty(0, device=parsed)
    except (RuntimeError, AssertionError) as exc:
        raise ValueError(
            f"device={device!r} cannot be used on this machine ({exc}); use device='cpu'."
        ) from None
